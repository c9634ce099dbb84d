"""Serialising released tables as JSON, CSV or XLSX — with formula-like cells neutralised.

A cell starting with ``= + - @`` (or TAB/CR) is what spreadsheet programs execute as a formula
(CSV injection); such text cells get a leading ``'``. Numbers stay numbers. The neutralisation is
one vectorised pyarrow expression per text column.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from shucang.errors import InputError
from shucang.protect.extract import neutralise_formulas

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
XLSX_MAX_ROWS = 1_048_575


def check_format(fmt: str | None) -> str:
    fmt = (fmt or "json").lower()
    if fmt not in FORMATS:
        raise InputError(f"未知格式 (unknown format) {fmt!r}", hint="json, csv or xlsx")
    return fmt


def neutralise(table: pa.Table) -> pa.Table:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (the protection stage's rule)."""
    return neutralise_formulas(table)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value == value.to_integral_value() or abs(value) < 1e15 else str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return str(value)


def finite(table: pa.Table) -> pa.Table:
    """NaN and ±inf become null: JSON has no spelling for them."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            col = table.column(i)
            table = table.set_column(i, field, pc.if_else(pc.is_finite(col), col, pa.scalar(None, field.type)))
    return table


def _iso_dates(table: pa.Table) -> pa.Table:
    """Date columns as ISO text, cast by Arrow: the same 'YYYY-MM-DD' as ``date.isoformat()``, at a
    fifth of the cost of making Python date objects (the largest part of a page's JSON otherwise)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_date(field.type):
            table = table.set_column(i, pa.field(field.name, pa.string()), table.column(i).cast(pa.string()))
    return table


def json_bytes(payload: dict[str, Any], table: pa.Table) -> bytes:
    """``payload`` plus ``"rows"`` as UTF-8 JSON in one pass (dates ISO, decimals as numbers).

    orjson writes the rows several times faster than the standard library (it is C and knows dates)."""
    return orjson.dumps({**payload, "rows": _iso_dates(finite(table)).to_pylist()}, default=_plain)


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates ISO, decimals as numbers, NaN as null)."""
    return orjson.loads(orjson.dumps(finite(table).to_pylist(), default=_plain))


def csv_bytes(table: pa.Table) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads Chinese correctly), formula-like cells neutralised."""
    sink = io.BytesIO()
    sink.write(b"\xef\xbb\xbf")
    pacsv.write_csv(neutralise(_csv_safe(table)), sink)
    return sink.getvalue()


def _csv_safe(table: pa.Table) -> pa.Table:
    """pyarrow's CSV writer handles scalars; nested values are written as JSON text."""
    for i, field in enumerate(table.schema):
        if pa.types.is_nested(field.type) or pa.types.is_dictionary(field.type):
            text = [None if v is None else json.dumps(v, ensure_ascii=False, default=_plain)
                    for v in table.column(i).to_pylist()]
            table = table.set_column(i, pa.field(field.name, pa.string()), pa.array(text, pa.string()))
    return table


def csv_chunks(batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> Iterator[bytes]:
    """Streamed CSV for whole-dataset downloads (header once, then each batch)."""
    yield b"\xef\xbb\xbf"
    first = True
    for batch in batches:
        sink = io.BytesIO()
        table = neutralise(_csv_safe(pa.Table.from_batches([batch], schema=schema)))
        pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(include_header=first))
        first = False
        yield sink.getvalue()
    if first:
        sink = io.BytesIO()
        pacsv.write_csv(neutralise(schema.empty_table()), sink)
        yield sink.getvalue()


def xlsx_bytes(table: pa.Table, *, sheet: str = "data", note: str | None = None) -> bytes:
    """An XLSX workbook; text is always written as text (never as a formula, number or URL)."""
    import xlsxwriter

    if table.num_rows > XLSX_MAX_ROWS:
        raise InputError(f"XLSX 最多 {XLSX_MAX_ROWS} 行 (XLSX holds at most {XLSX_MAX_ROWS} rows)",
                         hint="download CSV instead")
    table = neutralise(table)
    sink = io.BytesIO()
    book = xlsxwriter.Workbook(sink, {"in_memory": True, "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False})
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    for c, name in enumerate(table.column_names):
        ws.write_string(0, c, name, bold)
    for c, column in enumerate(table.columns):
        numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
        for r, value in enumerate(column.to_pylist(), start=1):
            if value is None:
                continue
            if isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif numeric:
                ws.write_number(r, c, float(value))
            else:
                ws.write_string(r, c, value if isinstance(value, str) else str(_plain(value)))
    if note:
        info = book.add_worksheet("about")
        info.write_string(0, 0, note)
    book.close()
    return sink.getvalue()
