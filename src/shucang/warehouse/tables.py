"""Delta Lake tables: one per dataset, one Delta commit per ingest.

A Delta commit is atomic (data files first, then one JSON log entry), so a killed writer leaves at
worst unreferenced data files. The catalog decides which Delta version is visible; a commit the
catalog never recorded is rolled back with :func:`rollback_to` before the next write.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import ColumnProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from shucang.errors import InputError, StorageError
from shucang.warehouse.location import TableLocation, as_location

ROW_GROUP_ROWS = 131_072
"""Rows per Parquet row group: small enough that a sample or a page reads only a few of them."""

PLAIN_SAMPLE_ROWS = 4_096
"""Rows of the first batch that decide which columns are written without a dictionary (a distinct
count over 8 columns × 16k rows cost ~0.05 s of a 1M-row ingest; 4k rows tell "mostly distinct" as well)."""

if TYPE_CHECKING:
    import pyarrow.dataset as pads  # imports pandas (~0.5 s): only where a table is read

Where = Path | TableLocation
"""A table's directory, or its location (a directory or an object-store URI with storage options)."""


def _delta(where: Where, version: int | None = None) -> DeltaTable:
    loc = as_location(where)
    return DeltaTable(loc.uri, version=version, storage_options=loc.storage_options())


def table_exists(path: Where) -> bool:
    loc = as_location(path)
    return DeltaTable.is_deltatable(loc.uri, storage_options=loc.storage_options())


def latest_version(path: Where) -> int | None:
    """The newest Delta version on disk, or None when there is no table."""
    if not table_exists(path):
        return None
    return _delta(path).version()


def open_table(path: Where, delta_version: int | None) -> DeltaTable:
    try:
        return _delta(path, delta_version)
    except TableNotFoundError as exc:
        raise StorageError(f"数据表文件缺失 (table files missing): {path}",
                           hint="run `shucang check --repair`") from exc


def _object_store(loc: TableLocation) -> Any:
    """A pyarrow file system over the table's root in the object store (delta-rs's own client: same options)."""
    from deltalake.fs import DeltaStorageHandler
    from pyarrow.fs import PyFileSystem

    return PyFileSystem(DeltaStorageHandler(loc.uri, loc.storage_options()))


def arrow_dataset(path: Where, delta_version: int | None) -> pads.Dataset:
    """The version as an Arrow dataset whose files are in the order they were written (delta-rs
    lists the newest first, which would put appended rows before the older ones)."""
    import pyarrow.dataset as pads

    table = open_table(path, delta_version)
    ds = table.to_pyarrow_dataset()
    fragments = list(ds.get_fragments())
    if len(fragments) < 2:
        return ds
    actions = pa.table(table.get_add_actions(flatten=True))
    written = dict(zip(actions.column("path").to_pylist(), actions.column("modification_time").to_pylist(),
                       strict=True))
    root = str(path).rstrip("/") + "/"

    def key(fragment: pads.Fragment) -> tuple[int, str]:
        rel = fragment.path.removeprefix(root).lstrip("/")
        return written.get(rel, 0), rel

    fragments.sort(key=key)
    return pads.FileSystemDataset(fragments, ds.schema, ds.format, ds.filesystem)


def plain_encoded_columns(first: pa.RecordBatch | None) -> list[str]:
    """Columns whose values are mostly distinct in the first batch (IDs, phones, amounts).

    Parquet's dictionary encoding of such a column costs time and then falls back to plain anyway;
    writing them plain from the start makes the Delta write markedly faster.
    """
    if first is None or first.num_rows < 1000:
        return []
    head = first.slice(0, PLAIN_SAMPLE_ROWS)  # the choice needs a sample, not a distinct count of it all
    return [name for name, column in zip(head.schema.names, head.columns, strict=True)
            if pc.count_distinct(column).as_py() > head.num_rows // 2]


def _plain_type(t: pa.DataType) -> bool:
    """Types Delta stores exactly as Arrow holds them (no conversion by the writer needed)."""
    return (pa.types.is_string(t) or pa.types.is_boolean(t) or pa.types.is_date32(t)
            or pa.types.is_binary(t) or pa.types.is_float32(t) or pa.types.is_float64(t)
            or (pa.types.is_integer(t) and pa.types.is_signed_integer(t))
            or (pa.types.is_decimal(t) and t.bit_width == 128)
            or (pa.types.is_timestamp(t) and t.unit == "us" and t.tz is None))


def _ordered_write(path: Where, schema: pa.Schema, batches: Iterator[pa.RecordBatch], mode: str,
                   plain_columns: list[str]) -> int | None:
    """Write one Parquet file in source order and commit it; None when delta-rs must do it instead.

    delta-rs spreads a stream over partitions and writes them one after the other, so rows of a
    multi-batch write come back out of order. Writing the file here keeps the order; the Delta commit
    is the same add action delta-rs would make. Appends whose schema differs (a merge) and types Delta
    stores differently from Arrow are left to delta-rs.
    """
    import json
    import time
    import uuid

    import pyarrow.parquet as pq
    from deltalake import Schema
    from deltalake.transaction import AddAction, create_table_with_add_actions

    if not all(_plain_type(f.type) for f in schema):
        return None
    loc = as_location(path)
    existed = table_exists(loc)
    table = _delta(loc) if existed else None
    if table is not None and mode != "replace":
        stored = pa.schema(table.schema().to_arrow())
        if [(f.name, f.type) for f in stored] != [(f.name, f.type) for f in schema]:
            return None
    name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
    rows = 0
    if loc.local is not None:
        loc.local.mkdir(parents=True, exist_ok=True)
        sink: Any = loc.local / name
    else:
        store = _object_store(loc)
        sink = store.open_output_stream(name)
    with pq.ParquetWriter(sink, schema, compression="snappy",
                          use_dictionary=[f.name for f in schema if f.name not in set(plain_columns)]) as writer:
        # Batches are gathered into whole row groups: writing each batch (a parsed block, ~35,000
        # rows) as it comes would make every row group that small, whatever ROW_GROUP_ROWS says.
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        for batch in batches:
            if not batch.num_rows:
                continue
            pending.append(batch)
            pending_rows += batch.num_rows
            rows += batch.num_rows
            if pending_rows >= ROW_GROUP_ROWS:
                gathered = pa.Table.from_batches(pending, schema)
                whole = ROW_GROUP_ROWS * (pending_rows // ROW_GROUP_ROWS)
                writer.write_table(gathered.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
                rest = gathered.slice(whole)
                pending, pending_rows = rest.to_batches(), rest.num_rows
        if pending_rows:
            writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=ROW_GROUP_ROWS)
    if loc.local is not None:
        size = (loc.local / name).stat().st_size
    else:
        sink.close()
        size = store.get_file_info(name).size
    add = AddAction(name, size, {}, int(time.time() * 1000), True, json.dumps({"numRecords": rows}))
    if table is None:
        create_table_with_add_actions(loc.uri, Schema.from_arrow(schema), [add], mode="error",
                                      storage_options=loc.storage_options())
    else:
        table.create_write_transaction([add], mode="overwrite" if mode == "replace" else "append",
                                       schema=schema)
    return _delta(loc).version()


def write_batches(path: Where, schema: pa.Schema, batches: Iterator[pa.RecordBatch], *, mode: str,
                  schema_mode: str | None, plain_columns: list[str] | None = None) -> int:
    """Stream ``batches`` into one Delta commit, rows in order; return the new Delta version."""
    ordered = _ordered_write(path, schema, batches, mode, plain_columns or [])
    if ordered is not None:
        return ordered
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    columns = {name: ColumnProperties(dictionary_enabled=False) for name in plain_columns or []}
    delta_mode: Literal["overwrite", "append"] = "overwrite" if mode == "replace" else "append"
    merge: Literal["merge", "overwrite"] | None = "merge" if schema_mode == "merge" else (
        "overwrite" if schema_mode == "overwrite" else None)
    existed = table_exists(path)
    loc = as_location(path)
    try:
        write_deltalake(loc.uri, reader, mode=delta_mode, schema_mode=merge, storage_options=loc.storage_options(),
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
    return _delta(loc).version()


def merge_batches(path: Where, schema: pa.Schema, batches: Iterator[pa.RecordBatch], key: Sequence[str], *,
                  plain_columns: list[str] | None = None) -> tuple[int, int | None]:
    """Merge ``batches`` into the table by ``key`` in one Delta commit: rows whose key is already there
    replace it, the others are appended. Return (new Delta version, rows inserted; None when the table
    was new, so every row was inserted)."""
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    if not table_exists(path):
        version = write_batches(path, schema, reader, mode="append", schema_mode="merge",
                                plain_columns=plain_columns)
        return version, None
    columns = {name: ColumnProperties(dictionary_enabled=False) for name in plain_columns or []}
    predicate = " AND ".join(f't."{k.replace(chr(34), chr(34) * 2)}" = s."{k.replace(chr(34), chr(34) * 2)}"'
                             for k in key)
    try:
        metrics = (_delta(path).merge(reader, predicate=predicate, source_alias="s", target_alias="t",
                                               merge_schema=True,
                                               writer_properties=WriterProperties(
                                                   max_row_group_size=ROW_GROUP_ROWS,
                                                   column_properties=columns or None))
                   .when_matched_update_all().when_not_matched_insert_all().execute())
    except DeltaError as exc:
        message = str(exc).splitlines()[0]
        raise InputError(f"无法按主键合并 (cannot merge by key {', '.join(key)}): {message}",
                         hint="the key columns must exist in the table and be unique in each run") from exc
    return _delta(path).version(), int(metrics.get("num_target_rows_inserted", 0))


def rollback_to(path: Where, delta_version: int | None) -> bool:
    """Make ``delta_version`` the newest state again; True when anything had to be undone.

    With ``None`` (no committed version at all) the whole directory (every object under the prefix) is removed.
    """
    loc = as_location(path)
    if loc.local is not None and not loc.local.exists():
        return False
    if delta_version is None:
        if loc.local is not None:
            shutil.rmtree(loc.local)
            return True
        store = _object_store(loc)
        from pyarrow.fs import FileSelector, FileType

        found = [i.path for i in store.get_file_info(FileSelector("", recursive=True, allow_not_found=True))
                 if i.type == FileType.File]
        for key in found:  # one request per object (an object store has no directories to remove)
            store.delete_file(key)
        return bool(found)
    newest = latest_version(loc)
    if newest is None or newest == delta_version:
        return False
    _delta(loc).restore(delta_version)
    return True

