"""The CLI: recipients add/list, extract in every format (neutralised, registered), --where safety, trace."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.protect.helpers import people

from shucang.protect.extract import neutralise_formulas
from shucang.protect.leakfile import read_leak
from shucang.warehouse import IngestOptions


@pytest.fixture
def loaded(warehouse, cli):  # type: ignore[no-untyped-def]
    table = people(400).append_column("remark", pa.array(["=HYPERLINK(\"http://x\")", "+1", "-12.5", "@SUM(A1)",
                                                          "\tx", "ok"] * 66 + ["ok"] * 4))
    warehouse.ingest_arrow(table, IngestOptions(dataset="people", mode="replace", synthetic=True))
    warehouse.close()
    assert cli("recipients", "add", "低密级", "--clearance", "1", "--department", "tjj").exit_code == 0
    assert cli("recipients", "add", "高密级", "--clearance", "4").exit_code == 0
    return table


def test_recipients_cli(loaded, cli) -> None:  # type: ignore[no-untyped-def]
    listed = cli("recipients", "list", "--json").json()
    assert [(r["name"], r["clearance"]) for r in listed] == [("低密级", 1), ("高密级", 4)]
    bad = cli("recipients", "add", "x", "--clearance", "9")
    assert bad.exit_code != 0 and "clearance" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_extract_every_format(loaded, cli, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / f"x.{fmt}"
    result = cli("extract", "people", "--recipient", "低密级", "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    info = result.json()
    assert info["rows"] == 400 and info["format"] == fmt
    assert info["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    leaked, meta = read_leak(out)
    assert leaked.num_rows == 400
    ids = set(leaked.column("id_card").to_pylist())
    assert not ids & set(loaded.column("id_card").to_pylist())
    if fmt in ("csv", "xlsx"):
        remarks = leaked.column("remark").to_pylist()
        assert remarks[:4] == ["'=HYPERLINK(\"http://x\")", "+1", "-12.5", "'@SUM(A1)"]
        assert remarks[4].startswith("'")  # TAB-led cell neutralised (the TAB itself may be trimmed on read)
        # Plain numbers with a sign are data, not formulas; everything else risky is prefixed.
        assert not any(r.startswith(("=", "@")) for r in remarks if r)
    if fmt == "parquet":
        assert meta["extract_id"] == info["extract_id"]
    registry = cli("extracts", "list", "--json").json()
    assert registry[0]["id"] == info["extract_id"] and registry[0]["file_sha256"] == info["file_sha256"]
    assert registry[0]["recipient"] == "低密级" and registry[0]["format"] == fmt


def test_extract_columns_where_version(loaded, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.parquet"
    result = cli("extract", "people", "-r", "高密级", "-o", out, "--columns", "town,employees,name",
                 "--where", "town = '龙山镇' AND employees >= 100", "--version", "1", "--json")
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(out)
    assert table.column_names == ["town", "employees", "name"]
    expected = [r for r in loaded.to_pylist() if r["town"] == "龙山镇" and r["employees"] >= 100]
    assert table.num_rows == len(expected) > 0
    assert table.column("name").to_pylist() == [r["name"] for r in expected]
    assert result.json()["where"] == "town = '龙山镇' AND employees >= 100"


@pytest.mark.parametrize("where", ["town = '1'; DROP TABLE datasets", "employees > (SELECT 1)",
                                   "town = 'a' UNION SELECT 1", "nope = 1", "town ="])
def test_where_cannot_inject(loaded, cli, tmp_path: Path, where: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("extract", "people", "-r", "高密级", "-o", tmp_path / "x.csv", "--where", where)
    assert result.exit_code != 0 and "--where" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_unknown_recipient_and_format(loaded, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = cli("extract", "people", "-r", "nobody", "-o", tmp_path / "x.csv")
    assert missing.exit_code != 0 and "recipients add" in missing.stderr
    fmt = cli("extract", "people", "-r", "高密级", "-o", tmp_path / "x.doc")
    assert fmt.exit_code != 0 and "format" in fmt.stderr


def test_trace_cli_names_the_recipient_or_nobody(loaded, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "low.csv"
    info = cli("extract", "people", "-r", "低密级", "-o", out, "--json").json()
    traced = cli("trace", out, "--json")
    assert traced.exit_code == 0, traced.stderr
    got = traced.json()
    assert got["recipient"] == "低密级" and got["extract_id"] == info["extract_id"] and got["dataset"] == "people"
    assert got["false_accusation_bound"] <= 1e-9 and got["confidence"] > 0.999999
    innocent = tmp_path / "innocent.parquet"
    pq.write_table(loaded, innocent)
    clean = cli("trace", innocent, "--json", "--dataset", "people").json()
    assert clean["recipient"] is None and clean["false_accusation_bound"] > 1e-9
    text = cli("trace", out)
    assert "低密级" in text.stdout


def test_neutralise_leaves_numbers_alone() -> None:
    table = pa.table({"a": ["=1+1", "-5", "+86 138", "@x", "\rx", "ok", None], "n": [1, 2, 3, 4, 5, 6, 7]})
    got = neutralise_formulas(table).column("a").to_pylist()
    assert got == ["'=1+1", "-5", "'+86 138", "'@x", "'\rx", "ok", None]
