"""/api/v1/economy: aggregates for everyone (small groups blanked for non-admins), single-enterprise figures
only for callers allowed to read the monthly report, the portrait masked through the sharing door."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

BASE = "/api/v1/economy"


def test_overview_and_panel_are_public_aggregates(client_as: Any) -> None:
    data = client_as("public").get(f"{BASE}/overview").json()
    assert data["ok"] and data["period"] == "2026-11"
    assert [h["key"] for h in data["headline"]] == ["output", "sales", "export", "electricity"]
    assert len(data["trend"]["points"]) == 36
    towns = data["by_town"]["rows"]
    assert any(r.get("suppressed") for r in towns) and all(r["yoy_pct"] is None for r in towns if r.get("suppressed"))
    assert all(r["enterprises"] >= 5 for r in towns if not r.get("suppressed"))
    admin = client_as("admin").get(f"{BASE}/overview").json()
    assert not any(r.get("suppressed") for r in admin["by_town"]["rows"])
    for h in admin["headline"]:  # the one-pass headline equals the YoY contract's total, measure by measure
        one = client_as("admin").get(f"{BASE}/yoy", params={"period": admin["period"], "measure": h["measure"]}).json()
        assert {k: h[k] for k in one["total"]} == one["total"]
    panel = client_as("public").get(f"{BASE}/panel").json()
    assert panel["available"] and panel["alerts"]["total"] > 0 and len(panel["trend"]["periods"]) == 13


def test_yoy_route_matches_the_core(client_as: Any, demo_wh: Any) -> None:
    from shucang.economy import yoy

    got = client_as("admin").get(f"{BASE}/yoy", params={"period": "2026-06", "by": "chain"}).json()
    want = yoy(demo_wh, "economy_monthly", "output", "2026-06", by="chain")
    assert got["total"] == want["total"] and got["rows"] == want["rows"]
    bad = client_as("public").get(f"{BASE}/yoy", params={"period": "June"})
    assert bad.status_code == 400 and bad.json()["ok"] is False


def test_single_enterprise_figures_need_the_right(client_as: Any) -> None:
    assert client_as("public").get(f"{BASE}/enterprises").status_code == 401
    assert client_as("consumer").get(f"{BASE}/enterprises").status_code == 403
    listing = client_as("admin").get(f"{BASE}/enterprises", params={"chain": "appliance"}).json()
    assert listing["count"] > 0 and all("家电" in r["chains"] for r in listing["rows"])
    uscc = listing["rows"][0]["enterprise"]
    assert client_as("consumer").get(f"{BASE}/enterprises/{uscc}").status_code == 403
    portrait = client_as("admin").get(f"{BASE}/enterprises/{uscc}").json()
    assert portrait["enterprise"] == uscc and portrait["chains"] == ["家电"]
    assert portrait["parts"]["registration"]["available"] and portrait["parts"]["registration"]["count"] == 1
    assert len(portrait["monthly"]) == 24
    alerts = client_as("public").get(f"{BASE}/alerts").json()
    assert alerts["enterprise_alerts_hidden"] > 0 and all(a["subject_kind"] == "chain" for a in alerts["alerts"])
    assert client_as("public").get(f"{BASE}/corrections").status_code == 401


def test_mujun_list_for_allowed_callers_distribution_for_all(client_as: Any) -> None:
    public = client_as("public").get(f"{BASE}/mujun").json()
    assert public["enterprise_list_hidden"] and public["evaluated"] == []
    assert public["distribution"]["total"]["enterprises"] > 0
    admin = client_as("admin").get(f"{BASE}/mujun").json()
    assert len(admin["evaluated"]) == admin["distribution"]["total"]["enterprises"]
    assert admin["not_evaluable"] or admin["not_eligible"]
    assert client_as("public").get(f"{BASE}/mujun.xlsx").status_code == 401
    file = client_as("admin").get(f"{BASE}/mujun.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(file.content)).active
    block = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2, max_row=9)}
    assert sheet["A1"].value.endswith("亩均效益评价") and block["导出人"] == "boss"  # the admin fixture user
    assert block["数据标签"].startswith("合成演示数据")  # the synthetic label


def test_chain_and_town_pages(client_as: Any) -> None:
    chain = client_as("public").get(f"{BASE}/chains/appliance").json()
    assert chain["label"] == "家电" and chain["codes"] == ["385"] and chain["measures"][0]["county"]["yoy_pct"]
    assert client_as("public").get(f"{BASE}/chains/nothing").status_code == 404
    chains = client_as("public").get(f"{BASE}/chains").json()
    assert {c["id"] for c in chains["chains"]} >= {"appliance", "bearing", "mould"}
    assert "国家统计局" in chains["digital_core"]["source"]

