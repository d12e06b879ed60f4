"""Canvas LMS connector (entry point ``canvas``)."""

from __future__ import annotations

from connectors.canvas.config import CanvasConfig
from connectors.canvas.connector import CanvasConnector

__all__ = ["CanvasConfig", "CanvasConnector"]
