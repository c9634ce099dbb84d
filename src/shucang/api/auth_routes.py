"""Identity API (/api/v1): login/logout with a session cookie, who am I, API tokens, user admin."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shucang.api.deps import SESSION_COOKIE, caller, get_warehouse
from shucang.share import identity
from shucang.share.access import Actor, Resource, require
from shucang.share.audit import record_event
from shucang.share.ratelimit import DEFAULT_PER_MINUTE
from shucang.shell.login import do_login, login_response

router = APIRouter(prefix="/api/v1", tags=["identity"])


class LoginBody(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=1000)


class TokenBody(BaseModel):
    label: str = Field("", max_length=200)
    days: int = Field(identity.TOKEN_DEFAULT_DAYS, ge=1, le=identity.TOKEN_MAX_DAYS)
    rate_per_minute: int | None = Field(None, ge=1, le=1_000_000)
    user: str | None = Field(None, max_length=64, description="admins may issue tokens for applications")


class UserBody(BaseModel):
    name: str = Field(..., min_length=2, max_length=64)
    role: Literal["admin", "steward", "consumer"]
    department: str | None = Field(None, max_length=64)
    clearance: int | None = Field(None, ge=1, le=4)
    password: str | None = Field(None, min_length=identity.MIN_PASSWORD, max_length=1000)
    display_name: str = Field("", max_length=200)
    kind: Literal["person", "app"] = "person"


class UserPatch(BaseModel):
    role: Literal["admin", "steward", "consumer"] | None = None
    department: str | None = Field(None, max_length=64)
    clearance: int | None = Field(None, ge=1, le=4)
    display_name: str | None = Field(None, max_length=200)
    disabled: bool | None = None


@router.post("/auth/login", summary="Log in; sets an HttpOnly session cookie and returns the CSRF token")
def login(request: Request, body: LoginBody) -> Any:
    user = do_login(request, body.username, body.password)
    return login_response(request, user, {"ok": True, "user": user.to_dict()})


@router.post("/auth/logout", summary="End the session")
def logout(request: Request, actor: Actor = Depends(caller)) -> Any:
    identity.end_session(get_warehouse(request), request.cookies.get(SESSION_COOKIE))
    if actor.is_authenticated:
        record_event(get_warehouse(request), actor, "logout")
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/auth/me", summary="Who you are (anonymous callers are 'public')")
def me(actor: Actor = Depends(caller)) -> dict[str, Any]:
    return {"ok": True, "actor": actor.to_dict(), "csrf_token": actor.csrf}


@router.get("/tokens", summary="Your API tokens (admins: ?user=)")
def list_tokens(request: Request, user: str | None = Query(None, max_length=64),
                actor: Actor = Depends(caller)) -> dict[str, Any]:
    owner = user or actor.name
    require(actor, "token:view", Resource("token", owner=owner))
    return {"ok": True, "tokens": [t.to_dict() for t in identity.list_tokens(get_warehouse(request), owner)]}


@router.post("/tokens", status_code=201, summary="Create an API token — the secret is shown only in this answer")
def create_token(request: Request, body: TokenBody, actor: Actor = Depends(caller)) -> dict[str, Any]:
    wh = get_warehouse(request)
    owner = body.user or actor.name
    require(actor, "token:create", Resource("token", owner=owner))
    if body.rate_per_minute is not None and body.rate_per_minute > DEFAULT_PER_MINUTE:
        require(actor, "token:raise_rate", Resource("token", owner=owner))
    token, secret = identity.create_token(wh, owner, label=body.label, days=body.days,
                                          rate_per_minute=body.rate_per_minute, audit_as=actor)
    return {"ok": True, "token": secret, "info": token.to_dict(),
            "note": "令牌只显示这一次，请妥善保存 (shown once: store it safely)"}


@router.post("/tokens/{token_id}/revoke", summary="Revoke an API token (stops at once)")
def revoke_token(request: Request, token_id: int = Path(..., ge=1, le=2**62),
                 actor: Actor = Depends(caller)) -> dict[str, Any]:
    wh = get_warehouse(request)
    token = identity.get_token(wh, token_id)
    require(actor, "token:revoke", Resource("token", str(token_id), owner=token.user))
    token = identity.revoke_token(wh, token_id, audit_as=actor)
    return {"ok": True, "info": token.to_dict()}


@router.get("/users", summary="Users (admins)")
def list_users(request: Request, actor: Actor = Depends(caller)) -> dict[str, Any]:
    require(actor, "user:manage")
    return {"ok": True, "users": [u.to_dict() for u in identity.list_users(get_warehouse(request))]}


@router.post("/users", status_code=201, summary="Add a user or application (admins)")
def create_user(request: Request, body: UserBody, actor: Actor = Depends(caller)) -> dict[str, Any]:
    require(actor, "user:manage")
    wh = get_warehouse(request)
    user = identity.create_user(wh, body.name, role=body.role, department=body.department, clearance=body.clearance,
                                password=body.password, display_name=body.display_name, kind=body.kind,
                                audit_as=actor)
    return {"ok": True, "user": user.to_dict()}


@router.patch("/users/{name}", summary="Change a user's role, department, clearance or disable it (admins)")
def update_user(request: Request, body: UserPatch, name: str = Path(..., min_length=1, max_length=64),
                actor: Actor = Depends(caller)) -> dict[str, Any]:
    require(actor, "user:manage")
    wh = get_warehouse(request)
    changes = body.model_dump(exclude_none=True)
    user = identity.update_user(wh, name, audit_as=actor, **changes)
    return {"ok": True, "user": user.to_dict()}
