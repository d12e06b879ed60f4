"""xAPI Learning Record Store connector (entry point ``xapi``)."""

from __future__ import annotations

from connectors.xapi.connector import XapiConfig, XapiConnector

__all__ = ["XapiConfig", "XapiConnector"]
