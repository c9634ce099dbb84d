"""Read a suspected leaked file of any format into text columns, normalised for comparison.

A leaker converts formats, re-encodes (GB18030), trims whitespace and lets spreadsheets turn
numbers into floats; tracing compares values, so every cell becomes NFKC-normalised, trimmed text
(``1234.0`` → ``1234``; dates → ``YYYY-MM-DD``; timestamps → ``YYYY-MM-DD HH:MM:SS``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shucang.errors import InputError, NotFound

MAX_BYTES = 2 << 30


def normalise_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any Arrow column → comparable text (nulls and blanks become null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    t = values.type
    if pa.types.is_date(t):
        text = values.cast(pa.string())
    elif pa.types.is_timestamp(t):
        text = pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
    elif pa.types.is_floating(t):
        integral = pc.fill_null(pc.and_(pc.is_finite(values), pc.equal(pc.floor(values), values)), False)
        small = pc.fill_null(pc.less(pc.abs(values), 1e15), False)
        as_int = pc.if_else(pc.and_(integral, small), values, 0.0).cast(pa.int64(), safe=False).cast(pa.string())
        text = pc.if_else(pc.and_(integral, small), as_int, values.cast(pa.string()))
    elif pa.types.is_string(t):
        text = values
    elif pa.types.is_dictionary(t):
        return normalise_text(values.dictionary_decode())
    else:
        text = values.cast(pa.string())
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(text, "NFKC"))
    # Spreadsheet round trips: "2020-01-01 00:00:00" → "2020-01-01", "1234.0" → "1234".
    text = pc.replace_substring_regex(text, r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]00:00:00(?:\.0+)?$", r"\1")
    text = pc.replace_substring_regex(text, r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9:]{8})(?:\.[0-9]+)?$", r"\1 \2")
    text = pc.replace_substring_regex(text, r"^([+-]?[0-9]+)\.0+$", r"\1")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def _read_csv(raw: bytes) -> pa.Table:
    text = _decode(raw)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    names = [n.strip() or f"column_{i + 1}" for i, n in enumerate(first)]
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=unique, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                         invalid_row_handler=lambda _row: "skip"),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in unique}),
    )


def _read_xlsx(path: Path) -> pa.Table:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).to_python()
    if not rows:
        return pa.table({})
    names = [str(n).strip() or f"column_{i + 1}" for i, n in enumerate(rows[0])]

    def cell(value: object) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if isinstance(value, dt.datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    columns: list[Any] = list(zip(*[list(r) + [None] * (len(names) - len(r)) for r in rows[1:]], strict=False)) \
        if len(rows) > 1 else [[] for _ in names]
    return pa.table({n: pa.array([cell(v) for v in col], pa.string()) for n, col in zip(names, columns, strict=False)})


def _read_jsonl(raw: bytes) -> pa.Table:
    records = []
    for line in _decode(raw).splitlines():
        line = line.strip()
        if line.startswith("["):
            records.extend(json.loads(line))
        elif line:
            records.append(json.loads(line))
    names: dict[str, None] = {}
    for rec in records:
        names.update(dict.fromkeys(rec))
    return pa.table({n: pa.array([None if r.get(n) is None else str(r.get(n)) for r in records], pa.string())
                     for n in names})


def read_leak(path: str | Path) -> tuple[pa.Table, dict[str, str]]:
    """The file as a table of normalised text columns, plus file metadata (e.g. a tripwire id)."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"文件不存在 (no such file): {path}")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"文件过大 (file too large) {path}", hint="trace a sample of its rows instead")
    meta: dict[str, str] = {}
    with path.open("rb") as handle:
        head = handle.read(4)
    try:
        if head == b"PAR1":
            table = pq.read_table(path)
            raw_meta = table.schema.metadata or {}
            if b"shucang.extract" in raw_meta:
                meta["extract_id"] = raw_meta[b"shucang.extract"].decode()
        elif head[:2] == b"PK":
            table = _read_xlsx(path)
        else:
            raw = path.read_bytes()
            stripped = raw.lstrip(b"\xef\xbb\xbf \r\n\t")
            table = _read_jsonl(raw) if stripped[:1] in (b"{", b"[") else _read_csv(raw)
    except (pa.ArrowInvalid, ValueError, OSError) as exc:
        raise InputError(f"无法读取文件 {path} (cannot read): {exc}",
                         hint="trace reads CSV, XLSX, Parquet and JSON Lines") from None
    return pa.table({n: normalise_text(table.column(n)) for n in table.column_names}), meta
