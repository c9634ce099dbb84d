"""Finding a leaked file's cell digests among the registered decoy cells, fast.

A 10,000-row leak has ≈ 60,000 distinct cells, each digested and looked up among the registered
cells (packed per extract in digest order, :mod:`shucang.protect.decoy_store`). The lookup starts
from the 64-bit prefixes of every registered digest, kept in memory per catalog: one sorted numpy
array across all extracts (8 bytes per decoy cell) with, beside it, where each cell sits (its place
among all sets' cells, 8 bytes). Only the page rows holding a matching prefix are read — through
the driver with plain placeholders (SQLAlchemy's expanding ``IN`` costs ≈ 3 µs per value of
statement building alone) — and the full digest in the page decides: a stale or colliding prefix
can cost a page read, never create a match.

The prefixes come per set (one blob in its ``protect_decoy_sets`` row), so the first trace of a
process reads 8 bytes per registered cell and sorts them; later ones check ``count(*)`` and
``max(id)`` of the small set table and, when either moved, merge in the sets not loaded yet (and
start again if a set they had vanished). A set's row and its pages commit together, so a visible
set is a complete one.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

from shucang.protect.decoy_store import CELL, PAGE_CELLS, page_id
from shucang.protect.tables import decoy_pages, decoy_sets, ensure_tables
from shucang.protect.trace_cache import catalog_key

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

_CHUNK = 500
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@dataclass(frozen=True)
class DecoyMatches:
    """Registered cells whose digest was looked up, column-wise (one entry per registered cell)."""

    hi: np.ndarray
    lo: np.ndarray
    """The two 64-bit words of the cell's digest (uint64)."""
    extract_id: list[str]
    decoy: np.ndarray
    column: list[str]
    bits: np.ndarray
    """Σ bits of the cell's random components."""

    def __len__(self) -> int:
        return len(self.hi)


class _Prefixes:
    """Sorted 64-bit prefixes of the registered digests of one catalog, where each cell sits, and the
    sets they cover."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.prefixes = np.zeros(0, dtype=np.uint64)
        self.cells = np.zeros(0, dtype=np.int64)  # each prefix's place in the sets' cells one after another
        self.starts = np.zeros(1, dtype=np.int64)  # by set number: where its cells start there (and the end)
        self.set_ids: list[int] = []  # by set number
        self.owners: list[tuple[str, list[str]]] = []  # by set number: extract id, column names
        self.seen: tuple[int, int] = (0, 0)  # count(*), max(id) of the set table when last read


_prefixes: dict[tuple[str, str], _Prefixes] = {}
_registry_lock = threading.Lock()


def _refresh(conn: sa.Connection, state: _Prefixes) -> None:
    seen = conn.execute(sa.select(sa.func.count(), sa.func.max(decoy_sets.c.id)).select_from(decoy_sets)).one()
    now = (int(seen[0] or 0), int(seen[1] or 0))
    if now == state.seen:
        return
    present = set(conn.execute(sa.select(decoy_sets.c.id)).scalars().all())
    if set(state.set_ids) - present:  # a set went away: start again
        state.reset()
    new = sorted(present - set(state.set_ids))
    prefixes = []
    for start in range(0, len(new), _CHUNK):
        query = sa.select(decoy_sets.c.id, decoy_sets.c.extract_id, decoy_sets.c.columns, decoy_sets.c.prefixes).where(
            decoy_sets.c.id.in_(new[start : start + _CHUNK])).order_by(decoy_sets.c.id)
        for row in conn.execute(query):
            found = np.frombuffer(bytes(row.prefixes), dtype=">u8").astype(np.uint64)
            columns = json.loads(row.columns) if isinstance(row.columns, str) else row.columns
            state.set_ids.append(int(row.id))
            state.owners.append((str(row.extract_id), [str(c) for c in columns]))
            prefixes.append(found)
    if prefixes:
        sizes = np.array([len(p) for p in prefixes], dtype=np.int64)
        first = int(state.starts[-1])
        state.starts = np.concatenate([state.starts, first + np.cumsum(sizes)])
        # Kept prefixes and each new set are sorted runs: a stable sort (timsort) merges them.
        merged = np.concatenate([state.prefixes, *prefixes])
        order = np.argsort(merged, kind="stable")
        places = np.concatenate([state.cells, np.arange(first, first + int(sizes.sum()), dtype=np.int64)])
        state.prefixes, state.cells = merged[order], places[order]
    state.seen = now


def _pages(conn: sa.Connection, wanted: list[int]) -> dict[int, bytes]:
    """Page rows by id, through the driver when its placeholder is known."""
    found: dict[int, bytes] = {}
    mark = _PLACEHOLDERS.get(conn.dialect.paramstyle)
    quote = conn.dialect.identifier_preparer.quote
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if mark is None:
            rows = conn.execute(sa.select(decoy_pages.c.id, decoy_pages.c.cells).where(decoy_pages.c.id.in_(chunk)))
        else:
            rows = conn.exec_driver_sql(
                f"SELECT {quote('id')}, {quote('cells')} FROM {quote(decoy_pages.name)} "
                f"WHERE {quote('id')} IN ({', '.join([mark] * len(chunk))})", tuple(chunk))
        found.update((int(key), bytes(blob)) for key, blob in rows)
    return found


def lookup_digests(wh: Warehouse, hi: np.ndarray, lo: np.ndarray) -> DecoyMatches:
    """The registered cells carrying the digests ``hi``‖``lo`` (uint64 words of distinct 128-bit digests)."""
    ensure_tables(wh.engine)
    catalog = catalog_key(wh)
    with _registry_lock:
        state = _prefixes.setdefault(catalog, _Prefixes())
    with wh.engine.connect() as conn:
        with state.lock:
            _refresh(conn, state)
            left = np.searchsorted(state.prefixes, hi, side="left")
            count = np.searchsorted(state.prefixes, hi, side="right") - left
            # Every kept cell whose prefix is a looked-up one: its digest's number, set and position.
            asked = np.repeat(np.arange(len(hi)), count)
            where = state.cells[np.repeat(left - np.cumsum(count) + count, count) + np.arange(int(count.sum()))]
            number = np.searchsorted(state.starts, where, side="right") - 1
            position = where - state.starts[number]
            set_ids = np.array(state.set_ids, dtype=np.int64)
            owners = list(state.owners)
        page = page_id(set_ids[number], position // PAGE_CELLS)
        blobs = _pages(conn, np.unique(page).tolist())
    kept = np.isin(page, np.array(list(blobs), dtype=np.int64))  # all of them, unless a set was deleted since
    asked, number, position, page = asked[kept], number[kept], position[kept], page[kept]
    wanted = np.array(sorted(blobs), dtype=np.int64)
    records = np.frombuffer(b"".join(blobs[int(key)] for key in wanted.tolist()), dtype=CELL)
    base = np.cumsum([0] + [len(blobs[int(key)]) // CELL.itemsize for key in wanted.tolist()])
    cell = records[base[np.searchsorted(wanted, page)] + position % PAGE_CELLS]
    same = (cell["hi"] == hi[asked]) & (cell["lo"] == lo[asked])
    cell, number = cell[same], number[same]
    return DecoyMatches(cell["hi"].astype(np.uint64), cell["lo"].astype(np.uint64),
                        [owners[n][0] for n in number.tolist()], cell["decoy"].astype(np.int64),
                        [owners[n][1][c] for n, c in zip(number.tolist(), cell["column"].tolist(), strict=True)],
                        cell["bits"].astype(np.float64))


def forget() -> None:
    """Drop the kept prefixes (tests)."""
    with _registry_lock:
        _prefixes.clear()
