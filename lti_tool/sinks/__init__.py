"""Sinks the LTI tool provides to the outbox (entry-point group ``cebridge.sinks``)."""
