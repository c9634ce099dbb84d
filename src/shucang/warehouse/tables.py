"""Delta Lake tables: one per dataset, one Delta commit per ingest.

A Delta commit is atomic (data files first, then one JSON log entry), so a killed writer leaves at
worst unreferenced data files. The catalog decides which Delta version is visible; a commit the
catalog never recorded is rolled back with :func:`rollback_to` before the next write.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import ColumnProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from shucang.errors import InputError, StorageError

ROW_GROUP_ROWS = 131_072
"""Rows per Parquet row group: small enough that a sample or a page reads only a few of them."""

if TYPE_CHECKING:
    import pyarrow.dataset as pads  # imports pandas (~0.5 s): only where a table is read


def table_exists(path: Path) -> bool:
    return DeltaTable.is_deltatable(str(path))


def latest_version(path: Path) -> int | None:
    """The newest Delta version on disk, or None when there is no table."""
    if not table_exists(path):
        return None
    return DeltaTable(str(path)).version()


def open_table(path: Path, delta_version: int | None) -> DeltaTable:
    try:
        return DeltaTable(str(path), version=delta_version)
    except TableNotFoundError as exc:
        raise StorageError(f"数据表文件缺失 (table files missing): {path}",
                           hint="run `shucang check --repair`") from exc


def arrow_dataset(path: Path, delta_version: int | None) -> pads.Dataset:
    return open_table(path, delta_version).to_pyarrow_dataset()


def plain_encoded_columns(first: pa.RecordBatch | None) -> list[str]:
    """Columns whose values are mostly distinct in the first batch (IDs, phones, amounts).

    Parquet's dictionary encoding of such a column costs time and then falls back to plain anyway;
    writing them plain from the start makes the Delta write markedly faster.
    """
    if first is None or first.num_rows < 1000:
        return []
    return [name for name, column in zip(first.schema.names, first.columns, strict=True)
            if pc.count_distinct(column).as_py() > first.num_rows // 2]


def write_batches(path: Path, schema: pa.Schema, batches: Iterator[pa.RecordBatch], *, mode: str,
                  schema_mode: str | None, plain_columns: list[str] | None = None) -> int:
    """Stream ``batches`` into one Delta commit; return the new Delta version."""
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    columns = {name: ColumnProperties(dictionary_enabled=False) for name in plain_columns or []}
    delta_mode = "overwrite" if mode == "replace" else "append"
    existed = table_exists(path)
    try:
        write_deltalake(str(path), reader, mode=delta_mode, schema_mode=schema_mode,  # type: ignore[arg-type]
                        writer_properties=WriterProperties(max_row_group_size=ROW_GROUP_ROWS,
                                                           column_properties=columns or None))
    except Exception as exc:
        if not isinstance(exc, DeltaError) and not (type(exc) is Exception and "rror" in str(exc)[:40]):
            raise  # deltalake reports a refused schema as a bare Exception ("External error: Schema error…")
        message = str(exc).splitlines()[0]
        if not existed:  # nothing stored to clash with: the data itself cannot be stored
            raise InputError(f"无法存储该表 (cannot store this table): {message}",
                             hint="请检查列的类型 (check the columns' types)") from exc
        raise InputError(
            f"无法写入数据集：表结构与已有版本冲突 (cannot append: schema clashes with the stored table): {message}",
            hint="use --mode replace to start a new version with this file's columns",
        ) from exc
    return DeltaTable(str(path)).version()


def rollback_to(path: Path, delta_version: int | None) -> bool:
    """Make ``delta_version`` the newest state again; True when anything had to be undone.

    With ``None`` (no committed version at all) the whole directory is removed.
    """
    if not path.exists():
        return False
    if delta_version is None:
        shutil.rmtree(path)
        return True
    newest = latest_version(path)
    if newest is None or newest == delta_version:
        return False
    table = DeltaTable(str(path))
    table.restore(delta_version)
    return True

