"""Locked read-only DuckDB connections, one per dataset, kept with the warehouse object between
evaluation rounds: setting one up (a DuckDB database, macros, the dataset's view) costs more than most
sign queries. A new version of the dataset re-points the same connection (its Arrow data registered
anew, its typed view re-created): the lock and the one-dataset restriction stay, the set-up is not paid
again.

A version of at most :data:`LOAD_ROWS` rows is loaded once into the connection's own in-memory table
(through the warehouse's typed view, so the values are exactly those the view gives): every sign of
the dataset then scans DuckDB's columnar storage instead of re-reading the Arrow files and re-casting
text columns — about three times cheaper per query, for one scan per version. Larger versions, versions
past the budget of all loaded rows (:data:`LOAD_BUDGET`), and a load that fails keep the view: memory
stays bounded and a sign never fails for want of it. The name the SQL sees, its columns and types, and the lock (no file
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
LOAD_BUDGET = 6_000_000
"""Rows loaded over all kept connections at most (each dataset's current version counts once)."""


def loaded_name(dataset: str) -> str:
    """The in-memory table behind a loaded dataset's view (a SELECT may read it: it is the same data)."""
    return f"{dataset}__loaded"


class Connections:
    """One connection per dataset, for its current version; a lock per use (DuckDB connections are not
    for concurrent use)."""

    def __init__(self) -> None:
        self._by_dataset: dict[str, tuple[int, duckdb.DuckDBPyConnection, threading.Lock]] = {}
        self._loaded: dict[str, int] = {}  # dataset → rows loaded into its connection
        self._lock = threading.Lock()

    def get(self, wh: Warehouse, dataset: str, version: int,
            rows: int | None = None) -> tuple[duckdb.DuckDBPyConnection, threading.Lock]:
        """The connection for ``dataset`` at ``version``; ``rows`` (the version's row count, when known)
        at most :data:`LOAD_ROWS` loads the version into memory once (see the module docstring)."""
        with self._lock:
            found = self._by_dataset.get(dataset)
            if found is not None and found[0] == version:
                return found[1], found[2]
            self._loaded.pop(dataset, None)
            budget = LOAD_BUDGET - sum(self._loaded.values())
            load = rows is not None and rows <= min(LOAD_ROWS, budget)
            if found is not None:
                del self._by_dataset[dataset]
                with found[2]:
                    try:
                        repoint(found[1], wh, dataset, version)
                    except ShucangError:
                        found[1].close()  # start afresh below
                    else:
                        self._keep(dataset, version, found[1], found[2], rows if load else None)
                        return found[1], found[2]
            con = wh.connect(versions={dataset: version}, only=[dataset])
            lock = threading.Lock()
            self._keep(dataset, version, con, lock, rows if load else None)
            return con, lock

    def _keep(self, dataset: str, version: int, con: duckdb.DuckDBPyConnection, lock: threading.Lock,
              load: int | None) -> None:
        if _load(con, dataset, load is not None) and load is not None:
            self._loaded[dataset] = load
        self._by_dataset[dataset] = (version, con, lock)

    def close(self) -> None:
        with self._lock:
            for _, con, lock in self._by_dataset.values():
                with lock:
                    con.close()
            self._by_dataset.clear()
            self._loaded.clear()


def _load(con: duckdb.DuckDBPyConnection, dataset: str, load: bool) -> bool:
    """Copy the typed view (just made by connect or repoint) into a table and point the view at it (same
    name, columns, types); without ``load``, or when loading fails (memory), the view stays as it is and
    a table an earlier version left goes. Whether the version was loaded."""
    view, table = quote_identifier(dataset), quote_identifier(loaded_name(dataset))
    if load:
        try:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {view}")
            con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {table}")
            return True
        except duckdb.Error:
            pass  # read through the view instead
    con.execute(f"DROP TABLE IF EXISTS {table}")
    return False


def connections(wh: Warehouse) -> Connections:
    found: Connections = attached(wh, "_city_connections", Connections, _close)
    return found


def _close(found: Any) -> None:
    found.close()
