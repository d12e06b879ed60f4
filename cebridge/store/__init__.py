"""The clinician record store: SQLAlchemy 2 tables, engine setup and repositories.

No engine or session is created at import time; callers build one from :class:`cebridge.config.Settings`.
"""
