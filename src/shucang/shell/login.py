"""Password login and the session cookie, shared by ``POST /api/v1/auth/login`` and the web's login form."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.requests import Request

from shucang.errors import ShucangError
from shucang.share import identity
from shucang.share.access import Actor
from shucang.share.audit import record_event
from shucang.shell.request import SESSION_COOKIE, check_open_rate, client_address, get_warehouse

__all__ = ["do_login", "login_response"]


def login_response(request: Request, user: identity.UserInfo, body: dict[str, Any],
                   response: Any = None) -> Any:
    """Start a session and set its cookie (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    wh = get_warehouse(request)
    cookie, csrf = identity.create_session(wh, user)
    response = response or JSONResponse({**body, "csrf_token": csrf})
    response.set_cookie(SESSION_COOKIE, cookie, max_age=identity.SESSION_HOURS * 3600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


def do_login(request: Request, username: str, password: str) -> identity.UserInfo:
    """Check a password (per-address rate limit first, against spraying); both outcomes are audited."""
    check_open_rate(request)
    wh = get_warehouse(request)
    try:
        user = identity.authenticate(wh, username, password)
    except ShucangError as exc:
        # Only a known account is named: what was typed for an unknown one (often a password in the
        # wrong field) is never stored — such failures are counted under one placeholder name.
        known = identity.user_exists(wh, username)
        who = Actor(name=username[:64] if known else "(unknown user)", role="public")
        record_event(wh, who, "login", outcome="failed", address=client_address(request), error=exc.message,
                     known_user=known)
        raise
    record_event(wh, user.actor("session"), "login", department=user.department, address=client_address(request))
    return user
