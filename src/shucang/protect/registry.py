"""The extract registry: one row per release (file extract, API answer, open-data export).

It answers "who received what, when, masked how, with which key" — what a trace needs to name a
recipient and what an auditor asks. Rows are never updated except to add the file's path and hash
once the file is written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.errors import NotFound
from shucang.protect.tables import ensure_tables, extracts

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse


@dataclass(frozen=True)
class ExtractRecord:
    """One registry row."""

    id: str
    recipient_id: int
    recipient: str
    dataset: str
    version: int | None
    channel: str
    clearance: int
    columns: list[str]
    masked: dict[str, str]
    dropped: list[str]
    marks: dict[str, Any]
    rows: int
    policy: dict[str, Any]
    key_id: str
    filter: str | None
    format: str | None
    path: str | None
    file_sha256: str | None
    created_by: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["created_at"] = self.created_at.isoformat()
        return data


def new_extract_id() -> str:
    return "x" + secrets.token_hex(8)


def _record(row: Any) -> ExtractRecord:
    return ExtractRecord(
        row.id, row.recipient_id, row.recipient, row.dataset, row.version, row.channel, row.clearance,
        list(row.columns or []), dict(row.masked or {}), list(row.dropped or []), dict(row.marks or {}),
        int(row.rows), dict(row.policy or {}), row.key_id, row.filter, row.format, row.path, row.file_sha256,
        row.created_by, row.created_at,
    )


def record_extract(wh: Warehouse, **fields: Any) -> None:
    """Insert a registry row (fields as in :class:`ExtractRecord`, ``created_at`` defaulting to now)."""
    with wh.engine.begin() as conn:
        insert_extract(wh, conn, **fields)


def insert_extract(wh: Warehouse, conn: sa.Connection, **fields: Any) -> None:
    """:func:`record_extract` inside the caller's transaction (with the extract's decoy rows)."""
    ensure_tables(wh.engine)
    fields.setdefault("created_at", datetime.now(UTC))
    conn.execute(extracts.insert().values(**fields))


def get_extract(wh: Warehouse, extract_id: str) -> ExtractRecord:
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        row = conn.execute(sa.select(extracts).where(extracts.c.id == extract_id)).first()
    if row is None:
        raise NotFound(f"提取记录不存在 (no such extract): {extract_id}", hint="shucang extracts list")
    return _record(row)


def list_extracts(wh: Warehouse, *, dataset: str | None = None, recipient: str | None = None,
                  channel: str | None = None, limit: int | None = None) -> list[ExtractRecord]:
    """Registry rows, newest first, optionally for one dataset, recipient or channel."""
    ensure_tables(wh.engine)
    query = sa.select(extracts).order_by(extracts.c.created_at.desc(), extracts.c.id)
    if dataset is not None:
        query = query.where(extracts.c.dataset == dataset)
    if recipient is not None:
        query = query.where(extracts.c.recipient == recipient)
    if channel is not None:
        query = query.where(extracts.c.channel == channel)
    if limit is not None:
        query = query.limit(limit)
    with wh.engine.connect() as conn:
        return [_record(r) for r in conn.execute(query)]


def extract_ids(wh: Warehouse, *, dataset: str | None = None) -> list[str]:
    """Ids of registry rows, newest first (as :func:`list_extracts` orders them), without parsing rows."""
    ensure_tables(wh.engine)
    query = sa.select(extracts.c.id).order_by(extracts.c.created_at.desc(), extracts.c.id)
    if dataset is not None:
        query = query.where(extracts.c.dataset == dataset)
    with wh.engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


def extracts_by_id(wh: Warehouse, ids: list[str], *, chunk: int = 500) -> dict[str, ExtractRecord]:
    """The registry rows of ``ids`` (those that exist), read in chunks."""
    ensure_tables(wh.engine)
    found: dict[str, ExtractRecord] = {}
    with wh.engine.connect() as conn:
        for start in range(0, len(ids), chunk):
            query = sa.select(extracts).where(extracts.c.id.in_(ids[start:start + chunk]))
            found.update((row.id, _record(row)) for row in conn.execute(query))
    return found
