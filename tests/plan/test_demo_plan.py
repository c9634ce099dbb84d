"""The demo warehouse wired into the Cixi plan: computed 2020 values equal the plan's baselines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shucang import plan as planlib


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A small demo warehouse (scale 0.01 keeps every designed metric), seeded once per module."""
    from shucang.demo import build_demo
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    wh = open_warehouse(Settings.load(tmp_path_factory.mktemp("plan-demo") / "home"))
    build_demo(wh, scale=0.01)
    planlib.seed_demo_plan(wh)
    yield wh
    wh.close()


def test_demo_metrics_reproduce_baselines_and_show_every_status(seeded: Any) -> None:
    plan = planlib.load_plan(seeded)
    rows = {r.info["id"]: r.to_dict() for r in planlib.plan_status(seeded)}
    assert all(r["status"] != "无数据" for r in rows.values())
    matching = []
    for ind in plan.indicators:
        if not ind.metric or ind.metric == "m_public_data_open_rate":
            continue
        series = {v["period"]: v for v in planlib.indicator_series(seeded, None, ind.id)["values"]}
        assert set(series) >= {"2020", "2021", "2022", "2023", "2024", "2025"}, ind.id
        assert all(v["source"] == f"metric:{ind.metric}" and v["lineage"] for v in series.values())
        assert ind.baseline is not None
        if series["2020"]["value"] == ind.baseline.value:
            matching.append(ind.id)
    assert len(matching) >= 8, matching
    assert rows["public_data_open_rate"]["latest"] is not None
    assert {i for i, r in rows.items() if r["baseline_actual"] == r["baseline"]} >= set(matching)
    statuses = {r["status"] for r in rows.values()}
    assert statuses >= {"已完成", "基本完成", "滞后"}
    synthetic = [r for r in rows.values() if r["latest_source"] == "synthetic"]
    assert synthetic and all(not plan.indicator(r["id"]).metric for r in synthetic)
    every = {r.info["id"]: r.assessment.status for r in planlib.plan_status(seeded, scope="all")}
    assert every["unicorns_graduated"] == "无数据"


def test_seeding_twice_changes_nothing(seeded: Any) -> None:
    before = len(planlib.value_history(seeded, limit=10_000))
    planlib.seed_demo_plan(seeded)
    assert len(planlib.value_history(seeded, limit=10_000)) == before
    assert not any(r.stale for r in planlib.plan_status(seeded))


def test_demo_core_industry_metrics_are_computed_from_industry_codes(seeded: Any) -> None:
    """The demo's 规上工业企业月报 carries GB/T 4754 codes, so the core-industry metrics use them (and
    still give the designed series: the codes agree with the registry's flag) and say so."""
    from shucang.demo.design import metric_values

    for indicator, design in (("digital_core_value_added", "digital_core_value_added"),
                              ("digital_core_rd_ratio", "digital_core_rd_ratio")):
        values = {v["period"]: v for v in planlib.indicator_series(seeded, None, indicator)["values"]}
        assert {int(p): v["value"] for p, v in values.items()} == metric_values(design)
        assert all("按行业代码" in v["note"] and "数字经济及其核心产业统计分类" in v["note"] for v in values.values())
