"""Real-browser tests of the cockpit (Playwright + Debian's chromium; never a downloaded browser).

One session builds a small synthetic demo warehouse (scale 0.02), serves the app with uvicorn on a
free 127.0.0.1 port, and drives chromium through every page. Skipped with a plain message when
/usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.servers import needs_chromium
from tests.web.conftest import BROWSER_PASSWORD as PASSWORD

# Screenshots go to a temporary folder; SHUCANG_UPDATE_SCREENSHOTS=1 refreshes the README's ones in docs/.
SCREENSHOTS = (Path(__file__).parents[2] / "docs" / "screenshots" if os.environ.get("SHUCANG_UPDATE_SCREENSHOTS")
               else Path(tempfile.mkdtemp(prefix="shucang-screens-")))

pytestmark = [pytest.mark.browser, needs_chromium]


class Watcher:
    """Collects console errors, page errors, failed requests and HTTP errors of one page."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
  const c = el.querySelector('canvas');
  if (!c || !c.width || !c.height) return false;
  const ctx = c.getContext('2d');
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < d.length; i += 16) if (d[i] !== 0) painted++;
  return painted > 50;
})"""


def _open(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_function("() => !document.querySelector('[data-chart]') || "
                           "Array.from(document.querySelectorAll('[data-chart]')).every(e => e.dataset.drawn === '1')",
                           timeout=10_000)


def test_cockpit_in_a_real_browser(server: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    watch = Watcher(page)

    # 1. every page: no console errors, no failed requests, every chart draws on a non-empty canvas
    page.goto(server + "/", wait_until="load")
    first_indicator = page.locator('[data-testid="indicator-card"] h3 a').first.get_attribute("href")
    for path in ["/", "/indicators", first_indicator, "/indicators/enterprises_on_cloud", "/zones", "/tasks",
                 "/warehouse", "/warehouse/population", "/security", "/screen", "/login"]:
        _open(page, server + path)
        drawn = page.evaluate(CHARTS_DRAWN)
        assert all(drawn), f"{path}: charts not drawn {drawn}"
        assert not watch.problems, f"{path}: {watch.problems}"
    # the overview has charts, the indicator page its line chart
    _open(page, server + "/")
    assert len(page.evaluate(CHARTS_DRAWN)) >= 2
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=False) if SCREENSHOTS.is_dir() else None

    # 2. drill down from the overview to an indicator and back (keyboard reachable link)
    card = page.locator('[data-indicator="enterprises_on_cloud"] h3 a')
    card.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/indicators/enterprises_on_cloud")
    page.wait_for_function("() => document.querySelector('[data-testid=indicator-chart]').dataset.drawn === '1'")
    assert all(page.evaluate(CHARTS_DRAWN))
    page.locator('[data-testid="back-overview"]').click()
    page.wait_for_url(server + "/")
    assert page.locator('[data-testid="indicator-card"]').count() == 23

    # 3. switch language and back
    page.locator('[data-testid="lang-toggle"]').click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("nav").get_by_text("Overview").count() == 1
    page.locator('[data-testid="lang-toggle"]').click()
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"

    # 4. log in as a steward, enter a value, and see the overview change
    page.goto(server + "/login?next=/indicators/base_stations_5g")
    page.fill('input[name="username"]', "steward_jxj")
    page.fill('input[name="password"]', PASSWORD)
    page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    page.wait_for_load_state("load")
    page.goto(server + "/indicators/base_stations_5g")
    page.fill('[data-testid="edit-form"] input[name="year"]', "2025")
    page.fill('[data-testid="edit-form"] input[name="value"]', "9876")
    page.fill('[data-testid="edit-form"] input[name="note"]', "浏览器测试")
    page.check('[data-testid="edit-form"] input[name="confirm"]')  # a jump beyond 3× last year is confirmed
    page.locator('[data-testid="edit-form"] button[type="submit"]').click()
    page.wait_for_selector('[data-testid="saved"]')
    _open(page, server + "/")
    latest = page.locator('[data-indicator="base_stations_5g"] [data-testid="latest"]').inner_text()
    assert latest.startswith("9,876"), latest
    assert not watch.problems, watch.problems
    context.close()

    # 5. big screen: dark, refreshes in place without reloading the page
    big = browser.new_context(viewport={"width": 1920, "height": 1080})
    screen = big.new_page()
    watch = Watcher(screen)
    _open(screen, server + "/screen")
    assert screen.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(6, 18, 43)"
    screen.evaluate("window.__marker = 1")
    screen.evaluate("document.querySelector('[data-refresh-url]').refreshNow()")
    screen.wait_for_function("() => !!document.querySelector('[data-refresh-url]').dataset.refreshed")
    assert screen.evaluate("window.__marker") == 1  # same document: no reload
    assert all(screen.evaluate(CHARTS_DRAWN))
    screen.screenshot(path=str(tmp_path / "screen.png"))
    if SCREENSHOTS.is_dir():
        screen.screenshot(path=str(SCREENSHOTS / "screen.png"))
    assert not watch.problems, watch.problems
    big.close()

    # 6. phone (掌上): 390 px wide, nothing wider than the screen
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    mobile = phone.new_page()
    watch = Watcher(mobile)
    _open(mobile, server + "/")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    assert mobile.locator('[data-testid="indicator-card"]').first.bounding_box()["width"] <= 390
    mobile.screenshot(path=str(tmp_path / "phone.png"))
    if SCREENSHOTS.is_dir():
        mobile.screenshot(path=str(SCREENSHOTS / "phone.png"))
    assert not watch.problems, watch.problems
    phone.close()
