"""The one table shape every cockpit page uses, and its exports to CSV and XLSX.

A page's data function builds :class:`Table` objects; the HTML macro, the JSON twin and the export
routes all read the same object, so a downloaded file always matches what the page shows. Cells that
a spreadsheet would run as a formula (beginning ``= + - @``, tab or CR) are neutralised on export by a
leading apostrophe — the OWASP "CSV injection" advice — while real numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import xlsxwriter

from shucang.web.numbers import is_number

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    """One column: machine key, shown label, and how the HTML cell is formatted."""

    key: str
    label: str
    kind: str = "text"
    """text | number | count | ratio | percent | status | code | person | link | when | bool — how a cell is
    shown (``code``: through the code → label table; ``person``: display name instead of login id)."""


@dataclass
class Table:
    """Rows of plain values (dicts keyed by column key) with labelled columns."""

    name: str
    """Export name, e.g. ``indicators`` (→ ``/export/indicators.xlsx``)."""
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    export_url: str | None = None
    """Base URL of the export route without extension (set by the page)."""
    note: str = ""
    period: str = ""
    """What time the rows cover (e.g. ``2021–2025``), for an export's title block."""
    sources: list[str] = field(default_factory=list)
    """Source datasets with versions (``enterprise_cloud v3``); empty: every dataset of the warehouse."""
    synthetic: bool = False
    caliber: str = ""
    """统计口径 of the figures (e.g. comparable enterprises both years), when it matters: a title-block line."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label} for c in self.columns],
            "rows": [{c.key: jsonable(row.get(c.key)) for c in self.columns} for row in self.rows],
        }


def jsonable(value: Any) -> Any:
    """Dates as ISO text; everything else unchanged (numbers stay numbers)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def neutralise(value: Any) -> Any:
    """A cell safe for a spreadsheet: text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if is_number(value):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, dict):  # link cells are {"text", "href"}
        return value.get("text")
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with BOM (so Excel in a Chinese locale opens it correctly), header = column labels."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([neutralise(_plain(row.get(c.key))) for c in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One worksheet; strings written as strings (never parsed as formulas or numbers)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet((table.name or "data")[:31])
    bold = book.add_format({"bold": True})
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, str(neutralise(column.label)), bold)
        sheet.set_column(col, col, max(10, min(40, len(column.label) * 2 + 4)))
    for r, row in enumerate(table.rows, start=1):
        for col, column in enumerate(table.columns):
            value = neutralise(_plain(row.get(column.key)))
            if is_number(value):
                sheet.write_number(r, col, float(value))
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    return buffer.getvalue()
