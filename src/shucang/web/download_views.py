"""下载全部: a grant's whole data as one file, streamed, never silently cut.

The read page shows one page of rows; its download links used to give that page only. This route
gives every row the caller may read — page by page through the same core read as the API (masked,
fingerprinted, audited as an export, checked against the grant on every page) — with the API's rate
limit, a title block saying what is in the file, and dictionary labels as headers. CSV is streamed;
XLSX is built in memory up to :data:`MAX_XLSX_ROWS` rows, and the page says so when it would stop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pyarrow as pa
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from shucang.errors import InputError
from shucang.share.formats import csv_chunks
from shucang.share.reads import aggregate, read_rows
from shucang.share.titleblock import TitleBlock, beijing_time
from shucang.shell.request import check_api_actor, get_warehouse
from shucang.web.dictionary import column_label
from shucang.web.exports import APP, MEDIA, arrow_to_xlsx, block_labels
from shucang.web.i18n import gettext, request_lang

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

router = APIRouter(include_in_schema=False)

PAGE = 10_000
MAX_XLSX_ROWS = 200_000
"""Above this an XLSX would be too big to build in memory; CSV has no such limit."""


def row_count(wh: Warehouse, actor: Any, name: str) -> int | None:
    """How many rows this caller may download (the grant's row filter applied), or None if unknown."""
    try:
        result = aggregate(wh, actor, name, measures=[{"fn": "count", "column": None}], limit=1)
    except InputError:
        return None
    values = result.table.column(result.table.num_columns - 1).to_pylist() if result.table.num_rows else []
    return int(values[0]) if values and values[0] is not None else None


def _headers(names: list[str], lang: str) -> list[str]:
    out = []
    for n in names:
        label = column_label(n, lang)
        out.append(n if label == n else f"{label}（{n}）" if lang == "zh" else f"{label} ({n})")
    return out


def _block(request: Request, meta: dict[str, Any], title: str, total: int | None, lang: str) -> TitleBlock:
    from shucang.web.render import _actor, _display_names

    actor = _actor(request)
    who = _display_names(request).get(actor.name) or actor.name
    masked = "、".join(column_label(c, lang) for c in meta["masked_columns"]) or gettext(lang, "none")
    label = gettext(lang, "Masked columns") + f"：{masked}"
    return TitleBlock(subject=f"{gettext(lang, APP)} · {title}（{meta['dataset']}）",
                      period=gettext(lang, "All rows you may read") + (f"：{total:,}" if total is not None else ""),
                      sources=f"{meta['dataset']} v{meta['version']}",
                      exported_at=beijing_time(),
                      exported_by=who, label=label, lang=lang, labels=block_labels(lang))


@router.get("/access/{name}/all.{fmt}")
def download_all(request: Request, name: str = Path(..., min_length=1, max_length=128),
                 fmt: str = Path(..., pattern="^(csv|xlsx)$")) -> Response:
    actor = check_api_actor(request)
    if not actor.is_authenticated:
        return RedirectResponse(f"/login?next={quote(f'/access/{name}')}", status_code=303)
    wh, lang = get_warehouse(request), request_lang(request)
    first = read_rows(wh, actor, name, limit=PAGE, channel="api", fmt=fmt)
    info = wh.dataset(name)
    total = row_count(wh, actor, name)
    block = _block(request, first.meta(), info.title, total, lang)
    day = beijing_time()[:10]
    filename = f"{gettext(lang, APP)}_{info.title}_{day}.{fmt}".replace("/", "_")
    disposition = f"attachment; filename=\"shucang_{name}_{day}.{fmt}\"; filename*=UTF-8''{quote(filename)}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    labels = _headers(first.table.column_names, lang)

    def pages() -> Iterator[pa.Table]:
        page, shown = first, 0
        while True:
            yield page.table
            shown += page.table.num_rows
            if not page.next_cursor or (fmt == "xlsx" and shown >= MAX_XLSX_ROWS):
                return
            page = read_rows(wh, actor, name, limit=PAGE, cursor=page.next_cursor, channel="api", fmt=fmt)

    if fmt == "xlsx":
        table = pa.concat_tables(list(pages())).slice(0, MAX_XLSX_ROWS).rename_columns(labels)
        return Response(arrow_to_xlsx(table, block), media_type=MEDIA["xlsx"], headers=headers)

    def stream() -> Iterator[bytes]:
        head = io.StringIO()
        writer = csv.writer(head, lineterminator="\r\n")
        for key, value in block.rows():
            writer.writerow([key, value])
        writer.writerow([])
        yield ("\ufeff" + head.getvalue()).encode("utf-8")
        schema = first.table.schema
        renamed = pa.schema([f.with_name(n) for f, n in zip(schema, labels, strict=True)])
        batches = (b for t in pages() for b in t.rename_columns(labels).to_batches())
        yield from csv_chunks(batches, renamed)

    return StreamingResponse(stream(), media_type=MEDIA["csv"], headers=headers)
