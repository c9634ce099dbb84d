"""The Chinese interface shows no English status code, on any page, to any of its three audiences.

A small synthetic demo warehouse (with a pending request, an approved grant, reads, exports and
log-ins in the audit log) is crawled link by link as an anonymous visitor, the administrator and a
data user; every page's visible text is searched for the stored codes (``pending``, ``export``,
``synthetic``, ``daily``, ``replace``, ``(ACTUAL)``, "0.0 天前更新" …).
"""

from __future__ import annotations

import html
import re
import warnings
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from shucang.settings import Settings

PASSWORD = "chinese-ui-Pa55word!"
CODES = re.compile(r"(?<![\w/.-])(pending|approved|rejected|withdrawn|active|revoked|expired|ok|failed|denied|login|"
                   r"logout|export|read|import|synthetic(?! demo)|daily|weekly|monthly|yearly|replace|append|arrow|steward|consumer|"
                   r"request\.\w+|grant\.\w+|token\.\w+|open\.\w+)(?![\w/.-])|\(ACTUAL\)|system:\w+|\d+\.\d+ 天前更新|\\u[0-9a-f]{4}")
SKIP = ("/static/", "/api/", "/export/", "/logout", "/download", "/all.", "format=", "lang=", "/opendata/catalog", "mailto:")


@pytest.fixture(scope="module")
def crawl_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from shucang.api.app import create_app
    from shucang.demo import build_demo
    from shucang.plan.demo import seed_demo_plan
    from shucang.platform import open_warehouse
    from shucang.share import grants
    from shucang.share.audit import record_event
    from shucang.share.demo import seed_demo_identities
    from shucang.share.identity import get_user
    from shucang.share.reads import read_rows

    home = tmp_path_factory.mktemp("zh-ui") / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        build_demo(wh, scale=0.02)
        seed_demo_plan(wh)
        seed_demo_identities(wh, password=PASSWORD)
        analyst = get_user(wh, "analyst_fgj").actor("web")
        steward = get_user(wh, "steward_jxj").actor("web")
        first = grants.create_request(wh, analyst, "enterprise_cloud", purpose="评估上云进展",
                                      row_filter={"column": "town", "op": "=", "value": "周巷镇"}, duration_days=30)
        grants.decide_request(wh, steward, first.id, approve=True, reason="同意")
        grants.create_request(wh, analyst, "industrial_robots", purpose="机器人统计", duration_days=10)
        read_rows(wh, analyst, "enterprise_cloud", limit=5, channel="display")
        read_rows(wh, analyst, "enterprise_cloud", limit=5, fmt="csv")
        record_event(wh, analyst, "login")
        record_event(wh, analyst, "read", outcome="denied", dataset="population")  # an audit alert on /security
    finally:
        wh.close()
    app = create_app(Settings.load(home))
    yield app
    app.state.warehouse.close()


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app, headers={"accept": "text/html"}, raise_server_exceptions=False)


def _login(client: Any, user: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, attributes or markup (titles of links are shown on hover)."""
    page = re.sub(r"(?is)<(script|style|datalist)\b.*?</\1>", " ", page)
    titles = " ".join(re.findall(r'\stitle="([^"]*)"', page))
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(text + " " + titles)


def crawl(client: Any, seeds: list[str], limit: int = 260) -> dict[str, list[str]]:
    """Follow same-site links from ``seeds``; the codes found per page."""
    seen: set[str] = set()
    queue = deque(seeds)
    found: dict[str, list[str]] = {}
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code)  # no page breaks for any reader
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        text = visible_text(r.text)
        hits = sorted({re.sub(r"\s+", " ", f"{m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 20]}…")
                       for m in CODES.finditer(text)})
        if hits:
            found[path] = hits
        for href in re.findall(r'href="(/[^"#]*)', r.text):
            href = html.unescape(href)
            if not href.startswith("//") and not any(s in href for s in SKIP) and href not in seen:
                queue.append(href)
    assert len(seen) > 20, seen
    return found


SEEDS = ["/", "/indicators", "/zones", "/tasks", "/warehouse", "/security", "/screen", "/opendata", "/login",
         "/requests", "/requests/new", "/access", "/audit", "/tokens", "/no-such-page", "/audit?outcome=failed"]


@pytest.mark.parametrize("user", [None, "admin", "analyst_fgj"])
def test_no_english_codes_in_the_chinese_interface(crawl_app: Any, user: str | None) -> None:
    with _client(crawl_app) as client:
        if user:
            _login(client, user)
        found = crawl(client, SEEDS)
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_english_interface_keeps_english(crawl_app: Any) -> None:
    with _client(crawl_app) as client:
        _login(client, "admin")
        text = visible_text(client.get("/requests?lang=en").text)
    assert "Pending" in text and "待审批" not in text


def test_labels_and_times_are_for_readers() -> None:
    from datetime import datetime

    from shucang.web.labels import code_label, describe_filter, fmt_age, level_label
    from shucang.web.numbers import fmt_when

    assert code_label("pending", "zh") == "待审批" and code_label("pending", "en") == "Pending"
    assert code_label("something_new", "zh") == "something_new"  # unknown codes stay visible
    assert level_label(3, "zh") == "L3 较敏感" and level_label(1, "en") == "L1 Not sensitive"
    assert describe_filter({"column": "town", "op": "=", "value": "周巷镇"}, "zh", {"town": "镇街"}) == "镇街 = 周巷镇"
    assert describe_filter({"and": [{"column": "age", "op": ">=", "value": 18},
                                    {"column": "town", "op": "in", "value": ["周巷镇", "龙山镇"]}]}, "zh") \
        == "(年龄 ≥ 18 且 镇街 属于 [周巷镇、龙山镇])"
    assert describe_filter({"column": "zzz", "op": "is null"}, "en") == "zzz is empty"
    assert fmt_when("2026-12-06T22:30:00", "zh") == "2026-12-07 06:30"  # stored UTC, shown in Beijing time
    assert fmt_when(datetime(2026, 1, 1, 0, 0), "zh") == "2026-01-01 08:00"
    assert fmt_age(datetime(2026, 12, 6, 20, 0), "zh", now=datetime(2026, 12, 6, 21, 0)) == "今天更新"
    assert fmt_age("2026-12-01T10:00:00", "en", now=datetime(2026, 12, 6, 10, 0)) == "Updated 5 days ago"




@pytest.mark.parametrize("user", [None, "admin", "steward_jxj", "analyst_fgj"])
def test_menu_shows_only_pages_the_reader_may_open(crawl_app: Any, user: str | None) -> None:
    """One menu per audience; no link answers 403/401; one log-out button when signed in."""
    with _client(crawl_app) as client:
        if user:
            _login(client, user)
        page = client.get("/").text
        nav = re.search(r'<nav id="main-nav".*?</nav>', page, re.S).group(0)  # type: ignore[union-attr]
        groups = re.findall(r'class="group-link"[^>]*>([^<]+)<', nav)
        assert groups[:2] == ["领导驾驶舱", "数据治理"] and "公共数据开放" in groups
        links = [h for block in re.findall(r'<ul class="items">(.*?)</ul>', nav, re.S)
                 for h in re.findall(r'href="(/[^"]*)"', block)]
        assert len(links) == len(set(links)) >= 8
        for href in links:
            r = client.get(href, follow_redirects=False)
            assert r.status_code in (200, 303), (href, r.status_code)
            assert r.status_code == 200 or href == "/login", href
        assert ('href="/audit"' in nav) == (user in ("admin", "steward_jxj"))
        assert ('href="/requests"' in nav) == (user is not None)
        assert ('href="/login"' in nav) == (user is None)
        assert page.count('action="/logout"') == (1 if user else 0)
        if user:
            assert client.get("/requests").text.count('action="/logout"') == 1


def test_a_bad_request_form_comes_back_with_the_error_and_the_input(crawl_app: Any) -> None:
    with _client(crawl_app) as client:
        _login(client, "analyst_fgj")
        form = client.get("/requests/new?dataset=enterprise_registry").text
        assert 'data-testid="filter-builder"' in form and "您的许可级别" in form
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        r = client.post("/requests/new", data={"csrf_token": token, "dataset": "enterprise_registry",
                                               "purpose": "查看周巷镇企业的上云情况", "columns": ["uscc", "town"],
                                               "max_level": "1", "duration_days": "45",
                                               "row_filter": '{"column": "town", "op": "=", "value": '})
    assert r.status_code == 400
    assert 'data-testid="form-error"' in r.text and "不是有效的 JSON" in r.text and "(row filter" not in r.text
    assert "查看周巷镇企业的上云情况</textarea>" in r.text and 'value="45"' in r.text
    assert '{&#34;column&#34;: &#34;town&#34;' in r.text or '{"column": "town"' in r.text  # the filter typed is kept
    checked = re.findall(r'value="(\w+)" checked', r.text)
    assert set(checked) == {"uscc", "town"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_download_all_gives_every_row_of_the_grant(crawl_app: Any, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the first page: every row within the grant's filter, over many pages, with a title block."""
    import csv
    import io

    import openpyxl

    from shucang.web import download_views

    monkeypatch.setattr(download_views, "PAGE", 37)  # force many pages
    expected = crawl_app.state.warehouse.sql(
        "SELECT count(*) AS n FROM enterprise_cloud WHERE town = ?", ["周巷镇"]).column("n")[0].as_py()
    assert expected > 37
    with _client(crawl_app) as client:
        _login(client, "analyst_fgj")
        page = client.get("/access/enterprise_cloud").text
        assert 'data-testid="download-all-csv"' in page and "下载全部" in page
        r = client.get(f"/access/enterprise_cloud/all.{fmt}")
    assert r.status_code == 200, r.text[:300]
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        blank = lines.index([])
        block = dict(row for row in lines[:blank] if len(row) == 2)
        header, rows = lines[blank + 1], lines[blank + 2:]
        town = next(i for i, h in enumerate(header) if h.endswith("（town）"))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        start = next(i for i, row in enumerate(values) if any(isinstance(v, str) and v.endswith("（town）") for v in row))
        header, rows = values[start], values[start + 1:]
        town = header.index(next(h for h in header if isinstance(h, str) and h.endswith("（town）")))
        block = {str(row[0]): str(row[1]) for row in values[1:start] if row[0]}
    assert len(rows) == expected
    assert {row[town] for row in rows} == {"周巷镇"}
    text = " ".join(block.values())
    assert "enterprise_cloud v" in text and "发展和改革局分析员" in text


def test_audit_alerts_speak_chinese(crawl_app: Any) -> None:
    with _client(crawl_app) as client:
        _login(client, "admin")
        text = visible_text(client.get("/security").text)
    assert "被拒绝" in text and "读取" in text  # the denied read, in words
    assert "市发展和改革局分析员（演示）" in text  # who, by display name
