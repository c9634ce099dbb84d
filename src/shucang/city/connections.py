"""Locked read-only DuckDB connections per (dataset, version), kept with the warehouse object between
evaluation rounds: setting one up (macros, the dataset's view) costs more than most sign queries, and
a new version of the dataset simply gets a new connection (the old one is closed).

A version of at most :data:`LOAD_ROWS` rows is loaded once into the connection's own in-memory table
(through the warehouse's typed view, so the values are exactly those the view gives): every sign of
the dataset then scans DuckDB's columnar storage instead of re-reading the Arrow files and re-casting
text columns — about three times cheaper per query, for one scan per version. Larger versions keep the
view (memory stays bounded). The name the SQL sees, its columns and types, and the lock (no file
access, no configuration changes, one checked SELECT per query) are the same either way.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from shucang.share.cache import attached
from shucang.warehouse import Warehouse
from shucang.warehouse.query import quote_identifier

LOAD_ROWS = 2_000_000
"""Largest version (rows) loaded into the connection's memory; a larger one is read through its view."""


def loaded_name(dataset: str) -> str:
    """The in-memory table behind a loaded dataset's view (hidden from nothing: a SELECT may read it)."""
    return f"{dataset}__loaded"


class Connections:
    """One connection per dataset, for its current version; a lock per use (DuckDB connections are not
    for concurrent use)."""

    def __init__(self) -> None:
        self._by_dataset: dict[str, tuple[int, duckdb.DuckDBPyConnection, threading.Lock]] = {}
        self._lock = threading.Lock()

    def get(self, wh: Warehouse, dataset: str, version: int,
            rows: int | None = None) -> tuple[duckdb.DuckDBPyConnection, threading.Lock]:
        """The connection for ``dataset`` at ``version``; ``rows`` (the version's row count, when known)
        at most :data:`LOAD_ROWS` loads the version into memory once (see the module docstring)."""
        with self._lock:
            found = self._by_dataset.get(dataset)
            if found is not None and found[0] == version:
                return found[1], found[2]
            if found is not None:
                with found[2]:
                    found[1].close()
                del self._by_dataset[dataset]
            con = wh.connect(versions={dataset: version}, only=[dataset])
            if rows is not None and rows <= LOAD_ROWS:
                try:
                    _load(con, dataset)
                except duckdb.Error:
                    con.close()
                    raise
            entry = (version, con, threading.Lock())
            self._by_dataset[dataset] = entry
            return con, entry[2]

    def close(self) -> None:
        with self._lock:
            for _, con, lock in self._by_dataset.values():
                with lock:
                    con.close()
            self._by_dataset.clear()


def _load(con: duckdb.DuckDBPyConnection, dataset: str) -> None:
    """Copy the typed view into a table once and point the view at it (same name, columns, types)."""
    view, table = quote_identifier(dataset), quote_identifier(loaded_name(dataset))
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM {view}")
    con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {table}")


def connections(wh: Warehouse) -> Connections:
    found: Connections = attached(wh, "_city_connections", Connections, _close)
    return found


def _close(found: Any) -> None:
    found.close()
