"""Web stage: the digital cockpit (数字驾驶舱), server-rendered pages over the same core calls as the API.

``mount_web(app)`` adds the static files, every page router (the sharing stage's login, request,
audit and open-data pages and the collection pages included), and HTML error pages for browsers —
API clients keep the JSON error shape. Pages: ``/`` overview, ``/indicators[/ID]``, ``/zones``, ``/tasks``,
``/warehouse[/NAME]``, ``/security``, ``/screen``; every page answers ``?format=json`` with its data
and ``?lang=en`` in English.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shucang.errors import ShucangError
from shucang.web.assets import STATIC_DIR, STATIC_PREFIX, CachedStaticFiles, WebGZip

log = logging.getLogger("shucang.web")

__all__ = ["mount_web"]

def _is_browser(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path.startswith(STATIC_PREFIX + "/"):
        return False
    if request.query_params.get("format") == "json":
        return False
    return "text/html" in request.headers.get("accept", "")


def _install_html_errors(app: FastAPI) -> None:
    """Browsers get an HTML error page; everything else keeps the API's JSON error handlers."""
    json_handlers = dict(app.exception_handlers)

    def delegate(exc_type: type, request: Request, exc: Exception) -> Any:
        handler = json_handlers.get(exc_type)
        if handler is None:
            raise exc
        return handler(request, exc)

    async def shucang_error(request: Request, exc: Exception) -> Response:
        if _is_browser(request):
            from shucang.web.error_pages import error_page

            assert isinstance(exc, ShucangError)
            return error_page(request, exc.status, exc.message, exc.hint)
        return await delegate(ShucangError, request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        if _is_browser(request):
            from shucang.web.error_pages import error_page

            assert isinstance(exc, StarletteHTTPException)
            return error_page(request, exc.status_code, None, None)
        return await delegate(StarletteHTTPException, request, exc)

    async def internal_error(request: Request, exc: Exception) -> Response:
        if _is_browser(request):
            from shucang.web.error_pages import error_page

            log.exception("internal error on %s", request.url.path)
            return error_page(request, 500, None, None)
        return await delegate(Exception, request, exc)

    app.add_exception_handler(ShucangError, shucang_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    if Exception in json_handlers:
        app.add_exception_handler(Exception, internal_error)


def mount_web(app: FastAPI) -> None:
    """Add the cockpit (static files, pages, HTML errors) to the API's app."""
    from shucang.web import (
        city_views,
        collect_views,
        download_views,
        economy_views,
        indicator_views,
        overview_views,
        plan_views,
        screen_views,
        security_views,
        share_views,
        warehouse_views,
    )

    app.mount(STATIC_PREFIX, CachedStaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_middleware(WebGZip)
    for module in (overview_views, indicator_views, plan_views, warehouse_views, security_views, screen_views,
                   share_views, collect_views, download_views, economy_views, city_views):
        app.include_router(module.router)
    _install_html_errors(app)
