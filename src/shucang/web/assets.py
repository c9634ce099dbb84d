"""Static files of the cockpit: vendored ECharts/htmx, our CSS and JS, with content-hashed URLs.

The hashed URLs come from :mod:`shucang.shell.static` (the API's Swagger page uses them too); this
module serves the files with long cache lifetimes. Nothing is ever loaded from a CDN.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from shucang.shell.static import STATIC_DIR, STATIC_PREFIX, static_url

__all__ = ["ECHARTS", "HTMX", "STATIC_DIR", "STATIC_PREFIX", "CachedStaticFiles", "static_url"]

ECHARTS = "vendor/echarts-5.6.0.min.js"
HTMX = "vendor/htmx-2.0.11.min.js"


class CachedStaticFiles(StaticFiles):
    """Static files that may be cached for a year when asked for by their hashed URL."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        query = scope.get("query_string", b"")
        if response.status_code == 200:
            if b"v=" in query:
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["Cache-Control"] = "public, max-age=300"
        if path.endswith(".js"):
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        return response
