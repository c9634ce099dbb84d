"""Scale-out: the same datasets and the same Arrow batch functions on an existing Spark cluster.

Bulk work in shucang is written as functions ``pa.RecordBatch → pa.RecordBatch`` (masking, detectors,
fingerprinting). On one machine DuckDB/Arrow run them; on a cluster :func:`map_batches` hands the very
same function to Spark's ``mapInArrow``. :func:`spark_dataframe` reads the exact Delta version the
catalog names: through the Parquet files of that version (no Delta jars needed, so it works on a
stock Spark), or ``format("delta")`` with ``versionAsOf`` where delta-spark is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shucang.errors import InputError, StorageError
from shucang.warehouse import tables

if TYPE_CHECKING:
    from shucang.warehouse.store import Warehouse

BatchFunction = Callable[[pa.RecordBatch], pa.RecordBatch]


def spark_dataframe(spark: Any, wh: Warehouse, dataset: str, version: int | None = None, *,
                    use_delta_reader: bool = False) -> Any:
    """The dataset at ``version`` (default: current) as a Spark DataFrame."""
    _info, row = wh._version_row(dataset, version)  # noqa: SLF001 — same stage
    path = wh.table_location(dataset)
    if use_delta_reader:
        return spark.read.format("delta").option("versionAsOf", row.delta_version).load(str(path))
    table = tables.open_table(path, row.delta_version)
    files = table.file_uris()
    if not files:
        raise StorageError(f"数据集 {dataset} 版本 {row.version} 没有数据文件 (no data files)")
    # mergeSchema: files written before a column was added lack it; Spark fills nulls like Delta does.
    frame = spark.read.option("mergeSchema", "true").parquet(*(spark_uri(f) for f in files))
    return frame.select(*pa.schema(table.schema().to_arrow()).names)


HADOOP_SCHEMES = {"s3": "s3a"}
"""delta-rs names S3 objects ``s3://``; Hadoop's maintained S3 client (hadoop-aws) is ``s3a://``. The other
schemes (``gs://``, ``abfss://``, local paths) are the same for both."""


def spark_uri(uri: str) -> str:
    """A data file's URI as delta-rs gives it → the URI Spark's Hadoop file systems read (``s3://`` → ``s3a://``)."""
    scheme, sep, rest = uri.partition("://")
    return f"{HADOOP_SCHEMES[scheme.lower()]}://{rest}" if sep and scheme.lower() in HADOOP_SCHEMES else uri


def spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema (for ``mapInArrow``)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def map_batches(frame: Any, function: BatchFunction, output_schema: pa.Schema) -> Any:
    """Run ``function`` over every Arrow batch of ``frame`` on the cluster."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield function(batch)

    return frame.mapInArrow(run, spark_schema(output_schema))


ENGINES = ("local", "spark")


def spark_session(master: str | None = None, app_name: str = "shucang") -> Any:
    """A Spark session on ``master`` (else ``$SPARK_MASTER``, else ``local[2]``).

    Workers run the same Python as the driver unless ``PYSPARK_PYTHON`` says otherwise; a cluster's
    executors need shucang installed (``pip install shucang[spark]``).
    """
    import os
    import sys

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("未安装 Spark (pyspark is not installed)", hint="pip install shucang[spark]") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    chosen = master or os.environ.get("SPARK_MASTER") or "local[2]"
    builder = (SparkSession.builder.master(chosen).appName(app_name)
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "65536")
               .config("spark.sql.session.timeZone", "UTC"))
    if chosen.startswith("local"):
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    return builder.getOrCreate()


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise InputError(f"未知计算引擎 (unknown engine) {engine!r}", hint="--engine local or --engine spark")
    return engine
