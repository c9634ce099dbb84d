"""Workbooks with several table sheets (issue 14, item 4): never a silent partial load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter


def _yearly_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for year, rows in (("2022", 80), ("2023", 60)):
        ws = wb.add_worksheet(year)
        ws.write_row(0, 0, ["镇街", "人数"])
        for r in range(rows):
            ws.write_row(r + 1, 0, [f"镇{r}", r])
    other = wb.add_worksheet("说明")
    other.write_row(0, 0, ["项目", "内容"])
    other.write_row(1, 0, ["来源", "统计局"])
    wb.add_worksheet("空表")
    wb.close()
    return path


def test_a_default_sheet_load_warns_about_the_sheets_left_out(cli: Callable[..., Any], tmp_path: Path) -> None:
    book = _yearly_book(tmp_path / "book.xlsx")
    result = cli("ingest", book, "--dataset", "pop", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["sheet"] == "2022" and data["rows_loaded"] == 80
    assert any("2023" in w and "说明" in w and "--sheet all" in w for w in data["warnings"])
    text = cli("ingest", book, "--dataset", "pop2")
    assert "警告" in text.stdout and "2023" in " ".join(text.stdout.split())


def test_sheet_all_loads_every_table_sheet_and_says_where(cli: Callable[..., Any], tmp_path: Path) -> None:
    book = _yearly_book(tmp_path / "book.xlsx")
    result = cli("ingest", book, "--dataset", "pop", "--sheet", "all", "--json")
    assert result.exit_code == 0, result.stderr
    out = [(r["sheet"], r["dataset"], r["version"], r["rows_loaded"]) for r in result.json()]
    assert out == [("2022", "pop", 1, 80), ("2023", "pop", 2, 60), ("说明", "pop_说明", 1, 1)]
    assert all(not r["warnings"] for r in result.json())
    count = cli("sql", "SELECT count(*) AS n FROM pop", "--json").json()
    assert count[0]["n"] == 140
    text = cli("ingest", book, "--dataset", "again", "--sheet", "all")
    said = " ".join(text.stdout.split())
    assert "工作表 sheet 2023 → again 版本 v2" in said and "工作表 sheet 说明 → again_说明 版本 v1" in said


def test_several_files_load_in_one_process_as_successive_versions(cli: Callable[..., Any],
                                                                  tmp_path: Path) -> None:
    files = []
    for k in range(3):
        path = tmp_path / f"f{k}.csv"
        path.write_text(f"a,b\n{k},x\n", encoding="utf-8")
        files.append(path)
    result = cli("ingest", *files, "--dataset", "many", "--mode", "replace", "--json")
    assert result.exit_code == 0, result.stderr
    assert [(r["version"], r["mode"], r["row_count"]) for r in result.json()] == [
        (1, "replace", 1), (2, "append", 2), (3, "append", 3)]
