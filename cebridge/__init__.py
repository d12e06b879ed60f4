"""cebridge: continuing-education credit for mental-health clinicians.

The pure core is :mod:`cebridge.domain` (models, rule packs, engine, planner); the rest of this package is the
application around it: rule-pack loading, the store, the sync pipeline, certificates, sinks, settings, CLI.
"""

from __future__ import annotations

__version__ = "0.1.0"
