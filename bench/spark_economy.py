"""Benchmark: ``economy yoy`` on the local engine vs the Spark engine (per-enterprise reduction on Spark).

Both compute the same cumulative YoY figures over the same stored version of a generated (合成) monthly report
(``tests/economy/generated.py``: about 21 rows per enterprise over two years, corrections, gaps, text periods,
amounts with thousands separators). The Spark run uses ``--spark-master`` (default ``local[2]``: the same two
cores, so this measures the engine's overhead, not a cluster's gain); the session is started and its Python
workers warmed by one run before timing. Prints both times, the ratio, and whether the JSON is identical for
every ``--by`` and both calibers; then the same for ``economy watch`` (every rule, once); then the local
time of three queries shaped like the plan's metrics. Usage:
``python bench/spark_economy.py [--rows 1000000] [--spark-master local[2]] [--repeat 2] [--period 2025-06]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
# Spark's Python workers are new processes: they import this checkout's shucang too
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH")) if p)

from tests.economy.generated import monthly_table  # noqa: E402

from shucang.economy import bind_dataset, yoy  # noqa: E402
from shucang.economy.scaleout import yoy_on_spark  # noqa: E402
from shucang.economy.watch import evaluate  # noqa: E402
from shucang.economy.yoy import BY, CALIBERS  # noqa: E402
from shucang.platform import open_warehouse  # noqa: E402
from shucang.settings import Settings  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402
from shucang.warehouse.scaleout import spark_session  # noqa: E402

ROWS_PER_ENTERPRISE = 21.3
METRIC_SHAPED = {
    "yearly sum, numeric column": 'SELECT CAST(left("统计月份", 4) AS INTEGER) AS year, '
                                  'sum(TRY_CAST("用电量(万千瓦时)" AS DOUBLE)) AS value FROM monthly GROUP BY 1 ORDER BY 1',
    "yearly sum through sc_number": 'SELECT CAST(left("统计月份", 4) AS INTEGER) AS year, '
                                    'sum(sc_number("工业总产值（万元）")) / 10000 AS value FROM monthly GROUP BY 1 ORDER BY 1',
    "distinct enterprises at six year-ends": (
        "WITH years AS (SELECT CAST(unnest(generate_series(2020, 2025)) AS INTEGER) AS year) "
        'SELECT y.year, count(DISTINCT m."统一社会信用代码") AS value FROM years y LEFT JOIN monthly m '
        'ON CAST(left(m."统计月份", 4) AS INTEGER) <= y.year GROUP BY 1 ORDER BY 1'),
}
"""Queries shaped like the plan's metrics (docs/sources.md says why those stay on the local engine)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--period", default="2025-06")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-spark-economy-"))
    wh = open_warehouse(Settings.load(work / "home"))
    started = time.perf_counter()
    table = monthly_table(max(1, round(args.rows / ROWS_PER_ENTERPRISE)))
    wh.ingest_arrow(table, IngestOptions(dataset="monthly", mode="replace", synthetic=True))
    bind_dataset(wh, "monthly")
    enterprises = yoy(wh, "monthly", "output", args.period, by="none", caliber="all")["total"]["enterprises"]
    print(f"{table.num_rows:,} synthetic monthly rows ({enterprises:,} enterprises in the window) generated and "
          f"ingested in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    spark = spark_session(args.spark_master, app_name="shucang-bench")
    spark.range(1).count()
    print(f"Spark session ({args.spark_master}) up in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    yoy_on_spark(wh, spark, "monthly", "output", args.period, by="town")
    print(f"first Spark YoY (starts the Python workers): {time.perf_counter() - started:.1f} s", flush=True)

    local_times, spark_times = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        local = yoy(wh, "monthly", "output", args.period, by="town")
        local_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        on_spark = yoy_on_spark(wh, spark, "monthly", "output", args.period, by="town")
        spark_times.append(time.perf_counter() - start)
        assert on_spark == local, "the engines disagree"
    start = time.perf_counter()
    watch_local = evaluate(wh, "monthly")
    t_watch_local = time.perf_counter() - start
    start = time.perf_counter()
    watch_spark = evaluate(wh, "monthly", spark=spark)
    t_watch_spark = time.perf_counter() - start
    differ = [("watch", "")] if watch_spark != watch_local else []
    differ += [(by, caliber) for by in BY for caliber in CALIBERS
              if yoy(wh, "monthly", "output", args.period, by=by, caliber=caliber)
              != yoy_on_spark(wh, spark, "monthly", "output", args.period, by=by, caliber=caliber)]
    t_local, t_spark = statistics.median(local_times), statistics.median(spark_times)
    print(f"local engine (DuckDB, one query): {t_local:.2f} s = {table.num_rows / t_local / 1e6:.2f} M rows/s")
    print(f"Spark engine (two mapInArrow steps + shuffle, grouping on the driver): {t_spark:.2f} s = "
          f"{table.num_rows / t_spark / 1e6:.2f} M rows/s")
    print(f"ratio Spark / local: {t_local / t_spark:.2f}×")
    print(f"economy watch ({len(watch_local['alerts'])} alerts): local {t_watch_local:.2f} s, Spark "
          f"{t_watch_spark:.2f} s, ratio {t_watch_local / t_watch_spark:.2f}×")
    print("identical JSON (yoy: every --by and both calibers; watch: every rule): "
          + ("yes" if not differ else f"NO, differ: {differ}"))
    con = wh.connect(only=["monthly"])
    for label, sql in METRIC_SHAPED.items():
        con.sql(sql).fetchall()
        start = time.perf_counter()
        con.sql(sql).fetchall()
        print(f"metric-shaped query, local ({label}): {time.perf_counter() - start:.2f} s")
    con.close()
    spark.stop()
    wh.close()
    shutil.rmtree(work, ignore_errors=True)
    if differ:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
