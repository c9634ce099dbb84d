"""Decoy rows: plausible, never real, honestly counted, registered as digests, and traced under the
attack list (subsets, shuffles, renamed/dropped columns, CSV/XLSX/Parquet, GB18030, whitespace) —
while innocent files (source samples, fresh registers of the same schema) name nobody."""

from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.protect.helpers import GRADES, POPULATION_GRADES, attack, people, population, write_as
from tests.protect.registry_cells import cell_count, registered_cells

from shucang.classify.checksums import is_valid_id_card
from shucang.platform import open_warehouse
from shucang.protect import ReleaseRequest, list_extracts, protect_for_recipient, trace_file, upsert_recipient
from shucang.protect.decoy_index import MAX_DECOYS_USED, decoy_p_value
from shucang.protect.decoys import decoy_count
from shucang.protect.policy import Policy
from shucang.protect.pseudonym import TOKEN_VALUE
from shucang.settings import Settings
from shucang.warehouse import IngestOptions

ROWS = 8000
RATE = 6000.0  # per million: 48 decoys here, so a 4,000-row leak holds ~24 (P(fewer than 8) ≈ 1e-4)
RECIPIENTS = 8
POLICY = Policy(decoy_per_million=RATE)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    wh = open_warehouse(Settings.load(tmp_path_factory.mktemp("decoy-home")))
    source = population(ROWS)
    wh.ingest_arrow(source, IngestOptions(dataset="population", mode="replace", synthetic=True))
    releases = {}
    for i in range(RECIPIENTS):
        name = f"全权{i}"
        upsert_recipient(wh, name, clearance=4)
        releases[name] = protect_for_recipient(wh, ReleaseRequest("population", name, channel="extract",
                                               version=1, grades=POPULATION_GRADES, policy=POLICY),
                                               wh.read_arrow("population"))
    yield wh, source, releases
    wh.close()


def _decoys(source: pa.Table, out: pa.Table) -> pa.Table:
    fresh = pc.invert(pc.is_in(out.column("id_card"), value_set=source.column("id_card")))
    return out.filter(fresh)


def test_counted_honestly_and_real_rows_untouched(world) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases = world
    expected = decoy_count(ROWS, RATE, 1)
    assert expected == math.ceil(ROWS * RATE / 1e6)
    for name, rel in releases.items():
        assert rel.table.num_rows == ROWS + expected
        assert rel.marks["decoys"]["count"] == expected and rel.to_dict()["decoy_rows"] == expected
        assert rel.marks["traceable"] is True and rel.marks["carriers"] == []
        real = rel.table.filter(pc.is_in(rel.table.column("id_card"), value_set=source.column("id_card")))
        assert real.equals(source)  # every real row as stored, in order
        record = [r for r in list_extracts(wh, recipient=name)][0]
        assert record.rows == ROWS + expected and record.marks["decoys"]["count"] == expected
    tables = [_decoys(source, r.table) for r in releases.values()]
    assert all(t.num_rows == expected for t in tables)
    ids = [set(t.column("id_card").to_pylist()) for t in tables]
    assert not ids[0] & ids[1]  # every recipient's decoys are its own


def test_decoys_look_real_but_describe_nobody(world) -> None:  # type: ignore[no-untyped-def]
    _wh, source, releases = world
    decoys = _decoys(source, next(iter(releases.values())).table).to_pylist()
    mobiles = set(source.column("mobile").drop_null().to_pylist())
    names = set(source.column("name").to_pylist())
    addresses = set(source.column("address").to_pylist())
    towns = set(source.column("town").to_pylist())
    first, last = pc.min(source.column("registered_on")).as_py(), pc.max(source.column("registered_on")).as_py()
    for row in decoys:
        card = row["id_card"]
        assert is_valid_id_card(card)
        assert card[6:14] == row["birth_date"].strftime("%Y%m%d")  # the ID agrees with the birth date …
        assert (int(card[16]) % 2 == 1) == (row["gender"] == "男")  # … and with the gender
        assert row["town"] in towns and row["town"] in row["address"]
        assert row["address"] not in addresses
        assert first <= row["registered_on"] <= last
        if row["mobile"] is not None:
            assert row["mobile"] not in mobiles and len(row["mobile"]) == 11 and row["mobile"][1] in "3456789"
        assert 2 <= len(row["name"]) <= 4
    # Names may repeat real ones (names are not unique), but not the whole record.
    assert sum(r["name"] in names for r in decoys) <= len(decoys)


def test_registry_keeps_digests_not_values(world) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases = world
    rows = registered_cells(wh)
    expected_cells = sum(r.marks["decoys"]["registered_cells"] for r in releases.values())
    assert len(rows) == expected_cells
    decoy_values = set()
    for rel in releases.values():
        for row in _decoys(source, rel.table).to_pylist():
            decoy_values.update(str(v) for v in row.values() if v is not None)
    for row in rows:
        assert len(row.digest) == 32 and int(row.digest, 16) >= 0
        assert row.digest not in decoy_values and sum(row.components.values()) > 0
        assert row.bits == float(sum(row.components.values()))  # what the bound adds, exactly
        assert {name.split("/")[0] for name in row.components} == {row.column}
    assert {r.column for r in rows} <= {"id_card", "mobile", "name", "address"}


@pytest.mark.parametrize("fmt,encoding", [("csv", "utf-8"), ("csv", "gb18030"), ("xlsx", "utf-8"), ("parquet", "utf-8")])
def test_traced_after_the_attacks(world, tmp_path: Path, fmt: str, encoding: str) -> None:  # type: ignore[no-untyped-def]
    wh, _source, releases = world
    names = sorted(releases)
    rng = np.random.default_rng(zlib.crc32((fmt + encoding).encode()))
    # Columns are dropped at random, but one strong carrier (ID or phone) survives: then the decoys
    # must name the recipient. A leak that keeps only weak cells is checked in the test below.
    for trial, carrier in enumerate(("id_card", "mobile")):
        who = names[int(rng.integers(len(names)))]
        leaked = attack(releases[who].table, rng, 4000, drop=1 + trial, trim=bool(trial), keep_columns=(carrier,))
        got = trace_file(wh, write_as(leaked, tmp_path / f"leak{trial}", fmt, encoding=encoding), null_trials=20)
        assert got["recipient"] == who, got["evidence"]
        assert got["extract_id"] == releases[who].extract_id and got["dataset"] == "population"
        assert got["false_accusation_bound"] <= 1e-9 and got["recipients"] == [who]
        assert got["evidence"][0]["kind"] == "decoy"
        assert got["null_trials"]["false_accusations"] == 0


def test_weak_leaks_never_name_the_wrong_recipient(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Without the ID and phone columns the evidence may be too weak: the answer is then nobody, never another."""
    wh, _source, releases = world
    rng = np.random.default_rng(11)
    for trial, who in enumerate(sorted(releases)[:4]):
        table = releases[who].table.drop_columns(["id_card", "mobile"])
        leaked = attack(table, rng, 4000, drop=trial % 2, keep_columns=())
        got = trace_file(wh, write_as(leaked, tmp_path / f"weak{trial}", "csv"), null_trials=20)
        assert got["recipient"] in (None, who), got["evidence"]
        assert set(got["recipients"]) <= {who}
        assert got["null_trials"]["false_accusations"] == 0


def test_innocent_files_name_nobody(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, _releases = world
    rng = np.random.default_rng(5)
    cases = {
        "source-sample": attack(source, rng, 3000, drop=0, keep_columns=()),
        "fresh-register": population(3000, seed=77),
        "fresh-attacked": attack(population(4000, seed=78), rng, 2000, drop=1, keep_columns=()),
    }
    for label, table in cases.items():
        for fmt in ("csv", "parquet"):
            got = trace_file(wh, write_as(table, tmp_path / label, fmt), null_trials=20)
            assert got["recipient"] is None, (label, got["evidence"])
            assert got["null_trials"]["false_accusations"] == 0


def test_no_decoy_in_the_leak_means_no_accusation(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases = world
    who = sorted(releases)[0]
    real_only = releases[who].table.filter(pc.is_in(releases[who].table.column("id_card"),
                                                    value_set=source.column("id_card")))
    got = trace_file(wh, write_as(real_only.slice(0, 3000), tmp_path / "real", "csv"))
    assert got["recipient"] is None


def test_policy_decides_where_decoys_go(warehouse) -> None:  # type: ignore[no-untyped-def]
    warehouse.ingest_arrow(people(3000), IngestOptions(dataset="people", mode="replace", synthetic=True))
    warehouse.ingest_arrow(population(3000), IngestOptions(dataset="population", mode="replace", synthetic=True))
    upsert_recipient(warehouse, "top", clearance=4)
    upsert_recipient(warehouse, "low", clearance=1)

    def release(dataset: str, who: str, grades: dict, **kw):  # type: ignore[no-untyped-def,type-arg]
        return protect_for_recipient(warehouse, ReleaseRequest(dataset, who, version=1, grades=grades,
                                     **{"channel": "extract", **kw}), warehouse.read_arrow(dataset))

    # auto: a full-clearance copy releases identifying columns as stored → decoys, even with numeric
    # measures (a leaker may keep only two identifying columns), 1 % of rows by default
    assert release("people", "top", GRADES).marks["decoys"]["count"] == 30
    # auto: pseudonyms carry the mark at clearance 1 → no decoys, row count unchanged
    low = release("population", "low", POPULATION_GRADES)
    assert "decoys" not in low.marks and low.table.num_rows == 3000
    # auto: nothing else can carry a mark → decoys
    assert release("population", "top", POPULATION_GRADES).marks["decoys"]["count"] == 30
    # never on other channels, never when switched off
    assert release("population", "top", POPULATION_GRADES, channel="api").table.num_rows == 3000
    off = release("population", "top", POPULATION_GRADES, policy=Policy(decoy_mode="off"))
    assert off.table.num_rows == 3000 and off.marks["traceable"] is False
    per_dataset = Policy(decoy_datasets={"population": "off"})
    assert release("population", "top", POPULATION_GRADES, policy=per_dataset).table.num_rows == 3000
    assert release("population", "top", POPULATION_GRADES, decoys=False).table.num_rows == 3000
    # on: also where other carriers exist (masked like the real rows)
    forced = release("population", "low", POPULATION_GRADES, policy=Policy(decoy_mode="on", decoy_per_million=2000))
    assert forced.marks["decoys"]["count"] == 6 and forced.table.num_rows == 3006
    # names leave as keyed pseudonyms (decoys' too), like every direct identifier of a file extract
    assert all(re.fullmatch(TOKEN_VALUE, n) for n in forced.table.column("name").to_pylist())
    # below min_rows, auto adds nothing
    small = Policy(decoy_min_rows=10_000)
    assert "decoys" not in release("population", "top", POPULATION_GRADES, policy=small).marks


def test_decoy_p_value_is_a_valid_bound() -> None:
    # One decoy with b bits among L·d pairs: C(L·d, 1) · 2^-b, times the MAX_DECOYS_USED choices of j.
    p, used = decoy_p_value([60.0], 1000, 700)
    assert used == 1 and p == pytest.approx(MAX_DECOYS_USED * 1000 * 700 * 2.0**-60, rel=1e-9)
    # More (independent) decoys only make the evidence stronger; weak ones are not used.
    p2, used2 = decoy_p_value([60.0, 55.0], 1000, 700)
    assert p2 < p and used2 == 2
    assert decoy_p_value([60.0, 0.5], 1000, 700)[1] == 1
    assert decoy_p_value([2.0], 1000, 700)[0] == 1.0


def test_policy_file_decoy_settings() -> None:
    import yaml

    from shucang.errors import InputError
    from shucang.protect.policy import policy_from_dict

    policy = policy_from_dict(yaml.safe_load("decoys: {mode: on, per_million: 5000, datasets: {stats: off}}"))
    assert (policy.decoy_mode, policy.decoy_per_million) == ("on", 5000.0)
    assert policy.decoy_mode_for("stats") == "off" and policy.decoy_mode_for("population") == "on"
    assert policy.to_dict()["decoys"]["datasets"] == {"stats": "off"}
    for bad in ({"mode": "sometimes"}, {"per_million": 0}, {"rate": 5}):
        with pytest.raises(InputError):
            policy_from_dict({"decoys": bad})


def test_interleave_places_decoys_at_their_positions_across_blocks() -> None:
    from shucang.protect.decoys import interleave

    real = pa.concat_tables([pa.table({"n": list(range(a, a + 9)), "s": [f"r{i}" for i in range(a, a + 9)]})
                             for a in range(0, 45, 9)])  # 45 rows in 5 chunks
    decoys = pa.table({"n": [-1, -2, -3, -4, -5, -6], "s": ["d1", "d2", "d3", "d4", "d5", "d6"]})
    positions = np.array([0, 6, 7, 20, 49, 50])
    for block in (1, 4, 7, 51, 1000):
        out = interleave(real, decoys, positions, block=block)
        expected: list[int] = []
        reals = iter(range(45))
        ds = iter([-1, -2, -3, -4, -5, -6])
        for row in range(51):
            expected.append(next(ds) if row in set(positions.tolist()) else next(reals))
        assert out.column("n").to_pylist() == expected
        assert out.column("s").to_pylist() == [f"r{v}" if v >= 0 else f"d{-v}" for v in expected]
        assert all(len(c) <= block for c in out.column("n").chunks)


def test_a_failed_extract_leaves_no_file_no_extract_and_no_decoy_rows(world, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.errors import InputError
    from shucang.protect import ExtractOptions, extract_dataset
    from shucang.protect import extract as extract_module
    from shucang.protect import release as release_module

    wh, _source, _releases = world
    monkeypatch.setattr(release_module, "resolve_grades", lambda _wh, _d, _v, _g: POPULATION_GRADES)
    before = (cell_count(wh), len(registered_cells(wh)), len(list_extracts(wh)))

    def broken(table: pa.Table, path: Path, fmt: str, extract_id: str) -> str:
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(extract_module, "write_table", broken)
    out = tmp_path / "gone.csv"
    with pytest.raises(InputError):
        extract_dataset(wh, ExtractOptions("population", "全权0", out, decoys=True))
    after = (cell_count(wh), len(registered_cells(wh)), len(list_extracts(wh)))
    assert after == before
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(release_module, "resolve_grades", lambda _wh, _d, _v, _g: POPULATION_GRADES)
    info = extract_dataset(wh, ExtractOptions("population", "全权0", out, decoys=True))  # the same, working
    stored = sum(cell.extract_id == info["extract_id"] for cell in registered_cells(wh))
    assert cell_count(wh, info["extract_id"]) == stored
    assert info["decoy_rows"] > 0 and stored == info["marks"]["decoys"]["registered_cells"] > 0
    assert extract_module.file_sha256(out) == info["file_sha256"]
