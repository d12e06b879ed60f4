"""Checks a person using a screen reader or a keyboard relies on, measured in the real browser."""

from __future__ import annotations

from typing import Any

#: Every visible text node's color, its effective background, and its font size and weight.
_TEXT_STYLES = """() => {
  function rgba(c) {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map(s => parseFloat(s));
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function background(el) {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  }
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el) continue;
    const cs = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (cs.visibility === 'hidden' || box.width < 2 || box.height < 2) continue;
    out.push({text: text.slice(0, 50), color: rgba(cs.color), background: background(el),
              size: parseFloat(cs.fontSize), weight: parseInt(cs.fontWeight, 10)});
  }
  return out;
}"""


def _luminance(rgb: list[float]) -> float:
    def channel(v: float) -> float:
        v = v / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(x) for x in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def contrast_problems(frame: Any) -> list[str]:
    """Text below WCAG 2.1 AA contrast (4.5:1, or 3:1 for large text) in a page or frame."""
    problems = []
    for item in frame.evaluate(_TEXT_STYLES):
        large = item["size"] >= 24 or (item["size"] >= 18.66 and item["weight"] >= 700)
        ratio = contrast(item["color"], item["background"])
        if ratio < (3 if large else 4.5):
            problems.append(f"{item['text']!r}: {ratio:.2f}:1")
    return problems


def focus_ring_after_tab(frame: Any, page: Any) -> dict[str, Any]:
    """Press Tab once and describe the focused element: its text, outline and position."""
    page.keyboard.press("Tab")
    return dict(
        frame.evaluate("""() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return {text: el.textContent.trim(), href: el.getAttribute('href'), outline: cs.outlineStyle,
              outlineWidth: parseFloat(cs.outlineWidth), top: box.top, height: box.height};
    }""")
    )


def progressbars(frame: Any) -> list[dict[str, str]]:
    """Every progress bar's label (from aria-labelledby) and ARIA values."""
    return list(
        frame.evaluate("""() => Array.from(document.querySelectorAll('[role=progressbar]')).map(b => ({
      label: document.getElementById(b.getAttribute('aria-labelledby')).textContent.trim(),
      now: b.getAttribute('aria-valuenow'), min: b.getAttribute('aria-valuemin'),
      max: b.getAttribute('aria-valuemax'), text: b.getAttribute('aria-valuetext'),
      license: b.closest('article') ? b.closest('article').id : null}))""")
    )
