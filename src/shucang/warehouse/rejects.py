"""Quarantined rows: one Delta table per dataset under ``rejects/NAME``, rows tagged by version.

Rows carry the ingest attempt id too, so rows written by an attempt that was killed before its
catalog commit are never shown as belonging to the version number that a later attempt reused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

REJECT_SCHEMA = pa.schema([
    ("version", pa.int64()),
    ("attempt_id", pa.string()),
    ("line", pa.int64()),
    ("code", pa.string()),
    ("reason", pa.string()),
    ("raw", pa.string()),
])


class RejectStore:
    """Append-only store of rejected rows, next to the datasets."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, dataset: str, version: int, attempt_id: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        table = pa.table({
            "version": pa.array([version] * len(rows), pa.int64()),
            "attempt_id": pa.array([attempt_id] * len(rows), pa.string()),
            "line": pa.array([r.get("line") for r in rows], pa.int64()),
            "code": pa.array([str(r.get("code", "")) for r in rows], pa.string()),
            "reason": pa.array([str(r.get("reason", "")) for r in rows], pa.string()),
            "raw": pa.array([str(r.get("raw", ""))[:65536] for r in rows], pa.string()),
        }, schema=REJECT_SCHEMA)
        write_deltalake(str(self.folder / dataset), table, mode="append")

    def read(self, dataset: str, version: int, attempt_id: str | None, *, limit: int = 1000) -> list[dict[str, Any]]:
        path = self.folder / dataset
        if not DeltaTable.is_deltatable(str(path)):
            return []
        table = DeltaTable(str(path)).to_pyarrow_table()
        mask = pc.equal(table["version"], version)
        if attempt_id:
            mask = pc.and_(mask, pc.equal(table["attempt_id"], attempt_id))
        picked = table.filter(mask).sort_by("line").slice(0, limit)
        return picked.select(["line", "code", "reason", "raw"]).to_pylist()
