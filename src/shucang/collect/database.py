"""Database sources: any SQLAlchemy URL, read in Arrow batches through a server-side cursor.

Rows come from the driver in partitions of ``BATCH_ROWS`` (``stream_results`` + ``yield_per``), are
turned column-wise into Arrow arrays with the type taken from the reflected table, and go straight
to the warehouse. An incremental source reads ``WHERE col > :watermark ORDER BY col``; the new
watermark is the largest value read and is stored with the version (see :mod:`shucang.collect.runner`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from shucang.errors import InputError

BATCH_ROWS = 50_000


def public_url(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password or None): only the first goes to the catalog."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InputError(f"数据库地址无效 (invalid database URL): {exc}",
                         hint="e.g. postgresql+psycopg://user@host:5432/db or mysql+pymysql://user@host/db") from None
    bare = sa.engine.URL.create(parsed.drivername, username=parsed.username, host=parsed.host, port=parsed.port,
                                database=parsed.database, query=parsed.query)
    return bare.render_as_string(hide_password=False), parsed.password


def _arrow_type(column: sa.Column[Any]) -> pa.DataType:
    """The Arrow type a column's values are stored as (text for anything without a clear match)."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float):
        return pa.float64()
    if isinstance(kind, sa.Numeric):
        precision, scale = getattr(kind, "precision", None), getattr(kind, "scale", None)
        if precision and scale is not None and precision <= 38:
            return pa.decimal128(precision, scale)
        return pa.float64()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if getattr(kind, "timezone", False) else None)
    if isinstance(kind, sa.Date):
        return pa.date32()
    if isinstance(kind, sa.LargeBinary):
        return pa.binary()
    return pa.string()


def _array(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    if pa.types.is_string(kind):
        try:
            return pa.array(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # uuid, json, intervals …: their text
            return pa.array([None if v is None else str(v) for v in values], pa.string())
    if pa.types.is_floating(kind):
        return pa.array([None if v is None else float(v) for v in values], kind) if any(
            isinstance(v, decimal.Decimal) for v in values[:1]) else pa.array(values, kind)
    return pa.array(values, kind)


def encode_watermark(value: Any) -> dict[str, Any] | None:
    """A watermark value as JSON the catalog can keep, with its type to restore it exactly."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, dt.datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"type": "date", "value": value.isoformat()}
    return {"type": "str", "value": str(value)}


def decode_watermark(stored: dict[str, Any] | None) -> Any:
    if not stored:
        return None
    kind, value = stored.get("type"), stored.get("value")
    if value is None:
        return None
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    return value


@dataclass
class TableRead:
    """One read of a source table: its Arrow schema, the batches, and the largest incremental value."""

    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]
    watermark: dict[str, Any] | None = None
    rows: int = 0
    _high: Any = field(default=None, repr=False)


def read_table(url: str, table: str, *, incremental_column: str | None = None, watermark: Any = None,
               batch_rows: int = BATCH_ROWS, fast: bool = True) -> tuple[TableRead, sa.Engine]:
    """Open the table and return a lazy read of it (the caller disposes the engine when done).

    ``fast``: PostgreSQL through psycopg is read with COPY (:mod:`shucang.collect.pgcopy`).
    """
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    schema_name, _, table_name = table.rpartition(".")
    try:
        with engine.connect() as conn:
            reflected = sa.Table(table_name, sa.MetaData(), schema=schema_name or None, autoload_with=conn)
    except sa.exc.NoSuchTableError:
        engine.dispose()
        raise InputError(f"源数据库中没有表 {table!r} (no such table in the source database)") from None
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise InputError(f"无法连接源数据库 (cannot read the source database): {str(exc).splitlines()[0]}",
                         hint="check the URL, the network and the password (environment variable or key file)"
                         ) from None
    stmt = sa.select(reflected)
    if incremental_column:
        if incremental_column not in reflected.c:
            engine.dispose()
            raise InputError(f"表 {table} 没有列 {incremental_column!r} (no such column)",
                             hint="columns: " + ", ".join(reflected.c.keys()))
        column = reflected.c[incremental_column]
        stmt = stmt.where(column.is_not(None))
        if watermark is not None:
            stmt = stmt.where(column > watermark)
        stmt = stmt.order_by(column)
    names = list(reflected.c.keys())
    types = [_arrow_type(c) for c in reflected.c]
    schema = pa.schema([pa.field(n, t) for n, t in zip(names, types, strict=True)])
    read = TableRead(schema=schema, batches=iter(()))
    position = names.index(incremental_column) if incremental_column else -1

    def driver_batches() -> Iterator[pa.RecordBatch]:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(stmt)
            for rows in result.partitions(batch_rows):
                columns = list(zip(*rows, strict=True))
                yield pa.RecordBatch.from_arrays([_array(c, t) for c, t in zip(columns, types, strict=True)],
                                                 schema=schema)

    def batches() -> Iterator[pa.RecordBatch]:
        from shucang.collect import pgcopy

        use_copy = fast and pgcopy.usable(engine, schema)
        stream = pgcopy.copy_batches(engine, stmt, schema) if use_copy else driver_batches()
        for batch in stream:
            read.rows += batch.num_rows
            if position >= 0:
                high = pc.max(batch.column(position)).as_py()
                if high is not None and (read._high is None or high > read._high):
                    read._high = high
                    read.watermark = encode_watermark(high)
            yield batch

    read.batches = batches()
    return read, engine
