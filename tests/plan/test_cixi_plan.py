"""The bundled Cixi plan against the plan text: every number of the main table, and the text targets."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from shucang.plan.loader import BUNDLED_DIR, find_plan, load_plan_file
from shucang.plan.model import Plan

CASES = Path(__file__).parents[1] / "cases" / "plan"
TEXT = (CASES / "cixi-digital-economy-14th-five-year-plan.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan_file(BUNDLED_DIR / "cixi-14th.yaml")


def main_table_rows() -> list[tuple[str, str, str, str, str]]:
    """(category, name, unit, 2020, 2025) rows parsed from the table in the text; category carried down."""
    start = TEXT.index("主要目标表")
    end = TEXT.index("三、空间布局")
    blocks = [b for b in TEXT[start:end].split("\n\n")[1:] if b.strip()]
    rows = []
    category = ""
    for block in blocks:
        cells = [c.replace("\n", "").strip() for c in block.lstrip("\t").split("\n\t")]
        assert len(cells) == 5, cells
        category = cells[0] or category
        rows.append((category, *cells[1:]))
    return rows


def test_text_table_is_what_we_think_it_is() -> None:
    rows = main_table_rows()
    assert len(rows) == 23
    assert len({r[0] for r in rows}) == 6


def test_every_number_of_the_main_table(plan: Plan) -> None:
    rows = main_table_rows()
    assert [i.name for i in plan.indicators] == [r[1] for r in rows]
    for ind, (category, name, unit, base, target) in zip(plan.indicators, rows, strict=True):
        assert plan.category_name(ind.category) == category, name
        assert ind.unit == unit, name
        assert ind.baseline is not None and ind.baseline.year == 2020
        if base == "/":
            assert ind.baseline.value is None, f"{name}: '/' must stay missing, not zero"
        else:
            assert ind.baseline.value is not None
            assert Decimal(str(ind.baseline.value)) == Decimal(base), name
        assert ind.target.year == 2025
        assert Decimal(str(ind.target.value)) == Decimal(target), name


def test_category_order_matches_text(plan: Plan) -> None:
    seen: list[str] = []
    for category, *_ in main_table_rows():
        if category not in seen:
            seen.append(category)
    assert [c.name for c in plan.categories] == seen


def test_indicator_ids_are_stable_ascii_and_unique(plan: Plan) -> None:
    ids = [i.id for i in plan.all_indicators()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)


def _number_in(phrase: str) -> list[Decimal]:
    return [Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", phrase)]


def test_text_targets_quote_the_text_and_carry_its_figures(plan: Plan) -> None:
    assert len(plan.targets) >= 20
    for ind in plan.targets:
        phrase = ind.target.text
        assert phrase, f"{ind.id}: no printed phrase"
        assert phrase in TEXT, f"{ind.id}: {phrase!r} not in the plan text"
        figures = _number_in(phrase)
        assert Decimal(str(ind.target.value)) in figures, f"{ind.id}: {ind.target.value} not in {phrase!r}"
        if ind.target.upper is not None:
            assert Decimal(str(ind.target.upper)) in figures


@pytest.mark.parametrize(("ind_id", "value"), [
    ("high_tech_industry_share", 70), ("new_product_output_rate", 42), ("invention_patents_per_10bn_revenue", 155),
    ("benchmark_iip_platforms", 3), ("industry_iip_platforms", 5), ("enterprise_iip_platforms", 10),
    ("future_factories", 3), ("smart_appliance_chain_output", 1000), ("smart_equipment_chain_output", 100),
    ("ai_output_value", 50), ("tech_unicorns_bay_park", 2), ("qianwan_yitao_enterprises", 70),
    ("qianwan_yitao_startups_incubated", 50), ("qianwan_yitao_brands_incubated", 50),
    ("digital_plant_factories", 3), ("digital_ranches", 3), ("digital_fisheries", 1),
    ("provincial_key_labs", 2), ("provincial_new_rd_institutions", 2), ("national_iip_platforms", 3),
    ("unicorn_pipeline_enterprises", 10), ("unicorns_graduated", 2), ("benchmark_smart_factories", 3),
    ("ningbo_digital_workshops", 30), ("key_product_digitalization_rate", 70),
])
def test_named_text_targets(plan: Plan, ind_id: str, value: float) -> None:
    assert plan.indicator(ind_id).target.value == value


def test_ranges_and_about_targets(plan: Plan) -> None:
    fish = plan.indicator("digital_fisheries")
    assert (fish.target.value, fish.target.upper, fish.target_kind) == (1, 2, "about")
    assert plan.indicator("digital_plant_factories").target_kind == "about"
    assert plan.indicator("unicorn_pipeline_enterprises").target_kind == "about"


def test_zones_tasks_projects(plan: Plan) -> None:
    assert [z.id for z in plan.zones] == ["core", "belt_appliance", "belt_coastal", "park_small_appliance",
                                          "park_bay_smart", "park_agri"]
    towns = {z.id: z.towns for z in plan.zones}
    assert set(towns["park_small_appliance"]) == {"周巷镇", "长河镇"}
    assert towns["park_bay_smart"] == ("白沙路街道",)
    for zone in plan.zones:
        assert zone.name.replace("（“一核”）", "") in TEXT or zone.id == "core"
    assert len(plan.tasks) == 5
    for task in plan.all_tasks():
        assert task.title in TEXT, task.title
    assert [p.number for p in plan.projects] == list(range(1, 13))
    for proj in plan.projects:
        assert f"专栏{proj.number}：{proj.title}" in TEXT
    # every project is reached from the task tree
    linked = {p for t in plan.all_tasks() for p in t.projects}
    assert linked == {p.id for p in plan.projects}


def test_facts_appear_in_text(plan: Plan) -> None:
    for fact in plan.facts:
        printed = f"{Decimal(str(fact.value)).normalize():f}"
        assert printed in TEXT, fact.id


def test_metrics_cover_at_least_eight_main_indicators(plan: Plan) -> None:
    computed = [i for i in plan.indicators if i.metric]
    assert len(computed) >= 9
    assert plan.indicator("public_data_open_rate").metric == "m_public_data_open_rate"
    for ind in computed:
        metric = plan.metric(ind.metric or "")
        assert metric.kind == "catalog" or metric.datasets


def test_index_covers_main_table_except_the_official_value(plan: Plan) -> None:
    assert plan.index is not None and plan.index.official_indicator == "digital_economy_index"
    used = {c.indicator for d in plan.index.dimensions for c in d.components}
    assert used == {i.id for i in plan.indicators} - {"digital_economy_index"}
    assert len(plan.index.dimensions) == 5


def test_default_plan_is_cixi(tmp_path: Path) -> None:
    assert find_plan(tmp_path).id == "cixi-14th"
    assert find_plan(None).id == "cixi-14th"
