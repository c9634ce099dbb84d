"""Real-browser tests of the cockpit as its readers use it: the phone menu, the menu per audience,
table tools, chart click-through and chart PNGs. Skipped with a plain message without chromium.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.servers import needs_chromium
from tests.web.conftest import BROWSER_PASSWORD

SCREENSHOTS = (Path(__file__).parents[2] / "docs" / "screenshots" if os.environ.get("SHUCANG_UPDATE_SCREENSHOTS")
               else Path(tempfile.mkdtemp(prefix="shucang-readers-")))

pytestmark = [pytest.mark.browser, needs_chromium]


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_phone_menu(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    errors = _watch(page)
    page.goto(server + "/", wait_until="load")
    nav = page.locator("[data-testid=main-nav]")
    button = page.locator("[data-testid=menu-button]")
    assert button.is_visible() and not nav.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert nav.is_visible() and button.get_attribute("aria-expanded") == "true"
    # every menu entry is on the screen (none cut off to the right) and big enough to tap
    boxes = page.evaluate("""() => Array.from(document.querySelectorAll('#main-nav a')).map(a => {
        const r = a.getBoundingClientRect(); return [a.textContent.trim(), r.left, r.right, r.height]; })""")
    assert len(boxes) >= 8
    assert all(left >= 0 and right <= 390 and height >= 32 for _, left, right, height in boxes), boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if SCREENSHOTS.is_dir():
        page.screenshot(path=str(SCREENSHOTS / "phone-menu.png"))
    page.locator("#main-nav a", has_text="开放数据").first.click()
    page.wait_for_url("**/opendata")
    assert not page.locator("[data-testid=main-nav]").is_visible()  # a new page starts with the menu closed
    assert not errors, errors
    context.close()


def test_desktop_menu_per_audience_and_one_logout(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    page.goto(server + "/login?next=/requests")
    page.fill('input[name="username"]', "steward_jxj")
    page.fill('input[name="password"]', BROWSER_PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_url("**/requests")
    assert not page.locator("[data-testid=menu-button]").is_visible()
    assert page.locator("[data-testid=logout]").count() == 1
    current = page.locator(".main-nav .group.current > .group-link").inner_text()
    assert current == "数据治理"
    # the leaders' pages drop down from their tab on hover
    page.locator('.main-nav [data-group="cockpit"] > .group-link').hover()
    assert page.locator('.main-nav [data-group="cockpit"] .items a', has_text="总览").is_visible()
    page.goto(server + "/")
    assert page.locator(".main-nav .group.current > .group-link").inner_text() == "领导驾驶舱"
    if SCREENSHOTS.is_dir():
        page.screenshot(path=str(SCREENSHOTS / "overview.png"))
    assert not errors, errors
    context.close()


def _login(page: Any, server: str, user: str, next_path: str) -> None:
    page.goto(server + f"/login?next={next_path}")
    page.fill('input[name="username"]', user)
    page.fill('input[name="password"]', BROWSER_PASSWORD)
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_load_state("load")


def test_row_filter_built_with_the_condition_builder(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    _login(page, server, "consumer_fgj", "/requests/new?dataset=enterprise_registry")
    page.goto(server + "/requests/new?dataset=enterprise_registry")
    assert "L1 不敏感" in page.locator("[data-testid=clearance]").inner_text()
    assert page.locator(".who").inner_text() == "发改局分析员（测试）"  # display name, not the login id
    # a clearance-1 reader asking for level 3 is told which columns still come back masked
    page.select_option("[data-testid=max-level]", "3")
    masked = page.locator("[data-testid=will-mask]:visible").count()
    levels = page.evaluate("() => Array.from(document.querySelectorAll('[data-level]')).map(l => +l.dataset.level)")
    assert masked == sum(1 for level in levels if level > 1)
    page.fill("textarea[name=purpose]", "了解周巷镇企业的上云情况")
    page.click("[data-testid=add-condition]")
    row = page.locator("[data-condition]").first
    row.locator("[data-col]").select_option("town")
    offered = row.locator("datalist option").evaluate_all("os => os.map(o => o.value)")
    assert "周巷镇" in offered and len(offered) >= 10  # the column's values are offered
    row.locator("[data-value]").fill("周巷镇")
    page.click("[data-testid=add-condition]")
    second = page.locator("[data-condition]").nth(1)
    second.locator("[data-col]").select_option("zone")
    second.locator("[data-op]").select_option("is not null")
    written = page.locator("[data-filter-json]").input_value()
    assert '"town"' in written and "周巷镇" in written and '"and"' in written
    page.click("[data-testid=submit-request]")
    page.wait_for_url("**/requests/*")
    shown = page.locator("[data-testid=row-filter]").inner_text()
    assert "镇街 = 周巷镇" in shown and "功能区" in shown and "\\u" not in shown
    assert not errors, errors
    context.close()


def test_chart_png_carries_title(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server + "/indicators/software_revenue", wait_until="load")
    page.wait_for_function("() => document.querySelector('[data-testid=indicator-chart]').dataset.drawn === '1'")
    with page.expect_download() as info:
        page.evaluate("document.querySelector('[data-testid=indicator-chart]').savePng()")
    download = info.value
    assert download.suggested_filename.endswith(".png")
    assert page.evaluate("document.querySelector('[data-testid=indicator-chart]').dataset.savedTitle")
    title_drawn = page.evaluate("echarts.getInstanceByDom(document.querySelector('[data-testid=indicator-chart]'))"
                                ".getOption().title[0].show")
    assert title_drawn is False  # the title is drawn into the PNG only, the page stays as it was
    context.close()


def test_tables_sort_filter_search_and_charts_click_through(server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    page.goto(server + "/", wait_until="load")
    page.wait_for_function("() => Array.from(document.querySelectorAll('[data-chart]')).every(e => e.dataset.drawn === '1')")
    lagging = int(page.locator(".kpi.status-lagging .v").first.inner_text())
    # a bar of the status chart opens the indicator list filtered to its status and category
    point = page.evaluate("""() => {
        const el = document.querySelector('[data-chart*="status-by-category"]');
        const spec = JSON.parse(el.dataset.chart), chart = echarts.getInstanceByDom(el);
        for (let s = 0; s < spec.series.length; s++) for (let c = 0; c < spec.categories.length; c++) {
          const v = spec.series[s].values[c];
          if (v > 0) {
            let before = 0; for (let k = 0; k < s; k++) before += spec.series[k].values[c];
            const [x, y] = chart.convertToPixel({seriesIndex: s}, [before + v / 2, c]);
            const box = el.getBoundingClientRect();
            return {x: box.left + x, y: box.top + y, code: spec.series_codes[s], category: spec.categories[c], count: v};
          }
        }
        return null; }""")
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/indicators?status=*")
    assert f"status={point['code']}" in page.url
    table = page.locator("[data-testid=table-indicators-main]")
    visible = table.locator("tbody tr:visible")
    assert visible.count() == point["count"], (point, visible.count())
    assert all(code == point["code"] for code in visible.locator("[data-status]").evaluate_all("es => es.map(e => e.dataset.status)"))
    # the status filter and the search box narrow the table; clearing them shows every row
    page.goto(server + "/indicators?status=lagging")
    assert page.locator("[data-testid=table-indicators-main] tbody tr:visible").count() == lagging
    tools = page.locator(".table-tools").first
    tools.locator("[data-table-status]").select_option("")
    tools.locator("[data-table-search]").fill("")
    total = page.locator("[data-testid=table-indicators-main] tbody tr").count()
    assert page.locator("[data-testid=table-indicators-main] tbody tr:visible").count() == total
    tools.locator("[data-table-search]").fill("5G")
    shown = page.locator("[data-testid=table-indicators-main] tbody tr:visible")
    assert 0 < shown.count() < total and all("5G" in t for t in shown.all_inner_texts())
    tools.locator("[data-table-search]").fill("")
    # sorting by completion (numbers, blanks last), then descending
    header = page.locator("[data-testid=table-indicators-main] thead th", has_text="完成度")
    index = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid=table-indicators-main] thead th'))
        .findIndex(th => th.textContent.includes('完成度'))""")
    header.locator("button").click()
    column = f"() => Array.from(document.querySelectorAll('[data-testid=table-indicators-main] tbody tr')).map(r => r.cells[{index}].textContent.trim())"
    values = [float(v.rstrip("%").replace(",", "")) for v in page.evaluate(column) if v not in ("–", "")]
    assert values == sorted(values) and len(values) > 5
    assert header.get_attribute("aria-sort") == "ascending"
    header.locator("button").click()
    values = [float(v.rstrip("%").replace(",", "")) for v in page.evaluate(column) if v not in ("–", "")]
    assert values == sorted(values, reverse=True)
    assert not errors, errors
    context.close()
