"""The evaluation report from a closed demo plan: both files open and agree with `plan status --json`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import invoke_cli

from shucang import plan as planlib


@pytest.fixture(scope="module")
def closed_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small demo warehouse with a register, an explanation, then closed and one figure revised."""
    from shucang.demo import build_demo
    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    home = tmp_path_factory.mktemp("plan-report") / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        build_demo(wh, scale=0.01)
        planlib.seed_demo_plan(wh)
    finally:
        wh.close()
    cli = lambda *a: invoke_cli(home, *map(str, a))  # noqa: E731
    for args in (("plan", "item", "set", "p10", "1", "--unit", "市大数据局", "--start", "2021-03-01", "--end",
                  "2023-12-31", "--planned", "12,000", "--actual", "11800", "--progress", "100",
                  "--link", "https://example.org/dsj"),
                 ("plan", "item", "set", "p10", "2", "--unit", "市大数据局", "--progress", "60", "--status", "滞后"),
                 ("plan", "item", "milestone", "p10", "1", "2022-06-30", "一期上线", "--done", "2022-06-20"),
                 ("plan", "explain", "digital_core_value_added", "--reason", "疫情影响产能", "--next", "加快项目投产")):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
    assert cli("plan", "close", "cixi-14th", "--note", "终期评估").exit_code == 0
    revised = cli("plan", "revise", "cixi-14th", "software_revenue", "2025", "236.1", "--reason", "年鉴更正")
    assert revised.exit_code == 0, revised.stderr
    yield home


def run(home: Path, *args: Any) -> Any:
    return invoke_cli(home, *map(str, args))


def _status(home: Path) -> dict[str, dict[str, Any]]:
    result = run(home, "plan", "status", "cixi-14th", "--scope", "all", "--json")
    assert result.exit_code == 0, result.stderr
    return {r["id"]: r for r in result.json()}


def _leading_number(text: str) -> float | None:
    match = re.match(r"^-?[\d,]+(\.\d+)?", text.strip())
    return float(match.group(0).replace(",", "")) if match else None


def test_docx_holds_every_indicator_with_the_status_table_figures(closed_home: Path, tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "评估报告.docx"
    result = run(closed_home, "plan", "report", "cixi-14th", "--format", "docx", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert not list(tmp_path.glob(".*.part"))
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "终期评估报告" in text and "合成演示数据" in text
    for heading in ("一、总体评价", "二、主要指标完成情况", "三、分领域分析", "五、主要任务与重点专栏推进情况",
                    "六、滞后指标及原因", "附件：数据来源与版本"):
        assert heading in text
    status = _status(closed_home)
    found: dict[str, tuple[str, str]] = {}
    for table in doc.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[:2] != ["序号", "指标"]:
            continue
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            found[cells[1]] = (cells[5], cells[8])
    by_name = {r["name"]: r for r in status.values()}
    assert set(found) == set(by_name)  # every indicator: main table, text targets, project targets
    for name, (final, state) in found.items():
        row = by_name[name]
        assert state == row["status"], name
        if row["latest"] is None:
            assert final == "—"
        else:
            assert _leading_number(final) == pytest.approx(round(row["latest"], 2)), name
    software = found[status["software_revenue"]["name"]][0]
    assert "236.1" in software and "已修订" in software
    lag = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["指标", "期末值"])
    assert any("疫情影响产能" in c.text for r in lag.rows for c in r.cells)
    assert len(doc.inline_shapes) == sum(1 for r in status.values() if r["kind"] == "main")  # one chart each
    register = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "市大数据局" in register and "一期上线" in register


def test_xlsx_has_the_same_tables_with_numbers_as_numbers(closed_home: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "report.xlsx"
    assert run(closed_home, "plan", "report", "cixi-14th", "-f", "xlsx", "-o", out).exit_code == 0
    book = openpyxl.load_workbook(out)
    assert {"总体评价", "主要指标", "文中目标", "专栏目标", "专栏项目", "滞后指标", "数据来源"} <= set(book.sheetnames)
    status = _status(closed_home)
    seen = {}
    for name in ("主要指标", "文中目标", "专栏目标"):
        ws = book[name]
        header_row = next(r for r in range(1, 8) if ws.cell(r, 1).value == "序号")
        header = [c.value for c in ws[header_row]]
        col = {h: i for i, h in enumerate(header)}
        for row in ws.iter_rows(min_row=header_row + 1):
            ind = row[col["指标编号"]].value
            final = row[col["期末值"]]
            seen[ind] = (final.value, row[col["状态"]].value)
            if final.value is not None:
                assert isinstance(final.value, (int, float)) and "0" in final.number_format
            done = row[col["完成度（实际÷目标）"]]
            if done.value is not None:
                assert isinstance(done.value, (int, float)) and done.number_format == "0.0%"
    assert set(seen) == set(status)
    for ind, (final, state) in seen.items():
        assert state == status[ind]["status"]
        assert final == status[ind]["latest"]
    assert seen["software_revenue"][0] == 236.1
    assert "合成演示数据" in str(book["主要指标"]["A2"].value)


def test_report_refuses_an_unknown_format(closed_home: Path, tmp_path: Path) -> None:
    result = run(closed_home, "plan", "report", "cixi-14th", "--format", "pdf", "--out", tmp_path / "x.pdf")
    assert result.exit_code != 0 and "docx" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_register_statuses_roll_up_to_the_project(closed_home: Path) -> None:
    projects = {p["id"]: p for p in run(closed_home, "plan", "item", "list", "--json").json()}
    assert projects["p10"]["status"] == "lagging"  # one item 完成, one 滞后
    assert projects["p10"]["planned_investment"] == 12000.0
    assert projects["p11"]["status"] == "no_record"
    closed = run(closed_home, "plan", "item", "set", "p10", "1", "--progress", "90")
    assert closed.exit_code != 0 and "cixi-14th" in closed.stderr  # the register is frozen too
