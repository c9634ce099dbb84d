"""The fast path for PostgreSQL (and compatible) sources: ``COPY (SELECT …) TO STDOUT`` parsed by Arrow.

The server writes CSV, psycopg hands the bytes over in blocks, and Arrow's multi-threaded CSV reader
turns them into typed batches (the column types come from the reflected table) — no Python object
per cell at all. Used when the driver is psycopg and no column is binary; the generic driver path in
:mod:`shucang.collect.database` serves everything else.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

BLOCK_BYTES = 4 << 20


def usable(engine: sa.Engine, schema: pa.Schema) -> bool:
    """True when the COPY path applies: PostgreSQL through psycopg and no binary columns."""
    return (engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
            and not any(pa.types.is_binary(f.type) for f in schema))


class _Stream:
    """A read-only file over psycopg's COPY blocks (what Arrow's CSV reader pulls from)."""

    def __init__(self, blocks: Iterator[Any]) -> None:
        self._blocks = blocks
        self._rest = b""
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        parts, have = [self._rest], len(self._rest)
        while size < 0 or have < size:
            block = next(self._blocks, None)
            if block is None:
                break
            data = bytes(block)
            parts.append(data)
            have += len(data)
        joined = b"".join(parts)
        if size < 0 or have <= size:
            self._rest = b""
            return joined
        self._rest = joined[size:]
        return joined[:size]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def copy_batches(engine: sa.Engine, stmt: sa.Select[Any], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Rows of ``stmt`` as Arrow batches of ``schema`` (server order kept)."""
    compiled = stmt.compile(dialect=engine.dialect)
    query = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
    options = pacsv.ConvertOptions(
        column_types={f.name: f.type for f in schema}, strings_can_be_null=True, quoted_strings_can_be_null=False,
        null_values=[""], true_values=["t"], false_values=["f"])
    read_options = pacsv.ReadOptions(column_names=schema.names, block_size=BLOCK_BYTES)
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SET DateStyle = 'ISO, YMD'")
            cur.execute("SET extra_float_digits = 3")
            with cur.copy(query, compiled.params or None) as copy:
                blocks = iter(copy)
                first = next(blocks, None)
                if first is not None:  # Arrow refuses an empty CSV stream: no rows, no batches
                    stream = _Stream(itertools.chain([first], blocks))
                    reader = pacsv.open_csv(stream, read_options=read_options, convert_options=options)
                    for batch in reader:
                        if batch.num_rows:
                            yield batch.cast(schema) if batch.schema != schema else batch
        conn.rollback()
