"""Warehouse stage: versioned Delta tables, the catalog, read-only SQL and data checks."""

from shucang.warehouse.models import (
    CADENCES,
    ColumnInfo,
    DatasetInfo,
    IngestOptions,
    IngestResult,
    VersionInfo,
)
from shucang.warehouse.store import Warehouse

__all__ = [
    "CADENCES",
    "ColumnInfo",
    "DatasetInfo",
    "IngestOptions",
    "IngestResult",
    "VersionInfo",
    "Warehouse",
]
