"""k-anonymity reports and refusals; the --where parser; leaked-file normalisation; protect CLI extras."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pytest

from shucang.errors import InputError, PermissionDenied
from shucang.protect.kanon import check_k_anonymity, refuse_below_k
from shucang.protect.leakfile import normalise_text, read_leak
from shucang.protect.where import filter_dataset
from shucang.warehouse import IngestOptions

TABLE = pa.table({
    "town": ["龙山镇"] * 6 + ["浒山街道"] * 3 + ["周巷镇"],
    "gender": ["男", "女"] * 5,
    "born": pa.array([dt.date(1990 + i % 3, 1, 1) for i in range(10)], pa.date32()),
    "income": [1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 6000.0, 7000.0, 8000.0, 9000.0, None],
    "名称": ["a", "b", None, "d", "e", "f", "g", "h", "i", "j"],
})


def test_k_anonymity_report() -> None:
    report = check_k_anonymity(TABLE, ["town"], k=3)
    assert (report.k_min, report.ok, report.groups) == (1, False, 3)
    assert report.offending_groups == [{"town": "周巷镇", "count": 1}]
    assert report.rows_in_small_groups == 1
    assert any("suppress" in s for s in report.suggestions)
    ok = check_k_anonymity(TABLE.filter(pa.compute.not_equal(TABLE["town"], "周巷镇")), ["town"], k=3)
    assert ok.ok and ok.k_min == 3 and ok.offending_groups == []


def test_k_anonymity_suggests_generalising_and_dropping() -> None:
    report = check_k_anonymity(TABLE, ["town", "gender", "born"], k=2)
    assert not report.ok
    assert any(s.startswith("born") and "year" in s for s in report.suggestions)
    assert any("dropping" in s for s in report.suggestions)


def test_refuse_below_k() -> None:
    with pytest.raises(PermissionDenied) as info:
        refuse_below_k(TABLE, ["town", "gender"], k=5)
    assert "k = 5" in str(info.value)
    assert refuse_below_k(TABLE, [], k=5).ok
    with pytest.raises(InputError):
        check_k_anonymity(TABLE, ["nope"])
    with pytest.raises(InputError):
        check_k_anonymity(TABLE, ["town"], k=0)
    assert check_k_anonymity(TABLE.slice(0, 0), ["town"]).ok


@pytest.mark.parametrize("where,rows", [
    ("town = '龙山镇'", 6), ("town != '龙山镇' AND gender = '男'", 2), ("town IN ('周巷镇', '浒山街道')", 4),
    ("town NOT IN ('龙山镇')", 4), ("income >= 5000 OR income IS NULL", 6), ("NOT (income < 5000)", 5),
    ("born >= '1992-01-01'", 3), ("\"名称\" IS NULL", 1), ("town LIKE '%街道'", 3), ("`名称` = 'a'", 1),
    ("town = 'it''s'", 0),
])
def test_where_filters(where: str, rows: int) -> None:
    assert filter_dataset(pads.dataset(TABLE), where, None).num_rows == rows


@pytest.mark.parametrize("where", ["town = 'x'; DROP TABLE t", "income > (SELECT 1)", "lower(town) = 'x'",
                                   "town = ", "nope = 1", "town = 'a' UNION SELECT 1", "born > 'tomorrow'",
                                   "x" * 2001])
def test_where_refuses_anything_else(where: str) -> None:
    with pytest.raises(InputError):
        filter_dataset(pads.dataset(TABLE), where, None)


def test_normalise_text_of_leaked_values() -> None:
    got = normalise_text(pa.array([" 1234.0 ", "ＡＢＣ１２３", "2020-01-01 00:00:00", "2020-01-01T08:09:10.000", "", None]))
    assert got.to_pylist() == ["1234", "ABC123", "2020-01-01", "2020-01-01 08:09:10", None, None]
    assert normalise_text(pa.array([1234.0, 1.5])).to_pylist() == ["1234", "1.5"]
    assert normalise_text(pa.array([dt.date(2020, 1, 2)])).to_pylist() == ["2020-01-02"]


def test_read_leak_formats(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes("姓名;电话\n张三;13812345678\n".encode("gb18030"))
    table, _meta = read_leak(tmp_path / "a.csv")
    assert table.to_pylist() == [{"姓名": "张三", "电话": "13812345678"}]
    (tmp_path / "b.jsonl").write_text('{"a": 1, "b": "x"}\n{"a": 2}\n', encoding="utf-8")
    assert read_leak(tmp_path / "b.jsonl")[0].to_pylist() == [{"a": "1", "b": "x"}, {"a": "2", "b": None}]
    with pytest.raises(Exception, match="no such file"):
        read_leak(tmp_path / "missing.csv")


def test_protect_cli_extras(warehouse, cli) -> None:  # type: ignore[no-untyped-def]
    warehouse.ingest_arrow(TABLE, IngestOptions(dataset="t", mode="replace"))
    warehouse.close()
    report = cli("protect", "kanon", "t", "--qi", "town,gender", "--k", "2", "--json")
    assert report.exit_code == 0, report.stderr
    assert report.json()["k_min"] == 1 and report.json()["ok"] is False
    rule = cli("protect", "rule", "t", "town", "truncate", "-p", "length=2", "--json")
    assert rule.json() == {"dataset": "t", "column": "town", "strategy": "truncate", "length": 2}
    policy = cli("protect", "policy").json()
    assert policy["columns"]["t.town"] == {"strategy": "truncate", "length": 2}
    bad = cli("protect", "rule", "t", "town", "shred")
    assert bad.exit_code != 0 and "shred" in bad.stderr
    first = cli("protect", "rotate-key", "--json").json()["key_id"]
    second = cli("protect", "rotate-key", "--json").json()["key_id"]
    assert first != second
    missing = cli("trace", "/nonexistent/file.csv", "--json")
    assert missing.exit_code != 0 and "Traceback" not in missing.stderr
