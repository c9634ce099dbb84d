"""The governed page read, ``GET /api/v1/datasets/{name}/rows``: one route, made fast.

A page is the API's hottest request, and FastAPI's parameter validation, dependency resolution and
response handling cost about a third of its CPU time. :class:`RowsRoute` is the route's class: when
every parameter of a request is *plainly* valid (:func:`plain_query` accepts a strict subset of what
the route's declared parameters accept, so it never lets through what FastAPI would refuse) it answers
the request itself; anything doubtful is validated by FastAPI from the endpoint's declared parameters
as usual (422 included), and the endpoint is what the OpenAPI document describes. Either way the same
:func:`answer` gives the body: a page already released to this caller is answered on the event loop
without a thread hop, its audit entry committed by the journal's committer thread before the answer
leaves.

What the plain path does *not* skip: the caller check (token or session, rate limit:
:func:`check_api_actor`), the permission and grant check, protection and the audit entry
(:func:`shucang.share.reads.read_rows`), and the error shape (``{"ok": false, "error", "hint", "code",
"status"}``, Retry-After on 429). Serialised answers are kept with remembered protected pages
(``shucang.share.pages``): the JSON is written once and only the per-answer extract id is put into it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as urlquote

import anyio.to_thread
import orjson
import sqlalchemy as sa
from fastapi.routing import APIRoute, APIRouter
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from shucang.errors import ShucangError, unstorable_value
from shucang.share.access import Actor
from shucang.share.audit import AuditBuffer
from shucang.share.formats import check_format, csv_bytes, json_bytes, xlsx_bytes
from shucang.share.query import DEFAULT_PAGE, MAX_PAGE, parse_json_param
from shucang.share.reads import ReadResult, read_remembered, read_rows
from shucang.shell.errors import error_parts
from shucang.shell.request import check_api_actor, get_warehouse

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

NAME_MAX = 128
TEXT_MAX = {"columns": 4000, "filter": 20000, "sort": 1000, "cursor": 2000}
"""Longest accepted text of each parameter (the FastAPI route declares the same limits)."""
_DIGITS = re.compile(r"[1-9][0-9]{0,17}")
LOOP_FORMATS = ("json", "csv")
"""Formats a remembered page keeps serialised (an XLSX carries its extract id inside: made each time)."""
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class RowsQuery:
    """The parameters of a page request as the FastAPI route validated them."""

    name: str
    columns: str | None = None
    filter: str | None = None
    sort: str | None = None
    limit: int = 100
    cursor: str | None = None
    version: int | None = None
    format: str = "json"

    @cached_property
    def arguments(self) -> dict[str, Any]:
        """The read's keyword arguments: the column list split and the filter parsed (and checked) once
        per query — a remembered query (see :class:`RowsRoute`) skips the JSON work when asked again.
        Nothing downstream changes them. A filter that is not JSON raises each time it is asked for."""
        columns = [c.strip() for c in self.columns.split(",") if c.strip()] if self.columns else None
        return {"columns": columns or None, "filter": parse_json_param(self.filter, "filter"), "sort": self.sort,
                "limit": self.limit, "cursor": self.cursor, "version": self.version, "fmt": self.format}


def answer_encoded(wh: Warehouse, actor: Actor, query: RowsQuery) -> tuple[bytes, dict[str, str]]:
    """The page and its serialisation (in a worker thread: both may take a while)."""
    return encode_read(read_rows(wh, actor, query.name, **query.arguments), query.format)


async def answer_on_loop(wh: Warehouse, actor: Actor, query: RowsQuery) -> tuple[bytes, dict[str, str]] | None:
    """The answer when it can be given from memory without blocking the loop, else None.

    The audit entries of this request are committed (without blocking the loop) before anything is
    returned or raised — no answer, not even a refusal, leaves before its entry is durable."""
    if query.format not in LOOP_FORMATS:
        return None
    buffer = AuditBuffer(wh)
    try:
        result = read_remembered(wh, actor, query.name, **query.arguments, audit=buffer)
    finally:
        await buffer.flush()
    if result is None:
        return None
    if result.remembered is None or query.format not in result.remembered.encoded:
        return await anyio.to_thread.run_sync(partial(encode_read, result, query.format))
    return encode_read(result, query.format)


async def answer(wh: Warehouse, actor: Actor, query: RowsQuery) -> tuple[bytes, dict[str, str]]:
    """The one body of the route: the page's bytes and headers (from memory on the loop when it can be,
    else in a worker thread); refusals raise."""
    found = await answer_on_loop(wh, actor, query)
    if found is None:
        found = await anyio.to_thread.run_sync(partial(answer_encoded, wh, actor, query))
    return found


async def respond_validated(request: Request, actor: Actor, query: RowsQuery) -> Response:
    """:func:`answer` as the endpoint's response, for a request FastAPI validated (refusals go to the
    app's error handlers, which write the same error body)."""
    body, headers = await answer(get_warehouse(request), actor, query)
    return Response(body, media_type=headers.pop("content-type"), headers=headers)


def plain_query(name: str, query_string: bytes) -> RowsQuery | None:
    """The request's :class:`RowsQuery` when every parameter is plainly valid, else None (then FastAPI
    validates it from the endpoint's declared parameters, e.g. 422). Accepts a strict subset of what the
    route accepts: each known parameter at most once, non-empty, within its length; numbers as plain
    digits in range; a known format. Anything else — an unknown or repeated parameter, ``limit=+5`` —
    goes to FastAPI. The query string is decoded by Starlette's own ``QueryParams``, as for the route."""
    if not 1 <= len(name) <= NAME_MAX:
        return None
    given: dict[str, str] = {}
    for key, value in QueryParams(query_string).multi_items():
        if key in given or value == "":
            return None
        if key in TEXT_MAX:
            if len(value) > TEXT_MAX[key]:
                return None
        elif key in ("limit", "version"):
            if not _DIGITS.fullmatch(value) or (key == "limit" and int(value) > MAX_PAGE):
                return None
        elif key != "format" or value not in MEDIA:
            return None
        given[key] = value
    return RowsQuery(name, given.get("columns"), given.get("filter"), given.get("sort"),
                     int(given.get("limit", DEFAULT_PAGE)), given.get("cursor"),
                     int(given["version"]) if "version" in given else None, given.get("format", "json"))


# ---------------------------------------------------------------------------------------------- encoding
def encode_read(result: ReadResult, fmt: str, extra: dict[str, Any] | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a read answer: JSON (rows + metadata) or a CSV/XLSX attachment with the
    metadata in headers. A remembered page keeps its JSON (split around the extract id) and CSV."""
    fmt = check_format(fmt)
    headers = {"content-type": MEDIA[fmt], "X-Shucang-Dataset-Version": str(result.version)}
    if result.extract_id:
        headers["X-Shucang-Extract-Id"] = result.extract_id
    if result.next_cursor:
        headers["X-Shucang-Next-Cursor"] = result.next_cursor
    if fmt == "json":
        return _json_body(result, extra), headers
    name = f"{result.dataset}-v{result.version}.{fmt}"
    headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{urlquote(name)}"
    if fmt == "csv":
        return _csv_body(result), headers
    note = f"shucang {result.dataset} v{result.version}; extract {result.extract_id or '-'}"
    return xlsx_bytes(result.table, note=note), headers


def _json_body(result: ReadResult, extra: dict[str, Any] | None) -> bytes:
    page = result.remembered
    if page is None or extra or not result.extract_id:
        return json_bytes({"ok": True, **result.meta(), **(extra or {})}, result.table)
    parts = page.encoded.get("json")
    if parts is None:
        parts = _json_parts(result) or ()  # () = could not be cut: written in full each time
        page.remember_encoded("json", parts, sum(len(p) for p in parts))
    if not parts:
        return json_bytes({"ok": True, **result.meta()}, result.table)
    head, tail = parts
    return head + orjson.dumps(result.extract_id) + tail


def _json_parts(result: ReadResult) -> tuple[bytes, bytes] | None:
    """The JSON answer cut around its extract id (a random stand-in that must occur exactly once)."""
    stand_in = "sc-extract-" + secrets.token_hex(16)
    body = json_bytes({"ok": True, **result.meta(), "extract_id": stand_in}, result.table)
    marker = orjson.dumps(stand_in)
    head, found, tail = body.partition(marker)
    if not found or marker in tail:
        return None
    return head, tail


def _csv_body(result: ReadResult) -> bytes:
    page = result.remembered
    if page is None:
        return csv_bytes(result.table)
    body = page.encoded.get("csv")
    if body is None:
        body = csv_bytes(result.table)
        page.remember_encoded("csv", body, len(body))
    return body


# ---------------------------------------------------------------------------------------------- route
class RowsRoute(APIRoute):
    """The route's class: a plainly valid request is answered here, the rest by FastAPI from the
    endpoint's declared parameters (``app.state.fast_rows = False`` sends every request that way)."""

    MEMO_ENTRIES = 4096
    MEMO_QUERY_BYTES = 2048

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self._parsed: dict[tuple[str, bytes], RowsQuery | None] = {}
        """Parses of recent (name, query string)s: a pure function of them, and most pages are asked again."""

    def _plain(self, scope: Scope) -> RowsQuery | None:
        if scope["method"] != "GET" or not getattr(scope["app"].state, "fast_rows", True):
            return None
        key = (scope["path_params"]["name"], scope.get("query_string", b""))
        if key in self._parsed:
            return self._parsed[key]
        query = plain_query(*key)
        if len(key[1]) <= self.MEMO_QUERY_BYTES:
            if len(self._parsed) >= self.MEMO_ENTRIES:
                self._parsed.clear()
            self._parsed[key] = query
        return query

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = self._plain(scope)
        if query is None:
            await super().handle(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            body, named = await answer(get_warehouse(request), check_api_actor(request), query)
        except (ShucangError, sa.exc.DataError) as exc:
            status, body, headers = error_parts(exc if isinstance(exc, ShucangError) else unstorable_value())
            await _send(send, status, body, [(b"content-type", b"application/json"), *headers])
            return
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in named.items()]
        await _send(send, 200, body, headers)


def add_rows_route(router: APIRouter, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> RowsRoute:
    """Register the page route (a GET with ``endpoint``'s declared parameters) on ``router``."""
    router.add_api_route(path, endpoint, methods=["GET"], route_class_override=RowsRoute, **kwargs)
    route = router.routes[-1]
    assert isinstance(route, RowsRoute)
    return route


class _First:
    """ASGI app of the page route's entry at the head of the app's route list."""

    def __init__(self, route: RowsRoute) -> None:
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.route.handle(scope, receive, send)


def match_first(app: Starlette, route: RowsRoute) -> None:
    """Let the app's router try the page route before any other: FastAPI matches an included router's
    routes one by one, twice per request, which was a tenth of a page's CPU. The entry hands the request
    to the same route object and is left out of the OpenAPI document (the route is documented where it
    was registered)."""
    app.router.routes.insert(0, Route(route.path, _First(route), methods=sorted(route.methods or ()),
                                      include_in_schema=False, name=f"{route.name}-first"))


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
