"""Several plans in the cockpit: /plans/ID/… pages, the selector, the default plan, continued series,
the report button, the register form and the indicator page's chart and completion facts."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import invoke_cli

from shucang.settings import Settings

NEXT = "next-test"


def fill_draft(draft: Path) -> Path:
    """A test's stand-in for the county's work: write a target into every empty one of the draft."""
    text = re.sub(r"(target:\n\s+year: \d+\n\s+value:) null", r"\1 500", draft.read_text(encoding="utf-8"))
    filled = draft.with_name("filled.yaml")
    filled.write_text(text, encoding="utf-8")
    return filled


@pytest.fixture(scope="module")
def two_plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("two-plans") / "home"
    run = lambda *a: invoke_cli(home, *map(str, a))  # noqa: E731
    for year, value in ((2021, 160), (2023, 190), (2025, 236.5)):
        assert run("plan", "set", "software_revenue", year, value, "--plan", "cixi-14th").exit_code == 0
    assert run("plan", "set", "digital_core_value_added", 2025, 256.9, "--plan", "cixi-14th").exit_code == 0
    draft = run("plan", "new", NEXT, "--from", "cixi-14th")
    assert draft.exit_code == 0, draft.stderr
    path = home / "plan-drafts" / f"{NEXT}.yaml"
    refused = run("plan", "add", path)  # targets still empty: refused, naming the lines
    assert refused.exit_code != 0 and "target.value" in refused.stderr
    added = run("plan", "add", fill_draft(path))
    assert added.exit_code == 0, added.stderr
    assert run("plan", "set", "software_revenue", 2026, 250, "--plan", NEXT).exit_code == 0
    return home


@pytest.fixture(scope="module")
def app(two_plans: Path) -> Iterator[Any]:
    from shucang.api.app import create_app

    application = create_app(Settings.load(two_plans))
    yield application
    application.state.warehouse.close()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    app.state.resolve_actor = None
    with TestClient(app, headers={"accept": "text/html"}) as c:
        yield c
    app.state.resolve_actor = None


def act_as(app: Any, name: str, role: str, department: str | None = None) -> None:
    from shucang.share.access import Actor

    app.state.resolve_actor = lambda _r: Actor(name=name, role=role, department=department, via="session",
                                               csrf="tok-1")


def test_the_draft_copies_structure_and_no_figure(two_plans: Path) -> None:
    text = (two_plans / "plan-drafts" / f"{NEXT}.yaml").read_text(encoding="utf-8")
    assert "92.7" not in text and "330" not in text  # no baseline, no target of 十四五
    assert "continues:" in text and "period:\n  start: 2026\n  end: 2030" in text
    plans = invoke_cli(two_plans, "plan", "list", "--json").json()
    assert {p["id"] for p in plans} == {"cixi-14th", NEXT}


def test_second_plan_has_its_own_pages_and_is_the_default(client: Any) -> None:
    page = client.get(f"/plans/{NEXT}/")
    assert page.status_code == 200 and 'data-testid="plan-selector"' in page.text
    assert "下一期" in page.text
    old = client.get("/plans/cixi-14th/")
    assert old.status_code == 200 and "慈溪市数字经济发展" in old.text
    assert client.get("/", params={"format": "json"}).json()["plan"]["id"] == NEXT  # 2026 is in 2026–2030
    assert client.get("/api/v1/plans").json()["default"] == NEXT
    go = client.get("/plans/go", params={"plan": "cixi-14th", "page": "indicators"}, follow_redirects=False)
    assert go.status_code == 303 and go.headers["location"] == "/plans/cixi-14th/indicators"
    legacy = client.get("/", params={"plan": "cixi-14th"}, follow_redirects=False)
    assert legacy.headers["location"] == "/plans/cixi-14th/"
    for tail in ("indicators", "tasks", "zones", "indicators/software_revenue"):
        assert client.get(f"/plans/cixi-14th/{tail}").status_code == 200, tail
        assert client.get(f"/plans/{NEXT}/{tail}").status_code == 200, tail
    assert client.get("/plans/no-such-plan/").status_code == 404
    listing = client.get(f"/plans/{NEXT}/indicators").text
    assert f'href="/plans/{NEXT}/indicators/software_revenue"' in listing


def test_continued_indicator_shows_the_whole_series(client: Any) -> None:
    data = client.get(f"/plans/{NEXT}/indicators/software_revenue", params={"format": "json"}).json()
    spec = data["chart_spec"]
    assert spec["years"][0] <= 2021 and spec["years"][-1] == 2030
    earlier = next(s for s in spec["extra"] if s["name"] == "上期规划")
    by_year = dict(zip(spec["years"], earlier["data"], strict=True))
    assert by_year[2021] == 160 and by_year[2025] == 236.5
    assert dict(zip(spec["years"], spec["actual"], strict=True))[2026] == 250


def test_indicator_page_shows_target_gap_path_and_both_completions(client: Any) -> None:
    data = client.get("/plans/cixi-14th/indicators/digital_core_value_added", params={"format": "json"}).json()
    spec, status = data["chart_spec"], data["status"]
    assert spec["target"] == 330 and spec["y_max"] >= 330 and spec["y_min"] <= 115.71
    names = {s["name"] for s in spec["extra"]}
    assert "与目标差距" in names
    gap = next(s for s in spec["extra"] if s["name"] == "与目标差距")
    by_year = dict(zip(spec["years"], gap["data"], strict=True))
    assert by_year[2025] == pytest.approx(330 - 256.9) and by_year[2020] == pytest.approx(330 - 115.71)
    html = client.get("/plans/cixi-14th/indicators/digital_core_value_added").text
    assert 'data-testid="attainment"' in html and 'data-testid="progress"' in html
    assert "状态判定规则" in html and "滞后" in html
    assert status["attainment"] == pytest.approx(256.9 / 330, abs=1e-6)
    assert status["completion"] == pytest.approx((256.9 - 115.71) / (330 - 115.71), abs=1e-6)
    before_target = client.get(f"/plans/{NEXT}/indicators/software_revenue", params={"format": "json"}).json()
    assert any(s["name"] == "达标所需路径" for s in before_target["chart_spec"]["extra"])


def test_report_button_downloads_both_files(client: Any) -> None:
    from docx import Document

    html = client.get("/plans/cixi-14th/").text
    assert 'href="/plans/cixi-14th/report.docx"' in html and 'href="/plans/cixi-14th/report.xlsx"' in html
    docx = client.get("/plans/cixi-14th/report.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert "终期评估报告" in Document(io.BytesIO(docx.content)).paragraphs[0].text
    xlsx = client.get("/plans/cixi-14th/report.xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    assert client.get("/plans/cixi-14th/report.pdf").status_code == 404


def test_register_form_and_lag_explanation(app: Any, client: Any) -> None:
    act_as(app, "steward-jxj", "steward", "jxj")
    client.cookies.set("shucang_csrf", "tok-1")
    ok = client.post("/plans/cixi-14th/tasks/p10/items", data={
        "item": "1", "unit": "市大数据局", "progress": "40", "planned": "1,200", "csrf_token": "tok-1"},
        files={"evidence_upload": ("合同.pdf", b"%PDF contract", "application/pdf")}, follow_redirects=False)
    assert ok.status_code == 303, ok.text[:300]
    page = client.get("/plans/cixi-14th/tasks").text
    assert "市大数据局" in page and "在建" in page and "合同.pdf" in page
    bad = client.post("/plans/cixi-14th/tasks/p10/items", data={"item": "1", "progress": "40,5",
                                                                 "csrf_token": "tok-1"})
    assert bad.status_code == 400 and 'data-testid="register-error"' in bad.text
    explained = client.post("/plans/cixi-14th/indicators/digital_core_value_added/explanation",
                            data={"reason": "重大项目投产推迟", "next_steps": "加快投产", "csrf_token": "tok-1"},
                            follow_redirects=False)
    assert explained.status_code == 303
    assert "重大项目投产推迟" in client.get("/plans/cixi-14th/indicators/digital_core_value_added").text
    act_as(app, "steward-nyj", "steward", "nyncj")
    other = client.post("/plans/cixi-14th/indicators/digital_core_value_added/explanation",
                        data={"reason": "x", "csrf_token": "tok-1"})
    assert other.status_code == 403


def test_closed_plan_pages_show_frozen_figures_and_refuse_the_form(tmp_path: Path) -> None:
    from shucang.api.app import create_app

    home = tmp_path / "home"
    run = lambda *a: invoke_cli(home, *map(str, a))  # noqa: E731
    assert run("plan", "set", "software_revenue", 2025, 236.5).exit_code == 0
    assert run("plan", "close", "cixi-14th").exit_code == 0
    assert run("plan", "revise", "cixi-14th", "software_revenue", 2025, 236.1, "--reason", "年鉴更正").exit_code == 0
    app = create_app(Settings.load(home))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

            client = TestClient(app, headers={"accept": "text/html"})
        with client:
            act_as(app, "admin-wang", "admin")
            html = client.get("/plans/cixi-14th/indicators/software_revenue").text
            assert 'data-testid="frozen"' in html and 'data-testid="revision"' in html
            assert 'data-testid="closed-note"' in html and 'data-testid="edit-form"' not in html
            assert 'data-testid="plan-closed"' in html
            refused = client.post("/plans/cixi-14th/indicators/software_revenue/actuals",
                                  data={"year": "2025", "value": "240", "csrf_token": "tok-1"})
            assert refused.status_code == 409 and "revise" in refused.text
    finally:
        app.state.warehouse.close()
    status = {r["id"]: r for r in run("plan", "status", "--json").json()}
    assert status["software_revenue"]["latest"] == 236.1
