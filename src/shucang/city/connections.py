"""Locked read-only DuckDB connections, one per dataset, kept with the warehouse object between
evaluation rounds: setting one up (a DuckDB database, macros, the dataset's view) costs more than most
sign queries. A new version of the dataset re-points the same connection (its Arrow data registered
anew, its typed view re-created): the lock and the one-dataset restriction stay, the set-up is not paid
again.

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

from shucang.errors import ShucangError
from shucang.share.cache import attached
from shucang.warehouse import Warehouse
from shucang.warehouse.query import quote_identifier, repoint

LOAD_ROWS = 2_000_000
"""Largest version (rows) loaded into the connection's memory; a larger one is read through its view."""


def loaded_name(dataset: str) -> str:
    """The in-memory table behind a loaded dataset's view (a SELECT may read it: it is the same data)."""
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
        load = rows is not None and rows <= LOAD_ROWS
        with self._lock:
            found = self._by_dataset.get(dataset)
            if found is not None and found[0] == version:
                return found[1], found[2]
            if found is not None:
                del self._by_dataset[dataset]
                with found[2]:
                    try:
                        repoint(found[1], wh, dataset, version)
                        _load(found[1], dataset, load)
                    except (duckdb.Error, ShucangError):
                        found[1].close()  # start afresh below
                    else:
                        self._by_dataset[dataset] = (version, found[1], found[2])
                        return found[1], found[2]
            con = wh.connect(versions={dataset: version}, only=[dataset])
            try:
                _load(con, dataset, load)
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


def _load(con: duckdb.DuckDBPyConnection, dataset: str, load: bool) -> None:
    """Copy the typed view (just made by connect or repoint) into a table and point the view at it (same
    name, columns, types); without ``load``, drop a table an earlier version left."""
    view, table = quote_identifier(dataset), quote_identifier(loaded_name(dataset))
    if not load:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {view}")
    con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {table}")


def connections(wh: Warehouse) -> Connections:
    found: Connections = attached(wh, "_city_connections", Connections, _close)
    return found


def _close(found: Any) -> None:
    found.close()
