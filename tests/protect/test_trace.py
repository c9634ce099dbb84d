"""Tracing under the attack list: subsets, shuffles, dropped/renamed/reordered columns, format changes,
GB18030, whitespace, 3-significant-digit rounding — for masked and full-clearance extracts — and
innocent files (source samples, fresh data of the same schema) that must name nobody."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.protect.helpers import GRADES, attack, people, round_sig, write_as

from shucang.platform import open_warehouse
from shucang.protect import ReleaseRequest, protect_for_recipient, trace_file, upsert_recipient
from shucang.protect.extract import write_table
from shucang.protect.trace import binomial_tail
from shucang.settings import Settings
from shucang.warehouse import IngestOptions

ROWS = 10_000
RECIPIENTS = 24


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("trace-home")
    wh = open_warehouse(Settings.load(home))
    source = people(ROWS)
    wh.ingest_arrow(source, IngestOptions(dataset="people", mode="replace", synthetic=True))
    releases = {}
    for i in range(RECIPIENTS):
        name = f"接收方{i:02d}"
        upsert_recipient(wh, name, clearance=1 if i % 2 == 0 else 4)
        releases[name] = protect_for_recipient(wh, ReleaseRequest("people", name, channel="extract",
                                               version=1, grades=GRADES), wh.read_arrow("people"))
    yield wh, source, releases, home
    wh.close()


LOW, FULL = "接收方00", "接收方01"


def _trace(wh, path: Path) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return trace_file(wh, path)


@pytest.mark.parametrize("who", [LOW, FULL])
@pytest.mark.parametrize("fmt,encoding", [("csv", "utf-8"), ("csv", "gb18030"), ("xlsx", "utf-8"),
                                          ("parquet", "utf-8"), ("jsonl", "utf-8")])
def test_subset_shuffled_renamed_rounded_reformatted(world, tmp_path: Path, who: str, fmt: str, encoding: str) -> None:  # type: ignore[no-untyped-def]
    wh, _source, releases, _home = world
    rng = np.random.default_rng(zlib.crc32((who + fmt + encoding).encode()))
    leaked = attack(releases[who].table, rng, 1000, drop=1)
    path = write_as(leaked, tmp_path / "leak", fmt, encoding=encoding)
    got = _trace(wh, path)
    assert got["recipient"] == who, got["evidence"]
    assert got["extract_id"] == releases[who].extract_id
    assert got["dataset"] == "people"
    assert got["false_accusation_bound"] <= 1e-9
    assert got["recipients"] == [who]


def test_extract_file_round_trip_and_whitespace(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, _source, releases, _home = world
    rng = np.random.default_rng(3)
    for who in (LOW, FULL):
        # Untrimmed padding, no rounding: still traced.
        leaked = attack(releases[who].table, rng, 1000, drop=2, round_numbers=False, trim=False)
        got = _trace(wh, write_as(leaked, tmp_path / f"pad{who}", "csv"))
        assert got["recipient"] == who
        # The exact file we issued (extract writer, formula-neutralised CSV).
        path = tmp_path / f"issued{who}.csv"
        write_table(releases[who].table.slice(0, 2000), path, "csv", releases[who].extract_id)
        assert _trace(wh, path)["recipient"] == who


def test_full_clearance_marks_respect_the_tolerance(world) -> None:  # type: ignore[no-untyped-def]
    _wh, source, releases, _home = world
    full = releases[FULL]
    # the copy releases identifying columns as stored, so it also holds decoy rows (never a real ID)
    real = pc.fill_null(pc.is_in(full.table.column("id_card"), value_set=source.column("id_card")), False)
    assert full.table.num_rows == source.num_rows + full.marks["decoys"]["count"] > source.num_rows
    out = full.table.filter(real)
    for name in ("id_card", "name", "mobile", "address", "birth_date", "town"):
        assert out.column(name).equals(source.column(name))
    for name in ("revenue", "employees"):
        x = source.column(name).to_numpy().astype(float)
        y = out.column(name).to_numpy().astype(float)
        assert np.all(np.abs(y - x) <= 0.001 * np.abs(x))
        assert abs(y.sum() - x.sum()) <= 0.001 * x.sum()
    assert out.num_rows == source.num_rows


def test_innocent_files_name_nobody(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, _releases, _home = world
    rng = np.random.default_rng(11)
    cases = {
        "source-sample": attack(source, rng, 1000, drop=0, round_numbers=False),
        "source-rounded": attack(source, rng, 1000, drop=1),
        "fresh-same-schema": people(1000, seed=99),
        "fresh-rounded": attack(people(3000, seed=98), rng, 1000, drop=0),
    }
    for label, table in cases.items():
        for fmt in ("csv", "parquet"):
            got = _trace(wh, write_as(table, tmp_path / label, fmt))
            assert got["recipient"] is None, (label, got["evidence"])
            assert got["recipients"] == []


def test_reduced_robustness_many_recipients(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases, _home = world
    rng = np.random.default_rng(2024)
    names = sorted(releases)
    right = wrong = nulls = 0
    for trial in range(16):
        who = names[int(rng.integers(len(names)))]
        fmt = ["csv", "xlsx", "parquet", "jsonl"][trial % 4]
        leaked = attack(releases[who].table, rng, 1000, drop=int(rng.integers(0, 3)))
        got = trace_file(wh, write_as(leaked, tmp_path / f"t{trial}", fmt), null_trials=25)
        right += got["recipient"] == who
        wrong += got["recipient"] not in (None, who)
        nulls += got["null_trials"]["count"]
        wrong += got["null_trials"]["false_accusations"]
    for trial in range(6):
        innocent = attack(source if trial % 2 else people(2000, seed=trial), rng, 1000, drop=1)
        got = trace_file(wh, write_as(innocent, tmp_path / f"i{trial}", "parquet"), null_trials=25)
        wrong += got["recipient"] is not None
        nulls += got["null_trials"]["count"]
        wrong += got["null_trials"]["false_accusations"]
    assert wrong == 0
    assert right == 16
    assert nulls == 22 * 25


def test_too_little_evidence_is_inconclusive(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, _source, releases, _home = world
    tiny = releases[FULL].table.slice(0, 3).select(["town"])
    got = _trace(wh, write_as(tiny, tmp_path / "tiny", "csv"))
    assert got["recipient"] is None and got["confidence"] == 0.0


def test_binomial_tail_is_exact() -> None:
    assert binomial_tail(0, 10, 0.5) == 1.0
    assert binomial_tail(10, 10, 0.5) == pytest.approx(0.5**10)
    assert binomial_tail(9, 10, 0.5) == pytest.approx(11 / 1024)
    assert binomial_tail(3, 2, 0.5) == 0.0
    assert binomial_tail(2, 1000, 1e-4) == pytest.approx(1 - (1 - 1e-4) ** 1000 - 1000 * 1e-4 * (1 - 1e-4) ** 999, rel=1e-6)


def test_round_sig_helper() -> None:
    assert round_sig(pa.array([1234.5, 0.012345, -98765.0])).to_pylist() == pytest.approx([1230.0, 0.0123, -98800.0])
