"""The project register of the 专栏: CLI entries, the XLSX template round trip, statuses rolled up."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shucang import plan as planlib
from shucang.errors import InputError


def test_cli_register_with_evidence_file_and_milestones(cli: Any, home: Path, tmp_path: Path) -> None:
    proof = tmp_path / "验收报告.pdf"
    proof.write_bytes(b"%PDF-1.4 proof")
    done = cli("plan", "item", "set", "p11", "1", "--unit", "市大数据局", "--start", "2022-01-01", "--end", "2024-06-30",
               "--progress", "100", "--file", proof, "--evidence", "已通过验收", "--json")
    assert done.exit_code == 0, done.stderr
    row = done.json()
    assert row["status"] == "done" and row["status_label"] == "完成"
    assert (home / row["evidence_file"]).read_bytes() == b"%PDF-1.4 proof"
    assert cli("plan", "item", "milestone", "p11", "1", "2023-06-30", "平台上线").exit_code == 0
    bad = cli("plan", "item", "set", "p11", "1", "--progress", "130")
    assert bad.exit_code != 0 and len(bad.stderr.strip().splitlines()) == 1
    unknown = cli("plan", "item", "set", "p11", "no such item", "--progress", "1")
    assert unknown.exit_code != 0 and "专栏11" in unknown.stderr
    listing = {p["id"]: p for p in cli("plan", "item", "list", "--json").json()}
    p11 = listing["p11"]
    assert p11["registered"] == 1 and p11["status"] == "in_progress"  # one item done, the others not yet
    assert p11["items"][0]["record"]["milestones"][0]["text"] == "平台上线"


def test_status_follows_progress_and_dates() -> None:
    from shucang.plan.register import derive_status, rollup_status

    today = date(2026, 12, 6)
    assert derive_status(100, None, today) == "done"
    assert derive_status(40, date(2025, 12, 31), today) == "lagging"
    assert derive_status(40, date(2027, 12, 31), today) == "in_progress"
    assert derive_status(None, None, today) == "not_started"
    assert rollup_status([], 3) == "no_record"
    assert rollup_status(["done", "done"], 3) == "in_progress"  # one item not registered yet
    assert rollup_status(["done", "done", "done"], 3) == "done"
    assert rollup_status(["done", "lagging", "in_progress"], 3) == "lagging"
    assert rollup_status(["not_started"], 3) == "not_started"


def test_xlsx_template_round_trip_all_or_nothing(warehouse: Any, tmp_path: Path) -> None:
    import openpyxl

    from shucang.plan.register import project_register
    from shucang.plan.register_workbook import export_register, import_register

    plan = planlib.load_plan(warehouse, "cixi-14th")
    path = export_register(warehouse, tmp_path / "register.xlsx", plan)
    book = openpyxl.load_workbook(path)
    ws = book["项目登记"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    rows = {(ws.cell(r, 1).value, ws.cell(r, 3).value): r for r in range(2, ws.max_row + 1)}
    p10 = plan.project("p10")
    first = rows[("p10", p10.items[0].name)]
    ws.cell(first, col["责任单位"], "市大数据局")
    ws.cell(first, col["计划投资（万元）"], 5000)
    ws.cell(first, col["进度（%）"], 55)
    ws.cell(first, col["状态"], "在建")
    ws.cell(first, col["里程碑"], "2024-06-30 开工; 2025-10-01 投运")
    second = rows[("p10", p10.items[1].name)]
    ws.cell(second, col["进度（%）"], "40,5")  # a decimal comma: the whole file is refused
    book.save(path)
    with pytest.raises(InputError, match="40,5"):
        import_register(warehouse, path, plan, actor="大数据局")
    assert all(p["registered"] == 0 for p in project_register(warehouse, plan))
    ws.cell(second, col["进度（%）"], 40.5)
    ws.cell(second, col["状态"], "滞后")
    book.save(path)
    done = import_register(warehouse, path, plan, actor="大数据局")
    assert done["items"] == 2
    p10_now = next(p for p in project_register(warehouse, plan) if p["id"] == "p10")
    assert p10_now["status"] == "lagging" and p10_now["planned_investment"] == 5000
    record = p10_now["items"][0]["record"]
    assert [m["text"] for m in record["milestones"]] == ["开工", "投运"]
    import_register(warehouse, path, plan, actor="大数据局")  # again: milestones are not duplicated
    again = next(p for p in project_register(warehouse, plan) if p["id"] == "p10")
    assert len(again["items"][0]["record"]["milestones"]) == 2
    exported = openpyxl.load_workbook(export_register(warehouse, tmp_path / "again.xlsx", plan))["项目登记"]
    assert exported.cell(first, col["责任单位"]).value == "市大数据局"
    assert exported.cell(first, col["计划投资（万元）"]).value == 5000
