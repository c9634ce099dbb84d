"""Core-industry plan metrics from GB/T 4754 industry codes, with the synthetic flag as the fallback
only where the data have no codes; the caliber used is stated with the value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from shucang import plan as planlib
from shucang.errors import InputError
from shucang.plan.industry_codes import digital_core
from shucang.plan.metrics import evaluate_metrics
from shucang.warehouse import IngestOptions

METRICS = ("m_digital_core_value_added", "m_digital_core_rd_ratio")
# (uscc, month, code, flag, added value, revenue, R&D) — flags and codes disagree on purpose, so a
# test can tell which caliber ran. By hand, after 《数字经济及其核心产业统计分类（2021）》: 3911 计算机整机
# (391), 6511 软件开发 (65), 3491 工业机器人 and 4011 (listed in part, counted whole) are core; 3851 家用
# 制冷电器, 3493 增材制造装备 and 3831 电线电缆 are not; a row without a code is not counted.
ROWS = [
    ("A", "2024-01-01", "3911", False, 100.0, 1000.0, 30.0),
    ("B", "2024-01-01", "3851", True, 200.0, 2000.0, 10.0),
    ("C", "2024-02-01", "6511", False, 50.0, 500.0, 20.0),
    ("D", "2024-03-01", "3493", True, 70.0, 700.0, 7.0),
    ("E", "2025-01-01", "3491", False, 40.0, 400.0, 12.0),
    ("F", "2025-01-01", "4011", False, 60.0, 600.0, 6.0),
    ("G", "2025-02-01", None, True, 500.0, 5000.0, 50.0),
    ("H", "2025-03-01", "3831", True, 30.0, 300.0, 3.0),
]
CORE_BY_HAND = {"A", "C", "E", "F"}


def table(rows: list[tuple[Any, ...]], *, codes: bool = True) -> pa.Table:
    cols: dict[str, Any] = {
        "uscc": [r[0] for r in rows],
        "month": pa.array([dt.date.fromisoformat(r[1]) for r in rows], pa.date32()),
        "is_digital_core": [r[3] for r in rows],
        "added_value": [r[4] for r in rows], "revenue": [r[5] for r in rows], "rd_expense": [r[6] for r in rows]}
    if codes:
        cols["industry_code"] = pa.array([r[2] for r in rows], pa.string())
    return pa.table(cols)


def by_hand(rows: list[tuple[Any, ...]], counted: set[str]) -> dict[str, dict[int, float]]:
    added: dict[int, float] = {}
    revenue: dict[int, float] = {}
    rd: dict[int, float] = {}
    for uscc, month, _, _, a, r, d in rows:
        if uscc in counted:
            y = int(month[:4])
            added[y] = added.get(y, 0.0) + a
            revenue[y] = revenue.get(y, 0.0) + r
            rd[y] = rd.get(y, 0.0) + d
    return {"m_digital_core_value_added": {y: round(v / 10000, 2) for y, v in added.items()},
            "m_digital_core_rd_ratio": {y: round(100 * rd[y] / revenue[y], 2) for y in revenue}}


@pytest.fixture
def bare_wh(settings: Any) -> Iterator[Any]:
    from shucang.warehouse import Warehouse

    opened = Warehouse.open(settings)
    yield opened
    opened.close()


def evaluate(wh: Any, data: pa.Table) -> dict[str, Any]:
    wh.ingest_arrow(data, IngestOptions(dataset="industrial_monthly", department="tjj", synthetic=True))
    plan = planlib.load_plan(wh)
    return evaluate_metrics(wh, plan, [plan.metric(m) for m in METRICS])


def test_hand_judged_rows_match_the_bundled_code_list() -> None:
    core = digital_core()
    assert {r[0] for r in ROWS if core.category_of(r[2])} == CORE_BY_HAND


def test_metrics_by_industry_code_agree_with_a_hand_computation(bare_wh: Any) -> None:
    results = evaluate(bare_wh, table(ROWS))
    expected = by_hand(ROWS, CORE_BY_HAND)
    for metric in METRICS:
        result = results[metric]
        assert not isinstance(result, Exception), result
        assert result.values == expected[metric]
        assert result.caliber == "industry_code"
        assert "industrial_monthly.industry_code" in result.caliber_note and "国家统计局" in result.caliber_note
    # the flag would have given other figures: the test tells the calibers apart
    assert by_hand(ROWS, {r[0] for r in ROWS if r[3]}) != expected


@pytest.mark.parametrize("codes", [False, True], ids=["no-code-column", "codes-all-empty"])
def test_flag_is_the_fallback_where_data_have_no_codes(bare_wh: Any, codes: bool) -> None:
    rows = ROWS if not codes else [(*r[:2], None, *r[3:]) for r in ROWS]
    results = evaluate(bare_wh, table(rows, codes=codes))
    expected = by_hand(ROWS, {r[0] for r in ROWS if r[3]})
    for metric in METRICS:
        result = results[metric]
        assert not isinstance(result, Exception), result
        assert result.values == expected[metric] and result.caliber == "flag"
        assert "标记" in result.caliber_note


def test_recompute_states_the_caliber_with_each_value(bare_wh: Any) -> None:
    bare_wh.ingest_arrow(table(ROWS), IngestOptions(dataset="industrial_monthly", synthetic=True))
    report = planlib.recompute(bare_wh, None, actor="system:test", indicators=["digital_core_value_added"])
    entry = next(c for c in report["computed"] if c["indicator"] == "digital_core_value_added")
    assert entry["caliber"] == "industry_code"
    values = planlib.indicator_series(bare_wh, None, "digital_core_value_added")["values"]
    assert values and all("按行业代码" in v["note"] for v in values)


def test_code_caliber_must_name_one_of_the_metrics_datasets() -> None:
    from shucang.plan.loader import parse_plan

    text = (Path(planlib.__file__).parent / "plans" / "cixi-14th.yaml").read_text(encoding="utf-8")
    broken = text.replace("      dataset: industrial_monthly\n      column: industry_code",
                          "      dataset: economy_monthly\n      column: industry_code", 1)
    assert broken != text
    with pytest.raises(InputError, match="by_industry_code.dataset"):
        parse_plan(broken, "cixi-14th.yaml")


def test_cli_recompute_names_the_caliber(bare_wh: Any, cli: Any) -> None:
    bare_wh.ingest_arrow(table(ROWS, codes=False), IngestOptions(dataset="industrial_monthly", synthetic=True))
    out = cli("plan", "recompute")
    assert out.exit_code == 0, out.stderr
    line = next(i for i, text in enumerate(out.stdout.splitlines()) if text.startswith("digital_core_value_added"))
    assert "标记" in out.stdout.splitlines()[line + 1]
    data = cli("plan", "recompute", "--force", "--json").json()
    assert {c["caliber"] for c in data["computed"] if c["metric"] in METRICS} == {"flag"}
