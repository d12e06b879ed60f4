/* Progressive enhancement only: every page works without this file.
   - the license form shows only the fields the chosen board needs (fields with errors always stay visible);
   - the form's error summary takes focus so a screen reader announces it. */
(function () {
  "use strict";
  function boardFields(form) {
    var select = form.querySelector("#board");
    if (!select) { return; }
    var hint = form.querySelector("#board-cycle-hint");
    function update() {
      var board = select.value;
      form.querySelectorAll("[data-boards]").forEach(function (el) {
        var boards = (el.getAttribute("data-boards") || "").split(" ");
        var keep = el.classList.contains("has-error") || (board !== "" && boards.indexOf(board) !== -1);
        el.hidden = !keep;
      });
      var option = select.options[select.selectedIndex];
      var text = option ? option.getAttribute("data-cycle-hint") : null;
      if (hint) {
        hint.textContent = text || "";
        hint.hidden = !text;
      }
    }
    select.addEventListener("change", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("license-form");
    if (form) { boardFields(form); }
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
