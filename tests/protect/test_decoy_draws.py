"""The vectorised decoy draws: deterministic per seed, valid values of every kind (ID check characters,
shifted birth dates, phone prefixes, digit skeletons with Luhn/GB 32100 check characters), never a
real value nor a repeat, and still traced after a leak through the chunked CSV writer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from tests.protect.helpers import POPULATION_GRADES, population

from shucang.classify.checksums import (
    id_card_check_char,
    is_luhn_valid,
    is_valid_id_card,
    is_valid_uscc,
    luhn_check_digit,
    uscc_check_char,
)
from shucang.classify.identifiers import id_card_valid
from shucang.protect import ExtractOptions, extract_dataset, trace_file, upsert_recipient
from shucang.protect import decoy_draws as draws
from shucang.protect.decoys import make_decoys
from shucang.protect.extract import write_table
from shucang.warehouse import IngestOptions

TYPES = {name: code for name, (code, _level) in POPULATION_GRADES.items()}


def _luhn(rng: np.random.Generator, n: int) -> list[str]:
    bodies = ["62" + "".join(map(str, rng.integers(0, 10, 15))) for _ in range(n)]
    return [b + luhn_check_digit(b) for b in bodies]


def _uscc(rng: np.random.Generator, n: int) -> list[str]:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    bodies = ["91330282" + "".join(alphabet[i] for i in rng.integers(0, 31, 9)) for _ in range(n)]
    return [b + uscc_check_char(b) for b in bodies]


@pytest.fixture(scope="module")
def register() -> pa.Table:
    rng = np.random.default_rng(3)
    table = population(3000)
    return table.append_column("card", pa.array(_luhn(rng, 3000))).append_column("credit", pa.array(_uscc(rng, 3000)))


def _make(table: pa.Table, seed: int, count: int = 200) -> Any:
    types = {**TYPES, "card": "bank_card", "credit": "uscc"}
    return make_decoys(table, count, np.random.default_rng(seed), types=types)


def test_same_seed_same_decoys_other_seed_other_decoys(register: pa.Table) -> None:
    first, again, other = _make(register, 11), _make(register, 11), _make(register, 12)
    assert first.table.equals(again.table) and np.array_equal(first.positions, again.positions)
    assert first.cells.keys() == again.cells.keys()
    for name, cell in first.cells.items():
        assert np.array_equal(cell.registered, again.cells[name].registered)
        for component, bits in cell.components.items():
            np.testing.assert_array_equal(bits, again.cells[name].components[component])
    assert not set(first.table.column("id_card").to_pylist()) & set(other.table.column("id_card").to_pylist())


def test_every_decoy_value_is_valid_and_consistent(register: pa.Table) -> None:
    made = _make(register, 5, count=400)
    rows = made.table.to_pylist()
    assert pc.all(id_card_valid(made.table.column("id_card"))).as_py()
    regions = {v[:6] for v in register.column("id_card").to_pylist()}
    for row in rows:
        card = row["id_card"]
        assert is_valid_id_card(card) and card[:6] in regions  # a donor's region
        assert card[6:14] == row["birth_date"].strftime("%Y%m%d")  # the ID moved with the birth date
        assert (int(card[16]) % 2 == 1) == (row["gender"] == "男")  # and keeps the donor's parity
        if row["mobile"] is not None:
            assert re.fullmatch(r"1[3-9][0-9]{9}", row["mobile"])
        assert is_luhn_valid(row["card"]) and len(row["card"]) == 18
        assert is_valid_uscc(row["credit"])
    # Digit runs keep their length and place; the text around them is the donor's.
    skeleton = pc.replace_substring_regex(made.table.column("address"), "[0-9]", "#")
    real = set(pc.replace_substring_regex(register.column("address"), "[0-9]", "#").to_pylist())
    assert set(skeleton.to_pylist()) <= real
    # The bits of each registered cell are what its draw could produce.
    assert made.cells["id_card"].registered.all()
    assert np.all(made.cells["id_card"].components["id_seq"] <= np.log2(500))
    assert np.all(made.cells["mobile"].components["mobile"] <= np.log2(1e8))


def test_decoys_never_repeat_a_real_value_nor_each_other(register: pa.Table) -> None:
    made = _make(register, 8, count=600)
    for name in ("id_card", "mobile", "address", "card", "credit"):
        values = made.table.column(name).drop_null()
        assert len(pc.unique(values)) == len(values), name
        assert not pc.any(pc.is_in(values, value_set=register.column(name))).as_py(), name


def test_a_crowded_space_leaves_cells_empty_rather_than_real() -> None:
    # Two-digit codes: 90 possible values, 85 of them taken — most draws clash, none may copy a real one.
    taken = pa.array([f"K{i}" for i in range(10, 95)])
    donor = pa.array(["K10"] * 40)
    used: list[pa.Array] = []
    values = draws.fresh(draws.digits_draw(donor, None, np.random.default_rng(1)), 40, taken, used)
    present = values.drop_null()
    assert 0 < len(present) <= 5 and len(pc.unique(present)) == len(present)
    assert not pc.any(pc.is_in(present, value_set=taken)).as_py()
    assert values.null_count == 40 - len(present)


def test_vectorised_check_characters_match_the_reference() -> None:
    rng = np.random.default_rng(2)
    bodies = ["".join(map(str, rng.integers(0, 10, 17))) for _ in range(300)]
    matrix = np.frombuffer("".join(bodies).encode(), dtype=np.uint8).reshape(-1, 17)
    assert bytes(draws.id_check_chars(matrix)).decode() == "".join(id_card_check_char(b) for b in bodies)
    cards = pa.array(["6" + "".join(map(str, rng.integers(0, 10, int(k)))) for k in rng.integers(1, 19, 300)])
    redrawn = draws.digits_draw(cards, "luhn", np.random.default_rng(4))(np.arange(300))
    assert all(is_luhn_valid(v) for v in redrawn.to_pylist())
    credits = draws.digits_draw(pa.array(_uscc(rng, 200)), "uscc", np.random.default_rng(5))(np.arange(200))
    assert all(is_valid_uscc(v) for v in credits.to_pylist())


def test_shifted_birth_dates_cross_months_years_and_reject_false_dates() -> None:
    ids = pa.array(["330282198002281234", "330282199912311234", "330282198002301234"])
    matrix, _ok = draws.ascii_matrix(ids, 18)
    moved, real = draws.shifted_birth_digits(matrix, np.array([1, 1, 0]))
    assert [bytes(r).decode() for r in moved[:2]] == ["19800229", "20000101"]
    assert real.tolist() == [True, True, False]


def test_chunked_csv_is_the_single_shot_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.protect import extract

    table = population(1000).append_column("formula", pa.array(["=1+2", "-3", "@x", "plain"] * 250))
    monkeypatch.setattr(extract, "CSV_ROWS", 97)
    digest = write_table(table, tmp_path / "out.csv", "csv", "x1")
    expected = pa.BufferOutputStream()
    pacsv.write_csv(extract.neutralise_formulas(table), expected, pacsv.WriteOptions(quoting_style="needed"))
    written = (tmp_path / "out.csv").read_bytes()
    assert written == b"\xef\xbb\xbf" + expected.getvalue().to_pybytes()
    assert digest == extract.file_sha256(tmp_path / "out.csv")
    assert "'=1+2" in written.decode() and "\n-3\n" not in written.decode()


def test_decoys_of_a_csv_extract_are_traced(warehouse: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shucang.protect.release as release

    monkeypatch.setattr(release, "resolve_grades", lambda _wh, _d, _v, _g: POPULATION_GRADES)
    warehouse.ingest_arrow(population(6000), IngestOptions(dataset="population", mode="replace", synthetic=True))
    upsert_recipient(warehouse, "全权", clearance=4)
    upsert_recipient(warehouse, "另一位", clearance=4)
    infos = {who: extract_dataset(warehouse, ExtractOptions("population", who, tmp_path / f"{who}.csv"))
             for who in ("全权", "另一位")}
    assert infos["全权"]["decoy_rows"] == 60  # 1 % of 6,000 rows
    issued = pacsv.read_csv(tmp_path / "全权.csv", convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in ("id_card", "mobile", "name", "address")}))
    assert issued.num_rows == 6060
    leak = issued.take(pa.array(np.random.default_rng(3).choice(6060, 3000, replace=False))).select(
        ["id_card", "name", "address"])
    path = tmp_path / "leak.csv"
    pacsv.write_csv(leak, path)
    got = trace_file(warehouse, path, null_trials=10)
    assert got["recipient"] == "全权" and got["extract_id"] == infos["全权"]["extract_id"]
    assert got["evidence"][0]["kind"] == "decoy" and got["null_trials"]["false_accusations"] == 0


def test_decoys_read_the_whole_dataset_only_for_a_filtered_extract(warehouse: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.protect import ReleaseRequest, protect_for_recipient

    source = population(3000)
    warehouse.ingest_arrow(source, IngestOptions(dataset="population", mode="replace", synthetic=True))
    upsert_recipient(warehouse, "全权", clearance=4)
    reads: list[list[str] | None] = []
    real_read = warehouse.read_arrow

    def spy(name: str, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
        reads.append(columns)
        return real_read(name, version, columns)

    monkeypatch.setattr(warehouse, "read_arrow", spy)

    def release(table: pa.Table, where: str | None) -> Any:
        return protect_for_recipient(warehouse, ReleaseRequest("population", "全权", "extract", version=1,
                                                               grades=POPULATION_GRADES, filter_text=where), table)

    assert release(source, None).marks["decoys"]["count"] == 30 and reads == []  # the table is the version
    part = source.filter(pc.equal(source.column("gender"), "男"))
    made = release(part, "gender = '男'")
    assert made.marks["decoys"]["count"] > 0
    assert sorted(c[0] for c in reads if c) == ["address", "id_card", "mobile"]  # names need not be fresh
    decoys = made.table.filter(pc.invert(pc.is_in(made.table.column("id_card"), value_set=source.column("id_card"))))
    for name in ("id_card", "mobile", "address"):  # fresh against the whole dataset, not only the part
        assert not pc.any(pc.is_in(decoys.column(name).drop_null(), value_set=source.column(name))).as_py()
