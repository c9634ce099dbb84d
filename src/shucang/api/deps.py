"""FastAPI dependencies of the JSON API's routers: the caller, rate-limited, and role checks.

Resolving who calls (token, session cookie or the public), the rate limits and the CSRF check live
in :mod:`shucang.shell.request`, shared with the web cockpit; this module only gives them the
dependency forms the routers declare (and re-exports the names the routers import from here).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from shucang.errors import AuthenticationRequired, PermissionDenied
from shucang.share.access import PUBLIC, Actor
from shucang.shell.request import (
    SESSION_COOKIE,
    check_api_actor,
    check_open_rate,
    client_address,
    get_actor,
    get_warehouse,
)

__all__ = ["PUBLIC", "SESSION_COOKIE", "Actor", "api_actor", "caller", "check_api_actor", "check_open_rate",
           "client_address", "get_actor", "get_warehouse", "open_caller", "open_rate_limit", "require_role"]


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


def open_rate_limit(request: Request) -> Actor:
    """Dependency (and plain function) form of :func:`check_open_rate`."""
    return check_open_rate(request)


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
