"""The plan stamp changes exactly when a plan figure can have changed: a value written, a plan file
added, a revision (the overview page is memoised on it)."""

from __future__ import annotations

from typing import Any

from shucang.plan.stamp import plan_stamp
from shucang.plan.store import parse_period, write_value


def test_the_stamp_moves_with_values_and_plan_files(warehouse: Any) -> None:
    first = plan_stamp(warehouse)
    assert first == plan_stamp(warehouse)  # nothing changed: equal stamps
    write_value(warehouse.engine, "p", "i", parse_period(2024), 1.0, actor="t", source="manual")
    second = plan_stamp(warehouse)
    assert second != first and second.value_changes == first.value_changes + 1
    write_value(warehouse.engine, "p", "i", parse_period(2024), 1.0, actor="t", source="manual")
    assert plan_stamp(warehouse) == second  # an unchanged value writes no audit row
    plans = warehouse.settings.home / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    (plans / "x.yaml").write_text("id: x\n", encoding="utf-8")
    third = plan_stamp(warehouse)
    assert third != second and [name for name, _ns in third.plan_files] == ["x.yaml"]
