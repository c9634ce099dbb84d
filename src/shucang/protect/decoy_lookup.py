"""Finding a leaked file's cell digests among the registered decoy digests, fast.

A 10,000-row leak has ≈ 60,000 distinct cells, each digested and looked up in ``protect_decoys``.
Through SQLAlchemy's expanding ``IN`` that costs ≈ 3 µs per digest of statement building alone
(≈ 0.2 s), so lookups go to the driver with plain placeholders (≈ 1 µs per digest, chunks of 500).

A process that traces again keeps the 64-bit prefixes of every registered digest in memory (a sorted
numpy array, ≈ 8 bytes per decoy cell, read once and then extended by row id), and asks the catalog
only for the digests whose prefix is registered. The prefixes are validated on every trace against
``count(*)`` and ``max(id)`` of the table — rows are only ever inserted — and re-read whole when
they disagree. A prefix can only *propose* a digest: the catalog row is always read, so a stale or
colliding prefix can cost a lookup, never create a match.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from shucang.protect.tables import decoys as decoy_table
from shucang.protect.tables import ensure_tables
from shucang.protect.trace_cache import catalog_key

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

_CHUNK = 500
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_COLUMNS = ("extract_id", "decoy", "column", "digest", "components")


class _Prefixes:
    """Sorted 64-bit prefixes of the registered digests of one catalog, and what they cover."""

    def __init__(self) -> None:
        self.prefixes = np.zeros(0, dtype=np.uint64)
        self.count = 0
        self.max_id = 0
        self.lock = threading.Lock()


_prefixes: dict[tuple[str, str], _Prefixes] = {}
_uses: dict[tuple[str, str], int] = {}
_registry_lock = threading.Lock()


def _hex_prefixes(digests: list[str]) -> np.ndarray:
    if not digests:
        return np.zeros(0, dtype=np.uint64)
    raw = bytes.fromhex("".join(d[:16] for d in digests))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64)


def _refresh(conn: sa.Connection, state: _Prefixes) -> None:
    # Two queries: SQLite answers each from the b-tree at once, but scans the table for both together.
    count = int(conn.execute(sa.select(sa.func.count()).select_from(decoy_table)).scalar_one() or 0)
    max_id = int(conn.execute(sa.select(sa.func.max(decoy_table.c.id))).scalar_one() or 0)
    if (count, max_id) == (state.count, state.max_id):
        return
    if count > state.count and max_id > state.max_id:
        new = conn.execute(
            sa.select(decoy_table.c.id, decoy_table.c.digest).where(decoy_table.c.id > state.max_id)
        ).all()
        if state.count + len(new) == count:
            added = _hex_prefixes([row.digest for row in new])
            state.prefixes = np.sort(np.concatenate([state.prefixes, added]))
            state.count, state.max_id = count, max(max_id, max((row.id for row in new), default=0))
            return
    rows = conn.execute(sa.select(decoy_table.c.id, decoy_table.c.digest)).all()
    state.prefixes = np.sort(_hex_prefixes([row.digest for row in rows]))
    state.count, state.max_id = len(rows), max((row.id for row in rows), default=0)


def _rows(conn: sa.Connection, wanted: list[str]) -> list[Any]:
    """Registry rows whose digest is in ``wanted``, through the driver when its placeholder is known."""
    found: list[Any] = []
    mark = _PLACEHOLDERS.get(conn.dialect.paramstyle)
    quote = conn.dialect.identifier_preparer.quote
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if mark is None:
            columns = [decoy_table.c[name] for name in _COLUMNS]
            found += conn.execute(sa.select(*columns).where(decoy_table.c.digest.in_(chunk))).all()
            continue
        sql = (
            f"SELECT {', '.join(quote(c) for c in _COLUMNS)} FROM {quote(decoy_table.name)} "
            f"WHERE {quote('digest')} IN ({', '.join([mark] * len(chunk))})"
        )
        found += conn.exec_driver_sql(sql, tuple(chunk)).all()
    return found


def lookup_digests(wh: Warehouse, hi: np.ndarray, lo: np.ndarray) -> list[Any]:
    """Registry rows (extract_id, decoy, column, digest, components) of the digests ``hi``‖``lo``
    (uint64 words of distinct 128-bit digests); ``components`` as stored (JSON text or a dict)."""
    if len(hi) == 0:
        return []
    ensure_tables(wh.engine)
    catalog = catalog_key(wh)
    with _registry_lock:
        uses = _uses.get(catalog, 0)
        _uses[catalog] = uses + 1
        state = _prefixes.setdefault(catalog, _Prefixes()) if uses else None
    with wh.engine.connect() as conn:
        if state is not None:  # a process that traces again: filter by the registered prefixes first
            with state.lock:
                _refresh(conn, state)
                position = np.minimum(np.searchsorted(state.prefixes, hi), max(len(state.prefixes) - 1, 0))
                hit = (
                    (state.prefixes[position] == hi) if len(state.prefixes) else np.zeros(len(hi), dtype=bool)
                )
            hi, lo = hi[hit], lo[hit]
        wanted = sorted(f"{h:016x}{low:016x}" for h, low in zip(hi.tolist(), lo.tolist(), strict=True))
        return _rows(conn, wanted) if wanted else []


def forget() -> None:
    """Drop the kept prefixes (tests)."""
    with _registry_lock:
        _prefixes.clear()
        _uses.clear()
