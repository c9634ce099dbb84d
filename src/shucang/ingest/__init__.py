"""Ingest: department files (CSV/TSV in any delimiter and encoding, Excel, JSON lines, Parquet) →
streams of Arrow record batches plus quarantined rows, with exact row accounting.

The lowest stage: it imports nothing from the others. ``open_source`` is the entry point;
``infer`` profiles loaded columns and builds the typed views' SQL.
"""

from __future__ import annotations

from shucang.ingest.infer import ColumnProfile, ColumnProfiler, duckdb_macros, typed_sql
from shucang.ingest.model import Chunk, ReadOptions, RejectedRow, TableSource
from shucang.ingest.sources import list_tables, open_source

__all__ = ["Chunk", "ColumnProfile", "ColumnProfiler", "ReadOptions", "RejectedRow", "TableSource",
           "duckdb_macros", "list_tables", "open_source", "typed_sql"]
