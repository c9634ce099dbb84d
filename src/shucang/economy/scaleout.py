"""``economy yoy --engine spark``: the per-enterprise reduction over the monthly rows runs on a Spark cluster.

The heavy step of a YoY figure is :func:`shucang.economy.yoy.enterprise_sql`: every report row of the two
windows (millions at province scale) reduced to one row per enterprise. On Spark it runs in two steps over the
Parquet files of the exact version the catalog names:

1. each batch is put in the shape of :meth:`Source.raw <shucang.economy.monthly.Source.raw>` by DuckDB on
   the executor — the same typed view, ``sc_number`` macros, period map and SQL text as on one machine (Spark
   SQL has none of them), keeping only the window's months;
2. Spark shuffles those rows by enterprise, and each partition, now holding every row of its enterprises, runs
   the very same :func:`enterprise_sql` text in DuckDB (corrections by latest report time, window sums,
   ``arg_max`` of the attributes — DuckDB's NULL rules, which Spark's ``max_by`` does not share).

The per-enterprise rows (one per enterprise: thousands to a few hundred thousand) come back as Arrow and the
local engine's own grouping query (:func:`shucang.economy.yoy.yoy_query`) finishes on the driver, so the JSON is
the local engine's. Executors need ``duckdb`` and ``pyarrow`` (both in ``pip install shucang[spark]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shucang.economy.binding import load_binding
from shucang.economy.monthly import Month, Source, parse_month
from shucang.economy.yoy import _check, enterprise_sql, window, yoy_query
from shucang.errors import NotFound
from shucang.ingest.infer import duckdb_macros
from shucang.warehouse.query import view_sql
from shucang.warehouse.scaleout import spark_dataframe, spark_schema

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

ROWS_SCHEMA = pa.schema([("ent", pa.string()), ("name", pa.string()), ("industry", pa.string()),
                         ("town", pa.string()), ("size", pa.string()), ("rt", pa.int64()), ("m0", pa.float64()),
                         ("ym", pa.int64())])
"""Step 1's rows: :meth:`Source.raw`'s shape, the report time as epoch microseconds (no time zone to travel)."""
ENTERPRISE_SCHEMA = pa.schema([("ent", pa.string()), ("name", pa.string()), ("town", pa.string()),
                               ("industry", pa.string()), ("size", pa.string()), ("cur", pa.float64()),
                               ("prev", pa.float64()), ("cur_month", pa.float64()), ("prev_month", pa.float64()),
                               ("has_cur", pa.bool_()), ("has_prev", pa.bool_()), ("in_cur", pa.bool_())])
"""Step 2's rows: exactly the columns of :func:`enterprise_sql`."""
ROWS_VIEW = "sc_rows"
ENTERPRISES_VIEW = "sc_spark_enterprises"
BatchesFunction = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names (DuckDB refuses unused ones)."""
    names = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    return {k: v for k, v in params.items() if k in names}


def _align(batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table:
    """Spark may hand columns in its own order with its own types (time zones, widened ints): back to ``schema``."""
    return pa.Table.from_batches([pa.RecordBatch.from_arrays(
        [batch.column(batch.schema.get_field_index(f.name)).cast(f.type) for f in schema], schema=schema)])


def normalise_batches(dataset: str, stored: pa.Schema, view: str, sql: str, params: dict[str, Any],
                      macros: list[str]) -> BatchesFunction:
    """Step 1 (runs on executors): each batch of the stored columns → the window's rows in :data:`ROWS_SCHEMA`."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import duckdb

        con = duckdb.connect(":memory:", config={"threads": 1})  # one task per executor core already
        try:
            for macro in macros:
                con.execute(macro)
            made = False
            for batch in batches:
                con.register(dataset + "__raw", _align(batch, stored))
                if not made:
                    con.execute(view)
                    made = True
                out = con.sql(sql, params=params).to_arrow_table()
                yield from out.cast(ROWS_SCHEMA).to_batches()
        finally:
            con.close()

    return run


def enterprise_batches(sql: str, params: dict[str, Any]) -> BatchesFunction:
    """Step 2 (runs on executors): a partition's rows, every row of its enterprises → one row per enterprise."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import duckdb

        rows = pa.RecordBatchReader.from_batches(
            ROWS_SCHEMA, (b for batch in batches for b in _align(batch, ROWS_SCHEMA).to_batches()))
        con = duckdb.connect(":memory:", config={"threads": 1})
        try:
            con.register(ROWS_VIEW, rows)  # streamed into the aggregation, not gathered first
            out = con.sql(sql, params=params).to_arrow_table()
        finally:
            con.close()
        yield from out.cast(ENTERPRISE_SCHEMA).to_batches()

    return run


def enterprises_on_spark(spark: Any, wh: Warehouse, src: Source, version: int, measure_column: str,
                         month: Month, *, partitions: int | None = None) -> pa.Table:
    """:func:`enterprise_sql`'s rows for ``measure_column`` and ``month``, computed on Spark (see module docstring)."""
    b = src.binding
    months, _bounds = window(month)
    roles = [b.column(r) for r in ("enterprise", "name", "period", "industry", "town", "size", "report_time")]
    wanted = {c for c in roles if c is not None} | {measure_column}
    columns = [c for c in wh.columns(b.dataset, version) if c.name in wanted]
    stored = pa.schema([f for f in wh.arrow_dataset(b.dataset, version).schema if f.name in wanted])
    raw = src.raw([measure_column], months)
    step1 = (f"SELECT ent, name, industry, town, size, epoch_us(rt) AS rt, m0, CAST(ym AS BIGINT) AS ym "
             f"FROM ({raw})")
    frame = spark_dataframe(spark, wh, b.dataset, version).select(*stored.names)
    rows = frame.mapInArrow(normalise_batches(b.dataset, stored, view_sql(b.dataset, columns), step1,
                                              _used(step1, src.params), duckdb_macros()), spark_schema(ROWS_SCHEMA))
    rows = rows.repartition(partitions, "ent") if partitions else rows.repartition("ent")
    step2 = enterprise_sql(src, measure_column, month, rows=(
        "SELECT ent, name, industry, town, size, make_timestamp(rt) AS rt, m0, ym FROM " + ROWS_VIEW))
    found = rows.mapInArrow(enterprise_batches(step2, _used(step2, src.params)), spark_schema(ENTERPRISE_SCHEMA))
    return found.toArrow().cast(ENTERPRISE_SCHEMA)


def yoy_on_spark(wh: Warehouse, spark: Any, dataset: str, measure: str, period: str, *, by: str = "none",
                 caliber: str = "comparable", partitions: int | None = None) -> dict[str, Any]:
    """The contract of ``shucang economy yoy`` (:func:`shucang.economy.yoy.yoy`), the heavy part on Spark."""
    _check(by, caliber)
    b = load_binding(wh, dataset)
    column = b.measure_column(measure)
    month = parse_month(period)
    version = wh.dataset(dataset).current_version
    if version is None:
        raise NotFound(f"数据集 {dataset} 还没有数据 (no version yet)", hint="ingest a file first")
    con = wh.connect({dataset: version}, only=[dataset])  # the version Spark reads: types and periods agree
    try:
        src = Source(wh, con, b)
        enterprises = enterprises_on_spark(spark, wh, src, version, column, month, partitions=partitions)
        con.register(ENTERPRISES_VIEW, enterprises)
        out = yoy_query(src, column, month, by=by, caliber=caliber, home=wh.settings.home,
                        enterprises=f"SELECT * FROM {ENTERPRISES_VIEW}")
    finally:
        con.close()
    out["version"] = version
    return out


__all__ = ["ENTERPRISE_SCHEMA", "ROWS_SCHEMA", "enterprises_on_spark", "yoy_on_spark"]
