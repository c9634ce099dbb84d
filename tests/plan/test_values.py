"""Actual values on a real warehouse: audited edits, import/export, metrics with lineage and recompute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from shucang import plan as planlib
from shucang.errors import InputError, NotFound
from shucang.plan.metrics import plan_after_ingest
from shucang.warehouse import IngestOptions

ROBOT_PLAN = """\
id: robots-plan
title: 机器人小规划
period: {start: 2021, end: 2025}
# these tests follow data that is still moving: no year's data counts as final yet
entry_rules: {final_after_days: 36500}
categories:
  - {id: industry, name: 产业数字化}
indicators:
  - id: robots
    name: 在役工业机器人数量
    category: industry
    unit: 台
    baseline: {year: 2020, value: 2}
    target: {year: 2025, value: 6}
    source: m_robots
    periods: [year, quarter]
  - id: open_rate
    name: 公共数据开放率
    category: industry
    unit: "%"
    baseline: {year: 2020, value: 13}
    target: {year: 2025, value: 30}
    source: m_open
  - id: manual_one
    name: 手工指标
    category: industry
    unit: 分
    baseline: {year: 2020, value: null}
    target: {year: 2025, value: 10}
metrics:
  - id: m_robots
    title: 在役机器人（年末）
    datasets: [robots]
    sql: |
      WITH years AS (SELECT CAST(unnest(generate_series(2020, 2025)) AS INTEGER) AS year)
      SELECT y.year, count(r.robot_id) AS value FROM years y
      LEFT JOIN robots r ON r.in_service_on <= make_date(y.year, 12, 31)
      GROUP BY y.year ORDER BY y.year
  - id: m_open
    title: 开放率
    kind: catalog
    function: open_data_rate
    decimals: 1
"""


@pytest.fixture
def wh(warehouse: Any, home: Path) -> Any:
    (home / "plans").mkdir(parents=True, exist_ok=True)
    (home / "plans" / "robots-plan.yaml").write_text(ROBOT_PLAN, encoding="utf-8")
    return warehouse


def robots(*dates: str, start: int = 0) -> pa.Table:
    return pa.table({
        "robot_id": [f"R{start + i:04d}" for i in range(len(dates))],
        "in_service_on": pa.array([dt.date.fromisoformat(d) for d in dates], pa.date32()),
    })


def values_of(wh: Any, indicator: str) -> dict[str, float]:
    data = planlib.indicator_series(wh, "robots-plan", indicator)
    return {v["period"]: v["value"] for v in data["values"]}


def test_set_actual_is_audited_old_to_new(wh: Any) -> None:
    first = planlib.set_actual(wh, "robots-plan", "manual_one", 2022, 4, actor="张三", source="统计年鉴",
                               note="初报")
    assert first["changed"] and first["value"] == 4.0 and first["period"] == "2022"
    again = planlib.set_actual(wh, "robots-plan", "manual_one", 2022, 4, actor="张三", source="统计年鉴",
                               note="初报")
    assert not again["changed"]
    planlib.set_actual(wh, "robots-plan", "manual_one", 2022, 5, actor="李四", source="manual", note="更正")
    history = planlib.value_history(wh, "robots-plan", "manual_one")
    assert [(h.actor, h.old_value, h.new_value, h.note, h.source) for h in history] == [
        ("李四", 4.0, 5.0, "更正", "manual"), ("张三", None, 4.0, "初报", "统计年鉴")]
    assert history[0].at >= history[1].at
    planlib.delete_actual(wh, "robots-plan", "manual_one", 2022, actor="王五", note="撤回")
    last = planlib.value_history(wh, "robots-plan", "manual_one")[0]
    assert (last.action, last.old_value, last.new_value, last.actor) == ("delete", 5.0, None, "王五")
    assert values_of(wh, "manual_one") == {}


def test_set_actual_rejects_bad_input(wh: Any) -> None:
    with pytest.raises(NotFound):
        planlib.set_actual(wh, "robots-plan", "nope", 2022, 1, actor="a")
    with pytest.raises(NotFound):
        planlib.set_actual(wh, "no-such-plan", "robots", 2022, 1, actor="a")
    with pytest.raises(InputError, match="actor"):
        planlib.set_actual(wh, "robots-plan", "manual_one", 2022, 1, actor=" ")
    with pytest.raises(InputError, match="quarter"):  # manual_one takes yearly values only
        planlib.set_actual(wh, "robots-plan", "manual_one", 2022, 1, actor="a", period="Q1")
    with pytest.raises(InputError):
        planlib.set_actual(wh, "robots-plan", "manual_one", 2022, float("nan"), actor="a")
    with pytest.raises(InputError, match="metric"):
        planlib.set_actual(wh, "robots-plan", "manual_one", 2022, 1, actor="a", source="metric:x")
    with pytest.raises(InputError):
        planlib.set_actual(wh, "robots-plan", "manual_one", "2022-13", 1, actor="a")
    quarterly = planlib.set_actual(wh, "robots-plan", "robots", 2024, 3, actor="a", period="Q2")
    assert quarterly["period"] == "2024Q2" and quarterly["period_kind"] == "quarter"


@pytest.fixture
def bare_wh(settings: Any, home: Path) -> Iterator[Any]:
    """A warehouse opened without after-ingest hooks: values go stale until recomputed."""
    from shucang.warehouse import Warehouse

    (home / "plans").mkdir(parents=True, exist_ok=True)
    (home / "plans" / "robots-plan.yaml").write_text(ROBOT_PLAN, encoding="utf-8")
    opened = Warehouse.open(settings)
    yield opened
    opened.close()


def test_recompute_follows_data_changes_with_lineage(bare_wh: Any) -> None:
    wh = bare_wh
    opts = IngestOptions(dataset="robots", department="jxj", synthetic=True)
    wh.ingest_arrow(robots("2019-05-01", "2020-03-01", "2022-06-30"), opts)
    report = planlib.recompute(wh, "robots-plan", actor="system:test")
    assert not [e for e in report["errors"] if e["metric"] == "m_robots"]
    first = values_of(wh, "robots")
    assert first == {"2020": 2.0, "2021": 2.0, "2022": 3.0, "2023": 3.0, "2024": 3.0, "2025": 3.0}
    v1 = wh.dataset("robots").current_version
    row = planlib.indicator_series(wh, "robots-plan", "robots")["values"][0]
    assert row["lineage"] == {"robots": v1} and row["source"] == "metric:m_robots"
    assert not planlib.indicator_series(wh, "robots-plan", "robots")["status"]["stale"]

    # new data arrives: the stored values are now stale, recompute moves them and audits the change
    wh.ingest_arrow(robots("2024-01-15", "2024-02-01", "2025-07-01", start=10), opts)
    assert planlib.indicator_series(wh, "robots-plan", "robots")["status"]["stale"]
    again = planlib.recompute(wh, "robots-plan", actor="system:test", stale_only=True)
    robots_entry = next(c for c in again["computed"] if c["indicator"] == "robots")
    assert robots_entry["changed"] == ["2024", "2025"]
    second = values_of(wh, "robots")
    assert second["2024"] == 5.0 and second["2025"] == 6.0 and second["2022"] == 3.0
    v2 = wh.dataset("robots").current_version
    assert v2 != v1
    latest = planlib.indicator_series(wh, "robots-plan", "robots")
    assert {v["lineage"]["robots"] for v in latest["values"]} == {v2}
    assert latest["status"]["status"] == "已完成" and not latest["status"]["stale"]
    audit = planlib.value_history(wh, "robots-plan", "robots")
    assert audit[0].action == "compute" and audit[0].lineage == {"robots": v2}
    assert any(a.old_value == 3.0 and a.new_value == 6.0 and a.period == "2025" for a in audit)

    # evaluated on a chosen (older) version
    pinned = planlib.recompute(wh, "robots-plan", actor="system:test", versions={"robots": v1})
    assert next(c for c in pinned["computed"] if c["indicator"] == "robots")["lineage"] == {"robots": v1}
    assert values_of(wh, "robots")["2025"] == 3.0

    # nothing changed in the data: a stale-only recompute does nothing... after catching up once
    planlib.recompute(wh, "robots-plan", actor="system:test")
    idle = planlib.recompute(wh, "robots-plan", actor="system:test", stale_only=True)
    assert idle["changed"] == 0


def test_hand_entered_values_survive_recompute_unless_forced(wh: Any) -> None:
    wh.ingest_arrow(robots("2020-03-01"), IngestOptions(dataset="robots"))
    planlib.set_actual(wh, "robots-plan", "robots", 2023, 42, actor="统计局", source="年报", confirm=True,
                       note="年报数，含新投运机器人")
    report = planlib.recompute(wh, "robots-plan")
    entry = next(c for c in report["computed"] if c["indicator"] == "robots")
    assert "2023" in entry["kept_manual"]
    assert values_of(wh, "robots")["2023"] == 42.0
    planlib.recompute(wh, "robots-plan", force=True)
    assert values_of(wh, "robots")["2023"] == 1.0


def test_open_data_rate_from_catalog(wh: Any) -> None:
    for name in ("a1", "a2", "a3", "a4"):
        wh.ingest_arrow(pa.table({"x": [1]}), IngestOptions(dataset=name))
    wh.update_dataset("a1", is_open=True)
    planlib.recompute(wh, "robots-plan", indicators=["open_rate"])
    (period, value), = values_of(wh, "open_rate").items()
    assert value == 25.0
    assert int(period) <= 2025
    wh.update_dataset("a2", is_open=True)
    assert planlib.indicator_series(wh, "robots-plan", "open_rate")["status"]["stale"]
    planlib.recompute(wh, "robots-plan", indicators=["open_rate"], stale_only=True)
    assert list(values_of(wh, "open_rate").values()) == [50.0]


def test_missing_dataset_is_a_reported_error_not_a_crash(wh: Any) -> None:
    report = planlib.recompute(wh, "robots-plan", indicators=["robots"])
    assert report["errors"] and "robots" in report["errors"][0]["error"]
    assert report["changed"] == 0


def test_after_ingest_hook_recomputes_that_datasets_metrics(bare_wh: Any) -> None:
    result = bare_wh.ingest_arrow(robots("2020-03-01", "2021-03-01"), IngestOptions(dataset="robots"))
    assert values_of(bare_wh, "robots") == {}
    plan_after_ingest(bare_wh, result)
    assert values_of(bare_wh, "robots")["2021"] == 2.0


def test_platform_warehouse_recomputes_on_ingest(wh: Any) -> None:
    """``open_warehouse`` wires the hook in: new data moves the computed values with no extra call."""
    opts = IngestOptions(dataset="robots")
    wh.ingest_arrow(robots("2020-03-01"), opts)
    assert values_of(wh, "robots")["2025"] == 1.0
    wh.ingest_arrow(robots("2023-03-01", "2024-03-01", start=5), opts)
    assert values_of(wh, "robots")["2025"] == 3.0
    series = planlib.indicator_series(wh, "robots-plan", "robots")
    assert not series["status"]["stale"]
    assert {v["lineage"]["robots"] for v in series["values"]} == {wh.dataset("robots").current_version}
    assert planlib.value_history(wh, "robots-plan", "robots")[0].actor == "system:after-ingest"


def test_status_contract_fields(wh: Any) -> None:
    planlib.set_actual(wh, "robots-plan", "manual_one", 2025, 9, actor="a")
    rows = {r.info["id"]: r.to_dict() for r in planlib.plan_status(wh, "robots-plan")}
    assert set(rows) == {"robots", "open_rate", "manual_one"}
    one = rows["manual_one"]
    for key in ("id", "name", "category", "unit", "baseline", "target", "latest", "latest_year", "completion",
                "status"):
        assert key in one
    assert one["baseline"] is None and one["latest"] == 9.0 and one["completion"] == pytest.approx(0.9)
    assert one["status"] == "基本完成"
    assert rows["robots"]["status"] == "无数据" and rows["robots"]["latest"] is None


def test_export_then_import_round_trip(wh: Any, tmp_path: Path) -> None:
    import openpyxl

    planlib.set_actual(wh, "robots-plan", "manual_one", 2021, 3, actor="a")
    out = planlib.export_template(wh, tmp_path / "t.xlsx", "robots-plan")
    book = openpyxl.load_workbook(out)
    sheet = book["填报"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["指标编号", "指标名称"] and "2025" in header
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    col = {h: i + 1 for i, h in enumerate(header)}
    assert sheet.cell(rows["manual_one"], col["2021"]).value == 3
    sheet.cell(rows["manual_one"], col["2024"]).value = 7
    sheet.cell(rows["manual_one"], col["2025"]).value = "8.5"
    sheet.cell(rows["robots"], col["2025"]).value = 99  # computed indicator: skipped
    book.save(out)
    report = planlib.import_actuals(wh, out, "robots-plan", actor="导入员")
    assert report["written"] == 2 and report["unchanged"] == 1 and report["skipped_computed"] == ["robots"]
    assert values_of(wh, "manual_one") == {"2021": 3.0, "2024": 7.0, "2025": 8.5}
    assert planlib.value_history(wh, "robots-plan", "manual_one")[0].source == "import:t.xlsx"
    again = planlib.import_actuals(wh, out, "robots-plan", actor="导入员")
    assert again["written"] == 0


def test_import_is_all_or_nothing_with_every_problem_listed(wh: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan: robots-plan\nvalues:\n  manual_one: {2021: 1, 2022: abc}\n  ghost: {2021: 1}\n"
                   "  robots: {2021: 2}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        planlib.import_actuals(wh, bad, actor="a", include_computed=True)
    message = info.value.message
    assert "bad.yaml:3" in message and "abc" in message and "ghost" in message and "nothing imported" in message
    assert values_of(wh, "manual_one") == {}
