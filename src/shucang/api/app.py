"""The one ASGI app: JSON API under /api/v1, the open-data portal and the web cockpit.

This is the assembly module: the only place that knows both shells (it includes the API's routers
and calls ``shucang.web.mount_web``). No other api module imports web, and web never imports api;
what both need (caller, login, error answers) lives in ``shucang.shell``. Errors of every route share
one JSON shape: ``{"ok": false, "error", "hint", "code", "status"}`` (``shucang.shell.errors``).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shucang import __version__
from shucang.errors import ShucangError, unstorable_value
from shucang.platform import open_warehouse
from shucang.settings import Settings
from shucang.shell.errors import as_error, error_response

log = logging.getLogger("shucang.api")


def _error(status: int, message: str, code: str, hint: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return error_response(as_error(status, message, code, hint), headers)


def _install_error_handlers(app: FastAPI, debug: bool) -> None:
    @app.exception_handler(ShucangError)
    async def shucang_error(_request: Request, exc: ShucangError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(sa.exc.DataError)
    async def unstorable(request: Request, _exc: sa.exc.DataError) -> JSONResponse:
        return await shucang_error(request, unstorable_value())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"参数无效 (invalid parameter) {where}: {first.get('msg', '')}"
        await _audit_refusal(request, message)
        return _error(422, message, "invalid")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), "http", headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        message = f"{type(exc).__name__}: {exc}" if debug else "内部错误 (internal error)"
        return _error(500, message, "internal")


async def _audit_refusal(request: Request, message: str) -> None:
    """A request refused by validation is audited too (who tried what), like every read."""
    from shucang.share.access import Actor
    from shucang.share.audit import record_event_async
    from shucang.shell.request import get_actor

    wh = getattr(request.app.state, "warehouse", None)
    if wh is None or not request.url.path.startswith("/api/"):
        return
    actor: Actor | str
    try:
        actor = get_actor(request)
    except ShucangError:
        actor = "public"
    try:
        await record_event_async(wh, actor, "input", outcome="failed", method=request.method,
                                 path=request.url.path[:300], error=message[:300],
                                 address=request.client.host if request.client else None)
    except Exception:  # noqa: BLE001 — the refusal stands even if its entry cannot be written
        log.exception("could not audit a refused request")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app over the warehouse at ``settings.home``."""
    settings = settings or Settings.load()
    app = FastAPI(
        title="shucang 数仓 API",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from the vendored bundle: shucang.api.docs_routes
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.warehouse = open_warehouse(settings)
    _install_error_handlers(app, settings.debug)

    # Routers, one module per area. Add new ones in this block (one line each).
    from shucang.api import auth_routes, opendata_routes, share_routes  # sharing stage
    app.include_router(auth_routes.router)
    app.include_router(share_routes.router)
    from shucang.api.rows import match_first

    match_first(app, share_routes.ROWS_ROUTE)  # the page route is tried first (see shucang.api.rows)
    app.include_router(opendata_routes.router)
    from shucang.api import plan_routes  # plan stage
    app.include_router(plan_routes.router)
    from shucang.api import docs_routes  # Swagger UI, vendored (issue 15)
    app.include_router(docs_routes.router)
    from shucang.api import economy_routes  # economy stage (产业大脑)
    app.include_router(economy_routes.router)
    from shucang.api import city_routes  # city stage
    app.include_router(city_routes.router)
    # -- end of routers --
    from shucang.api.openapi_doc import document_errors

    document_errors(app)  # every operation documents the one error shape

    from shucang.web import mount_web

    mount_web(app)
    # Outermost: unstorable input refused (and audited) before any route, security headers on every answer.
    from shucang.api.guard import Guard

    app.add_middleware(Guard)
    return app
