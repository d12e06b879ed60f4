"""The demo platform's two pages: the course page a person launches from, and the auto-submitted launch form."""

from __future__ import annotations

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cebridge demo LMS</title>
<meta name="referrer" content="no-referrer">
<style>
 body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f4f5f7}
 header{background:#1F4E79;color:#fff;padding:14px 24px} header h1{margin:0;font-size:20px}
 main{max-width:960px;margin:24px auto;padding:0 24px}
 section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:18px;box-shadow:0 1px 3px #0002}
 table{border-collapse:collapse;width:100%} td,th{padding:6px 8px;text-align:left;border-bottom:1px solid #e3e3e3}
 a.button{display:inline-block;background:#1F4E79;color:#fff;padding:6px 12px;border-radius:5px;text-decoration:none}
 a.button.instructor{background:#6b3fa0} .muted{color:#666;font-size:14px} code{background:#eef;padding:1px 4px}
 header code{background:#ffffff26;color:#fff}
</style></head>
<body>
<header><h1>cebridge demo LMS</h1><div class="muted" style="color:#dde">an LTI 1.3 platform built into
<code>cebridge demo --serve</code>: it signs its own launches and receives grades like Moodle or Canvas</div></header>
<main>
<section>
 <h2 id="course">{{ context.title }}</h2>
 <p>Activity: <strong>{{ link.title }}</strong> (the cebridge tool, placed with the CE offering
 <code>{{ platform.offering_row_id }}</code> of the catalog).</p>
 <table id="people">
  <tr><th>person</th><th>role</th><th></th></tr>
  {% for p in learners %}
  {% set href = platform.url('/launch/' ~ p.id) %}
  <tr><td>{{ p.name }}</td><td>clinician (learner)</td>
      <td><a class="button" id="launch-{{ p.id }}" href="{{ href }}">Launch as {{ p.name }}</a></td></tr>
  {% endfor %}
  {% for p in teachers %}
  {% set href = platform.url('/launch/' ~ p.id) %}
  <tr><td>{{ p.name }}</td><td>instructor</td>
      <td><a class="button instructor" id="launch-{{ p.id }}"
             href="{{ href }}">Launch as instructor ({{ p.name }})</a></td></tr>
  {% endfor %}
 </table>
 <p class="muted">A launch goes through the tool's OIDC login (<code>/lti/login</code>), this platform's
 authentication endpoint and a signed id_token posted to <code>/lti/launch</code>; the tool then shows its
 dashboard.</p>
</section>
<section>
 <h2>Gradebook (scores posted by the tool through AGS)</h2>
 {% if platform.scores %}
 <table id="gradebook">
  <tr><th>learner</th><th>score</th><th>progress</th><th>comment</th><th>timestamp</th></tr>
  {% for s in platform.scores %}
  <tr><td>{{ s.learner }}</td><td>{{ s.scoreGiven }} / {{ s.scoreMaximum }}</td><td>{{ s.activityProgress }},
  {{ s.gradingProgress }}</td><td>{{ s.comment }}</td><td>{{ s.timestamp }}</td></tr>
  {% endfor %}
 </table>
 {% else %}
 <p id="gradebook-empty" class="muted">No scores yet. The tool posts one for each learner who completed this
 activity's offering, after the activity's first launch (the demo's worker runs every few seconds).</p>
 {% endif %}
</section>
</main></body></html>
"""

POST_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Launching cebridge</title>
<meta name="referrer" content="no-referrer"></head>
<body><p>Launching cebridge...</p>
<form id="launch" method="post" action="{{ action }}">
{% for name, value in fields.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.getElementById("launch").submit();</script>
</body></html>
"""
