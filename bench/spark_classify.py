"""Benchmark: a full-scan classification on the local engine vs the Spark engine (mapInArrow).

Both classify the same stored version of the wide synthetic (合成) table of the full-scan tests (16 columns:
names, ID numbers, phones, addresses, amounts, dates, free text, coordinates, a serial number, phones stored as floats…). The Spark
run uses ``--spark-master`` (default ``local[2]``: the same two cores, so this measures the engine's
overhead, not a cluster's gain); the session is started (and its Python workers warmed by one run) before
timing. Checks that both give the same types, levels, confidences and evidence; prints both times and the
ratio. Usage: ``python bench/spark_classify.py [--rows 200000] [--spark-master local[2]] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.classify.wide import wide_table  # noqa: E402

from shucang.classify import classify_table  # noqa: E402
from shucang.classify.scaleout import classify_on_spark  # noqa: E402
from shucang.platform import open_warehouse  # noqa: E402
from shucang.settings import Settings  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402
from shucang.warehouse.scaleout import spark_session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-spark-classify-"))
    print(f"building {args.rows:,} synthetic rows …", flush=True)
    wh = open_warehouse(Settings.load(work / "home"))
    table = wide_table(args.rows)
    wh.ingest_arrow(table, IngestOptions(dataset="wide", mode="replace", synthetic=True))
    version = wh.dataset("wide").current_version
    assert version is not None
    started = time.perf_counter()
    spark = spark_session(args.spark_master, app_name="shucang-bench")
    spark.range(1).count()
    print(f"Spark session ({args.spark_master}) up in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    classify_on_spark(wh, spark, "wide", version)
    print(f"first Spark classification (starts the Python workers): {time.perf_counter() - started:.1f} s")

    def columns(result):  # type: ignore[no-untyped-def]
        return [(c.name, c.type, c.level, c.confidence, c.evidence) for c in result.columns]

    local_times, spark_times = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        local = classify_table(wh.read_arrow("wide", version), sample_rows=None, full=True)
        local_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        on_spark = classify_on_spark(wh, spark, "wide", version)
        spark_times.append(time.perf_counter() - start)
        assert columns(on_spark) == columns(local), "the engines disagree"
    cells = args.rows * table.num_columns
    t_local, t_spark = statistics.median(local_times), statistics.median(spark_times)
    print(f"local engine (read + full scan): {t_local:.2f} s = {cells / t_local / 1e6:.2f} M cells/s")
    print(f"Spark engine (sample on the driver + two mapInArrow passes): {t_spark:.2f} s = "
          f"{cells / t_spark / 1e6:.2f} M cells/s")
    print(f"ratio Spark / local: {t_local / t_spark:.2f}× (same types, levels, confidences and evidence)")
    spark.stop()
    wh.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
