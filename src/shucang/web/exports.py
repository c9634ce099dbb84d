"""Every table download of the cockpit, made to stand alone: one helper for XLSX and CSV.

A downloaded file is read far from the page it came from, so it says itself what it is: a title
block (what, period, the caliber where the figures have one, source datasets and their versions, export time in Beijing time, who exported
it, the synthetic-data label), then the table with Chinese headers, status words instead of codes
and numbers with formats (completion as ``89.6%``, counts with thousands separators). The file name
carries the subject and the date. Cells that a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import xlsxwriter
from fastapi.responses import Response
from starlette.requests import Request

from shucang.errors import InputError, NotFound
from shucang.share.titleblock import BEIJING, TitleBlock, beijing_time, sources_text, spreadsheet_value
from shucang.web.i18n import N_, gettext, request_lang
from shucang.web.labels import code_label
from shucang.web.numbers import as_float, fmt_when, is_number
from shucang.web.tables import Column, Table

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
APP = N_("Cixi digital cockpit")
STATUS = {"met": N_("Met"), "largely_met": N_("Nearly met"), "lagging": N_("Lagging"), "no_data": N_("No data")}
FORMATS = {"ratio": "0.0%", "percent": '0.0"%"', "count": "#,##0", "integer": "#,##0", "number": "#,##0.00"}
"""Excel number formats by column kind (``number`` columns of whole numbers use ``integer``)."""


BLOCK_LABELS = {"subject": N_("Content"), "period": N_("Period"), "caliber": N_("Caliber"),
                "sources": N_("Source datasets (version)"), "exported_at": N_("Exported at (Beijing time)"),
                "exported_by": N_("Exported by"), "label": N_("Data label")}
"""The title block's row labels (msgids), translated into the page's language (the block itself:
:class:`shucang.share.titleblock.TitleBlock`)."""


def block_labels(lang: str) -> dict[str, str]:
    return {key: gettext(lang, msgid) for key, msgid in BLOCK_LABELS.items()}


def title_block(table: Table, request: Request | None, now: datetime | None = None) -> TitleBlock:
    """The title block of ``table`` exported by this request's user, from this warehouse."""
    lang = request_lang(request) if request is not None else "zh"
    _ = lambda s: gettext(lang, s)  # noqa: E731
    wh = getattr(request.app.state, "warehouse", None) if request is not None else None
    infos = wh.list_datasets() if wh is not None else []
    sources = table.sources or [f"{d.name} v{d.current_version}" for d in infos if d.current_version is not None]
    synthetic = any(d.synthetic for d in infos) or table.synthetic
    who = _("Anonymous visitor")
    if request is not None:
        from shucang.web.render import _actor, _display_names

        actor = _actor(request)
        if getattr(actor, "is_authenticated", False):
            who = _display_names(request).get(actor.name) or actor.name
    return TitleBlock(
        subject=f"{_(APP)} · {table.title}", period=table.period or "–", sources=sources_text(sources),
        exported_at=beijing_time(now), exported_by=who, labels=block_labels(lang),
        label=_("Synthetic demo data: nothing here describes real people or companies.") if synthetic else _("Real data"),
        lang=lang, caliber=table.caliber)


def _kind(column: Column, rows: list[dict[str, Any]]) -> str:
    if column.kind == "number":
        values = [v for r in rows if (v := as_float(r.get(column.key))) is not None]
        return "integer" if all(v.is_integer() for v in values) else "number"
    return column.kind


def cell(value: Any, kind: str, lang: str) -> Any:
    """One value as it goes into a file: numbers stay numbers, codes become words, times Beijing time."""
    if isinstance(value, dict):  # link cells are {"text", "href"}
        value = value.get("text")
    if kind == "status":
        return gettext(lang, STATUS[value]) if value in STATUS else code_label(value, lang)
    if kind == "code":
        return code_label(value, lang)
    if kind == "when":
        return fmt_when(value, lang) if value else ""
    if kind == "bool" and isinstance(value, bool):
        return gettext(lang, "Yes") if value else gettext(lang, "No")
    return spreadsheet_value(value)


def file_name(table: Table, fmt: str, lang: str, now: datetime | None = None) -> tuple[str, str]:
    """(ASCII fallback, full UTF-8 name): ``慈溪数字驾驶舱_指标_2026-12-07.xlsx``."""
    day = (now or datetime.now(UTC)).astimezone(BEIJING).strftime("%Y-%m-%d")
    subject = re.sub(r"[\\/:*?\"<>|\s]+", "_", table.title).strip("_") or table.name
    ascii_name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"shucang_{table.name}_{day}.{fmt}")
    return ascii_name, f"{gettext(lang, APP)}_{subject}_{day}.{fmt}"


def to_xlsx(table: Table, block: TitleBlock) -> bytes:
    """Title block, one blank row, the table (frozen header, filter buttons, number formats)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet((table.name or "data")[:31])
    head = book.add_format({"bold": True, "bg_color": "#eef2f8", "border": 1})
    formats = {k: book.add_format({"num_format": f}) for k, f in FORMATS.items()}
    top = block.write_xlsx(book, sheet)
    kinds = [_kind(c, table.rows) for c in table.columns]
    for col, column in enumerate(table.columns):
        sheet.write_string(top, col, str(spreadsheet_value(column.label)), head)
        sheet.set_column(col, col, max(12, min(40, len(column.label) * 2 + 4)))
    for r, row in enumerate(table.rows, start=top + 1):
        for col, column in enumerate(table.columns):
            value = cell(row.get(column.key), kinds[col], block.lang)
            if is_number(value):
                sheet.write_number(r, col, float(value), formats.get(kinds[col]))
            else:
                sheet.write_string(r, col, str(value))
    sheet.freeze_panes(top + 1, 0)
    if table.columns:
        sheet.autofilter(top, 0, top + max(len(table.rows), 1), len(table.columns) - 1)
    book.close()
    return buffer.getvalue()


def arrow_to_xlsx(table: Any, block: TitleBlock, *, sheet_name: str = "data") -> bytes:
    """An Arrow table (already released: masked, fingerprinted) under the same title block."""
    import pyarrow as pa

    from shucang.share.formats import neutralise as neutralise_table

    table = neutralise_table(table)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet(sheet_name[:31])
    head = book.add_format({"bold": True, "bg_color": "#eef2f8", "border": 1})
    top = block.write_xlsx(book, sheet)
    for c, name in enumerate(table.column_names):
        sheet.write_string(top, c, name, head)
        sheet.set_column(c, c, max(12, min(40, len(name) * 2)))
    for c, column in enumerate(table.columns):
        numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
        for r, value in enumerate(column.to_pylist(), start=top + 1):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_string(r, c, gettext(block.lang, "Yes") if value else gettext(block.lang, "No"))
            elif numeric:
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()


def to_csv(table: Table, block: TitleBlock) -> bytes:
    """UTF-8 with BOM (Excel in a Chinese locale opens it right): title block, a blank line, the table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(block.csv_rows())
    writer.writerow([])
    kinds = [_kind(c, table.rows) for c in table.columns]
    writer.writerow([spreadsheet_value(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([cell(row.get(c.key), k, block.lang) for c, k in zip(table.columns, kinds, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_response(tables: list[Table], name: str, fmt: str, *, request: Request | None = None) -> Response:
    """The table called ``name`` as a file download (``fmt`` is ``csv`` or ``xlsx``)."""
    if fmt not in MEDIA:
        raise InputError(f"不支持的导出格式 (unsupported export format): {fmt!r}", hint="use .xlsx or .csv")
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        raise NotFound(f"没有名为 {name!r} 的表格 (no table called {name!r} on this page)",
                       hint="use one of: " + ", ".join(t.name for t in tables))
    block = title_block(table, request)
    body = to_csv(table, block) if fmt == "csv" else to_xlsx(table, block)
    ascii_name, full_name = file_name(table, fmt, block.lang)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(full_name)}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition,
                                                          "X-Content-Type-Options": "nosniff",
                                                          "Cache-Control": "no-store"})
