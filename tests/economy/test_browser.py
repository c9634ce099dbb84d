"""/economy in a real browser (Playwright + Debian's chromium): every economy page loads without console
errors or failed requests, and every chart draws. Skipped when /usr/bin/chromium is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.servers import chromium, needs_chromium, serve_home

CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
  const c = el.querySelector('canvas');
  return !!(c && c.width && c.height);
})"""

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def server(demo_home: Path) -> Iterator[str]:
    with serve_home(demo_home) as base:
        yield base


def test_economy_pages_in_a_real_browser(server: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        for path in ["/economy", "/economy/chains/appliance", "/economy/towns/浒山街道", "/economy/mujun",
                     "/economy/enterprises"]:
            page.goto(server + path, wait_until="load")
            page.wait_for_function("() => Array.from(document.querySelectorAll('[data-chart]'))"
                                   ".every(e => e.dataset.drawn === '1')", timeout=15_000)
            assert all(page.evaluate(CHARTS_DRAWN)), path
            assert not problems, f"{path}: {problems}"
        page.goto(server + "/economy", wait_until="load")
        assert page.locator('[data-testid="economy-kpis"] li').count() == 4
        page.locator('[data-testid="economy-map"] a circle').first.click()
        page.wait_for_url("**/economy/towns/**")
        assert not problems, problems
