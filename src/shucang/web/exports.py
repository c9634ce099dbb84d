"""Download routes' common answer: one of a page's tables as XLSX or CSV (formula-safe)."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.responses import Response

from shucang.errors import InputError, NotFound
from shucang.web.tables import Table, to_csv, to_xlsx

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(tables: list[Table], name: str, fmt: str) -> Response:
    """The table called ``name`` as a file download (``fmt`` is ``csv`` or ``xlsx``)."""
    if fmt not in MEDIA:
        raise InputError(f"不支持的导出格式 (unsupported export format): {fmt!r}", hint="use .xlsx or .csv")
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        raise NotFound(f"没有名为 {name!r} 的表格 (no table called {name!r} on this page)",
                       hint="use one of: " + ", ".join(t.name for t in tables))
    body = to_csv(table) if fmt == "csv" else to_xlsx(table)
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{table.name}.{fmt}")
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(table.title + '.' + fmt)}"
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition,
                                                          "X-Content-Type-Options": "nosniff"})
