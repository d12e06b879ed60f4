"""Moodle connector (entry point ``moodle``)."""

from __future__ import annotations

from connectors.moodle.api import flatten_params
from connectors.moodle.config import MoodleConfig
from connectors.moodle.connector import MoodleConnector

__all__ = ["MoodleConfig", "MoodleConnector", "flatten_params"]
