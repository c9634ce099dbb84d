"""File extracts: read → filter → mask/fingerprint for the recipient → write → register.

``--where`` is parsed by :mod:`shucang.protect.where` into an Arrow expression (no SQL is built
from user text). Text cells that a spreadsheet would run as a formula (starting with ``= + - @``,
TAB or CR, and not a plain number) are prefixed with ``'``. Parquet files carry the extract id in
their metadata and XLSX files in their document properties — a tripwire only; the trace relies on
the marks inside the data.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shucang.errors import InputError
from shucang.protect.decoy_store import insert_decoys
from shucang.protect.decoys import BLOCK_ROWS
from shucang.protect.registry import insert_extract
from shucang.protect.release import ProtectedRelease, ReleaseRequest, protect_for_recipient
from shucang.protect.where import filter_dataset, parse_where
from shucang.warehouse.scaleout import check_engine, spark_session

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
XLSX_MAX_ROWS = 1_048_575
_PLAIN_NUMBER = r"^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$"
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ExtractOptions:
    """One ``shucang extract`` request."""

    dataset: str
    recipient: str
    out: Path
    format: str | None = None
    """csv | xlsx | parquet | jsonl; default from the file suffix."""
    columns: tuple[str, ...] | None = None
    where: str | None = None
    version: int | None = None
    created_by: str | None = None
    decoys: bool | None = None
    """Force decoy rows on or off; None: the policy decides (by default only where nothing else can
    carry a mark — see :mod:`shucang.protect.decoys`)."""
    engine: str = "local"
    """local (Arrow/DuckDB on this machine) or spark (the same column functions through mapInArrow)."""
    spark_master: str | None = None
    """Spark master URL for ``engine="spark"`` (default: $SPARK_MASTER, else local[2])."""


def choose_format(out: Path, fmt: str | None) -> str:
    chosen = (fmt or out.suffix.lstrip(".") or "csv").lower()
    chosen = {"json": "jsonl", "ndjson": "jsonl", "pq": "parquet", "xls": "xlsx"}.get(chosen, chosen)
    if chosen not in FORMATS:
        raise InputError(f"不支持的格式 (unsupported format) {chosen!r}", hint="--format csv|xlsx|parquet|jsonl")
    return chosen


def neutral_name(name: str) -> str:
    """A column header as a spreadsheet may show it: ``'`` before one it would run as a formula."""
    if name[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(_PLAIN_NUMBER[1:-1], name):
        return "'" + name
    return name


_RISKY_FIRST = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)


def _risky_start(chunk: pa.Array) -> np.ndarray:
    """Which values start with a character a spreadsheet runs (all ASCII, so the first byte decides:
    UTF-8 never uses an ASCII byte inside a multi-byte character)."""
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    raw = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset: chunk.offset + len(chunk) + 1]
    offsets = raw.astype(np.int64)
    data = chunk.buffers()[2]
    starts = offsets[:-1]
    present = offsets[1:] > starts
    if data is None or not present.any():
        return np.zeros(len(chunk), dtype=bool)
    first = np.zeros(len(chunk), dtype=np.uint8)
    first[present] = np.frombuffer(data, dtype=np.uint8)[starts[present]]
    return present & np.isin(first, _RISKY_FIRST)


def _neutral_column(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not any(_risky_start(chunk).any() for chunk in chunks):  # the common case: nothing to change
        return column
    risky = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(column, 0, 1),
                                  value_set=pa.array(["=", "+", "-", "@", "\t", "\r"])), False)
    risky = pc.and_(risky, pc.invert(pc.fill_null(pc.match_substring_regex(column, _PLAIN_NUMBER), False)))
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """Prefix ``'`` to text cells — and column headers — a spreadsheet would evaluate (CSV/XLSX injection)."""
    columns = [_neutral_column(column) if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
               else column for column in table.columns]
    return pa.table(columns, names=[neutral_name(n) for n in table.column_names])


CSV_ROWS = BLOCK_ROWS
"""Rows per CSV piece (the block of an interleaved table, so a piece is one chunk): pieces are gathered, neutralised and rendered by two threads (Arrow releases
the GIL) and written in order, so memory stays a few pieces however large the extract."""


def _csv_piece(table: pa.Table, start: int, header: bool) -> pa.Buffer:
    # One contiguous piece: the CSV writer pays per chunk (a no-op when the piece is one block).
    piece = neutralise_formulas(table.slice(start, CSV_ROWS).combine_chunks())
    sink = pa.BufferOutputStream()
    pacsv.write_csv(piece, sink, pacsv.WriteOptions(quoting_style="needed", include_header=header))
    return sink.getvalue()


def _write_csv(table: pa.Table, path: Path) -> str:
    """Write ``table`` as UTF-8 CSV with a BOM (Excel then reads Chinese correctly); the file's SHA-256."""
    digest = hashlib.sha256()
    starts = list(range(0, table.num_rows, CSV_ROWS)) or [0]
    with path.open("wb") as handle, ThreadPoolExecutor(max_workers=2, thread_name_prefix="shucang-csv") as pool:
        handle.write(b"\xef\xbb\xbf")
        digest.update(b"\xef\xbb\xbf")
        pending: deque[Future[pa.Buffer]] = deque()
        for number, start in enumerate(starts):
            pending.append(pool.submit(_csv_piece, table, start, number == 0))
            if len(pending) > 2:
                _write_piece(handle, digest, pending.popleft().result())
        while pending:
            _write_piece(handle, digest, pending.popleft().result())
    return digest.hexdigest()


def _write_piece(handle: BinaryIO, digest: Any, data: pa.Buffer) -> None:
    view = memoryview(data)
    handle.write(view)
    digest.update(view)


def _write_xlsx(table: pa.Table, path: Path, extract_id: str) -> None:
    import xlsxwriter

    if table.num_rows > XLSX_MAX_ROWS:
        raise InputError(f"XLSX 最多 {XLSX_MAX_ROWS} 行 (too many rows: {table.num_rows})",
                         hint="use --format csv or parquet, or narrow with --where")
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                               "strings_to_numbers": False, "strings_to_urls": False})
    workbook.set_properties({"comments": f"shucang extract {extract_id}"})
    sheet = workbook.add_worksheet("data")
    for col, name in enumerate(table.column_names):
        sheet.write_string(0, col, name)
    row_no = 1
    for batch in table.to_batches(max_chunksize=10_000):
        columns = [c.to_pylist() for c in batch.columns]
        for values in zip(*columns, strict=True):
            for col, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(row_no, col, value)
                elif isinstance(value, int | float):
                    sheet.write_number(row_no, col, value)
                else:
                    sheet.write_string(row_no, col, value if isinstance(value, str) else str(value))
            row_no += 1
    workbook.close()


def _write_jsonl(table: pa.Table, path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("extract_rows", table)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM extract_rows) TO '{target}' (FORMAT JSON)")
    finally:
        con.close()


def write_table(table: pa.Table, path: Path, fmt: str, extract_id: str) -> str | None:
    """Write ``table`` as ``fmt``; CSV/XLSX text cells are neutralised first. Returns the file's
    SHA-256 when it was computed while writing (CSV), else None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return _write_csv(table, path)
    if fmt == "xlsx":
        _write_xlsx(neutralise_formulas(table), path, extract_id)
    elif fmt == "parquet":
        meta = dict(table.schema.metadata or {})
        meta[b"shucang.extract"] = extract_id.encode()
        pq.write_table(table.replace_schema_metadata(meta), path)
    else:
        _write_jsonl(table, path)
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_source(wh: Warehouse, options: ExtractOptions, version: int) -> pa.Table:
    columns = list(options.columns) if options.columns else None
    if hasattr(wh, "arrow_dataset"):
        dataset = wh.arrow_dataset(options.dataset, version)
        if columns:
            missing = [c for c in columns if c not in dataset.schema.names]
            if missing:
                raise InputError(f"数据集 {options.dataset} 没有列 {', '.join(missing)} (no such column)",
                                 hint="columns: " + ", ".join(dataset.schema.names))
        return filter_dataset(dataset, options.where, columns)
    table = wh.read_arrow(options.dataset, version, columns)
    return table.filter(parse_where(options.where, table.schema)) if options.where else table


def extract_dataset(wh: Warehouse, options: ExtractOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Make one recipient's extract file; return what the registry recorded."""
    fmt = choose_format(options.out, options.format)
    info = wh.dataset(options.dataset)
    version = options.version or info.current_version
    if version is None:
        raise InputError(f"数据集 {options.dataset} 还没有数据 (has no data yet)")
    tick = progress or (lambda _stage, _share: None)
    tick("读取 reading", 0.1)
    fields: dict[str, Any] = {}
    release: ProtectedRelease
    if check_engine(options.engine) == "spark":
        from shucang.protect.scaleout import release_on_spark

        tick("Spark 脱敏加水印 masking + marking on Spark", 0.2)
        release = release_on_spark(wh, spark_session(options.spark_master), options.dataset, version,
                                   options.recipient, columns=list(options.columns) if options.columns else None,
                                   where=options.where, created_by=options.created_by, decoys=options.decoys,
                                   record=fields.update)
    else:
        table = _read_source(wh, options, version)
        tick("脱敏加水印 masking + marking", 0.4)
        request = ReleaseRequest(options.dataset, options.recipient, "extract", version=version,
                                 created_by=options.created_by, filter_text=options.where, decoys=options.decoys)
        release = protect_for_recipient(wh, request, table, record=fields.update)
    tick("写出 writing", 0.7)
    out = options.out
    # Written beside the target under a temporary name, registered (path + hash, with the decoys' rows,
    # in one transaction) and only then renamed over it: a kill at any point leaves the old file whole,
    # a failed write leaves no registry rows, and no file appears without the rows that trace it.
    partial = out.with_name(f".{out.name}.{release.extract_id}.partial")
    for stale in out.parent.glob(f".{glob.escape(out.name)}.x*.partial"):  # left by a killed extract
        with contextlib.suppress(OSError):
            stale.unlink()
    try:
        try:
            written = write_table(release.table, partial, fmt, release.extract_id)
        except OSError as exc:
            raise InputError(f"无法写出文件 {out} (cannot write): {exc.strerror or exc}") from None
        digest = written or file_sha256(partial)
        with wh.engine.begin() as conn:  # the extract's row and its decoys' rows: both or neither
            insert_extract(wh, conn, **{**fields, "path": str(out.resolve()), "format": fmt, "file_sha256": digest,
                                        "rows": release.table.num_rows})
            insert_decoys(wh, conn, release.decoy_rows)
        os.replace(partial, out)  # after the commit: no file leaves without the rows that trace it
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    tick("完成 done", 1.0)
    result = release.to_dict()
    result.update({"dataset": options.dataset, "version": version, "path": str(out), "format": fmt,
                   "file_sha256": digest, "where": options.where})
    return result
