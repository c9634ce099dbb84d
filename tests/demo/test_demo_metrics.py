"""Every metric of docs/demo-datasets.md, computed with DuckDB over the generated Arrow tables,
equals the designed yearly values — at scale 1 and at a small scale."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from shucang.demo import METRICS, YEARS, DemoTable, generate_tables
from shucang.demo.design import METRIC_BY_ID

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-datasets.md"
Connect = Callable[[dict[str, DemoTable]], duckdb.DuckDBPyConnection]
METRIC_BLOCK = re.compile(r"```sql\n-- metric: (\w+)\n(.*?)```", re.S)


def doc_metric_sql() -> dict[str, str]:
    return {m.group(1): m.group(2).strip() for m in METRIC_BLOCK.finditer(DOC.read_text(encoding="utf-8"))}


def compute(con: duckdb.DuckDBPyConnection, sql: str) -> dict[int, float]:
    return {year: con.execute(sql, {"year": year}).fetchone()[0] for year in YEARS}


def test_doc_has_sql_for_every_designed_metric() -> None:
    assert set(doc_metric_sql()) == {m.id for m in METRICS}


@pytest.mark.parametrize("metric_id", [m.id for m in METRICS])
def test_metric_equals_design(demo_db: duckdb.DuckDBPyConnection, metric_id: str) -> None:
    metric = METRIC_BY_ID[metric_id]
    got = compute(demo_db, doc_metric_sql()[metric_id])
    rounded = {y: round(v, metric.decimals) if metric.decimals else v for y, v in got.items()}
    assert rounded == metric.by_year()


def test_integer_amounts_are_exact_without_rounding(demo_db: duckdb.DuckDBPyConnection) -> None:
    """Value added is built from whole 万元, so even the unrounded float equals the design."""
    got = compute(demo_db, doc_metric_sql()["digital_core_value_added"])
    assert got == METRIC_BY_ID["digital_core_value_added"].by_year()


def test_tiny_scale_keeps_the_metrics(demo_connect: Connect) -> None:
    tables: dict[str, DemoTable] = generate_tables(scale=0.01, seed=7)
    con = demo_connect(tables)
    sql = doc_metric_sql()
    for metric in METRICS:
        got = compute(con, sql[metric.id])
        assert {y: round(v, metric.decimals) if metric.decimals else v for y, v in got.items()} == metric.by_year(), metric.id


def test_statuses_are_varied() -> None:
    """The design must show met and lagging indicators, not one uniform trend."""
    met = [m for m in METRICS if m.values[-1] >= m.target]
    lagging = [m for m in METRICS if (m.values[-1] - m.values[0]) < 0.8 * (m.target - m.values[0])]
    assert len(met) >= 4 and len(lagging) >= 3
    for m in METRICS:  # every series moves towards its target, never backwards
        assert list(m.values) == sorted(m.values), m.id


def test_plan_metrics_reproduce_designed_series(demo_small: dict[str, DemoTable], demo_connect: Connect) -> None:
    """The plan stage's metric SQL (cixi-14th.yaml), run on the demo tables, gives one of our series."""
    yaml = pytest.importorskip("yaml")
    plan_file = Path(__file__).resolve().parents[2] / "src" / "shucang" / "plan" / "plans" / "cixi-14th.yaml"
    if not plan_file.exists():
        pytest.skip("the bundled plan is not there yet")
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    con = demo_connect(demo_small)
    from shucang.plan import industry_codes

    industry_codes.register(con)
    designed = [m.by_year() for m in METRICS]
    checked = 0
    metrics = plan.get("metrics") or []
    by_code = [{**m, "id": m["id"] + "(by_industry_code)", "sql": m["by_industry_code"]["sql"]}
               for m in metrics if m.get("by_industry_code")]
    assert by_code, "the core-industry metrics compute from industry codes where the data have them"
    for metric in [*metrics, *by_code]:
        if not metric.get("sql") or not set(metric.get("datasets", [])) <= set(demo_small):
            continue
        rows = con.execute(metric["sql"]).fetchall()
        decimals = metric.get("decimals")
        series = {int(y): (round(v, 1 if decimals is None else min(decimals, 2)) if isinstance(v, float) else v)
                  for y, v in rows if int(y) in YEARS}
        matches = [d for d in designed
                   if all(round(float(series.get(y, float("nan"))) - float(v), 6) == 0 for y, v in d.items())]
        assert matches, f"plan metric {metric['id']} gives {series}, which is no designed series"
        checked += 1
    assert checked >= 8
