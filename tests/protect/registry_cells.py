"""The decoy registry read back cell by cell with :mod:`struct`, independently of the numpy code that
writes it (:mod:`shucang.protect.decoy_store`) and looks digests up (:mod:`shucang.protect.decoy_lookup`)."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from shucang.protect.tables import decoy_pages, decoy_sets


@dataclass(frozen=True)
class Cell:
    extract_id: str
    decoy: int
    column: str
    digest: str  # 32 hex digits
    bits: float
    components: dict[str, float]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def registered_cells(wh: Any) -> list[Cell]:
    """Every registered decoy cell, checking on the way that each set's prefix blob matches its pages."""
    with wh.engine.connect() as conn:
        sets = {int(row.id): row for row in conn.execute(sa.select(decoy_sets))}
        pages = conn.execute(sa.select(decoy_pages.c.id, decoy_pages.c.cells).order_by(decoy_pages.c.id)).all()
    cells: list[Cell] = []
    his: dict[int, list[int]] = {set_id: [] for set_id in sets}
    for page, blob in pages:
        owner = sets[int(page) >> 24]
        blob = bytes(blob)
        assert len(blob) % 34 == 0
        for offset in range(0, len(blob), 34):
            hi, lo = struct.unpack_from(">QQ", blob, offset)
            decoy, column, components, bits = struct.unpack_from("<iHid", blob, offset + 16)
            his[int(owner.id)].append(hi)
            cells.append(Cell(owner.extract_id, decoy, _json(owner.columns)[column], f"{hi:016x}{lo:016x}", bits,
                              _json(owner.components)[components]))
    for set_id, row in sets.items():
        prefixes = bytes(row.prefixes)
        assert list(struct.unpack(f">{len(prefixes) // 8}Q", prefixes)) == his[set_id] == sorted(his[set_id])
        assert row.cells == len(his[set_id])
    return cells


def cell_count(wh: Any, extract_id: str | None = None) -> int:
    """Cells registered (for one extract, or all), as the set rows count them."""
    query = sa.select(sa.func.coalesce(sa.func.sum(decoy_sets.c.cells), 0))
    if extract_id is not None:
        query = query.where(decoy_sets.c.extract_id == extract_id)
    with wh.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())
