"""Sinks: where cebridge delivers what it produced (certificates, webhooks, gradebooks, exports)."""
