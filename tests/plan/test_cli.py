"""The ``shucang plan …`` commands, including the `plan status --json` contract from a fresh home."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTRACT = {"id", "name", "category", "unit", "baseline", "target", "latest", "latest_year", "completion",
            "status"}


def test_status_json_contract_on_a_fresh_home(cli: Any) -> None:
    result = cli("plan", "status", "--json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert isinstance(rows, list) and len(rows) == 23
    for row in rows:
        assert CONTRACT <= set(row)
        assert isinstance(row["target"], (int, float)) and not isinstance(row["target"], bool)
        assert row["baseline"] is None or isinstance(row["baseline"], (int, float))
        assert row["status"] == "无数据" and row["latest"] is None
    missing = {r["id"] for r in rows if r["baseline"] is None}
    assert missing == {"mobile_office_share", "cybersecurity_protection_rate"}
    first = rows[0]
    assert (first["id"], first["name"], first["baseline"], first["target"]) == (
        "digital_economy_index", "全市数字经济发展指数", 92.7, 95)


def test_set_then_status_and_history(cli: Any) -> None:
    done = cli("plan", "set", "software_revenue", "2025", "236.5", "--note", "年报", "--actor", "张三", "--json")
    assert done.exit_code == 0, done.stderr
    assert done.json()["value"] == 236.5
    rows = {r["id"]: r for r in cli("plan", "status", "--json").json()}
    row = rows["software_revenue"]
    assert row["latest"] == 236.5 and row["latest_year"] == 2025
    assert row["completion"] == round((236.5 - 142.2) / (240 - 142.2), 6)
    assert row["status"] == "基本完成"
    history = cli("plan", "history", "software_revenue", "--json").json()
    assert history[0]["actor"] == "张三" and history[0]["new_value"] == 236.5 and history[0]["note"] == "年报"
    text = cli("plan", "status")
    assert text.exit_code == 0 and "软件和信息服务业收入" in text.stdout


def test_errors_are_one_line_with_non_zero_exit(cli: Any) -> None:
    bad = cli("plan", "set", "no_such_indicator", "2025", "1")
    assert bad.exit_code != 0
    assert "no_such_indicator" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    unknown_plan = cli("plan", "status", "nope", "--json")
    assert unknown_plan.exit_code != 0 and "nope" in unknown_plan.stderr


def test_list_show_rollup_index(cli: Any) -> None:
    plans = cli("plan", "list", "--json").json()
    assert "cixi-14th" in {p["id"] for p in plans}
    detail = cli("plan", "show", "--json").json()
    assert len(detail["indicators"]) == 23 and len(detail["projects"]) == 12 and len(detail["zones"]) == 6
    groups = cli("plan", "rollup", "--by", "zone", "--json").json()
    assert [g["key"] for g in groups][:2] == ["core", "belt_appliance"]
    index = cli("plan", "index", "--json").json()
    assert index["points"][0]["year"] == 2020 and index["points"][0]["official"] == 92.7
    assert cli("plan", "show").exit_code == 0


def test_export_import_cycle(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "tpl.xlsx"
    assert cli("plan", "export", "--out", out).exit_code == 0 and out.stat().st_size > 0
    values = tmp_path / "v.yaml"
    values.write_text("plan: cixi-14th\nvalues:\n  internet_penetration: {2024: 83.5, 2025: 85.1}\n",
                      encoding="utf-8")
    imported = cli("plan", "import", values, "--json")
    assert imported.exit_code == 0, imported.stderr
    assert imported.json()["written"] == 2
    rows = {r["id"]: r for r in cli("plan", "status", "--json").json()}
    assert rows["internet_penetration"]["status"] == "已完成"


def test_validate_and_add_a_second_plan(cli: Any, tmp_path: Path, home: Path) -> None:
    plan = tmp_path / "next.yaml"
    plan.write_text("id: next-plan\ntitle: 下一个规划\nperiod: {start: 2026, end: 2030}\n"
                    "categories: [{id: c, name: 综合}]\n"
                    "indicators:\n  - {id: a, name: 指标A, category: c, unit: 个, "
                    "baseline: {year: 2025, value: 1}, target: {year: 2030, value: 2}}\n", encoding="utf-8")
    assert cli("plan", "validate", plan).exit_code == 0
    assert cli("plan", "add", plan).exit_code == 0
    assert (home / "plans" / "next-plan.yaml").is_file()
    assert {p["id"] for p in cli("plan", "list", "--json").json()} >= {"cixi-14th", "next-plan"}
    rows = cli("plan", "status", "next-plan", "--json").json()
    assert [r["id"] for r in rows] == ["a"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(plan.read_text(encoding="utf-8").replace("value: 2}", "value: two}"), encoding="utf-8")
    result = cli("plan", "validate", broken)
    assert result.exit_code != 0 and "broken.yaml:6" in result.stderr


def test_recompute_json_on_empty_warehouse_reports_missing_datasets(cli: Any) -> None:
    result = cli("plan", "recompute", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["changed"] == 0
    assert any("industrial_monthly" in e["error"] for e in report["errors"])
