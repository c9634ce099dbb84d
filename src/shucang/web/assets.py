"""Static files of the cockpit: vendored ECharts/htmx, our CSS and JS, with content-hashed URLs.

The hashed URLs come from :mod:`shucang.shell.static` (the API's Swagger page uses them too); this
module serves the files with long cache lifetimes. Nothing is ever loaded from a CDN.
Text files are sent gzip-compressed to browsers that accept it (compressed once per file version and
kept in memory: ECharts goes from about 1 MB to about 0.33 MB), and pages are compressed on the fly
(:class:`WebGZip`) — the JSON API is left as it is, so its latency budget is not spent on compression.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from shucang.shell.static import STATIC_DIR, STATIC_PREFIX, static_url

__all__ = ["ECHARTS", "HTMX", "STATIC_DIR", "STATIC_PREFIX", "CachedStaticFiles", "static_url"]

ECHARTS = "vendor/echarts-5.6.0-cockpit.min.js"
"""ECharts 5.6.0 with only the charts and components the cockpit uses (built by tools/echarts/build.sh)."""
HTMX = "vendor/htmx-2.0.11.min.js"


COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".html", ".txt", ".map")


@lru_cache(maxsize=32)
def _gzipped(path: str, mtime_ns: int) -> bytes:
    return gzip.compress((STATIC_DIR / path).read_bytes(), compresslevel=9, mtime=0)


class CachedStaticFiles(StaticFiles):
    """Static files that may be cached for a year when asked for by their hashed URL, gzipped when accepted."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        query = scope.get("query_string", b"")
        accepts_gzip = "gzip" in Headers(scope=scope).get("accept-encoding", "")
        if response.status_code == 200 and accepts_gzip and path.endswith(COMPRESSIBLE):
            full = STATIC_DIR / path
            body = _gzipped(path, full.stat().st_mtime_ns)
            kept = {k: v for k, v in response.headers.items() if k.lower() in ("etag", "last-modified", "content-type")}
            response = Response(body, headers={**kept, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        if response.status_code == 200:
            if b"v=" in query:
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            else:
                response.headers["Cache-Control"] = "public, max-age=300"
        if path.endswith(".js"):
            response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        return response


class WebGZip:
    """Gzip the cockpit's pages (and their ``?format=json`` twins), not ``/api`` and not static files."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=5)  # 9 costs ~3× the time for ~3% less

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(("/api/", STATIC_PREFIX + "/")):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
