"""A real browser (Debian chromium via Playwright): a request filed, approved and used.

Skipped with a plain message when /usr/bin/chromium is missing; never downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import wait_for_server

from .conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SRC = Path(__file__).resolve().parents[2] / "src"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(share_home: Path) -> Iterator[str]:
    port = _free_port()
    code = ("import uvicorn; from shucang.api.app import create_app; from shucang.settings import Settings; "
            f"uvicorn.run(create_app(Settings.load({str(share_home)!r})), host='127.0.0.1', port={port}, "
            "log_level='warning')")
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, seconds=15)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_request_filed_approved_and_used_in_chromium(server: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("browser tests skipped: /usr/bin/chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        try:
            errors: list[str] = []

            def login(user: str) -> object:
                context = browser.new_context()
                page = context.new_page()
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(server + "/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORD)
                page.click("form[data-testid=login-form] button[type=submit]")
                page.wait_for_url("**/requests")
                return page

            ana = login("ana")
            ana.click("[data-testid=new-request]")
            ana.select_option("[data-testid=choose-dataset]", "people")
            ana.wait_for_selector("[data-testid=request-form]")
            ana.fill("textarea[name=purpose]", "浏览器端到端测试 browser end-to-end")
            ana.uncheck("input[name=columns][value=id_card]")
            ana.click("[data-testid=submit-request]")
            ana.wait_for_url("**/requests/*")
            assert ana.inner_text("[data-testid=request-status]") == "pending"
            request_url = ana.url

            steward = login("st_gaj")
            assert steward.locator("[data-testid=to-decide] tbody tr").count() == 1
            steward.goto(request_url)
            steward.uncheck("form[data-testid=decide-form] input[name=columns][value=mobile]")
            steward.select_option("form[data-testid=decide-form] select[name=max_level]", "2")
            steward.click("[data-testid=approve]")
            steward.wait_for_selector("[data-testid=grant-state]")
            assert steward.inner_text("[data-testid=request-status]") == "approved"

            ana.reload()
            assert ana.inner_text("[data-testid=grant-state]") == "active"
            ana.click("[data-testid=use-grant]")
            ana.wait_for_selector("[data-testid=rows]")
            table = ana.inner_text("[data-testid=rows]")
            assert "周巷镇" in table and "mobile" not in table
            assert "欧阳明月甲" not in table  # level-3 names are masked under a level-2 grant
            masked = ana.inner_text("[data-testid=masked-columns]")
            assert "name" in masked and "income" in masked
            assert not errors, errors
        finally:
            browser.close()
