"""XLSX files of this stage's tables, each with the facts a reader of a statistics table needs on top:
title, period, caliber, source datasets with their versions, export time, and the synthetic-data label."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import xlsxwriter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_xlsx(title: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]], *, period: str = "",
            caliber: str = "", sources: list[dict[str, Any]] | None = None, synthetic: bool = False,
            note: str = "") -> bytes:
    """One sheet: a header block (标题, 期间, 口径, 数据来源, 导出时间, 合成数据) then the table."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("data")
    bold = book.add_format({"bold": True})
    head = [("标题", title), ("期间", period), ("口径", caliber),
            ("数据来源", "；".join(f"{s['dataset']} v{s['version']}" for s in sources or [])),
            ("导出时间", datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S %z"))]
    if synthetic:
        head.append(("说明", "合成演示数据（synthetic demo data），不代表真实企业或统计数字"))
    if note:
        head.append(("备注", note))
    for r, (key, value) in enumerate(head):
        sheet.write_string(r, 0, key, bold)
        sheet.write_string(r, 1, str(_cell(value)))
    top = len(head) + 1
    for c, (_, label) in enumerate(columns):
        sheet.write_string(top, c, str(_cell(label)), bold)
        sheet.set_column(c, c, max(10, min(40, len(label) * 2 + 4)))
    for r, row in enumerate(rows, start=top + 1):
        for c, (key, _) in enumerate(columns):
            value = _cell(row.get(key))
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()
