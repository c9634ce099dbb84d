"""Content-hashed URLs of the static files both shells link to (the cockpit's CSS/JS, the vendored
Swagger UI of ``/api/v1/docs``).

Every URL carries ``?v=<hash of the file>`` (like Datasette's ``static()``), so a browser may keep a
file for a year and still fetch a new one the moment it changes. The files live in the web package's
``static/`` folder (package data, mounted at ``/static`` by ``shucang.web.mount_web``); naming the
folder here is not an import of the web shell.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
STATIC_PREFIX = "/static"


@lru_cache(maxsize=64)
def _file_hash(path: str, _mtime_ns: int) -> str:
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
