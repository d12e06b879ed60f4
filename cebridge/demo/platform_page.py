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
 a.button{display:inline-block;background:#1F4E79;color:#fff;padding:6px 12px;border-radius:5px;text-decoration:none;
  margin:2px 0}
 .activity{border-top:1px solid #e3e3e3;padding-top:6px} .activity h3{font-size:17px;margin:8px 0}
 .note{background:#eaf4ea;border-left:4px solid #2e7d32;padding:8px 12px}
 a.button.instructor{background:#6b3fa0} .muted{color:#666;font-size:14px} code{background:#eef;padding:1px 4px}
 header code{background:#ffffff26;color:#fff}
</style></head>
<body>
<header><h1>cebridge demo LMS</h1><div class="muted" style="color:#dde">an LTI 1.3 platform built into
<code>cebridge demo --serve</code>: it signs its own launches and receives grades like Moodle or Canvas</div></header>
<main>
{% if placed %}<p id="placed" class="note">Placed {{ placed }} new activit{{ 'y' if placed == '1' else 'ies' }} from the
tool's Deep Linking response.</p>{% endif %}
<section>
 <h2 id="course">{{ context.title }}</h2>
 <p class="muted">Each activity is the cebridge tool, placed with a CE offering of the catalog. A launch goes through
 the tool's OIDC login (<code>/lti/login</code>), this platform's authentication endpoint and a signed id_token
 posted to <code>/lti/launch</code>; the tool then shows its dashboard.</p>
 {% for a in activities %}
 <div class="activity" id="activity-{{ a.id }}">
  <h3>{{ a.title }} <span class="muted">(offering <code>{{ a.offering }}</code>)</span></h3>
  <p>{% for p in people %}
   {% set href = platform.url('/launch/' ~ a.id ~ '/' ~ p.id) %}
   <a class="button{{ ' instructor' if p.is_instructor else '' }}" id="launch-{{ a.id }}-{{ p.id }}"
      href="{{ href }}">Launch as {{ 'instructor ' if p.is_instructor else '' }}{{ p.name }}</a>
  {% endfor %}</p>
 </div>
 {% endfor %}
 {% for t in teachers %}
 <p><a class="button instructor" id="deep-link-{{ t.id }}" href="{{ platform.url('/deep-link/' ~ t.id) }}">Add a CE
 offering to the course (Deep Linking, as {{ t.name }})</a></p>
 {% endfor %}
</section>
<section>
 <h2>Gradebook (scores posted by the tool through AGS)</h2>
 {% if platform.scores %}
 <table id="gradebook">
  <tr><th>learner</th><th>activity</th><th>score</th><th>progress</th><th>comment</th><th>timestamp</th></tr>
  {% for s in platform.scores %}
  <tr><td>{{ s.learner }}</td><td>{{ s.activity }}</td><td>{{ s.scoreGiven }} / {{ s.scoreMaximum }}</td>
  <td>{{ s.activityProgress }}, {{ s.gradingProgress }}</td><td>{{ s.comment }}</td><td>{{ s.timestamp }}</td></tr>
  {% endfor %}
 </table>
 {% else %}
 <p id="gradebook-empty" class="muted">No scores yet. The tool posts one for each learner who completed an
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
