"""The one door check in front of every route: unstorable input, response security headers, the
caller's address.

Every request passes :class:`Guard` before routing (the fast page path included): query parameters
and JSON bodies that hold values the catalog or the audit chain cannot store (NUL, lone surrogates,
integers beyond 64 bits, absurd nesting) are answered 400 in the one error shape, and the refusal is
audited — nothing of the request has been written by then. Every answer carries CSP, X-Frame-Options
and nosniff. ``X-Forwarded-For`` is believed only from the proxies named in ``SHUCANG_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import QueryParams

from shucang.errors import InputError, ShucangError
from shucang.share.validate import INT_MAX, INT_MIN, check_json_text, check_text, loads
from shucang.shell.errors import error_parts

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
MAX_BODY = 12 * 1024 * 1024
"""Largest request body read (plan imports are ≤ 10 MB)."""
_INTEGER = re.compile(r"[+-]?[0-9]{19,}")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


def trusted_proxies() -> frozenset[str]:
    """Addresses whose ``X-Forwarded-For`` is believed (``SHUCANG_TRUSTED_PROXIES``, comma-separated)."""
    return frozenset(p.strip() for p in os.environ.get("SHUCANG_TRUSTED_PROXIES", "").split(",") if p.strip())


def check_query(query_string: bytes, *, numbers: bool = True) -> None:
    """Refuse query parameters (or form fields, ``numbers=False``: a password may be all digits)
    holding NUL, lone surrogates or integers beyond 64 bits."""
    if not query_string:
        return
    for key, value in QueryParams(query_string).multi_items():
        check_text(key, "query")
        check_text(value, key)
        if not numbers:
            continue
        if _INTEGER.fullmatch(value) and not INT_MIN <= int(value) <= INT_MAX:
            raise InputError(f"参数 {key} 超出 64 位整数范围 (parameter {key} is beyond 64 bits)", code="invalid_value")
        if value[:1] in ("{", "["):
            check_json_text(value, key)


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).lower()
    return b""


class Guard:
    """ASGI middleware (outermost): validate, then add the security headers to whatever answers."""

    PASSED_ENTRIES = 4096

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.proxies = trusted_proxies()
        self._passed: set[bytes] = set()
        """Query strings already found storable (a pure function of the bytes; most pages are asked again)."""

    def _check_query(self, query: bytes) -> None:
        if not query or query in self._passed:
            return
        check_query(query)
        if len(query) <= 4096:
            if len(self._passed) >= self.PASSED_ENTRIES:
                self._passed.clear()
            self._passed.add(query)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._client(scope)

        async def send_secured(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                have = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()),
                                      *[(n, v) for n, v in SECURITY_HEADERS if n not in have]]
            await send(message)

        try:
            check_text(scope.get("path", ""), "path")
            self._check_query(scope.get("query_string", b""))
            kind = _content_type(scope) if scope["method"] in ("POST", "PUT", "PATCH", "DELETE") else b""
            if b"json" in kind:
                body = await _read_body(receive)
                loads(body or b"null", "body")
                receive = _replay(body)
            elif kind.startswith(b"application/x-www-form-urlencoded"):
                body = await _read_body(receive)
                check_query(body, numbers=False)
                receive = _replay(body)
        except ShucangError as exc:
            await self._refuse(scope, exc, send_secured)
            return
        await self.app(scope, receive, send_secured)

    def _client(self, scope: Scope) -> None:
        """The caller's address: the peer, or — from a trusted proxy — the last untrusted hop it names."""
        client = scope.get("client")
        if not client or client[0] not in self.proxies:
            return
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                while hops and hops[-1] in self.proxies:
                    hops.pop()
                if hops:
                    scope["client"] = (hops[-1], 0)
                return

    async def _refuse(self, scope: Scope, exc: ShucangError, send: Send) -> None:
        """The 4xx, after its audit entry (who asked what, without the unstorable value itself)."""
        from starlette.requests import Request

        from shucang.share.audit import record_event_async
        from shucang.share.validate import check_text as _ok
        from shucang.shell.request import get_actor

        request = Request(scope)
        wh = getattr(scope["app"].state, "warehouse", None)
        if wh is not None:
            try:
                actor: Any = get_actor(request)
            except ShucangError:
                actor = "public"
            try:
                path = _ok(scope["path"])
            except ShucangError:
                path = "?"
            await record_event_async(wh, actor, "input", outcome="failed", method=scope["method"], path=path[:300],
                                     error=exc.message[:300],
                                     address=scope["client"][0] if scope.get("client") else None)
        status, body, headers = error_parts(exc)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                *headers]})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise InputError("请求体过大 (request body too large)", status=413, code="too_large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
