"""Rendering at the edge: one page's data becomes HTML (Jinja2) or its JSON twin (``?format=json``).

A view computes a plain dict once; :func:`page` picks the format, remembers a ``?lang=`` choice in a
cookie, and gives templates their helpers (``_``, number formats, ``static_url``, the CSRF token).
Two Jinja environments (one per language) share one loader, so translations never leak between
concurrent requests.
"""

from __future__ import annotations

import dataclasses
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import Request

from shucang.web import dictionary, labels, navigation, numbers
from shucang.web.assets import ECHARTS, HTMX, static_url
from shucang.web.i18n import COOKIE, LANGS, N_, lang_to_remember, request_lang, translations
from shucang.web.tables import jsonable

TEMPLATES_DIR = Path(__file__).parent / "templates"
CSRF_COOKIE = "shucang_csrf"
CSRF_FIELD = "csrf_token"
STATUS_ICONS = {"met": "✔", "largely_met": "◐", "lagging": "▼", "no_data": "?"}
"""Status is shown by colour, icon and text together (never by colour alone)."""
STATUS_MSGIDS = {"met": N_("Met"), "largely_met": N_("Nearly met"), "lagging": N_("Lagging"), "no_data": N_("No data")}


@lru_cache(maxsize=4)
def environment(lang: str) -> jinja2.Environment:
    """The Jinja environment of one language (autoescaped, i18n extension with its catalogue)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # jinja2's i18n extension adds this method to the environment at run time; its type does not have it
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        lang=lang,
        static_url=static_url,
        ECHARTS=ECHARTS,
        HTMX=HTMX,
        fmt_value=lambda v, unit=None, digits=None: numbers.fmt_value(v, unit, lang, digits),
        fmt_decimal=lambda v, digits=None: numbers.fmt_decimal(v, lang, digits),
        fmt_count=lambda v: numbers.fmt_count(v, lang),
        fmt_wan_yuan=lambda v: numbers.fmt_wan_yuan(v, lang),
        fmt_percent=lambda v, digits=1: numbers.fmt_percent(v, lang, digits),
        fmt_ratio=lambda v, digits=1: numbers.fmt_ratio(v, lang, digits),
        fmt_when=lambda v: numbers.fmt_when(v, lang),
        unit_label=lambda u: numbers.unit_label(u, lang),
        code_label=lambda c: labels.code_label(c, lang),
        column_label=lambda c: dictionary.column_label(c, lang),
        level_label=lambda v: labels.level_label(v, lang),
        fmt_age=lambda v: labels.fmt_age(v, lang),
        describe_filter=lambda spec, names=None: labels.describe_filter(spec, lang, names),
        is_number=numbers.is_number,
        STATUS_ICONS=STATUS_ICONS,
        STATUS_LABELS={code: translations(lang).ugettext(msg) for code, msg in STATUS_MSGIDS.items()},
    )
    return env


def url_with(request: Request, **changes: str | None) -> str:
    """The current path and query with some parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser's forms: the login session's own token when there is one,
    else a double-submit token (the cookie must match the form field)."""
    session_token = getattr(_actor(request), "csrf", None)
    if session_token:
        return str(session_token)
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        request.state.csrf_token = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> bool:
    """True when the submitted form token is the session's (or equals the double-submit cookie)."""
    if not submitted:
        return False
    session_token = getattr(_actor(request), "csrf", None)
    if session_token:
        return secrets.compare_digest(str(session_token), submitted)
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie and secrets.compare_digest(cookie, submitted))


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def page(request: Request, template: str, data: dict[str, Any], *, status: int = 200,
         context: dict[str, Any] | None = None, active: str = "") -> Response:
    """Render ``template`` with ``data`` (and extra template-only ``context``), or ``data`` as JSON."""
    lang = request_lang(request)
    if wants_json(request):
        response: Response = JSONResponse(_to_json(data), status_code=status)
    else:
        env = environment(lang)
        actor = _actor(request)
        values = {
            **data,
            **(context or {}),
            "request": request,
            "active": active,
            "actor": actor,
            "json_url": url_with(request, format="json", lang=None),
            "lang_urls": {code: url_with(request, lang=code, format=None) for code in LANGS},
            "csrf_token": csrf_token(request),
            "csrf_field": CSRF_FIELD,
            "nav_groups": navigation.menu(actor, active, lang),
            "synthetic_warehouse": _holds_synthetic_data(request),
            "person": lambda login: (labels.actor_label(login, lang) if str(login or "").startswith("system:")
                                     else labels.display_name(login, _display_names(request))),
        }
        html = env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status)
        token = getattr(request.state, "csrf_token", None)
        if token and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    remember = lang_to_remember(request)
    if remember:
        response.set_cookie(COOKIE, remember, max_age=365 * 86400, samesite="lax", path="/")
    return response


def _holds_synthetic_data(request: Request) -> bool:
    """True when any dataset is generated demo data: every page then says so at the top."""
    wh = getattr(request.app.state, "warehouse", None)
    return wh is not None and bool(wh.holds_synthetic_data())


def _display_names(request: Request) -> dict[str, str]:
    """Login id → display name of every account (one query per page, only when a page asks)."""
    cached: dict[str, str] | None = getattr(request.state, "display_names", None)
    if cached is not None:
        return cached
    wh = getattr(request.app.state, "warehouse", None)
    names = labels.display_names(wh) if wh is not None else {}
    request.state.display_names = names
    return names


def _actor(request: Request) -> Any:
    from shucang.shell.request import get_actor

    try:
        return get_actor(request)
    except Exception:  # noqa: BLE001 — a broken session must not break a public page
        from shucang.shell.request import PUBLIC

        return PUBLIC


def _to_json(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return _to_json(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _to_json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return jsonable(value)
