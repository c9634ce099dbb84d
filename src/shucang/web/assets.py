"""Static files of the cockpit: vendored ECharts/htmx, our CSS and JS, with content-hashed URLs.

Every URL carries ``?v=<hash of the file>`` (like Datasette's ``static()``), so a browser may keep a
file for a year and still fetch a new one the moment it changes. Nothing is ever loaded from a CDN.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"
ECHARTS = "vendor/echarts-5.6.0.min.js"
HTMX = "vendor/htmx-2.0.11.min.js"


@lru_cache(maxsize=64)
def _file_hash(path: str, mtime_ns: int) -> str:
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()
    return digest[:10]


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``; a missing file still gets a URL (and a 404), never a crash."""
    full = STATIC_DIR / path
    try:
        version = _file_hash(path, full.stat().st_mtime_ns)
    except OSError:
        version = "missing"
    return f"{STATIC_PREFIX}/{path}?v={version}"


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
