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
