"""``cebridge demo``: the whole flow on one machine in under a minute.

The demo starts a Canvas-shaped and a Moodle-shaped provider on 127.0.0.1 (port 0), copies a CSV export into
``CEBRIDGE_HOME``, configures three providers with their connectors, catalogs and certificate profiles, adds five
clinicians licensed by five boards, syncs, lets the outbox issue certificates, and prints each license's
compliance. With ``--serve`` it also serves the dashboard next to a built-in LTI 1.3 platform page
(``/demo/platform``) from which a person launches the tool as a clinician or an instructor.

Everything it reads ships inside the package (``cebridge/demo/data/``; ``examples/demo/`` is the readable copy and a
test keeps the two equal), so the demo works from a plain, non-editable install.
"""
