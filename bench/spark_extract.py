"""Benchmark: a masked + fingerprinted extract on the local engine vs the Spark engine (mapInArrow).

Both release the same stored version of a synthetic (合成) people table to a clearance-2 recipient and
write Parquet; the Spark run uses ``--spark-master`` (default ``local[2]``: the same two cores, so this
measures the engine's overhead, not a cluster's gain). The Spark session is started before timing
(a cluster keeps one running); its start-up time is printed separately. Checks that both extracts have
the same rows and the same pseudonyms. Prints both times and their ratio.
Usage: ``python bench/spark_extract.py [--rows 1000000] [--spark-master local[2]] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import pyarrow.parquet as pq  # noqa: E402
from tests.protect.helpers import GRADES, people  # noqa: E402

from shucang.classify.store import override_column  # noqa: E402
from shucang.platform import open_warehouse  # noqa: E402
from shucang.protect import ExtractOptions, extract_dataset, upsert_recipient  # noqa: E402
from shucang.settings import Settings  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402
from shucang.warehouse.scaleout import spark_session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-spark-"))
    print(f"building {args.rows:,} synthetic rows …", flush=True)
    wh = open_warehouse(Settings.load(work / "home"))
    wh.ingest_arrow(people(args.rows), IngestOptions(dataset="people", mode="replace", synthetic=True))
    for column, (kind, level) in GRADES.items():
        override_column(wh, "people", column, type=kind, level=level, who="bench", why="pinned")
    upsert_recipient(wh, "tjj", clearance=2)
    started = time.perf_counter()
    spark = spark_session(args.spark_master, app_name="shucang-bench")
    spark.range(1).count()
    print(f"Spark session ({args.spark_master}) up in {time.perf_counter() - started:.1f} s")

    def run(engine: str, n: int) -> tuple[float, dict]:
        out = work / f"{engine}-{n}.parquet"
        start = time.perf_counter()
        result = extract_dataset(wh, ExtractOptions(dataset="people", recipient="tjj", out=out, decoys=False,
                                                    engine=engine, spark_master=args.spark_master))
        return time.perf_counter() - start, result

    local_times, spark_times = [], []
    for n in range(args.repeat):
        seconds, local = run("local", n)
        local_times.append(seconds)
        seconds, on_spark = run("spark", n)
        spark_times.append(seconds)
    assert local["rows"] == on_spark["rows"] == args.rows
    pseudo = [c for c, s in local["strategies"].items() if s in ("pseudonym", "hash")]
    left = pq.read_table(local["path"], columns=pseudo).sort_by([(c, "ascending") for c in pseudo])
    right = pq.read_table(on_spark["path"], columns=pseudo).sort_by([(c, "ascending") for c in pseudo])
    assert left.equals(right), "the two engines disagree"
    lt, st = statistics.median(local_times), statistics.median(spark_times)
    print(f"local engine : {lt:6.2f} s  ({args.rows / lt:,.0f} rows/s)")
    print(f"spark engine : {st:6.2f} s  ({args.rows / st:,.0f} rows/s)  on {args.spark_master}")
    print(f"ratio local/spark: {lt / st:.2f}× (same rows, same pseudonyms: checked)")
    spark.stop()
    wh.close()


if __name__ == "__main__":
    main()
