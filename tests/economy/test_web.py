"""The /economy pages: live figures for everyone, enterprise pages only for callers allowed, exports with the
statistics header block, JSON twins, one nav entry."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl

HTML = {"accept": "text/html"}


def test_overview_page_is_alive_for_the_public(client_as: Any) -> None:
    c = client_as("public")
    html = c.get("/economy", headers=HTML).text
    assert 'href="/economy" aria-current="page"' in html  # the one nav entry, active
    assert 'data-testid="economy-kpis"' in html and 'data-testid="economy-map"' in html
    assert "2026-11" in html and "economy_monthly v1" in html and "合成演示数据" in html
    data = c.get("/economy?format=json").json()
    assert len(data["headline"]) == 4 and data["headline"][0]["yoy_pct"] is not None
    assert {t["name"] for t in data["tables"]} == {"chains", "towns", "trend"}
    assert c.get("/economy/chains/appliance", headers=HTML).status_code == 200
    assert c.get("/economy/towns/浒山街道", headers=HTML).status_code == 200
    assert c.get("/economy/chains/none", headers=HTML).status_code == 404
    assert c.get("/economy?period=2026-13", headers=HTML).status_code == 400


def test_exports_carry_title_period_caliber_sources_and_label(client_as: Any) -> None:
    r = client_as("public").get("/economy/export/towns.xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet["A1"].value.endswith("分镇街")  # the cockpit's one title block (shucang.web.exports)
    head = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2, max_row=7)}
    assert head["期间"] == "2026-11" and "同口径" in head["口径"]
    assert head["来源数据集（版本）"] == "economy_monthly v1" and head["导出时间（北京时间）"]
    assert "合成演示数据" in head["数据标签"]
    csv = client_as("public").get("/economy/export/chains.csv").content.decode("utf-8-sig")
    assert "家电" in csv and "口径," in csv and "economy_monthly v1" in csv


def test_enterprise_pages_only_for_callers_allowed(client_as: Any) -> None:
    public = client_as("public").get("/economy/enterprises", headers=HTML).text
    assert "/economy/enterprises/9" not in public and "单个企业数据仅向" in public
    assert client_as("public").get("/economy/enterprises/913302820000000000", headers=HTML).status_code == 401
    mujun = client_as("public").get("/economy/mujun?format=json").json()
    assert mujun["hidden"] and {t["name"] for t in mujun["tables"]} == {"by-town", "by-chain"}
    admin = client_as("admin")
    html = admin.get("/economy/enterprises?chain=appliance", headers=HTML).text
    codes = re.findall(r'href="/economy/enterprises/(\w+)"', html)
    assert codes
    portrait = admin.get(f"/economy/enterprises/{codes[0]}", headers=HTML)
    assert portrait.status_code == 200 and 'data-testid="portrait-facts"' in portrait.text and "家电" in portrait.text
    assert admin.get(f"/economy/enterprises/{codes[0]}/export/monthly.xlsx").status_code == 200
    full = admin.get("/economy/mujun?format=json").json()
    assert {"evaluation", "not-evaluable"} <= {t["name"] for t in full["tables"]}


def _sheet(content: bytes) -> tuple[dict[str, Any], list[list[Any]]]:
    """(header block, table rows with the column labels first) of an exported XLSX."""
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows()]
    blank = next(i for i, r in enumerate(rows) if all(v in (None, "") for v in r))
    # the first line is the title itself (A1), then one "label, value" line each
    return {"导出内容": rows[0][0], **{r[0]: r[1] for r in rows[1:blank]}}, rows[blank + 1:]


def _enterprise_with_alerts(admin: Any) -> str:
    alerts = admin.get("/api/v1/economy/alerts").json()
    return next(a["subject"] for a in alerts["alerts"] if a["subject_kind"] == "enterprise")


def test_every_portrait_table_exports_with_its_own_source(client_as: Any) -> None:
    admin = client_as("admin")
    code = _enterprise_with_alerts(admin)
    page = admin.get(f"/economy/enterprises/{code}?format=json").json()
    html = admin.get(f"/economy/enterprises/{code}", headers=HTML).text
    parts = {t["name"].removeprefix("part-"): t for t in page["parts"]}
    assert {"registration", "patents"} <= set(parts) or {"registration", "cloud"} <= set(parts)
    assert page["alerts_table"]["rows"]
    for key, table in [*parts.items(), ("alerts", page["alerts_table"])]:
        url = f"/economy/enterprises/{code}/parts/export/{key}"
        assert f'href="{url}.xlsx"' in html
        r = admin.get(url + ".xlsx")
        assert r.status_code == 200, (key, r.text[:200])
        head, rows = _sheet(r.content)
        assert code in head["导出内容"] and head["期间"] == page["period"] and head["导出时间（北京时间）"]
        dataset = page["p"]["parts"][key]["dataset"] if key != "alerts" else page["p"]["dataset"]
        assert head["来源数据集（版本）"].startswith(f"{dataset} v") and "合成演示数据" in head["数据标签"]
        assert rows[0] == [c["label"] for c in table["columns"]] and len(rows) - 1 == len(table["rows"])
        csv = admin.get(url + ".csv")
        lines = csv.content.decode("utf-8-sig").strip().splitlines()
        assert csv.status_code == 200 and lines[0].startswith("导出内容,")  # the same title block
        assert len(lines) - lines.index("") - 1 == len(rows)
    assert admin.get(f"/economy/enterprises/{code}/parts/export/nothing.xlsx").status_code == 404
    assert client_as("public").get(f"/economy/enterprises/{code}/parts/export/registration.xlsx").status_code == 401


def test_portrait_part_exports_are_masked_exactly_as_the_page(client_as: Any, demo_app: Any) -> None:
    """A consumer granted the monthly report and the register only up to level 1 sees the register's
    higher columns masked on the page — and the export carries the same masked values, says which columns
    were masked, and is audited as an export."""
    from shucang.share import grants
    from shucang.share.access import Actor
    from shucang.share.identity import create_user

    wh = demo_app.state.warehouse
    create_user(wh, "viewer1", role="consumer", department="swj", password="economy-test-Viewer-1")
    viewer = Actor(name="viewer1", role="consumer", department="swj", via="token")
    boss = Actor(name="boss", role="admin", clearance=4, via="token")
    for dataset, level in (("economy_monthly", 4), ("enterprise_registry", 1)):
        request = grants.create_request(wh, viewer, dataset, purpose="经济运行监测（测试）", max_level=level)
        grants.decide_request(wh, boss, request.id, approve=True)
    code = _enterprise_with_alerts(client_as("admin"))
    admin_rows = client_as("admin").get(f"/economy/enterprises/{code}?format=json").json()["p"]["parts"]
    client = client_as("admin")
    demo_app.state.resolve_actor = lambda _request: viewer
    page = client.get(f"/economy/enterprises/{code}?format=json").json()
    registration = page["p"]["parts"]["registration"]
    masked = registration["masked_columns"]
    assert masked and registration["rows"] != admin_rows["registration"]["rows"]
    head, rows = _sheet(client.get(f"/economy/enterprises/{code}/parts/export/registration.xlsx").content)
    assert all(m in head["口径"] for m in masked)
    labels, values = rows[0], rows[1]
    table = next(t for t in page["parts"] if t["name"] == "part-registration")
    shown = table["rows"][0]
    for column in masked:
        assert values[labels.index(column)] == str(shown[column]) != str(admin_rows["registration"]["rows"][0][column])
    assert not page["p"]["parts"]["cloud"]["available"]  # no grant: not shown, so nothing to export
    assert client.get(f"/economy/enterprises/{code}/parts/export/cloud.xlsx").status_code == 404
    from shucang.share.audit import search

    assert {e.action for e in search(wh, actor="viewer1", dataset="enterprise_registry")} >= {"read", "export"}


def test_headline_and_mujun_method_export(client_as: Any) -> None:
    c = client_as("public")
    html = c.get("/economy?caliber=all", headers=HTML).text
    assert "/economy/headline/export.xlsx?caliber=all" in html
    head, rows = _sheet(c.get("/economy/headline/export.xlsx?caliber=all").content)
    assert "全口径" in head["口径"] and head["期间"] == "2026-11" and len(rows) == 5
    data = c.get("/economy?format=json&caliber=all").json()
    assert [r[0] for r in rows[1:]] == [h["measure"] for h in data["headline"]]
    assert [r[3] for r in rows[1:]] == [h["yoy_pct"] for h in data["headline"]]
    mujun = c.get("/economy/mujun", headers=HTML).text
    assert "/economy/mujun/method/export.xlsx" in mujun
    head, rows = _sheet(c.get("/economy/mujun/method/export.xlsx").content)
    assert head["导出内容"] and head["来源数据集（版本）"].startswith("enterprise_land v") and len(rows) >= 6


def test_download_links_export_the_table_as_shown(client_as: Any) -> None:
    """A page's caliber, month and filters travel with its download links: the export is the table on screen."""
    public = client_as("public")
    html = public.get("/economy?caliber=all", headers=HTML).text
    assert 'href="/economy/export/towns.xlsx?caliber=all"' in html
    head, _ = _sheet(public.get("/economy/export/towns.xlsx?caliber=all").content)
    assert "全口径" in head["口径"]
    admin = client_as("admin")
    shown = admin.get("/economy/enterprises?chain=appliance&format=json").json()["tables"][0]["rows"]
    everyone = admin.get("/economy/enterprises?format=json").json()["tables"][0]["rows"]
    assert 0 < len(shown) < len(everyone)
    page = admin.get("/economy/enterprises?chain=appliance", headers=HTML).text
    link = re.search(r'href="(/economy/enterprises/export/enterprises\.xlsx[^"]*)"', page)
    assert link and link.group(1).endswith("?chain=appliance")
    _, rows = _sheet(admin.get(link.group(1)).content)
    assert len(rows) - 1 == len(shown)
