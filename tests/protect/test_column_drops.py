"""Tracing when the leaker keeps only two identifying columns (name, ID, phone, address) and nothing else.

A clearance-2 copy carries the mark in its name, ID and phone pseudonyms (the masked address carries
none, so every pair still holds a carrier); a full-clearance copy carries it in its decoy rows (1 % of
rows by default). Innocent files attacked the same way name nobody. The leaks here hold 2,000 rows
(about 20 decoys, so the test does not depend on the luck of the keys); ``bench/trace_robustness.py
--only-drop`` measures 1,000-row leaks over hundreds of recipients."""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from tests.protect.helpers import GRADES, people, write_as

from shucang.protect import ReleaseRequest, protect_for_recipient, trace_file, upsert_recipient
from shucang.warehouse import IngestOptions

PAIRS = list(itertools.combinations(("id_card", "name", "mobile", "address"), 2))


def _keep(table: pa.Table, rng: np.random.Generator, pair: tuple[str, str], rows: int = 2000) -> pa.Table:
    idx = rng.choice(table.num_rows, size=min(rows, table.num_rows), replace=False)
    sub = table.take(pa.array(idx))
    return pa.table({f"列{i}": sub.column(name) for i, name in enumerate(reversed(pair))})


@pytest.fixture
def issued(warehouse: Any) -> tuple[Any, pa.Table, dict[str, Any]]:
    source = people(5000)
    warehouse.ingest_arrow(source, IngestOptions(dataset="people", mode="replace", synthetic=True))
    out = {}
    for name, clearance in (("c2", 2), ("full", 4), ("other2", 2), ("other4", 4)):
        upsert_recipient(warehouse, name, clearance=clearance)
        out[name] = protect_for_recipient(warehouse, ReleaseRequest("people", name, "extract", version=1,
                                                                    grades=GRADES), source)
    return warehouse, source, out


def test_what_each_copy_carries(issued: tuple[Any, pa.Table, dict[str, Any]]) -> None:
    _wh, source, out = issued
    assert "decoys" not in out["c2"].marks and out["c2"].table.num_rows == source.num_rows
    assert {"id_card", "name", "mobile"} <= set(out["c2"].marks["carriers"])
    assert out["full"].marks["decoys"]["count"] == 50  # 1 % of 5,000 rows


@pytest.mark.parametrize("pair", PAIRS)
def test_two_identifying_columns_name_their_recipient(issued: tuple[Any, pa.Table, dict[str, Any]],
                                                      tmp_path: Path, pair: tuple[str, str]) -> None:
    wh, source, out = issued
    rng = np.random.default_rng(zlib.crc32("+".join(pair).encode()))
    for who in ("c2", "full"):
        got = trace_file(wh, write_as(_keep(out[who].table, rng, pair), tmp_path / who, "csv"), null_trials=5)
        assert got["recipient"] == who, (who, pair, got["verdict"], got["false_accusation_bound"])
        assert got["null_trials"]["false_accusations"] == 0
    innocent = trace_file(wh, write_as(_keep(source, rng, pair), tmp_path / "innocent", "csv"))
    assert innocent["recipient"] is None
