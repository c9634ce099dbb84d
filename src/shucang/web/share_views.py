"""Web pages of the sharing stage: login, the request/approval workflow, grants, tokens, audit, open data.

For the cockpit side: ``mount_web`` includes this module's ``router``. Templates live under
``web/templates/share/`` and ``web/templates/opendata/`` and extend ``base.html``.

Every page computes its data with the same core calls the JSON API makes (``shucang.share``) and
renders it through ``shucang.web.render.page`` (so ``?format=json`` gives the data). Forms carry a
CSRF token (the session's own once logged in; a double-submit cookie on the login form).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from shucang.errors import InputError, PermissionDenied, RateLimited, ShucangError
from shucang.share import audit as audit_log
from shucang.share import grants as workflow
from shucang.share import identity, opendata
from shucang.share.access import Actor, Resource, allowed, audit_scope, require
from shucang.share.audit import record_event
from shucang.share.formats import json_rows
from shucang.share.reads import dataset_resource, describe
from shucang.shell.login import do_login, login_response
from shucang.shell.request import SESSION_COOKIE, check_open_rate, get_actor, get_warehouse
from shucang.web.i18n import request_lang
from shucang.web.render import check_csrf, page

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

router = APIRouter(include_in_schema=False)


def _render(request: Request, template: str, data: dict[str, Any], *, active: str = "", status: int = 200,
            context: dict[str, Any] | None = None) -> Response:
    lang = request_lang(request)

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    return page(request, template, data, status=status, active=active, context={"t": t, **(context or {})})


def _actor(request: Request) -> Actor:
    try:
        return get_actor(request)
    except ShucangError:
        return Actor(name="public", role="public")


def _local(next_url: str | None, default: str = "/requests") -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if next_url and next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return default


def _need_login(request: Request) -> Response | None:
    if _actor(request).is_authenticated:
        return None
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _csrf(request: Request, token: str | None) -> None:
    if not check_csrf(request, token):
        raise PermissionDenied("表单已过期或来源不明，请刷新后重试 (form expired or forged: reload and retry)")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------------------------------------- login
@router.get("/login")
def login_page(request: Request, next: str | None = Query(None, max_length=2000)) -> Response:
    return _render(request, "share/login.html", {"next": _local(next), "error": None}, active="login")


@router.post("/login")
def login_submit(request: Request, username: str = Form("", max_length=64), password: str = Form("", max_length=1000),
                 csrf_token: str = Form(""), next: str = Form("/requests", max_length=2000)) -> Response:
    _csrf(request, csrf_token)
    try:
        user = do_login(request, username, password)
    except (RateLimited, ShucangError) as exc:
        status = 429 if isinstance(exc, RateLimited) else 401
        return _render(request, "share/login.html", {"next": _local(next), "error": exc.message, "username": username},
                       active="login", status=status)
    return login_response(request, user, {}, response=_see_other(_local(next)))


@router.post("/logout")
def logout_submit(request: Request, csrf_token: str = Form("")) -> Response:
    _csrf(request, csrf_token)
    actor = _actor(request)
    identity.end_session(get_warehouse(request), request.cookies.get(SESSION_COOKIE))
    if actor.is_authenticated:
        record_event(get_warehouse(request), actor, "logout")
    response = _see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------------------------------- requests
@router.get("/requests")
def requests_page(request: Request) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    wh, actor = get_warehouse(request), _actor(request)
    visible = workflow.list_requests(wh, actor)
    mine = [r.to_dict() for r in visible if r.user == actor.name]
    to_decide = [r.to_dict() for r in visible if r.status == "pending" and r.user != actor.name
                 and allowed(actor, "request:decide", r.resource(r.department))]
    others = [r.to_dict() for r in visible if r.user != actor.name and r.status != "pending"]
    grants = [{**g.to_dict(), "can_revoke": g.state == "active" and allowed(actor, "grant:revoke", g.resource())}
              for g in workflow.list_grants(wh, actor)]
    titles = {d.name: d.title for d in wh.list_datasets()}
    return _render(request, "share/requests.html", {"mine": mine, "to_decide": to_decide, "decided": others,
                                                    "grants": grants}, active="requests", context={"titles": titles})


@router.get("/requests/new")
def request_form(request: Request, dataset: str | None = Query(None, max_length=128)) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    return _request_form(request, dataset)


def _request_form(request: Request, dataset: str | None, *, error: str | None = None,
                  form: dict[str, Any] | None = None, status: int = 200) -> Response:
    """The request form, again with the reader's input and the error when a submission failed."""
    from shucang.web.filter_builder import column_choices, operators

    wh, actor = get_warehouse(request), _actor(request)
    datasets = [{"name": d.name, "title": d.title, "department_name": d.department_name, "synthetic": d.synthetic}
                for d in wh.list_datasets()]
    chosen = describe(wh, actor, dataset) if dataset else None
    builder = ({"columns": column_choices(wh, actor, chosen["name"], chosen["columns"], request_lang(request)),
                "operators": operators(request_lang(request))} if chosen else None)
    return _render(request, "share/request_new.html",
                   {"datasets": datasets, "dataset": chosen, "error": error, "form": form or {},
                    "clearance": getattr(actor, "clearance", None)},
                   context={"builder": builder}, active="requests", status=status)


@router.post("/requests/new")
def request_submit(request: Request, dataset: str = Form(..., max_length=128), purpose: str = Form("", max_length=2000),
                   columns: list[str] = Form(default=[]), duration_days: int = Form(30, ge=1, le=366),
                   max_level: int = Form(1, ge=1, le=4), row_filter: str = Form("", max_length=20000),
                   csrf_token: str = Form("")) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    _csrf(request, csrf_token)
    wh, actor = get_warehouse(request), _actor(request)
    form = {"purpose": purpose, "columns": columns, "duration_days": duration_days, "max_level": max_level,
            "row_filter": row_filter, "submitted": True}
    try:
        try:
            parsed = json.loads(row_filter) if row_filter.strip() else None
        except json.JSONDecodeError as exc:
            raise InputError(f"行过滤条件不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近）"
                             f"(row filter is not JSON near line {exc.lineno}, column {exc.colno})") from exc
        found = workflow.create_request(wh, actor, dataset, purpose=purpose, columns=columns or None,
                                        row_filter=parsed, duration_days=duration_days, max_level=max_level)
    except InputError as exc:  # shown on the same form, with what was typed kept
        from shucang.web.error_pages import readable

        message, _hint = readable(exc.message, exc.hint, request_lang(request))
        return _request_form(request, dataset, error=message, form=form, status=400)
    return _see_other(f"/requests/{found.id}")


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: int = Path(..., ge=1, le=2**62)) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    wh, actor = get_warehouse(request), _actor(request)
    found = workflow.get_request(wh, actor, request_id)
    department = wh.dataset(found.dataset).department
    can_decide = found.status == "pending" and allowed(actor, "request:decide", found.resource(department))
    grant = workflow.get_grant(wh, actor, found.grant_id).to_dict() if found.grant_id else None
    return _render(request, "share/request_detail.html",
                   {"access_request": found.to_dict(), "can_decide": can_decide, "grant": grant,
                    "can_withdraw": found.status == "pending" and found.user == actor.name,
                    "requester": _masking_preview(wh, found)},
                   active="requests")


def _masking_preview(wh: Warehouse, found: Any) -> dict[str, Any]:
    """The requester's clearance and, per requested column, its level and whether it would be masked:
    a grant never lifts a column above ``min(clearance, granted level)``."""
    from shucang.share.reads import column_levels

    try:
        clearance = identity.get_user(wh, found.user).clearance
    except ShucangError:
        clearance = None
    levels, _grades = column_levels(wh, found.dataset, wh.dataset(found.dataset).current_version)
    ceiling = min(clearance or 1, found.max_level)
    return {"clearance": clearance, "ceiling": ceiling,
            "columns": [{"name": c, "level": levels.get(c, (None, 4))[1],
                         "masked": levels.get(c, (None, 4))[1] > ceiling} for c in found.columns]}


@router.post("/requests/{request_id}/decide")
def request_decide(request: Request, request_id: int = Path(..., ge=1, le=2**62),
                   decision: str = Form(..., pattern="^(approve|reject|withdraw)$"),
                   reason: str = Form("", max_length=2000), columns: list[str] = Form(default=[]),
                   max_level: int | None = Form(None, ge=1, le=4), duration_days: int | None = Form(None, ge=1, le=366),
                   row_filter: str = Form("", max_length=20000), csrf_token: str = Form("")) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    _csrf(request, csrf_token)
    wh, actor = get_warehouse(request), _actor(request)
    if decision == "withdraw":
        workflow.withdraw_request(wh, actor, request_id)
    else:
        try:
            extra = json.loads(row_filter) if row_filter.strip() else None
        except ValueError as exc:
            raise InputError(f"行过滤条件不是有效的 JSON (row filter is not JSON): {exc}") from exc
        workflow.decide_request(wh, actor, request_id, approve=decision == "approve", reason=reason or None,
                                columns=columns or None, row_filter=extra, max_level=max_level,
                                duration_days=duration_days)
    return _see_other(f"/requests/{request_id}")


@router.post("/grants/{grant_id}/revoke")
def grant_revoke(request: Request, grant_id: int = Path(..., ge=1, le=2**62), reason: str = Form("", max_length=2000),
                 csrf_token: str = Form("")) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    _csrf(request, csrf_token)
    workflow.revoke_grant(get_warehouse(request), _actor(request), grant_id, reason=reason)
    return _see_other("/requests")


# ---------------------------------------------------------------------------------------------- governed data
@router.get("/access")
def access_page(request: Request) -> Response:
    """Datasets the caller may read, and how (own department, grant)."""
    if (redirect := _need_login(request)) is not None:
        return redirect
    wh, actor = get_warehouse(request), _actor(request)
    rows = []
    for info in wh.list_datasets():
        resource = dataset_resource(wh, actor, info)
        rows.append({"name": info.name, "title": info.title, "department_name": info.department_name,
                     "synthetic": info.synthetic, "rows": info.row_count,
                     "can_read": allowed(actor, "dataset:read", resource), "has_grant": resource.has_grant})
    return _render(request, "share/access.html", {"datasets": rows}, active="requests")


@router.get("/access/{name}")
def access_dataset(request: Request, name: str = Path(..., min_length=1, max_length=128),
                   cursor: str | None = Query(None, max_length=2000)) -> Response:
    """A page of rows through the API's own door: its rate limit, its protection (pseudonyms, the
    recipient's fingerprint) and its audit entry — the web is no weaker way out (issue 15)."""
    if (redirect := _need_login(request)) is not None:
        return redirect
    from shucang.share.reads import read_rows
    from shucang.shell.request import check_api_actor

    wh, actor = get_warehouse(request), check_api_actor(request)
    meta = describe(wh, actor, name)
    result = read_rows(wh, actor, name, limit=50, cursor=cursor)
    return _render(request, "share/access_dataset.html",
                   {"dataset": meta, "result": result.meta(), "columns": result.table.column_names,
                    "rows": json_rows(result.table)}, active="requests")


# ---------------------------------------------------------------------------------------------- tokens
@router.get("/tokens")
def tokens_page(request: Request) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    actor = _actor(request)
    found = [t.to_dict() for t in identity.list_tokens(get_warehouse(request), actor.name)]
    return _render(request, "share/tokens.html", {"tokens": found, "secret": None}, active="requests")


@router.post("/tokens")
def tokens_create(request: Request, label: str = Form("", max_length=200), days: int = Form(90, ge=1, le=366),
                  csrf_token: str = Form("")) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    _csrf(request, csrf_token)
    wh, actor = get_warehouse(request), _actor(request)
    require(actor, "token:create", Resource("token", owner=actor.name))
    token, secret = identity.create_token(wh, actor.name, label=label, days=days)
    record_event(wh, actor, "token.create", token_id=token.id, holder=actor.name)
    found = [t.to_dict() for t in identity.list_tokens(wh, actor.name)]
    response = _render(request, "share/tokens.html", {"tokens": found, "secret": secret}, active="requests")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
def tokens_revoke(request: Request, token_id: int = Path(..., ge=1, le=2**62), csrf_token: str = Form("")) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    _csrf(request, csrf_token)
    wh, actor = get_warehouse(request), _actor(request)
    token = identity.get_token(wh, token_id)
    require(actor, "token:revoke", Resource("token", str(token_id), owner=token.user))
    identity.revoke_token(wh, token_id)
    record_event(wh, actor, "token.revoke", token_id=token_id, holder=token.user)
    return _see_other("/tokens")


# ---------------------------------------------------------------------------------------------- audit
@router.get("/audit")
def audit_page(request: Request, actor_name: str | None = Query(None, alias="actor", max_length=64),
               action: str | None = Query(None, max_length=64), dataset: str | None = Query(None, max_length=128),
               outcome: str | None = Query(None, max_length=16), verify: bool = Query(False),
               before: int | None = Query(None, ge=1)) -> Response:
    if (redirect := _need_login(request)) is not None:
        return redirect
    wh, actor = get_warehouse(request), _actor(request)
    scope = audit_scope(actor)
    entries = [e.to_dict() for e in audit_log.search(wh, actor=actor_name or None, action=action or None,
                                                     dataset=dataset or None, outcome=outcome or None, limit=100,
                                                     before_seq=before, visible_to_department=scope)]
    report = audit_log.verify(wh).to_dict() if verify and allowed(actor, "audit:verify") else None
    return _render(request, "share/audit.html",
                   {"entries": entries, "report": report, "can_verify": allowed(actor, "audit:verify"),
                    "filters": {"actor": actor_name or "", "action": action or "", "dataset": dataset or "",
                                "outcome": outcome or ""}, "scope": scope}, active="audit")


# ---------------------------------------------------------------------------------------------- open data
@router.get("/opendata")
def opendata_page(request: Request, q: str | None = Query(None, max_length=200),
                  department: str | None = Query(None, max_length=64),
                  topic: str | None = Query(None, max_length=100)) -> Response:
    check_open_rate(request)
    wh = get_warehouse(request)
    listing = opendata.open_catalog(wh, q=q, department=department, topic=topic)
    return _render(request, "opendata/index.html",
                   {**listing, "rate": opendata.open_data_rate(wh), "q": q or "", "department": department or "",
                    "topic": topic or ""}, active="opendata")


@router.get("/opendata/datasets/{name}")
def opendata_dataset(request: Request, name: str = Path(..., min_length=1, max_length=128)) -> Response:
    actor = check_open_rate(request)
    wh = get_warehouse(request)
    plan, table, _next = opendata.open_rows(wh, name, limit=20, actor=actor)
    found = opendata.get_release(wh, name)
    assert found is not None
    return _render(request, "opendata/dataset.html",
                   {"dataset": opendata.open_entry(wh.dataset(name), found),
                    "columns": [c.to_dict() for c in plan.columns.values()],
                    "preview": {"columns": table.column_names, "rows": json_rows(table)}}, active="opendata")
