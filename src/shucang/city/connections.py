"""Locked read-only DuckDB connections per (dataset, version), kept with the warehouse object between
evaluation rounds: setting one up (macros, the dataset's view) costs more than most sign queries, and
a new version of the dataset simply gets a new connection (the old one is closed)."""

from __future__ import annotations

import threading
from typing import Any

import duckdb

from shucang.share.cache import attached
from shucang.warehouse import Warehouse


class Connections:
    """One connection per dataset, for its current version; a lock per use (DuckDB connections are not
    for concurrent use)."""

    def __init__(self) -> None:
        self._by_dataset: dict[str, tuple[int, duckdb.DuckDBPyConnection, threading.Lock]] = {}
        self._lock = threading.Lock()

    def get(self, wh: Warehouse, dataset: str, version: int) -> tuple[duckdb.DuckDBPyConnection, threading.Lock]:
        with self._lock:
            found = self._by_dataset.get(dataset)
            if found is not None and found[0] == version:
                return found[1], found[2]
            if found is not None:
                with found[2]:
                    found[1].close()
            con = wh.connect(versions={dataset: version}, only=[dataset])
            entry = (version, con, threading.Lock())
            self._by_dataset[dataset] = entry
            return con, entry[2]

    def close(self) -> None:
        with self._lock:
            for _, con, lock in self._by_dataset.values():
                with lock:
                    con.close()
            self._by_dataset.clear()


def connections(wh: Warehouse) -> Connections:
    found: Connections = attached(wh, "_city_connections", Connections, _close)
    return found


def _close(found: Any) -> None:
    found.close()
