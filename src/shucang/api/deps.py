"""Request-scoped dependencies shared by every router: the warehouse and the calling actor.

``get_actor`` resolves who is calling, once per request: an ``Authorization: Bearer sct_…`` API
token, else the signed session cookie, else the anonymous public. ``api_actor`` adds what the JSON
API needs on top: the per-caller rate limit (429 + Retry-After) and, for writes made with a session
cookie, the CSRF header. Tests may replace resolution by setting ``app.state.resolve_actor``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from fastapi import Request

from shucang.errors import AuthenticationRequired, PermissionDenied
from shucang.share.access import PUBLIC, Actor
from shucang.share.ratelimit import DEFAULT_PER_MINUTE, OPEN_PER_MINUTE, RateLimiter
from shucang.warehouse import Warehouse

__all__ = ["PUBLIC", "Actor", "api_actor", "caller", "get_actor", "get_warehouse", "open_caller", "open_rate_limit",
           "require_role"]

SESSION_COOKIE = "shucang_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


def get_warehouse(request: Request) -> Warehouse:
    return request.app.state.warehouse


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
    return limiter


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def api_actor(request: Request) -> Actor:
    """Dependency (and plain function) form of :func:`check_api_actor`."""
    return check_api_actor(request)


async def caller(request: Request) -> Actor:
    """:func:`check_api_actor` as an async dependency: it runs on the event loop, saving a thread hop
    per request (the token or session is normally a cache hit; see ``shucang.share.cache``)."""
    return check_api_actor(request)


async def open_caller(request: Request) -> Actor:
    """:func:`check_open_rate` as an async dependency (see :func:`caller`)."""
    return check_open_rate(request)


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


def open_rate_limit(request: Request) -> Actor:
    """Dependency (and plain function) form of :func:`check_open_rate`."""
    return check_open_rate(request)


def check_open_rate(request: Request) -> Actor:
    """The open-data API: its own per-address limit whoever calls (it serves the public)."""
    _limiter(request, "open_rate_limiter", OPEN_PER_MINUTE).check("ip:" + client_address(request))
    try:
        return get_actor(request)
    except AuthenticationRequired:
        return PUBLIC


def require_role(*roles: str) -> Callable[[Request], Actor]:
    """Dependency factory: the caller must hold one of ``roles`` (admin always passes)."""

    def dependency(request: Request) -> Actor:
        actor = get_actor(request)
        if not actor.is_authenticated:
            raise AuthenticationRequired("请先登录或提供 API 令牌 (login or an API token is required)")
        if actor.role != "admin" and actor.role not in roles:
            raise PermissionDenied(f"角色 {actor.role} 无权执行此操作 (role {actor.role} may not do this)")
        return actor

    return dependency
