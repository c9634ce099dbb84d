"""HTML error pages for browsers: what went wrong and what to try, never a traceback."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.requests import Request

from shucang.web.i18n import N_, gettext, request_lang
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


def error_page(request: Request, status: int, message: str | None, hint: str | None) -> Response:
    """Render ``error.html`` with the user-facing ``message`` (and ``hint``) at HTTP ``status``."""
    lang = request_lang(request)
    title = gettext(lang, TITLES.get(status, "Error"))
    data = {"page_title": title, "status": status, "message": message, "hint": hint}
    try:
        return page(request, "error.html", data, status=status)
    except Exception:  # noqa: BLE001 — the error page itself must never fail
        from fastapi.responses import PlainTextResponse

        return PlainTextResponse(f"{status} {title}\n{message or ''}", status_code=status)
