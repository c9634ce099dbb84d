"""The OpenAPI document says what the API really answers: every operation lists the error statuses
of the one error shape (``{"ok": false, "error", "hint", "code", "status"}``) — the 422 included,
which is ours, not FastAPI's ``{"detail": …}`` — so clients and schemathesis can hold us to it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "type": "object",
    "required": ["ok", "error", "code", "status"],
    "properties": {
        "ok": {"type": "boolean", "enum": [False]},
        "error": {"type": "string"},
        "hint": {"type": ["string", "null"]},
        "code": {"type": "string"},
        "status": {"type": "integer"},
    },
}
ERRORS = {"400": "Invalid or unstorable input", "401": "Login or an API token required",
          "403": "Not allowed (or missing CSRF token)", "404": "Not found (or not visible to you)",
          "409": "Conflicts with the current state", "413": "Request body too large",
          "422": "Invalid parameter", "429": "Rate limited (see Retry-After)"}


def document_errors(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that adds the error answers to every operation (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, text in ERRORS.items():
                    responses[status] = {"description": text, "content": {"application/json": {"schema": ref}}}
        schema["components"]["schemas"].pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the document
