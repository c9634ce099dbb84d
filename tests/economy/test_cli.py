"""The `shucang economy …` commands over the demo home: one core call each, JSON for machines, one clear
line on errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import invoke_cli


def test_watch_alerts_panel_chains_bindings(demo_home: Path) -> None:
    watch = invoke_cli(demo_home, "economy", "watch", "--dataset", "economy_monthly", "--json")
    assert watch.exit_code == 0, watch.stderr
    assert watch.json()["period"] == "2026-11" and watch.json()["alerts"]
    alerts = invoke_cli(demo_home, "economy", "alerts", "--json").json()
    assert len(alerts) == len(watch.json()["alerts"]) and all("evidence" in a for a in alerts)
    panel = invoke_cli(demo_home, "economy", "panel").json()
    assert panel["available"] and panel["kpis"][0]["key"] == "output"
    chains = invoke_cli(demo_home, "economy", "chains", "--json").json()
    assert "GB/T 4754-2017" in chains["source"]
    bindings = invoke_cli(demo_home, "economy", "bindings", "--json").json()
    assert [b["dataset"] for b in bindings] == ["economy_monthly"]
    corrections = invoke_cli(demo_home, "economy", "corrections", "--json").json()
    assert corrections["count"] > 0


def test_enterprises_and_portrait(demo_home: Path) -> None:
    listing = invoke_cli(demo_home, "economy", "enterprises", "--chain", "appliance", "--json")
    assert listing.exit_code == 0, listing.stderr
    rows = listing.json()["rows"]
    assert rows and all("家电" in r["chains"] for r in rows)
    portrait = invoke_cli(demo_home, "economy", "portrait", rows[0]["enterprise"], "--json")
    assert portrait.exit_code == 0, portrait.stderr
    data = portrait.json()
    assert data["parts"]["registration"]["available"] and data["parts"]["registration"]["count"] == 1
    text = invoke_cli(demo_home, "economy", "portrait", rows[0]["enterprise"])
    assert rows[0]["name"] in text.stdout
    missing = invoke_cli(demo_home, "economy", "portrait", "91330282NOSUCHFIRM0")
    assert missing.exit_code != 0 and "Traceback" not in missing.stderr


def test_bind_dry_run_and_unbind(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("信用代码,报告期,产值\nA,2025年6月,1\n", encoding="utf-8")
    assert cli("ingest", path, "--dataset", "r").exit_code == 0
    dry = cli("economy", "bind", "r", "--dry-run", "--map", "产值=output", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json()["roles"] == {"enterprise": "信用代码", "period": "报告期"}
    assert cli("economy", "bindings", "--json").json() == []  # a dry run stores nothing
    assert cli("economy", "bind", "r", "--map", "产值=measure:output").exit_code == 0
    assert cli("economy", "unbind", "r").stdout.startswith("已解除绑定")
    bad = cli("economy", "bind", "r", "--map", "产值=planet")
    assert bad.exit_code != 0 and "unknown role" in bad.stderr
