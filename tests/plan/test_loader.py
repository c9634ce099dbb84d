"""Plan-file validation: errors name the file, the line and the field; plans side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from shucang.errors import InputError, NotFound
from shucang.plan.loader import BUNDLED_DIR, discover_plans, find_plan, load_plan_file, parse_plan

VALID = """\
id: tiny
title: 小规划
period: {start: 2021, end: 2025}
categories:
  - {id: infra, name: 基础设施}
indicators:
  - id: stations
    name: 基站数量
    category: infra
    unit: 个
    baseline: {year: 2020, value: 100}
    target: {year: 2025, value: 200}
  - id: share
    name: 掌上办公比例
    category: infra
    unit: "%"
    baseline: {year: 2020, value: null, text: /}
    target: {year: 2025, value: 80}
metrics:
  - id: m_stations
    title: 基站
    datasets: [stations]
    sql: SELECT 2020 AS year, 1 AS value
"""


def errors_of(text: str) -> str:
    with pytest.raises(InputError) as info:
        parse_plan(text, "plan.yaml")
    return info.value.message


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_valid_plan_parses() -> None:
    plan = parse_plan(VALID, "plan.yaml")
    assert plan.id == "tiny" and plan.baseline_year == 2020
    assert plan.indicator("share").baseline is not None
    assert plan.indicator("share").baseline.value is None  # type: ignore[union-attr]
    assert plan.indicator("stations").target.value == 200.0


def test_wrong_type_names_line_and_path() -> None:
    bad = VALID.replace("target: {year: 2025, value: 200}", "target: {year: 2025, value: abc}")
    message = errors_of(bad)
    assert f"plan.yaml:{line_of(bad, 'value: abc')}: indicators[0].target.value" in message
    assert "'abc'" in message


def test_missing_required_field() -> None:
    bad = VALID.replace("    unit: 个\n", "")
    message = errors_of(bad)
    assert "indicators[0].unit" in message and "缺少" in message


def test_missing_baseline_value_must_be_explicit_null() -> None:
    bad = VALID.replace("baseline: {year: 2020, value: null, text: /}", "baseline: {year: 2020}")
    assert "indicators[1].baseline.value" in errors_of(bad)


def test_unknown_field_is_reported_not_ignored() -> None:
    bad = VALID.replace("    target: {year: 2025, value: 80}", "    taget: {year: 2025, value: 80}")
    message = errors_of(bad)
    assert "indicators[1].taget" in message and "未知字段" in message
    assert "indicators[1].target" in message  # and the real one is missing


def test_bad_enum_and_bad_id() -> None:
    bad = VALID.replace("    unit: 个\n", "    unit: 个\n    direction: up\n").replace("id: stations", "id: Stations!")
    message = errors_of(bad)
    assert "indicators[0].direction" in message and "higher | lower" in message
    assert "indicators[0].id" in message


def test_unknown_references_get_the_line_of_their_object() -> None:
    bad = VALID.replace("category: infra\n    unit: 个", "category: nope\n    unit: 个").replace(
        "    target: {year: 2025, value: 80}", "    target: {year: 2025, value: 80}\n    source: m_missing")
    message = errors_of(bad)
    assert f"plan.yaml:{line_of(bad, 'id: stations')}: stations.category" in message
    assert "m_missing" in message


def test_target_year_before_baseline() -> None:
    bad = VALID.replace("target: {year: 2025, value: 200}", "target: {year: 2019, value: 200}")
    assert "indicators[0].target.year" in errors_of(bad)


def test_duplicate_keys_and_ids() -> None:
    dup_key = VALID.replace("title: 小规划\n", "title: 小规划\ntitle: 又一个\n")
    assert f"plan.yaml:{line_of(dup_key, '又一个')}" in errors_of(dup_key)
    dup_id = VALID.replace("id: share", "id: stations")
    assert "duplicate indicator id" in errors_of(dup_id)


def test_yaml_syntax_error_has_line() -> None:
    bad = VALID.replace("  - {id: infra, name: 基础设施}", "  - {id: infra, name: 基础设施")
    message = errors_of(bad)
    assert message.startswith("plan.yaml:") and "YAML" in message


def test_metric_must_be_select_and_name_datasets() -> None:
    bad = VALID.replace("    datasets: [stations]\n", "").replace("sql: SELECT", "sql: DELETE FROM x; SELECT")
    message = errors_of(bad)
    assert "metrics[0].datasets" in message and "metrics[0].sql" in message


def test_all_errors_are_collected() -> None:
    bad = VALID.replace("value: 100}", "value: x}").replace("value: 80}", "value: y}")
    message = errors_of(bad)
    assert "2 处错误" in message or "(2 error(s))" in message


def test_not_a_mapping() -> None:
    with pytest.raises(InputError, match="mapping"):
        parse_plan("- a\n- b\n", "plan.yaml")


def test_plans_side_by_side_and_home_override(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "plans").mkdir(parents=True)
    (home / "plans" / "tiny.yaml").write_text(VALID, encoding="utf-8")
    (home / "plans" / "tiny-actuals.yaml").write_text("values: {}\n", encoding="utf-8")  # value file: skipped
    load_plan_file(BUNDLED_DIR / "cixi-14th.yaml", "file")  # a cached load elsewhere must not leak its origin
    plans = discover_plans(home)
    assert {"cixi-14th", "tiny"} <= set(plans)
    assert plans["tiny"].origin == "home" and plans["cixi-14th"].origin == "bundled"
    assert find_plan(home, "tiny").title == "小规划"
    override = VALID.replace("id: tiny", "id: cixi-14th").replace("小规划", "修订版")
    (home / "plans" / "cixi.yaml").write_text(override, encoding="utf-8")
    assert find_plan(home).title == "修订版"
    with pytest.raises(NotFound, match="nope"):
        find_plan(home, "nope")


def test_broken_plan_in_home_is_reported_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "broken.yaml").write_text(VALID.replace("value: 100}", "value: [1]}"), encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.yaml:\d+: indicators\[0\]\.baseline\.value"):
        discover_plans(tmp_path)
