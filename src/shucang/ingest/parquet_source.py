"""Parquet → Arrow batches with their native types where the warehouse can store them (``storable``);
the column names are normalised."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shucang.errors import InputError
from shucang.ingest.header import build_header
from shucang.ingest.model import Chunk, ReadOptions, TableSource
from shucang.ingest.storable import StorablePlan


class ParquetSource(TableSource):
    """A Parquet file, streamed row group by row group."""

    format = "parquet"

    def __init__(self, path: Path, options: ReadOptions, size: int) -> None:
        self.path = path
        self.options = options
        self.size_bytes = size
        self.encoding = None
        self.delimiter = None
        self.sheet = None
        try:
            self._file = pq.ParquetFile(path)
            arrow_schema = self._file.schema_arrow
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"Parquet 文件 {path.name} 已损坏或不完整 (Parquet file {path.name} is corrupt: {exc})",
                             hint="请重新导出或重新传输该文件 (export or transfer it again)") from None
        self.header = build_header(arrow_schema.names)
        named = pa.schema([f.with_name(n) for f, n in zip(arrow_schema, self.header.names, strict=True)],
                          metadata=arrow_schema.metadata)
        self._plan = StorablePlan.for_schema(named)
        self.schema = self._plan.schema
        self.notes = list(self._plan.notes)

    def chunks(self) -> Iterator[Chunk]:
        """Record batches of at most ``batch_rows`` rows."""
        total = max(1, self._file.metadata.num_rows)
        done = 0
        try:
            for batch in self._file.iter_batches(batch_size=self.options.batch_rows):
                rows, rejects = self._plan.apply(batch, done + 1)
                done += batch.num_rows
                yield Chunk(rows, rejects, int(self.size_bytes * done / total))
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"Parquet 文件 {self.path.name} 读取失败 (cannot read {self.path.name}: {exc})",
                             hint="请重新导出或重新传输该文件 (export or transfer it again)") from None
