"""The sync pipeline: connector batches -> stored completions -> credit and compliance -> outbox.

See docs/store.md for its guarantees. The embedded path (``cebridge sync``) and the worker run the same
functions from :mod:`cebridge.sync.pipeline`.
"""
