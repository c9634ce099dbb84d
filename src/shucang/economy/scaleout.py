"""``economy yoy|watch|mujun --engine spark``: the per-enterprise work over the monthly rows runs on a Spark cluster.

The heavy step of every economy figure is a pass over the report rows (millions at province scale) that keeps
one or a few rows per enterprise: :func:`shucang.economy.yoy.enterprise_sql` for YoY figures, the decline /
divergence / stopped rules of :mod:`shucang.economy.watch`, the enterprises' latest town and industry over
the whole report for :mod:`shucang.economy.mujun`. Each of these queries is *enterprise-local* — an
output row depends on one enterprise's rows only — so on Spark it runs in two steps over the Parquet files of
the exact version the catalog names:

1. each batch is put in the shape of :meth:`Source.raw <shucang.economy.monthly.Source.raw>` by DuckDB on the
   executor — the same typed view, ``sc_number`` macros, period map and SQL text as on one machine (Spark SQL
   has none of them) — keeping only the months the query needs;
2. Spark shuffles those rows by enterprise, and each partition, now holding every row of its enterprises, runs
   the very same query text in DuckDB (corrections by latest report time, window sums, ``arg_max`` with
   DuckDB's NULL rules, which Spark's ``max_by`` does not share).

The per-enterprise rows (one per enterprise, or one per alert) come back as Arrow; the local engine's own code
finishes on the driver (:func:`shucang.economy.yoy.yoy_query`'s grouping, the rules' alert texts), so the
results are the local engine's. :class:`SparkSource` is a :class:`Source` that does this, so the callers stay as
they are. Executors need shucang, ``duckdb`` and ``pyarrow`` (``pip install shucang[spark]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from shucang.economy.binding import Binding, load_binding
from shucang.economy.monthly import Month, Source, parse_month, reader
from shucang.economy.yoy import check_query, enterprise_sql, window, yoy_query
from shucang.errors import InputError, NotFound
from shucang.ingest.infer import duckdb_macros
from shucang.warehouse.query import view_sql
from shucang.warehouse.scaleout import spark_dataframe, spark_schema

if TYPE_CHECKING:
    import duckdb

    from shucang.warehouse import Warehouse

ROWS_VIEW = "sc_rows"
ROWS_PER_PARTITION = 2_000_000
"""Stored rows per shuffle partition at most (a partition's DuckDB holds its enterprise-months while it groups)."""
BatchesFunction = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]


def rows_schema(measures: int) -> pa.Schema:
    """Step 1's rows: :meth:`Source.raw`'s shape, the report time as epoch microseconds (no time zone to travel)."""
    return pa.schema([("ent", pa.string()), ("name", pa.string()), ("industry", pa.string()), ("town", pa.string()),
                      ("size", pa.string()), ("rt", pa.int64()),
                      *((f"m{i}", pa.float64()) for i in range(measures)), ("ym", pa.int64())])


def rows_relation(measures: int) -> str:
    """Step 2's view of step 1's rows, exactly :meth:`Source.raw`'s columns (the report time a timestamp again)."""
    values = "".join(f"m{i}, " for i in range(measures))
    return f"SELECT ent, name, industry, town, size, make_timestamp(rt) AS rt, {values}ym FROM {ROWS_VIEW}"


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names (DuckDB refuses unused ones)."""
    names = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    return {k: v for k, v in params.items() if k in names}


def _align(batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table:
    """Spark may hand columns in its own order with its own types (time zones, widened ints): back to ``schema``."""
    return pa.Table.from_batches([pa.RecordBatch.from_arrays(
        [batch.column(batch.schema.get_field_index(f.name)).cast(f.type) for f in schema], schema=schema)])


def _duckdb(threads: int = 1) -> duckdb.DuckDBPyConnection:
    import duckdb

    return duckdb.connect(":memory:", config={"threads": threads})  # one Spark task per executor core already


def normalise_batches(dataset: str, stored: pa.Schema, view: str, sql: str, params: dict[str, Any],
                      macros: list[str], out: pa.Schema) -> BatchesFunction:
    """Step 1 (on executors): each batch of the stored columns → the wanted months' rows in ``out``."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        con = _duckdb()
        try:
            for macro in macros:
                con.execute(macro)
            made = False
            for batch in batches:
                con.register(dataset + "__raw", _align(batch, stored))
                if not made:
                    con.execute(view)
                    made = True
                yield from con.sql(sql, params=params).to_arrow_table().cast(out).to_batches()
        finally:
            con.close()

    return run


def enterprise_batches(sql: str, params: dict[str, Any], rows: pa.Schema, out: pa.Schema) -> BatchesFunction:
    """Step 2 (on executors): a partition holding every row of its enterprises → ``sql``'s rows for them."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        reader = pa.RecordBatchReader.from_batches(rows, (b for batch in batches
                                                          for b in _align(batch, rows).to_batches()))
        con = _duckdb()
        try:
            con.register(ROWS_VIEW, reader)  # streamed into the query, not gathered first
            found = con.sql(sql, params=params).to_arrow_table()
        finally:
            con.close()
        yield from found.cast(out).to_batches()

    return run


def _result_schema(sql: str, params: dict[str, Any], rows: pa.Schema) -> pa.Schema:
    """What ``sql`` returns, asked of DuckDB on no rows (Spark wants the schema before it runs)."""
    con = _duckdb()
    try:
        con.register(ROWS_VIEW, rows.empty_table())
        return con.sql(sql, params=params).to_arrow_table().schema
    finally:
        con.close()


def _partitions(spark: Any, wh: Warehouse, dataset: str, version: int) -> int:
    """The session's shuffle partitions, more when the version has over :data:`ROWS_PER_PARTITION` rows each."""
    rows = next((v.row_count for v in wh.versions(dataset) if v.version == version), 0)
    return max(int(spark.conf.get("spark.sql.shuffle.partitions")), -(-rows // ROWS_PER_PARTITION))


def per_enterprise(spark: Any, wh: Warehouse, src: Source, version: int, measures: list[str],
                   months: list[int] | None, sql: str, *, partitions: int | None = None) -> pa.Table:
    """The rows of ``sql`` — a query over :func:`rows_relation` whose every row depends on one enterprise's rows
    — computed on Spark over ``measures`` in ``months`` of the dataset's ``version`` (see module docstring);
    ``partitions``: how many enterprise partitions (default: :func:`_partitions`)."""
    b = src.binding
    roles = [b.column(r) for r in ("enterprise", "name", "period", "industry", "town", "size", "report_time")]
    wanted = {c for c in roles if c is not None} | set(measures)
    columns = [c for c in wh.columns(b.dataset, version) if c.name in wanted]
    stored = pa.schema([f for f in wh.arrow_dataset(b.dataset, version).schema if f.name in wanted])
    values = "".join(f"m{i}, " for i in range(len(measures)))
    step1 = (f"SELECT ent, name, industry, town, size, epoch_us(rt) AS rt, {values}CAST(ym AS BIGINT) AS ym "
             f"FROM ({src.raw(measures, months)})")
    rows = rows_schema(len(measures))
    frame = spark_dataframe(spark, wh, b.dataset, version).select(*stored.names)
    normal = frame.mapInArrow(normalise_batches(b.dataset, stored, view_sql(b.dataset, columns), step1,
                                                _used(step1, src.params), duckdb_macros(), rows), spark_schema(rows))
    normal = normal.repartition(partitions or _partitions(spark, wh, b.dataset, version), "ent")
    params = _used(sql, src.params)
    out = _result_schema(sql, params, rows)
    found = normal.mapInArrow(enterprise_batches(sql, params, rows, out), spark_schema(out))
    return found.toArrow().cast(out)


class SparkSource(Source):
    """A :class:`Source` whose per-enterprise queries run on Spark, over the version its connection is pinned to.

    :meth:`monthly` without ``rows`` (a rule building its query) hands back the Spark rows' relation and notes
    what it needs; the next :meth:`run` runs that query per enterprise on Spark, ordered by its first column
    (the enterprise, as every such query orders). :meth:`enterprise_relation` computes
    :func:`~shucang.economy.yoy.enterprise_sql`'s rows on Spark and registers them on the driver's connection, so
    :func:`~shucang.economy.yoy.yoy_query` only groups them.
    """

    def __init__(self, wh: Warehouse, con: duckdb.DuckDBPyConnection, b: Binding, spark: Any, version: int,
                 *, partitions: int | None = None) -> None:
        super().__init__(wh, con, b)
        self.spark, self.version, self.partitions = spark, version, partitions
        self._pending: tuple[list[str], list[int] | None] | None = None
        self._views = 0

    def monthly(self, measures: list[str], months: list[int] | None = None, *, rows: str | None = None) -> str:
        if rows is not None:
            return super().monthly(measures, months, rows=rows)
        if self._pending is not None:
            raise InputError("一个查询只能读取一次月报 (one monthly read per query on Spark)")
        self._pending = (list(measures), None if months is None else list(months))
        return super().monthly(measures, months, rows=rows_relation(len(measures)))

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        if self._pending is None:
            return super().run(sql)
        measures, months = self._pending
        self._pending = None
        found = per_enterprise(self.spark, self.wh, self, self.version, measures, months, sql,
                               partitions=self.partitions)
        if found.num_rows:
            found = found.sort_by([(found.schema.names[0], "ascending")])
        names = found.schema.names
        return [tuple(r[n] for n in names) for r in found.to_pylist()]

    def enterprise_relation(self, measure: str, month: Month) -> str | None:
        months, _bounds = window(month)
        sql = enterprise_sql(self, measure, month, rows=rows_relation(1))
        return self._register(per_enterprise(self.spark, self.wh, self, self.version, [measure], months, sql,
                                             partitions=self.partitions))

    def relation(self, sql: str) -> str:
        """A per-enterprise query built on :meth:`monthly` (as :meth:`run` takes it) computed on Spark and
        registered on the driver's connection: a relation for a larger query that finishes there."""
        if self._pending is None:
            return sql
        measures, months = self._pending
        self._pending = None
        return self._register(per_enterprise(self.spark, self.wh, self, self.version, measures, months, sql,
                                             partitions=self.partitions))

    def _register(self, table: pa.Table) -> str:
        self._views += 1
        name = f"sc_spark_enterprises_{self._views}"
        self.con.register(name, table)
        return f"SELECT * FROM {name}"


def yoy_on_spark(wh: Warehouse, spark: Any, dataset: str, measure: str, period: str, *, by: str = "none",
                 caliber: str = "comparable", partitions: int | None = None) -> dict[str, Any]:
    """The contract of ``shucang economy yoy`` (:func:`shucang.economy.yoy.yoy`), the heavy part on Spark."""
    check_query(by, caliber)
    b = load_binding(wh, dataset)
    column = b.measure_column(measure)
    month = parse_month(period)
    version = wh.dataset(dataset).current_version
    if version is None:
        raise NotFound(f"数据集 {dataset} 还没有数据 (no version yet)", hint="ingest a file first")
    with reader(wh, {dataset: version}, [dataset]) as con:  # the version Spark reads: types and periods agree
        src = SparkSource(wh, con, b, spark, version, partitions=partitions)
        out = yoy_query(src, column, month, by=by, caliber=caliber, home=wh.settings.home)
    out["version"] = version
    return out


__all__ = ["SparkSource", "per_enterprise", "rows_relation", "rows_schema", "yoy_on_spark"]
