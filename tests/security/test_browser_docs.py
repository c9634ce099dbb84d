"""Item 9 of issue 15 in a real browser: /api/v1/docs draws Swagger UI from the vendored bundle with no
request leaving the server and no CSP violation (Debian chromium via Playwright; never downloads one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import chromium, serve_home

pytestmark = pytest.mark.browser


@pytest.fixture
def server(share_home: Path) -> Iterator[str]:
    with serve_home(share_home, ready_path="/api/v1/auth/me", seconds=60) as base:
        yield base


def test_swagger_ui_draws_offline_under_the_csp(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        problems: list[str] = []
        elsewhere: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((server, "data:")) else None)
        page.goto(server + "/api/v1/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "shucang" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert not problems, problems
        assert not elsewhere, elsewhere
