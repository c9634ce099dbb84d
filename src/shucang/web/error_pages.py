"""HTML error pages for browsers: what went wrong and what to try, never a traceback or a raw code.

Core errors carry a bilingual message (``中文 (English)``) written for every front end; a browser
gets the half in its language, with permission codes (``audit:view``) and role codes replaced by
words from :mod:`shucang.web.labels`, and developer hints (``POST /api/v1/...``) replaced by a link
a person can follow.
"""

from __future__ import annotations

import re

from fastapi.responses import Response
from starlette.requests import Request

from shucang.web.i18n import N_, gettext, request_lang
from shucang.web.labels import code_label
from shucang.web.render import page

TITLES = {
    400: N_("The request cannot be used as given"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict with the current state"),
    422: N_("Invalid parameter"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
}
ACTIONS = {
    "audit:view": N_("view the audit log"), "audit:verify": N_("verify the audit chain"),
    "dataset:list": N_("list the datasets"), "dataset:open_read": N_("read open data"),
    "dataset:publish": N_("open a dataset to the public"), "dataset:read": N_("read this dataset"),
    "dataset:view": N_("see this dataset"), "grant:revoke": N_("revoke this grant"), "grant:view": N_("see this grant"),
    "request:create": N_("file a data request"), "request:decide": N_("decide this request"),
    "request:view": N_("see this request"), "request:withdraw": N_("withdraw this request"),
    "sql:raw": N_("run SQL queries"), "token:create": N_("create API tokens"), "token:revoke": N_("revoke this token"),
    "token:view": N_("see these tokens"), "user:manage": N_("manage users"), "user:passwd": N_("change this password"),
    "user:view": N_("see this user"),
}
"""Permission codes of ``shucang.share.access`` as what the reader tried to do."""
_DENIED = re.compile(r"^(?P<who>\S+?)（(?P<role>\w+)）无权执行 (?P<action>[a-z_]+:[a-z_]+)")
_BILINGUAL = re.compile(r"^(?P<zh>.*?[\u3400-\u9fff].*?)\s*\((?P<en>[^()]*[A-Za-z][^()]*)\)\s*(?P<rest>(?::.*)?)$",
                        re.S)
"""``中文 (English)`` or ``中文 (English): detail`` — the halves of a core message."""
DEVELOPER_HINT = re.compile(r"POST /|GET /|/api/|`|shucang ")


def readable(message: str | None, hint: str | None, lang: str) -> tuple[str | None, str | None]:
    """The message and hint as a person reads them in ``lang`` (no codes, no API recipes)."""
    if message:
        denied = _DENIED.match(message)
        if denied:
            action = ACTIONS.get(denied["action"])
            role = code_label(denied["role"], lang)
            if action:
                message = (gettext(lang, "Your account (%(role)s) may not %(action)s.")
                           % {"role": role, "action": gettext(lang, action)})
                if denied["action"] == "dataset:read":
                    hint = gettext(lang, "File a data request for this dataset; a steward of its department decides.")
        else:
            both = _BILINGUAL.match(message)
            if both:
                rest = both["rest"][1:].strip() if both["rest"] else ""
                message = (both["zh"] if lang == "zh" else both["en"]) + (("：" if lang == "zh" else ": ") + rest
                                                                          if rest else "")
    if hint and DEVELOPER_HINT.search(hint):
        hint = None
    return message, hint


def error_page(request: Request, status: int, message: str | None, hint: str | None) -> Response:
    """Render ``error.html`` with the user-facing ``message`` (and ``hint``) at HTTP ``status``."""
    lang = request_lang(request)
    title = gettext(lang, TITLES.get(status, "Error"))
    message, hint = readable(message, hint, lang)
    data = {"page_title": title, "status": status, "message": message, "hint": hint}
    try:
        return page(request, "error.html", data, status=status)
    except Exception:  # noqa: BLE001 — the error page itself must never fail
        from fastapi.responses import PlainTextResponse

        return PlainTextResponse(f"{status} {title}\n{message or ''}", status_code=status)
