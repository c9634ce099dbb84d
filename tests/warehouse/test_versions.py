"""Append/replace versions, time travel, schema-change reports, catalog contents."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from shucang.warehouse import IngestOptions


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_append_replace_and_history(cli, tmp_path: Path) -> None:
    a = _csv(tmp_path / "a.csv", "编号,名称,数量\n001,甲,3\n002,乙,4\n")
    b = _csv(tmp_path / "b.csv", "编号,名称,数量\n003,丙,5\n")
    assert cli("ingest", a, "--dataset", "goods", "--key", "编号", "--json").json()["version"] == 1
    second = cli("ingest", b, "--dataset", "goods", "--json").json()
    assert second["version"] == 2 and second["row_count"] == 3
    replaced = cli("ingest", b, "--dataset", "goods", "--mode", "replace", "--json").json()
    assert replaced["version"] == 3 and replaced["row_count"] == 1
    counts = [cli("sql", "SELECT count(*) AS n FROM goods", "--at", f"goods={v}", "--json").json()[0]["n"]
              for v in (1, 2, 3)]
    assert counts == [2, 3, 1]
    history = cli("versions", "goods", "--json").json()
    assert [h["version"] for h in history] == [1, 2, 3]
    assert [h["mode"] for h in history] == ["append", "append", "replace"]
    # leading zeros survive: identifiers stay text
    codes = cli("sql", "SELECT 编号 FROM goods ORDER BY 1", "--at", "goods=2", "--json").json()
    assert [r["编号"] for r in codes] == ["001", "002", "003"]


def test_schema_changes_are_reported(cli, tmp_path: Path) -> None:
    cli("ingest", _csv(tmp_path / "v1.csv", "a,b,c\n1,x,2021-01-01\n"), "--dataset", "s", "--json")
    changed = cli("ingest", _csv(tmp_path / "v2.csv", "a,c,d\n2,不是日期,y\n"), "--dataset", "s", "--json").json()
    changes = changed["schema_changes"]
    assert changes["added"] == ["d"]
    assert changes["removed"] == ["b"]
    assert [r["column"] for r in changes["retyped"]] == ["c"]
    rows = cli("sql", "SELECT a, b, d FROM s ORDER BY a", "--json").json()
    # a is canonical integer text in both versions, so the typed view casts it
    assert rows == [{"a": 1, "b": "x", "d": None}, {"a": 2, "b": None, "d": "y"}]


def test_catalog_metadata(cli, tmp_path: Path) -> None:
    path = _csv(tmp_path / "p.csv", "姓名,手机号码,金额\n张三,13812345678,\"1,234.50\"\n李四,13912345678,99\n")
    cli("ingest", path, "--dataset", "people", "--department", "mzj", "--title", "人员", "--cadence", "monthly",
        "--json")
    shown = cli("show", "people", "--json").json()
    assert shown["title"] == "人员" and shown["department"] == "mzj" and shown["cadence"] == "monthly"
    by_name = {c["name"]: c for c in shown["columns"]}
    assert by_name["手机号码"]["logical_type"] == "identifier"
    assert by_name["金额"]["null_share"] == 0.0
    listed = cli("datasets", "--json").json()
    assert [d["name"] for d in listed] == ["people"]


def test_ingest_arrow_keeps_native_types(warehouse) -> None:
    table = pa.table({"n": pa.array([1, 2], pa.int64()), "d": pa.array([1.5, 2.5])})
    result = warehouse.ingest_arrow(table, IngestOptions(dataset="native", mode="replace", synthetic=True))
    assert result.version == 1
    assert warehouse.read_arrow("native").schema.field("n").type == pa.int64()
    assert warehouse.sql("SELECT sum(n) AS s FROM native").to_pylist() == [{"s": 3}]
    assert warehouse.dataset("native").synthetic
