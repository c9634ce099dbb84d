"""How an extract's decoy cells are kept in the catalog: packed, in digest order, a few hundred rows.

A full-clearance extract of a million rows registers ≈ 40,000 decoy cells, in the extract's own
transaction after its file is written (so a failed write registers nothing). They used to be one
rowid row per cell — an autoincrement id, a 32-character hex digest and the extract id (each with
its own index), the column name, the key id and a JSON text of the cell's random components: three
b-tree inserts per cell, two at random places, ≈ 0.17 s per extract and growing with the table.
Any layout with one row per cell stays ≥ 0.06 s on SQLite (measured: 40,000 one-column inserts,
sorted, ``WITHOUT ROWID`` — binding and stepping a row costs ≈ 1.5 µs whatever it holds), so the
cells are packed:

* ``protect_decoy_sets`` — one row per extract: a small integer id, the column names (a cell
  carries its column's index), the *distinct* component sets (≈ 900 per million-row extract
  instead of 40,000 JSON texts; a cell carries an index) and the cells' 64-bit digest prefixes in
  sorted order as one blob (8 bytes per cell).
* ``protect_decoy_pages`` — the cells themselves in the same digest order, :data:`PAGE_CELLS` to a
  row (:data:`CELL`: the 16-byte digest, decoy number, column, component set and the cell's bits —
  the sum the bound uses, computed once here exactly as the trace used to from the JSON). Cell
  ``i`` of a set is record ``i mod PAGE_CELLS`` of page ``i div PAGE_CELLS``, so a prefix found in
  the blob names the one page to read. A page is ≈ 2 KB: it stays inside one SQLite page of a
  rowid table (a ``WITHOUT ROWID`` row that size would spill to overflow pages), keyed by one
  integer (set id · 2²⁴ + page) so a lookup is one ``IN`` list over the primary key.

Registering a million-row extract is then one set row and ≈ 630 page rows. Finding digests starts
from the prefixes (:mod:`shucang.protect.decoy_lookup` keeps them in memory, sorted across sets)
and reads only the pages of prefixes that match; the full digest in the page decides. Both tables
are plain SQLAlchemy Core and the same on a PostgreSQL catalog. Catalogs holding the old table are
carried over by schema step 3 (:func:`carry_over`): each extract's rows become one set (bits summed
from the stored JSON in the same order as the trace did), and the old table is dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from shucang.errors import InputError
from shucang.protect.tables import decoy_pages, decoy_sets, ensure_tables, legacy_decoys
from shucang.warehouse.catalog import inserted_id

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

PAGE_CELLS = 64
"""Cells per page row (64 × 34 bytes: one SQLite page)."""
PAGE_BITS = 24
"""A page row's id is its set's id shifted by this, plus the page number."""
CELL = np.dtype([("hi", ">u8"), ("lo", ">u8"), ("decoy", "<i4"), ("column", "<u2"), ("components", "<i4"),
                 ("bits", "<f8")])
"""One packed cell: the digest (big-endian: byte order is numeric order), decoy number, column index,
component-set index and Σ bits of its random components."""


@dataclass(frozen=True)
class DecoyRows:
    """One extract's registered decoy cells, column-wise (one entry per cell)."""

    extract_id: str
    hi: np.ndarray
    lo: np.ndarray
    """The two 64-bit words of each cell's 128-bit digest (uint64)."""
    decoy: np.ndarray
    column: np.ndarray
    """Index into :attr:`columns`."""
    bits: np.ndarray
    """Σ bits of the cell's random components (float64), what the bound adds up."""
    components: np.ndarray
    """Index into :attr:`component_sets`."""
    columns: list[str]
    component_sets: list[dict[str, float]]
    """Distinct ``{"column/component": bits}`` of the extract's cells."""

    def __len__(self) -> int:
        return len(self.hi)


def set_bits(components: dict[str, Any]) -> float:
    """A cell's bits from its components, summed in their stored order (the sum the trace always used)."""
    return float(sum(float(v) for v in components.values()))


def page_id(set_id: int | np.ndarray, page: int | np.ndarray) -> Any:
    """The primary key of a set's page row (ints or arrays)."""
    return (set_id << PAGE_BITS) + page


def insert_decoys(wh: Warehouse, conn: sa.Connection, rows: DecoyRows | None) -> None:
    """Register an extract's decoy cells in the caller's transaction (the one of the extract's own row)."""
    if rows is None or not len(rows):
        return
    ensure_tables(wh.engine)
    write_set(conn, rows)


def write_set(conn: sa.Connection, rows: DecoyRows) -> None:
    """The set row, then its pages (cells in digest order) as one batch."""
    if len(rows) >= PAGE_CELLS << PAGE_BITS:  # pragma: no cover - 10⁹ cells: tens of billions of rows
        raise InputError("一次提取的诱饵单元过多 (too many decoy cells for one extract)",
                         hint="split the extract with --where")
    order = np.lexsort((rows.lo, rows.hi))
    packed = np.empty(len(rows), dtype=CELL)
    for name in CELL.names or ():
        packed[name] = getattr(rows, name)[order]
    set_id = inserted_id(conn.execute(decoy_sets.insert().values(
        extract_id=rows.extract_id, cells=len(rows), columns=rows.columns,
        prefixes=packed["hi"].tobytes(), components=rows.component_sets)))
    data = packed.tobytes()
    size = PAGE_CELLS * CELL.itemsize
    conn.execute(decoy_pages.insert(), [{"id": page_id(set_id, number), "cells": data[start : start + size]}
                                        for number, start in enumerate(range(0, len(data), size))])


def carry_over(conn: sa.Connection) -> None:
    """Schema step 3: every extract's rows of the old ``protect_decoys`` become one set, then it is dropped."""
    if not sa.inspect(conn).has_table(legacy_decoys.name):
        return
    old = legacy_decoys.c
    extract_ids = conn.execute(sa.select(old.extract_id).distinct().order_by(old.extract_id)).scalars().all()
    for extract_id in extract_ids:
        cells: dict[tuple[str, int, str], dict[str, Any]] = {}
        query = sa.select(old.digest, old.decoy, old.column, old.components).where(
            old.extract_id == extract_id).order_by(old.id)
        for row in conn.execute(query):
            data = json.loads(row.components) if isinstance(row.components, str | bytes) else dict(row.components or {})
            cells.setdefault((row.digest, int(row.decoy), row.column), data)
        if cells:
            write_set(conn, _legacy_rows(extract_id, cells))
    legacy_decoys.drop(conn)


def _legacy_rows(extract_id: str, cells: dict[tuple[str, int, str], dict[str, Any]]) -> DecoyRows:
    columns = sorted({column for _digest, _decoy, column in cells})
    sets: dict[str, int] = {}
    component_sets: list[dict[str, float]] = []
    numbers = []
    for data in cells.values():
        text = json.dumps(data)  # same items in the same order: the same set
        if text not in sets:
            sets[text] = len(component_sets)
            component_sets.append({str(k): float(v) for k, v in data.items()})
        numbers.append(sets[text])
    words = np.frombuffer(bytes.fromhex("".join(digest for digest, _d, _c in cells)), dtype=">u8").reshape(-1, 2)
    return DecoyRows(
        extract_id, words[:, 0].astype(np.uint64), words[:, 1].astype(np.uint64),
        np.array([decoy for _g, decoy, _c in cells], dtype=np.int64),
        np.array([columns.index(column) for _g, _d, column in cells], dtype=np.int64),
        np.array([set_bits(data) for data in cells.values()], dtype=np.float64),
        np.array(numbers, dtype=np.int64), columns, component_sets)
