"""Real-browser tests of the plan pages (Playwright + Debian's chromium; never a downloaded browser):
the plan selector moves between plans, the report buttons download files that open, the indicator
chart draws its target, gap and earlier plan without a script error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import invoke_cli
from tests.plan.test_web_plans import NEXT, fill_draft
from tests.servers import chromium, needs_chromium, serve_home

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("plan-browser") / "home"
    run = lambda *a: invoke_cli(home, *map(str, a))  # noqa: E731
    for year, value in ((2021, 160), (2023, 190), (2025, 236.5)):
        assert run("plan", "set", "software_revenue", year, value, "--plan", "cixi-14th").exit_code == 0
    assert run("plan", "new", NEXT, "--from", "cixi-14th").exit_code == 0
    assert run("plan", "add", fill_draft(home / "plan-drafts" / f"{NEXT}.yaml")).exit_code == 0
    assert run("plan", "set", "software_revenue", 2026, 250, "--plan", NEXT).exit_code == 0
    with serve_home(home) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    p = context.new_page()
    problems: list[str] = []
    p.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    p.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    p.problems = problems
    yield p
    context.close()


def test_plan_selector_switches_plans_on_the_same_page(server: str, page: Any) -> None:
    page.goto(f"{server}/plans/cixi-14th/indicators")
    selector = page.get_by_test_id("plan-select")
    assert selector.input_value() == "cixi-14th"
    options = selector.locator("option").all_inner_texts()
    assert len(options) == 2 and any("当前" in o for o in options)
    selector.select_option(NEXT)
    page.get_by_test_id("plan-go").click()
    page.wait_for_url(re.compile(rf"/plans/{NEXT}/indicators$"))
    assert page.get_by_test_id("plan-select").input_value() == NEXT
    page.get_by_role("link", name=re.compile("软件和信息服务业收入")).first.click()
    page.wait_for_url(re.compile(rf"/plans/{NEXT}/indicators/software_revenue$"))
    page.wait_for_selector("[data-chart][data-drawn='1']")
    assert page.get_by_test_id("status-rule").inner_text().startswith("状态判定规则")
    page.goto(f"{server}/")  # the old address shows the default plan: the one whose period holds today
    assert page.get_by_test_id("plan-select").input_value() == NEXT
    assert not page.problems, page.problems


def test_report_buttons_download_files_that_open(server: str, page: Any, tmp_path: Path) -> None:
    import openpyxl
    from docx import Document

    page.goto(f"{server}/plans/cixi-14th/")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_test_id("report-docx").click()
    docx_path = tmp_path / "report.docx"
    info.value.save_as(docx_path)
    doc = Document(str(docx_path))
    assert "终期评估报告" in doc.paragraphs[0].text
    with page.expect_download(timeout=120_000) as info:
        page.get_by_test_id("report-xlsx").click()
    xlsx_path = tmp_path / "report.xlsx"
    info.value.save_as(xlsx_path)
    book = openpyxl.load_workbook(xlsx_path)
    assert "主要指标" in book.sheetnames
    assert not page.problems, page.problems


def test_indicator_chart_draws_target_gap_and_earlier_plan(server: str, page: Any) -> None:
    page.goto(f"{server}/plans/{NEXT}/indicators/software_revenue")
    page.wait_for_selector("[data-chart][data-drawn='1']")
    legend = page.evaluate("""() => {
      const el = document.querySelector('[data-chart]');
      const opt = window.echarts.getInstanceByDom(el).getOption();
      return {names: opt.series.map(s => s.name), yMax: opt.yAxis[0].max, target: JSON.parse(el.dataset.chart).target};
    }""")
    assert "上期规划" in legend["names"] and "达标所需路径" in legend["names"]
    assert legend["yMax"] >= legend["target"]
    assert not page.problems, page.problems
