"""A real browser (Debian chromium via Playwright): a request filed, approved and used.

Skipped with a plain message when /usr/bin/chromium is missing; never downloads a browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import chromium, serve_home

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def server(share_home: Path) -> Iterator[str]:
    with serve_home(share_home, ready_path="/api/v1/auth/me", seconds=60) as base:
        yield base


def test_request_filed_approved_and_used_in_chromium(server: str) -> None:
    with chromium() as browser:
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
        assert ana.get_attribute("[data-testid=request-status]", "data-code") == "pending"
        assert ana.inner_text("[data-testid=request-status]") == "待审批"
        request_url = ana.url

        steward = login("st_gaj")
        assert steward.locator("[data-testid=to-decide] tbody tr").count() == 1
        steward.goto(request_url)
        steward.uncheck("form[data-testid=decide-form] input[name=columns][value=mobile]")
        steward.select_option("form[data-testid=decide-form] select[name=max_level]", "2")
        steward.click("[data-testid=approve]")
        steward.wait_for_selector("[data-testid=grant-state]")
        assert steward.get_attribute("[data-testid=request-status]", "data-code") == "approved"

        ana.reload()
        assert ana.get_attribute("[data-testid=grant-state]", "data-code") == "active"
        assert ana.inner_text("[data-testid=grant-state]") == "有效"
        ana.click("[data-testid=use-grant]")
        ana.wait_for_selector("[data-testid=rows]")
        table = ana.inner_text("[data-testid=rows]")
        assert "周巷镇" in table and "mobile" not in table and "手机号" not in table
        assert "欧阳明月甲" not in table  # level-3 names are masked under a level-2 grant
        masked = ana.inner_text("[data-testid=masked-columns]")
        assert "name" in masked and "income" in masked
        assert not errors, errors
