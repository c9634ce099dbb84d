"""The fast paths of tracing agree with the plain definitions they replace, and the per-process caches
notice every change: batched PRFs vs one key at a time, hash-index lookups vs ``is_in``, vectorised
decoy evidence vs the cell-by-cell computation, scheme-1 numeric marks still traced, and repeated
traces (which use the caches) giving the same answers as the first."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from tests.protect.helpers import GRADES, POPULATION_GRADES, attack, people, population, write_as
from tests.protect.registry_cells import registered_cells

import shucang.protect.release as release_module
from shucang.platform import open_warehouse
from shucang.protect import ReleaseRequest, fingerprint, protect_for_recipient, trace_file, upsert_recipient
from shucang.protect.decoy_index import (
    decoy_evidence,
    decoy_p_value,
    index_key,
    normalise_cells,
    shape_codes,
    shape_of,
)
from shucang.protect.keyed_batch import PreparedValues, aes_ecb, aes_ecb_many
from shucang.protect.keyed_hash import keyed_u64_each, keyed_u128_each
from shucang.protect.keys import rotate_key
from shucang.protect.leakfile import read_leak
from shucang.protect.linkage import link_rows
from shucang.protect.policy import Policy
from shucang.protect.registry import list_extracts
from shucang.protect.source_index import SourceIndex
from shucang.protect.tables import extracts as extract_table
from shucang.protect.trace_cache import keyring
from shucang.settings import Settings
from shucang.warehouse import IngestOptions

VALUES = [
    "",
    "a",
    "王伟",
    "x" * 15,
    "1" * 16,
    "9" * 19,
    "1234567890123456X",
    "12345678901234567X",
    "慈溪市浒山街道新城大道12号",
    "12345678901234567890",
    "-12.5",
    "2020-01-01",
]


def test_prepared_values_are_keyed_u64_each() -> None:
    rng = np.random.default_rng(0)
    keys = [rng.bytes(32) for _ in range(3)]
    values = pa.array(VALUES)
    prepared = PreparedValues(values)
    expected = np.array([keyed_u64_each(values, key).to_numpy() for key in keys])
    assert np.array_equal(np.array([prepared.u64(key) for key in keys]), expected)
    assert np.array_equal(prepared.u64_many(keys), expected)
    short = PreparedValues(pa.array(VALUES[:4]))  # all one-block values: the one-AES-call-per-key path
    assert np.array_equal(short.u64_many(keys), expected[:, :4])
    with pytest.raises(ValueError):
        PreparedValues(pa.array(["a", None]))


def test_kept_aes_contexts_give_the_same_blocks() -> None:
    rng = np.random.default_rng(1)
    key, blocks = rng.bytes(32), rng.bytes(16 * 40)
    first = aes_ecb(key, blocks)
    assert np.array_equal(aes_ecb(key, blocks[:160]), first[:10])  # a kept context has no leftover state
    assert np.array_equal(aes_ecb(key, blocks), first)
    assert np.array_equal(aes_ecb_many([key, rng.bytes(32), key], blocks)[2], first)
    with pytest.raises(ValueError):
        aes_ecb(key, blocks[:20])


def test_shape_codes_are_shape_of() -> None:
    values = VALUES + [
        "330282199001011234",
        "33028219900101123X",
        "13812345678",
        "欧阳娜娜",
        "王",
        "a\nb",
        "12\n3",
        "x1y22",
        "ＡＢ１",
        "   ",
        "19876543210",
        "张三丰丰丰",
        "浙B12345",
    ]
    assert shape_codes(pa.array(values + [None])).to_pylist() == [shape_of(v) for v in values] + [None]


@pytest.mark.parametrize("uses", [1, 3])
def test_source_lookup_is_is_in(uses: int) -> None:
    rng = np.random.default_rng(uses)
    words = [f"v{i}" for i in range(300)] + [" v7 ", "", "王伟"]
    column = [None if rng.random() < 0.05 else words[int(rng.integers(len(words)))] for _ in range(3000)]
    table = pa.table({"k": pa.chunked_array([column[:1000], column[1000:2500], column[2500:]], pa.string())})
    index = SourceIndex(table)
    index.links = uses  # 1: first trace of the source (scans); 3: later traces (hash index)
    values = pa.array(["v7", "v1", "nope", "王伟", "", "v299"])
    which, rows = index.lookup("k", values)
    got = sorted(zip(which.tolist(), rows.tolist(), strict=True))
    trimmed = [None if v is None else v.strip() for v in column]
    expected = sorted(
        (i, r) for i, v in enumerate(values.to_pylist()) for r, s in enumerate(trimmed) if s == v
    )
    assert got == expected


def _assert_same_linkage(a: Any, b: Any) -> None:
    assert a is not None and b is not None
    assert np.array_equal(a.leak_rows, b.leak_rows) and np.array_equal(a.source_rows, b.source_rows)
    assert a.text_map == b.text_map and a.numeric_map == b.numeric_map


def test_linkage_is_the_same_with_and_without_indexes(tmp_path: Path) -> None:
    source = people(5000)
    index = SourceIndex(source)
    rng = np.random.default_rng(4)
    for trial in range(3):
        leak, _meta = read_leak(write_as(attack(source, rng, 800, drop=trial), tmp_path / f"l{trial}", "csv"))
        first = link_rows(leak, SourceIndex(source))  # a fresh source: scans
        again = [link_rows(leak, index) for _ in range(3)]  # the same source: hash indexes from the 2nd on
        for other in again:
            _assert_same_linkage(first, other)
        assert len(first.leak_rows) >= 750  # type: ignore[union-attr]


# ---------------------------------------------------------------- decoy evidence, cell by cell


def _reference_decoy_evidence(wh: Any, leak: pa.Table, ring: Any, candidates: list[Any]) -> dict[str, float]:
    """The definition, one cell at a time: p-value per extract whose decoys the file holds."""
    with_decoys = {r.id: r for r in candidates if ((r.marks or {}).get("decoys") or {}).get("count")}
    columns = {name: normalise_cells(leak.column(name)).to_pylist() for name in leak.column_names}
    wanted: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key_id in ring.key_ids:
        key = index_key(ring, key_id)
        for name, values in columns.items():
            present = [(row, v) for row, v in enumerate(values) if v is not None]
            hi, lo = keyed_u128_each(pa.array([v for _r, v in present], pa.string()), key)
            for (row, _v), h, low in zip(present, hi.to_pylist(), lo.to_pylist(), strict=True):
                wanted[f"{h:016x}{low:016x}"].append((name, row))
    matches = [m for m in registered_cells(wh) if m.digest in wanted and m.extract_id in with_decoys]
    pairs: dict[tuple[str, int, int], dict[str, float]] = defaultdict(dict)
    for match in matches:
        for name, row in wanted[match.digest]:
            shape = shape_of(columns[name][row])
            same = sum(
                1 for other in columns.values() if other[row] is not None and shape_of(other[row]) == shape
            )
            comp = pairs[(match.extract_id, match.decoy, row)]
            comp.update({k: float(v) for k, v in match.components.items()})
            comp[f"n:{match.column}"] = -math.log2(max(same, 1))
    best: dict[str, dict[int, float]] = defaultdict(dict)
    rows_of: dict[tuple[str, int], int] = {}
    for (extract_id, decoy, row), comp in pairs.items():
        bits = sum(comp.values()) - int(with_decoys[extract_id].marks["decoys"]["max_cells"])
        if bits > best[extract_id].get(decoy, -math.inf):
            best[extract_id][decoy] = bits
            rows_of[(extract_id, decoy)] = row
    out = {}
    for extract_id, per_decoy in best.items():
        chosen, seen = [], set()
        for decoy, bits in sorted(per_decoy.items(), key=lambda item: -item[1]):
            if rows_of[(extract_id, decoy)] not in seen and bits > 0:
                seen.add(rows_of[(extract_id, decoy)])
                chosen.append(bits)
        if chosen:
            record = with_decoys[extract_id]
            out[extract_id] = decoy_p_value(chosen, leak.num_rows, int(record.marks["decoys"]["count"]))[0]
    return out


@pytest.fixture(scope="module")
def decoy_world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    wh = open_warehouse(Settings.load(tmp_path_factory.mktemp("decoy-fast-home")))
    source = population(4000)
    wh.ingest_arrow(source, IngestOptions(dataset="population", mode="replace", synthetic=True))
    releases = {}
    for i in range(4):
        upsert_recipient(wh, f"登记{i}", clearance=4)
        releases[f"登记{i}"] = protect_for_recipient(wh, ReleaseRequest("population", f"登记{i}",
                                                   channel="extract", version=1, grades=POPULATION_GRADES,
                                                   policy=Policy(decoy_per_million=4000.0)), source)
    yield wh, source, releases
    wh.close()


def test_decoy_evidence_is_the_cell_by_cell_definition(decoy_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases = decoy_world
    rng = np.random.default_rng(9)
    ring = keyring(wh.settings)
    candidates = list_extracts(wh)
    files = [
        attack(releases[name].table, rng, 2500, drop=k % 3, keep_columns=())
        for k, name in enumerate(sorted(releases))
    ]
    files += [attack(source, rng, 2500, drop=1, keep_columns=()), population(1500, seed=31)]
    named = 0
    for k, table in enumerate(files):
        leak, _meta = read_leak(write_as(table, tmp_path / f"f{k}", "parquet"))
        expected = _reference_decoy_evidence(wh, leak, ring, candidates)
        for _ in range(2):  # the first lookup loads the digest prefixes, the second reuses them
            found, hypotheses = decoy_evidence(wh, leak, ring, candidates)
            assert hypotheses == len(releases)
            assert {f.extract_id: f.p_value for f in found} == pytest.approx(expected, rel=1e-9, abs=0)
        named += any(p * len(releases) <= 1e-10 for p in expected.values())
    assert named >= 3  # the leaks are strong enough to be named, so the comparison is not vacuous


def test_new_decoys_are_found_after_the_prefixes_are_kept(decoy_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, _releases = decoy_world
    rng = np.random.default_rng(10)
    trace_file(wh, write_as(attack(source, rng, 500, keep_columns=()), tmp_path / "warm", "csv"))
    trace_file(wh, write_as(attack(source, rng, 500, keep_columns=()), tmp_path / "warm2", "csv"))
    upsert_recipient(wh, "新登记", clearance=4)
    late = protect_for_recipient(wh, ReleaseRequest("population", "新登记", channel="extract", version=1,
                                 grades=POPULATION_GRADES, policy=Policy(decoy_per_million=4000.0)), source)
    got = trace_file(
        wh, write_as(attack(late.table, rng, 3000, drop=0, keep_columns=()), tmp_path / "late", "csv")
    )
    assert got["recipient"] == "新登记" and got["extract_id"] == late.extract_id


# ---------------------------------------------------------------- schemes and caches


def test_scheme_1_marks_stay_traceable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = open_warehouse(Settings.load(tmp_path / "home"))
    source = people(4000)
    wh.ingest_arrow(source, IngestOptions(dataset="people", mode="replace", synthetic=True))
    for name in ("旧", "新"):
        upsert_recipient(wh, name, clearance=4)
    monkeypatch.setattr(release_module, "mark_numeric", functools.partial(fingerprint.mark_numeric, scheme=1))
    old = protect_for_recipient(wh, ReleaseRequest("people", "旧", channel="extract", version=1,
                                grades=GRADES), source)
    monkeypatch.undo()
    with wh.engine.begin() as conn:  # a registry row written before scheme 2 has no "sides"
        marks = {k: v for k, v in old.marks.items() if k != "sides"}
        conn.execute(extract_table.update().where(extract_table.c.id == old.extract_id).values(marks=marks))
    new = protect_for_recipient(wh, ReleaseRequest("people", "新", channel="extract", version=1,
                                grades=GRADES), source)
    assert new.marks["sides"] == fingerprint.SIDE_SCHEME == 2
    assert not old.table.column("revenue").equals(new.table.column("revenue"))
    rng = np.random.default_rng(12)
    for who, rel in (("旧", old), ("新", new)):
        got = trace_file(
            wh, write_as(attack(rel.table, rng, 1000, drop=1), tmp_path / who, "csv"), null_trials=10
        )
        assert got["recipient"] == who and got["extract_id"] == rel.extract_id, got["evidence"]
        assert got["null_trials"]["false_accusations"] == 0
    wh.close()


def test_caches_follow_keys_extracts_and_versions(tmp_path: Path) -> None:
    wh = open_warehouse(Settings.load(tmp_path / "home"))
    source = people(3000)
    wh.ingest_arrow(source, IngestOptions(dataset="people", mode="replace", synthetic=True))
    rng = np.random.default_rng(13)
    upsert_recipient(wh, "甲", clearance=1)
    first = protect_for_recipient(wh, ReleaseRequest("people", "甲", channel="extract", version=1,
                                  grades=GRADES), source)
    assert trace_file(wh, write_as(attack(first.table, rng, 800), tmp_path / "a", "csv"))["recipient"] == "甲"
    # A new key: the next extract uses it, and the cached ring must be replaced to trace it.
    rotate_key(wh.settings)
    upsert_recipient(wh, "乙", clearance=1)
    second = protect_for_recipient(wh, ReleaseRequest("people", "乙", channel="extract", version=1,
                                   grades=GRADES), source)
    assert second.key_id != first.key_id
    got = trace_file(wh, write_as(attack(second.table, rng, 800), tmp_path / "b", "csv"))
    assert got["recipient"] == "乙" and got["extract_id"] == second.extract_id
    # A new version of the dataset: its extracts link against the new rows, not the cached old ones.
    changed = people(3000, seed=21)
    wh.ingest_arrow(changed, IngestOptions(dataset="people", mode="replace", synthetic=True))
    for version, table, who in ((1, source, "丁"), (2, changed, "丙")):
        upsert_recipient(wh, who, clearance=4)
        rel = protect_for_recipient(wh, ReleaseRequest("people", who, channel="extract", version=version,
                                    grades=GRADES), table)
        for attempt in range(2):
            got = trace_file(
                wh, write_as(attack(rel.table, rng, 800), tmp_path / f"v{version}{attempt}", "csv")
            )
            assert got["recipient"] == who and got["linked"]["version"] == version, got["evidence"]
    wh.close()


def test_repeated_traces_give_the_same_answer(decoy_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases = decoy_world
    rng = np.random.default_rng(14)
    name = sorted(releases)[1]
    paths = [
        write_as(attack(releases[name].table, rng, 2000, keep_columns=()), tmp_path / "leak", "xlsx"),
        write_as(attack(source, rng, 2000, keep_columns=()), tmp_path / "innocent", "csv"),
    ]
    for path in paths:
        answers = [trace_file(wh, path, null_trials=5) for _ in range(3)]
        assert answers[0] == answers[1] == answers[2]
    assert answers[0]["recipient"] is None and trace_file(wh, paths[0])["recipient"] == name
