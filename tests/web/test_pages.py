"""In-process tests of every cockpit page: HTML, JSON twin, language, errors, static files."""

from __future__ import annotations

import re
from typing import Any

import pytest

PAGES = ["/", "/indicators", "/indicators/software_revenue", "/zones", "/tasks", "/warehouse",
         "/warehouse/enterprise_registry", "/security", "/screen", "/datasets"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_chinese_html_with_its_json_twin(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="zh-CN"' in html
    assert "<main" in html and "</html>" in html
    assert "Traceback" not in html
    # every asset URL is local and content-hashed
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert re.search(r"\?v=[0-9a-f]{10}$", src), src
        assert client.get(src).status_code == 200
    assert "cdn" not in html.lower()
    twin = client.get(path, params={"format": "json"})
    assert twin.status_code == 200 and twin.headers["content-type"].startswith("application/json")
    assert isinstance(twin.json(), dict)


def test_overview_shows_categories_cards_and_status(client: Any) -> None:
    html = client.get("/").text
    assert html.count('data-testid="indicator-card"') == 23
    for name in ("综合发展", "数字科创", "数字产业化", "产业数字化", "治理数字化", "数据价值化"):
        assert name in html
    card = re.search(r'data-indicator="software_revenue".*?</li>', html, re.S).group(0)
    assert "205.3 亿元" in card and "2024" in card
    assert 'href="/indicators/software_revenue"' in card
    assert re.search(r'data-status="(met|largely_met|lagging)"', card)  # colour class AND text label
    assert "aria-valuenow" in card
    data = client.get("/?format=json").json()
    counts = data["counts"]
    assert sum(counts.values()) == 23
    assert counts["no_data"] < 23  # the two seeded indicators have a status
    assert data["latest_refresh"]


def test_overview_counts_follow_the_plan_engine(client: Any, web_app: Any) -> None:
    from shucang.plan import monitor

    statuses = monitor.plan_status(web_app.state.warehouse)
    expected: dict[str, int] = {}
    for s in statuses:
        expected[s.assessment.status_code] = expected.get(s.assessment.status_code, 0) + 1
    counts = client.get("/?format=json").json()["counts"]
    assert {k: v for k, v in counts.items() if v} == expected


def test_language_toggle_by_query_and_cookie(client: Any) -> None:
    r = client.get("/?lang=en")
    assert '<html lang="en"' in r.text and "Overview" in r.text and "Nearly met" in r.text or "Lagging" in r.text
    assert "shucang_lang=en" in r.headers.get("set-cookie", "")
    again = client.get("/warehouse")  # the cookie is remembered
    assert '<html lang="en"' in again.text and "Warehouse" in again.text
    back = client.get("/warehouse?lang=zh")
    assert '<html lang="zh-CN"' in back.text and "数据仓" in back.text


def test_indicator_detail_has_chart_values_lineage_and_history(client: Any) -> None:
    html = client.get("/indicators/software_revenue").text
    assert 'data-testid="indicator-chart"' in html
    spec = client.get("/indicators/software_revenue?format=json").json()["chart_spec"]
    assert spec["target"] == 240 and spec["baseline"] == 142.2
    assert spec["years"][0] == 2020 and spec["years"][-1] == 2025
    assert spec["actual"][spec["years"].index(2024)] == 205.3
    assert "合成演示填报" in html  # source of each value
    assert "修改记录" in html
    assert client.get("/indicators/nope").status_code == 404


def test_zones_page_draws_schematic_map_with_warehouse_figures(client: Any) -> None:
    html = client.get("/zones").text
    assert "示意图" in html and 'data-testid="cixi-map"' in html
    assert html.count('class="zone-card"') == 6
    data = client.get("/zones?format=json").json()
    core = next(z for z in data["zones"] if z["id"] == "core")
    assert core["figures"]["enterprises"] == 2
    assert core["figures"]["cloud"] == 1
    assert core["figures"]["robots"] == 1  # U2's robot is retired
    assert core["figures"]["output_yi"] == pytest.approx(5.0)  # 2025 only: (20000 + 30000) 万元
    appliance = next(z for z in data["zones"] if z["id"] == "belt_appliance")
    assert appliance["figures"]["output_yi"] == pytest.approx(0.5)


def test_tasks_page_lists_five_tasks_and_twelve_projects(client: Any) -> None:
    html = client.get("/tasks").text
    assert html.count('data-testid="task"') == 5
    assert html.count('data-testid="project"') == 12
    assert "专栏12" in html


def test_warehouse_page_lists_datasets_by_department_labelled_synthetic(client: Any) -> None:
    html = client.get("/warehouse").text
    assert "市市场监督管理局" in html or "scjgj" in html
    assert "合成" in html
    data = client.get("/warehouse?format=json").json()
    assert data["summary"]["datasets"] == 4
    names = {row["name"] for t in data["tables"] for row in t["rows"]}
    assert names == {"enterprise_registry", "enterprise_cloud", "industrial_robots", "industrial_monthly"}


def test_dataset_title_is_escaped(client: Any) -> None:
    html = client.get("/warehouse").text
    assert "=企业登记信息" in html  # shown as text, and formula-looking text is only neutralised on export
    assert "<script>" not in html


def test_security_page_reports_open_data_rate_and_audit(client: Any) -> None:
    data = client.get("/security?format=json").json()
    assert "open_rate" in data
    html = client.get("/security").text
    assert "公共数据开放率" in html


def test_screen_json_drives_in_place_refresh(client: Any) -> None:
    html = client.get("/screen").text
    assert 'class="screen"' in html and "data-refresh-url" in html
    assert 'data-bind="kpis.lagging"' in html
    data = client.get("/screen?format=json").json()
    assert set(data["kpis"]) >= {"met", "largely_met", "lagging", "no_data", "index", "refresh"}
    assert data["charts"]["status"]["kind"] == "bars"


def test_browser_errors_are_html_and_api_errors_stay_json(client: Any) -> None:
    r = client.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "页面不存在" in r.text
    api = client.get("/api/v1/no-such-route")
    assert api.status_code == 404 and api.json()["ok"] is False
    twin = client.get("/indicators/nope?format=json")
    assert twin.status_code == 404 and twin.json()["ok"] is False


def test_vendored_assets_carry_versions_and_licences() -> None:
    from shucang.web.assets import ECHARTS, HTMX, STATIC_DIR

    for path, licence in ((ECHARTS, "echarts-5.6.0.LICENSE"), (HTMX, "htmx-2.0.11.LICENSE")):
        assert (STATIC_DIR / path).stat().st_size > 10_000
        assert (STATIC_DIR / "vendor" / licence).exists()
    assert b"5.6.0" in (STATIC_DIR / ECHARTS).read_bytes()[:2000] or b"5.6.0" in (STATIC_DIR / ECHARTS).read_bytes()


def test_static_files_are_cached_when_hashed(client: Any) -> None:
    from shucang.web.assets import static_url

    url = static_url("cockpit.css")
    r = client.get(url)
    assert "immutable" in r.headers["cache-control"]


def test_every_page_says_the_data_is_synthetic(client) -> None:
    """The demo warehouse is synthetic: every HTML page carries the banner at the top."""
    for path in ("/", "/indicators", "/zones", "/tasks", "/warehouse", "/security", "/opendata"):
        html = client.get(path).text
        assert 'data-testid="synthetic-banner"' in html, path


def test_pages_and_static_files_are_compressed_the_api_is_not(client: Any) -> None:
    import gzip

    from shucang.web.assets import ECHARTS, STATIC_DIR, static_url

    r = client.get(static_url(ECHARTS), headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and "immutable" in r.headers["cache-control"]
    raw = (STATIC_DIR / ECHARTS).read_bytes()
    assert r.content == raw  # the client decodes it: the same file arrives
    assert len(gzip.compress(raw)) < len(raw) / 2.5
    assert int(r.headers["content-length"]) < len(raw) / 2.5  # what went over the wire
    page = client.get("/", headers={"accept-encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    plain = client.get(static_url("cockpit.css"), headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    plans = client.get("/api/v1/plans", headers={"accept": "application/json"}).json()
    first = (plans.get("plans") if isinstance(plans, dict) else plans)[0]
    api = client.get(f"/api/v1/plans/{first['id']}", headers={"accept-encoding": "gzip", "accept": "application/json"})
    assert api.status_code == 200 and len(api.content) > 1024  # big enough that the middleware would compress it
    assert "content-encoding" not in api.headers


def test_screen_fills_panel_slots_from_other_stages(client: Any, monkeypatch: Any) -> None:
    """Each brain's panel gets a slot; a panel with no data or a failing one is left out."""
    from shucang.errors import ShucangError
    from shucang.web import screen_panels

    def good(wh: Any, lang: str) -> dict[str, Any]:
        return {"id": "economy", "title": "产业大脑", "href": "/economy",
                "figures": [{"label": "规上工业增加值增速", "value": "8.1%"}], "chart": None}

    def broken(wh: Any, lang: str) -> dict[str, Any]:
        raise ShucangError("城市大脑数据暂不可用 (city data unavailable)")

    monkeypatch.setattr(screen_panels, "PANELS", (("economy", good), ("city", broken), ("empty", lambda wh, lang: None)))
    client.app.state.screen_panels = {}
    html = client.get("/screen").text
    assert 'data-testid="panel-slots"' in html and 'data-panel="economy"' in html
    assert "规上工业增加值增速" in html and "8.1%" in html and 'href="/economy"' in html
    assert "城市大脑" not in html
    data = client.get("/screen?format=json").json()
    assert [p["id"] for p in data["panels"]] == ["economy"]
    assert len(data["town_map"]["tiles"]) == 20
