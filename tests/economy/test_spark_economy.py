"""``economy yoy|watch|mujun --engine spark``: the per-enterprise passes on a local[2] Spark session (one for the
module) give the local engine's JSON exactly — every ``--by``, both calibers, chains, text and numeric
measures, the first and last month, every watch rule, the 亩均 evaluation — on a generated report of 3,000 enterprises over two
years (~64,000 rows, corrections, gaps, entries and exits, three period spellings, amounts written with
thousands separators).

Skipped when pyspark or a Java runtime is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from tests.spark import require_spark

require_spark()

from tests.conftest import invoke_cli, opened_warehouse  # noqa: E402
from tests.economy.generated import monthly_table  # noqa: E402

from shucang.economy import bind_dataset, yoy  # noqa: E402
from shucang.economy.mujun import evaluate as mujun  # noqa: E402
from shucang.economy.scaleout import yoy_on_spark  # noqa: E402
from shucang.economy.watch import KINDS, evaluate, load_rules  # noqa: E402
from shucang.economy.yoy import BY, CALIBERS  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402

ENTERPRISES = 3000


def _land(enterprises: int) -> pa.Table:
    """A yearly 亩均 input table for the first enterprises of the generated report (some inputs missing)."""
    rng = np.random.default_rng(7)
    n = enterprises * 2

    def amounts(scale: float) -> pa.Array:
        return pa.array(np.where(rng.random(n) < 0.03, np.nan, np.round(rng.gamma(2.0, scale, n), 1)),
                        from_pandas=True)

    return pa.table({"统一社会信用代码": [f"91330282G{i % enterprises:08d}X" for i in range(n)],
                     "企业名称": [f"合成企业{i % enterprises}有限公司" for i in range(n)],
                     "年度": [2024 + i // enterprises for i in range(n)], "用地面积(亩)": amounts(20.0),
                     "税收实际贡献(万元)": amounts(150.0), "工业增加值(万元)": amounts(900.0),
                     "营业收入(万元)": amounts(4000.0), "研发经费(万元)": amounts(120.0),
                     "综合能耗(吨标准煤)": amounts(600.0), "年平均职工人数(人)": amounts(60.0)})


def _typed(table: pa.Table) -> pa.Table:
    """The same report with native types: the period a number (202506), the report time a timestamp, the output
    a double — the other branches of the period and number expressions, and timestamps crossing Spark."""
    import pyarrow.compute as pc

    digits = pc.replace_substring_regex(table["统计月份"], r"[年月-]", "")
    period = pc.if_else(pc.equal(pc.utf8_length(digits), 5),
                        pc.binary_join_element_wise(pc.utf8_slice_codeunits(digits, 0, 4), "0",
                                                    pc.utf8_slice_codeunits(digits, 4), ""), digits)
    return (table.set_column(2, "统计月份", pc.cast(period, pa.int64()))
            .set_column(6, "填报时间", pc.strptime(table["填报时间"], "%Y-%m-%d %H:%M:%S", "us"))
            .set_column(7, "工业总产值（万元）", pc.cast(pc.replace_substring(table["工业总产值（万元）"], ",", ""),
                                                     pa.float64())))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("spark-economy") / "home"
    with opened_warehouse(home) as wh:
        table = monthly_table(ENTERPRISES)
        # version 1 holds a third of the rows: Spark must read the version the catalog names now (2)
        wh.ingest_arrow(table.slice(0, table.num_rows // 3), IngestOptions(dataset="monthly", mode="replace",
                                                                            synthetic=True))
        wh.ingest_arrow(table, IngestOptions(dataset="monthly", mode="replace", synthetic=True))
        bind_dataset(wh, "monthly")
        wh.ingest_arrow(_land(800), IngestOptions(dataset="land", mode="replace", synthetic=True))
        wh.ingest_arrow(_typed(table.slice(0, 20_000)), IngestOptions(dataset="typed", mode="replace",
                                                                       synthetic=True))
        bind_dataset(wh, "typed")
    return home


@pytest.fixture(scope="module")
def wh(home: Path) -> Iterator[Any]:
    with opened_warehouse(home) as warehouse:
        yield warehouse


@pytest.mark.parametrize("caliber", CALIBERS)
@pytest.mark.parametrize("by", BY)
def test_spark_gives_the_local_json(spark: Any, wh: Any, by: str, caliber: str) -> None:
    local = yoy(wh, "monthly", "output", "2025-06", by=by, caliber=caliber)
    on_spark = yoy_on_spark(wh, spark, "monthly", "output", "2025-06", by=by, caliber=caliber)
    assert on_spark == local
    assert list(on_spark) == list(local)  # the same keys in the same order: the CLI prints them as they come
    assert on_spark["version"] == 2
    # the comparison has something to compare: most enterprises, real groups, a real YoY
    assert local["total"]["enterprises"] > ENTERPRISES * 0.6
    assert local["total"]["yoy_pct"] is not None
    if by != "none":
        assert len(local["rows"]) >= 4


@pytest.mark.parametrize(("measure", "period", "caliber"), [
    ("electricity", "2025-06", "comparable"),  # a numeric column (no sc_number)
    ("output", "2025-01", "all"), ("output", "2025-12", "comparable"),  # the first and the last month
    ("output", "2024-06", "all"),  # nothing the year before: previous 0, yoy null
])
def test_spark_gives_the_local_json_for_other_measures_and_months(spark: Any, wh: Any, measure: str, period: str,
                                                                   caliber: str) -> None:
    local = yoy(wh, "monthly", measure, period, by="chain", caliber=caliber)
    assert yoy_on_spark(wh, spark, "monthly", measure, period, by="chain", caliber=caliber) == local
    assert local["rows"]


@pytest.mark.parametrize("by", ["chain", "size"])
def test_native_types_give_the_local_json(spark: Any, wh: Any, by: str) -> None:
    from shucang.economy.binding import load_binding

    b = load_binding(wh, "typed")
    types = {c.name: c.storage_type for c in wh.columns("typed")}
    assert types["统计月份"].startswith("int") and types["填报时间"].startswith("timestamp"), types
    assert b.column("report_time") == "填报时间"
    local = yoy(wh, "typed", "output", "2025-03", by=by, caliber="comparable")
    assert local["total"]["enterprises"] > 100
    assert yoy_on_spark(wh, spark, "typed", "output", "2025-03", by=by, caliber="comparable") == local


def test_any_number_of_enterprise_partitions_gives_the_same_figures(spark: Any, wh: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.economy import scaleout

    local = yoy(wh, "monthly", "output", "2025-06", by="industry", caliber="comparable")
    assert yoy_on_spark(wh, spark, "monthly", "output", "2025-06", by="industry", partitions=1) == local
    monkeypatch.setattr(scaleout, "ROWS_PER_PARTITION", 4_000)  # a big version: more partitions than the session's
    assert scaleout._partitions(spark, wh, "monthly", 2) >= 15
    assert yoy_on_spark(wh, spark, "monthly", "output", "2025-06", by="industry") == local


def test_cli_engine_spark(spark: Any, home: Path) -> None:
    args = ("economy", "yoy", "-d", "monthly", "-p", "2025-09", "--by", "town", "--caliber", "all", "--json")
    local = invoke_cli(home, *args)
    on_spark = invoke_cli(home, *args, "--engine", "spark", "--spark-master", "local[2]")
    assert local.exit_code == 0 and on_spark.exit_code == 0, on_spark.stderr
    assert on_spark.json() == local.json()
    assert on_spark.json()["rows"]
    wrong = invoke_cli(home, *args, "--engine", "flink")
    assert wrong.exit_code != 0 and "unknown engine" in wrong.stdout + wrong.stderr


def test_watch_rules_on_spark_give_the_local_alerts(spark: Any, wh: Any) -> None:
    kinds = {r.id: r.kind for r in load_rules(wh.settings.home)}
    raised: set[str] = set()
    for period in (None, "2025-06"):
        local = evaluate(wh, "monthly", period=period)
        assert evaluate(wh, "monthly", period=period, spark=spark) == local
        raised |= {kinds[a["rule"]] for a in local["alerts"]}
    assert raised == set(KINDS)  # every kind of rule had alerts to compare


def test_cli_watch_engine_spark(spark: Any, home: Path) -> None:
    local = invoke_cli(home, "economy", "watch", "-d", "monthly", "--json")
    on_spark = invoke_cli(home, "economy", "watch", "-d", "monthly", "--json", "--engine", "spark")
    assert local.exit_code == 0 and on_spark.exit_code == 0, on_spark.stderr
    assert on_spark.json() == local.json() and local.json()["alerts"]
    stored = invoke_cli(home, "economy", "alerts", "-d", "monthly", "--json")
    assert len(stored.json()) == len(local.json()["alerts"])


def test_mujun_on_spark_gives_the_local_evaluation(spark: Any, wh: Any, home: Path) -> None:
    local = mujun(wh, 2025, dataset="land")
    assert mujun(wh, 2025, dataset="land", spark=spark) == local
    assert len(local["evaluated"]) > 600 and local["not_evaluable"]
    # the monthly report's latest attributes joined in (what Spark computed)
    assert len({e["town"] for e in local["evaluated"]} - {None}) >= 5
    assert len({e["industry"] for e in local["evaluated"]} - {None}) >= 10
    cli = invoke_cli(home, "economy", "mujun", "--year", "2024", "-d", "land", "--json", "--engine", "spark")
    assert cli.exit_code == 0, cli.stderr
    assert cli.json() == mujun(wh, 2024, dataset="land")
