"""`extract --engine spark` and `classify --engine spark`: the release's column functions, and the full scan's
per-batch partial statistics, run batch by batch through mapInArrow on a local[2] Spark session (one session
for the module), reading the exact version the catalog names; they give the local engine's cells, and its
types, grades and confidences.

Skipped when pyspark or a Java runtime is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.spark import require_spark

require_spark()

from tests.protect.helpers import GRADES, people  # noqa: E402

from shucang.protect.release import plan_release  # noqa: E402
from shucang.protect.scaleout import apply_on_spark  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402

ROWS = 30_000


@pytest.fixture
def stored(warehouse, cli) -> Any:
    from shucang.classify.store import override_column

    table = people(ROWS)
    warehouse.ingest_arrow(table.slice(0, 1000), IngestOptions(dataset="people", mode="replace", synthetic=True))
    warehouse.ingest_arrow(table, IngestOptions(dataset="people", mode="replace", synthetic=True))
    for column, (kind, level) in GRADES.items():
        override_column(warehouse, "people", column, type=kind, level=level, who="test", why="pinned")
    assert cli("recipients", "add", "统计局", "--clearance", "2", "--department", "tjj").exit_code == 0
    return table


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)), strict=True),
                  key=repr)


def test_same_plan_same_cells_on_spark(spark, warehouse, stored) -> None:
    for version, where in ((2, None), (1, None), (2, "town = '龙山镇' AND employees >= 100")):
        from shucang.protect.where import filter_dataset, parse_where

        local_ds = warehouse.arrow_dataset("people", version)
        source = filter_dataset(local_ds, where, None)
        plan = plan_release(warehouse, "people", source.slice(0, 5000), "统计局", channel="extract", version=version)
        assert plan.marked and plan.masked  # something is marked and something masked, or the test proves little
        local_out, local_marks = plan.apply(source)
        expression = parse_where(where, local_ds.schema) if where else None
        spark_out, spark_marks = apply_on_spark(spark, warehouse, "people", version, plan,
                                                wanted=list(local_ds.schema.names), expression=expression,
                                                head=source.slice(0, 5000))
        assert spark_out.num_rows == source.num_rows
        assert spark_out.schema.names == local_out.schema.names
        assert _rows(spark_out) == _rows(local_out)
        assert spark_marks == local_marks
        assert _rows(local_out) != _rows(source.select(local_out.column_names))  # the release changed cells


def test_extract_cli_engine_spark(stored, cli, tmp_path: Path) -> None:
    local = cli("extract", "people", "-r", "统计局", "-o", tmp_path / "local.parquet", "--no-decoys", "--json")
    assert local.exit_code == 0, local.stderr
    on_spark = cli("extract", "people", "-r", "统计局", "-o", tmp_path / "spark.parquet", "--no-decoys",
                   "--engine", "spark", "--spark-master", "local[2]", "--json")
    assert on_spark.exit_code == 0, on_spark.stderr
    a, b = local.json(), on_spark.json()
    assert (a["rows"], a["masked_columns"], a["dropped_columns"], a["version"]) == \
        (b["rows"], b["masked_columns"], b["dropped_columns"], b["version"]) == (ROWS, a["masked_columns"],
                                                                                  a["dropped_columns"], 2)
    left, right = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "spark.parquet")
    # Pseudonyms are keyed per recipient: identical across the two extracts (numeric marks are per extract).
    same = [c for c in left.column_names if a["strategies"].get(c) in ("pseudonym", "hash", "never")] or ["town"]
    assert _rows(left.select(same)) == _rows(right.select(same))
    listed = cli("extracts", "list", "--json").json()
    assert {e["id"] for e in listed} >= {a["extract_id"], b["extract_id"]}
    bad = cli("extract", "people", "-r", "统计局", "-o", tmp_path / "x.csv", "--engine", "ray")
    assert bad.exit_code == 1 and "engine" in bad.stderr


def _classified(found: Any) -> list[tuple[Any, ...]]:
    return [(c.name, c.type, c.level, c.confidence, c.evidence, c.entity_counts) for c in found.columns]


def test_classify_on_spark_equals_the_local_full_scan(spark, warehouse, cli) -> None:
    import time

    from tests.classify.wide import wide_table

    from shucang.classify import classify_table
    from shucang.classify.scaleout import classify_on_spark

    table = wide_table(60_000)
    warehouse.ingest_arrow(table.slice(0, 20_000), IngestOptions(dataset="wide", mode="replace", synthetic=True))
    warehouse.ingest_arrow(table, IngestOptions(dataset="wide", mode="replace", synthetic=True))
    previous = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "7000")  # many batches per partition
    try:
        for version in (2, 1):
            started = time.perf_counter()
            local = classify_table(warehouse.read_arrow("wide", version), sample_rows=None, full=True)
            local_s = time.perf_counter() - started
            started = time.perf_counter()
            on_spark = classify_on_spark(warehouse, spark, "wide", version)
            spark_s = time.perf_counter() - started
            print(f"classify v{version}: local {local_s:.2f} s, spark {spark_s:.2f} s")
            assert on_spark.full and on_spark.rows == on_spark.sampled_rows == (60_000 if version == 2 else 20_000)
            assert _classified(on_spark) == _classified(local)
            assert (on_spark.level, on_spark.context, on_spark.full) == (local.level, local.context, local.full)
        types = {c.name: c.type for c in local.columns}
        assert types["身份证号"] == "id_card" and types["手机"] == "mobile_phone" and types["姓名"] == "person_name"
    finally:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", previous)
    # the CLI writes the Spark result through the same registry as the local one
    by_spark = cli("classify", "wide", "--engine", "spark", "--spark-master", "local[2]", "--json")
    assert by_spark.exit_code == 0, by_spark.stderr
    by_local = cli("classify", "wide", "--full", "--json")
    assert by_spark.json()["columns"] == by_local.json()["columns"] and by_spark.json()["full"]
    shown = cli("show", "wide", "--json").json()
    assert {c["name"]: c.get("type") for c in shown["columns"]}["身份证号"] == "id_card"
