"""Catalog integration: the after-ingest hook, per-version results, overrides, drift, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.classify import synth as S

from shucang.classify import store
from shucang.errors import InputError, NotFound
from shucang.warehouse import IngestOptions

CASES = Path(__file__).resolve().parents[1] / "cases" / "classify-dev"


def _people(n: int = 60, seed: int = 1) -> pa.Table:
    r = S.rng(seed)
    return pa.table({"姓名": [S.person(r) for _ in range(n)], "身份证号": [S.id_card(r) for _ in range(n)],
                     "手机": [S.mobile(r) for _ in range(n)], "备用": [str(i) for i in range(n)]})


def test_ingest_classifies_and_grades_are_read_back(warehouse: Any) -> None:
    warehouse.ingest_arrow(_people(), IngestOptions(dataset="people", synthetic=True))
    grades = store.column_grades(warehouse, "people")
    assert {k: (g.type, g.level) for k, g in grades.items()} == {
        "姓名": ("person_name", 3), "身份证号": ("id_card", 4), "手机": ("mobile_phone", 3), "备用": (None, 1)}
    assert not any(g.overridden for g in grades.values())
    found = store.stored_classification(warehouse, "people")
    assert found is not None and found.version == 1 and found.level == 4
    # the catalog's shown examples of sensitive columns are masked
    examples = {c.name: c.examples for c in warehouse.columns("people")}
    ids = set(_people().column("身份证号").to_pylist())
    assert examples["身份证号"] and all("*" in e and e not in ids for e in examples["身份证号"])


def test_csv_ingest_from_the_dev_set(warehouse: Any) -> None:
    warehouse.ingest(CASES / "sqjz_dx_ls.csv", IngestOptions(dataset="sqjz", synthetic=True))
    grades = store.column_grades(warehouse, "sqjz")
    assert grades["罪名"].type == "criminal_record" and grades["罪名"].level == 4
    assert grades["司法所"].type is None


def test_overrides_survive_reingest_and_drift_is_recorded(warehouse: Any) -> None:
    warehouse.ingest_arrow(_people(), IngestOptions(dataset="people", synthetic=True))
    store.override_column(warehouse, "people", "备用", type="social_security_no", level=None, who="steward-1",
                          why="社保个人编号")
    store.override_column(warehouse, "people", "手机", type="mobile_phone", level=4, who="steward-1", why="从严")
    g = store.column_grades(warehouse, "people")
    assert (g["备用"].type, g["备用"].level, g["备用"].overridden) == ("social_security_no", 4, True)
    assert g["手机"].level == 4
    # version 2: the 手机 column now holds something else -> drift; overrides still apply
    changed = _people(seed=2).set_column(2, "手机", pa.array([S.address(S.rng(i)) for i in range(60)]))
    res = warehouse.ingest_arrow(changed, IngestOptions(dataset="people", mode="replace", synthetic=True))
    assert res.version == 2
    g2 = store.column_grades(warehouse, "people")
    assert g2["备用"].type == "social_security_no" and g2["备用"].overridden
    warnings = store.drift_warnings(warehouse, "people")
    assert [(w["column"], w["old_type"], w["new_type"], w["to_version"]) for w in warnings] == [
        ("手机", "mobile_phone", "address", 2)]
    assert "请复核" in warnings[0]["message"]
    # version 1 is still answerable as it was classified
    assert store.column_grades(warehouse, "people", version=1)["备用"].overridden
    history = store.review_history(warehouse, "people")
    assert [h["who"] for h in history] == ["steward-1", "steward-1"]
    assert store.clear_override(warehouse, "people", "备用")
    assert store.column_grades(warehouse, "people")["备用"].type is None


def test_override_validation(warehouse: Any) -> None:
    warehouse.ingest_arrow(_people(), IngestOptions(dataset="people", synthetic=True))
    with pytest.raises(InputError):
        store.override_column(warehouse, "people", "备用", type="nonsense", level=None, who="a", why="b")
    with pytest.raises(InputError):
        store.override_column(warehouse, "people", "备用", type=None, level=9, who="a", why="b")
    with pytest.raises(InputError):
        store.override_column(warehouse, "people", "备用", type=None, level=1, who="a", why=" ")
    with pytest.raises(NotFound):
        store.override_column(warehouse, "people", "nope", type=None, level=1, who="a", why="b")
    with pytest.raises(NotFound):
        store.classify_dataset(warehouse, "missing")


def test_full_reclassification_is_stored(warehouse: Any) -> None:
    warehouse.ingest_arrow(_people(), IngestOptions(dataset="people", synthetic=True))
    found = store.classify_dataset(warehouse, "people", full=True)
    assert found.full and found.rows == 60
    assert store.stored_classification(warehouse, "people").full


def test_cli_scan_contract(cli: Any) -> None:
    res = cli("scan", CASES / "门诊就诊记录_202403.csv", CASES / "gz_ffmx_202405.xlsx", "--json")
    assert res.exit_code == 0, res.stderr
    reports = res.json()
    assert isinstance(reports, list) and len(reports) == 2
    labels = json.loads((CASES / "labels.json").read_text("utf-8"))
    for report in reports:
        assert {"path", "encoding", "rows", "columns"} <= set(report)
        want = labels[Path(report["path"]).name]
        assert [c["name"] for c in report["columns"]] == list(want)
        for c in report["columns"]:
            assert {"name", "type", "level", "confidence", "evidence"} <= set(c)
            assert c["type"] == want[c["name"]] and 1 <= c["level"] <= 4
    assert reports[0]["rows"] == 248


def test_cli_scan_one_report_per_sheet(cli: Any, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "两表.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    r = S.rng(3)
    for sheet, header, make in (("人员", "姓名", S.person), ("车辆", "号牌号码", S.plate)):
        ws = wb.add_worksheet(sheet)
        ws.write(0, 0, header)
        for i in range(1, 40):
            ws.write(i, 0, make(r))
    wb.close()
    reports = cli("scan", path, "--json").json()
    assert [(rep["sheet"], rep["columns"][0]["type"]) for rep in reports] == [
        ("人员", "person_name"), ("车辆", "license_plate")]
    one = cli("scan", path, "--sheet", "车辆", "--json").json()
    assert len(one) == 1 and one[0]["sheet"] == "车辆"


def test_cli_scan_errors_are_one_line(cli: Any, tmp_path: Path) -> None:
    res = cli("scan", tmp_path / "missing.csv", "--json")
    assert res.exit_code != 0 and "Traceback" not in res.stderr and res.stderr.strip()


def test_cli_classify_and_review(cli: Any) -> None:
    assert cli("ingest", CASES / "ods_dy_xx_2023.csv", "--dataset", "dy", "--json").exit_code == 0
    out = cli("classify", "dy", "--json")
    assert out.exit_code == 0, out.stderr
    data = out.json()
    assert data["level"] == 4 and {c["name"]: c["type"] for c in data["columns"]}["dfjnjs"] == "income"
    rev = cli("review", "dy", "gzgw", "--type", "none", "--level", "2", "--why", "岗位与职务有关", "--who", "lin", "--json")
    assert rev.exit_code == 0, rev.stderr
    assert rev.json() == {"dataset": "dy", "column": "gzgw", "type": None, "level": 2, "overridden": True}
    again = cli("classify", "dy", "--json").json()
    gzgw = next(c for c in again["columns"] if c["name"] == "gzgw")
    assert gzgw["overridden"] and gzgw["level"] == 2 and gzgw["review"]["who"] == "lin"
    bad = cli("review", "dy", "gzgw", "--type", "bogus", "--why", "x")
    assert bad.exit_code != 0 and "bogus" in bad.stderr
