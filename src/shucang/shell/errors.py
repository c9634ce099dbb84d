"""The one JSON error answer of every route, the fast page path and the door check.

The shape itself — ``{"ok": false, "error", "hint", "code", "status"}`` — is written once, in
:meth:`shucang.errors.ShucangError.to_dict` (the CLI's ``--json`` errors use it too); this module turns
any refusal into that body with its status and headers (``Retry-After`` on 429), for FastAPI
handlers (:func:`error_response`) and raw ASGI senders (:func:`error_parts`) alike.
"""

from __future__ import annotations

import orjson
from fastapi.responses import JSONResponse

from shucang.errors import RateLimited, ShucangError

__all__ = ["error_parts", "error_response", "as_error"]


def as_error(status: int, message: str, code: str, hint: str | None = None) -> ShucangError:
    """A refusal that did not start as a :class:`ShucangError` (validation, HTTP, internal), as one."""
    return ShucangError(message, hint=hint, code=code, status=status)


def _headers(exc: ShucangError, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return headers


def error_response(exc: ShucangError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The error as a FastAPI answer."""
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=_headers(exc, headers) or None)


def error_parts(exc: ShucangError) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """The error as raw ASGI parts: status, JSON body and the extra headers."""
    headers = [(k.lower().encode(), v.encode()) for k, v in _headers(exc).items()]
    return exc.status, orjson.dumps(exc.to_dict()), headers
