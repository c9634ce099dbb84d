"""/city in a real browser (Playwright + Debian's chromium): the board, the town map, an alert page,
and a steward logging in to acknowledge and close an alert. Skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import chromium, needs_chromium, serve_home

PASSWORD = "city-test-Pa55word!"

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from shucang.demo import build_demo
    from shucang.platform import open_warehouse
    from shucang.settings import Settings
    from shucang.share.identity import create_user

    home = tmp_path_factory.mktemp("city-browser") / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        build_demo(wh, scale=0.01)  # the after-ingest hook evaluates the bundled signs
        create_user(wh, "steward_slj", role="steward", department="slj", password=PASSWORD)
    finally:
        wh.close()
    with serve_home(home) as base:
        yield base


def test_city_board_and_handling_in_a_browser(server: str, tmp_path: Path) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.goto(server + "/city", wait_until="load")
        assert page.locator('nav a[href="/city"]').get_attribute("aria-current") == "page"
        rows = page.locator('[data-testid="signs-table"] tbody tr')
        assert rows.count() >= 13
        assert page.locator('[data-testid="signs-table"] tr[data-state="red"]').count() >= 7
        assert page.locator('[data-testid="city-map"] g[data-level="red"]').count() >= 1
        page.screenshot(path=str(tmp_path / "city.png"), full_page=True)
        # anonymous: the water sign is open data (values shown); hotline signs only as aggregates
        assert "潮塘江浒山闸" in page.locator('[data-testid="signs-table"]').inner_text()
        water = page.locator('[data-testid="alerts-table"] a').first
        assert water.count() == 1

        page.goto(server + "/login?next=/city", wait_until="load")
        page.fill('input[name="username"]', "steward_slj")
        page.fill('input[name="password"]', PASSWORD)
        page.locator('form button[type="submit"], form input[type="submit"]').first.click()
        page.wait_for_load_state("load")
        alerts = page.request.get(server + "/api/v1/alerts?status=open").json()["alerts"]  # with the session
        mine = next(a for a in alerts if a["sign"] == "water_level_vs_warning" and a["level"] == "red")
        page.goto(server + f"/city/alerts/{mine['id']}", wait_until="load")
        page.locator('[data-testid="act-ack"]').click()
        page.wait_for_load_state("load")
        page.locator('[data-testid="act-close"]').click()
        page.wait_for_load_state("load")
        assert page.locator('[data-testid="alert-status"]').inner_text() == "已闭环"
        history = page.locator('[data-testid="alert-history"]').inner_text()
        assert "签收" in history and "闭环" in history and "steward_slj" in history
        assert not problems, problems
