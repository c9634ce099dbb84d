"""``/api/v1/docs``: Swagger UI from the vendored bundle (static/vendor), never from a CDN — the
government network is offline — and started by an external script, as the CSP requires."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shucang.shell.static import static_url

router = APIRouter()
SWAGGER_JS = "vendor/swagger-ui-5.36.0-bundle.js"
SWAGGER_CSS = "vendor/swagger-ui-5.36.0.css"


@router.get("/api/v1/docs", include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    openapi = escape(request.app.openapi_url or "/api/v1/openapi.json")
    title = escape(request.app.title)
    return HTMLResponse(f"""<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{title} — API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<link rel="stylesheet" href="{static_url(SWAGGER_CSS)}"></head>
<body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{static_url(SWAGGER_JS)}"></script>
<script src="{static_url('swagger-init.js')}"></script>
</body></html>""")
