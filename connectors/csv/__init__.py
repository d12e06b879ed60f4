"""CSV / spreadsheet connector (entry point ``csv``)."""

from __future__ import annotations

from connectors.csv.config import ColumnMap, CsvConfig
from connectors.csv.connector import CsvConnector, CsvSummary

__all__ = ["ColumnMap", "CsvConfig", "CsvConnector", "CsvSummary"]
