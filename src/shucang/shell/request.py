"""Request-scoped helpers of both shells: the warehouse and the calling actor.

``get_actor`` resolves who is calling, once per request: an ``Authorization: Bearer sct_…`` API
token, else the signed session cookie, else the anonymous public. ``check_api_actor`` adds what the
JSON API (and the web's pages that read through it) need on top: the per-caller rate limit (429 +
Retry-After) and, for writes made with a session cookie, the CSRF header. Tests may replace
resolution by setting ``app.state.resolve_actor``.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request

from shucang.errors import AuthenticationRequired, PermissionDenied
from shucang.share.access import PUBLIC, Actor
from shucang.share.ratelimit import DEFAULT_PER_MINUTE, OPEN_PER_MINUTE, RateLimiter
from shucang.warehouse import Warehouse

__all__ = ["CSRF_HEADER", "PUBLIC", "SESSION_COOKIE", "Actor", "check_api_actor", "check_open_rate",
           "client_address", "get_actor", "get_warehouse"]

SESSION_COOKIE = "shucang_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


def get_warehouse(request: Request) -> Warehouse:
    """The app's one warehouse (opened by ``shucang.app.create_app``)."""
    wh: Warehouse = request.app.state.warehouse
    return wh


def _resolve(request: Request) -> Actor:
    from shucang.share.identity import resolve_session, resolve_token

    wh = get_warehouse(request)
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationRequired("Authorization 头格式应为 'Bearer <token>' (use 'Bearer <token>')")
        return resolve_token(wh, value.strip())
    return resolve_session(wh, request.cookies.get(SESSION_COOKIE)) or PUBLIC


def get_actor(request: Request) -> Actor:
    """Who is calling (cached on the request)."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    resolver = getattr(request.app.state, "resolve_actor", None)
    actor: Actor = resolver(request) if resolver is not None else _resolve(request)
    request.state.actor = actor
    return actor


def _limiter(request: Request, name: str, per_minute: int) -> RateLimiter:
    limiter = getattr(request.app.state, name, None)
    if limiter is None:
        limiter = RateLimiter(per_minute)
        setattr(request.app.state, name, limiter)
    assert isinstance(limiter, RateLimiter)
    return limiter


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_api_actor(request: Request) -> Actor:
    """The caller of a JSON API route, rate-limited, with CSRF checked on cookie-authenticated writes."""
    actor = get_actor(request)
    if actor.is_authenticated:
        _limiter(request, "api_rate_limiter", DEFAULT_PER_MINUTE).check(actor.key, actor.rate_per_minute)
    else:
        _limiter(request, "open_rate_limiter", OPEN_PER_MINUTE).check("ip:" + client_address(request))
    if actor.via == "session" and request.method not in _SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not (actor.csrf and sent and secrets.compare_digest(actor.csrf, sent)):
            raise PermissionDenied("缺少或错误的 CSRF 令牌 (missing or wrong CSRF token)",
                                   hint=f"send the session's token in the {CSRF_HEADER} header")
    return actor


def check_open_rate(request: Request) -> Actor:
    """The open-data API: its own per-address limit whoever calls (it serves the public)."""
    _limiter(request, "open_rate_limiter", OPEN_PER_MINUTE).check("ip:" + client_address(request))
    try:
        return get_actor(request)
    except AuthenticationRequired:
        return PUBLIC
