"""XLSX files of this stage's tables (the 亩均 evaluation list of the CLI and API), under the same
title block as every cockpit download (:mod:`shucang.share.titleblock`): content, period, caliber,
source datasets with their versions, export time, who exported it and the synthetic-data label."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from shucang.share.titleblock import (
    REAL_LABEL,
    SYNTHETIC_LABEL,
    TitleBlock,
    beijing_time,
    sources_text,
    spreadsheet_value,
)


def to_xlsx(title: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]], *, period: str = "",
            caliber: str = "", sources: list[dict[str, Any]] | None = None, synthetic: bool = False,
            note: str = "", exported_by: str = "–") -> bytes:
    """One sheet: the title block, a blank row, then the table (numbers as numbers)."""
    block = TitleBlock(subject=title, period=period or "–", sources=sources_text(sources or []),
                       exported_at=beijing_time(), exported_by=exported_by,
                       label=SYNTHETIC_LABEL if synthetic else REAL_LABEL, caliber=caliber, note=note)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("data")
    bold = book.add_format({"bold": True})
    top = block.write_xlsx(book, sheet)
    for c, (_, label) in enumerate(columns):
        sheet.write_string(top, c, str(spreadsheet_value(label)), bold)
        sheet.set_column(c, c, max(10, min(40, len(label) * 2 + 4)))
    for r, row in enumerate(rows, start=top + 1):
        for c, (key, _) in enumerate(columns):
            value = spreadsheet_value(row.get(key))
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()
