"""亩均效益评价: scores against the county figure, classes by the method's shares, missing inputs listed
(never guessed), the land threshold, overrides of the method, and the XLSX export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shucang.economy.mujun import load_method, score_rows


def _row(i: int, **changes: Any) -> dict[str, Any]:
    base = {"ent": f"E{i:02d}", "name": f"企业{i}", "land": 10.0 + i, "tax": 100.0 + 10 * i,
            "added_value": 1000.0 + 50 * i, "revenue": 5000.0, "rd": 100.0 + 5 * i, "energy": 400.0,
            "employees": 50.0, "town": "周巷镇", "industry": "3851"}
    return {**base, **changes}


def test_scores_classes_and_exclusions() -> None:
    method = load_method()
    rows = [_row(i) for i in range(20)]
    rows += [_row(20, energy=None), _row(21, land=2.0), _row(22, employees=0.0)]
    out = score_rows(rows, method, 2025, "land")
    assert [r["enterprise"] for r in out["not_evaluable"]] == ["E20", "E22"]
    assert out["not_evaluable"][0]["missing"] == ["综合能耗"]
    assert out["not_evaluable"][1]["zero"] == ["年平均职工人数"]
    assert [r["enterprise"] for r in out["not_eligible"]] == ["E21"]
    evaluated = out["evaluated"]
    assert len(evaluated) == 20
    # the county figure is the ratio of sums over the evaluated enterprises
    ok = [r for r in rows if r["ent"] not in ("E20", "E21", "E22")]
    county_tax = sum(r["tax"] for r in ok) / sum(r["land"] for r in ok)
    assert out["county"]["tax_per_mu"] == pytest.approx(county_tax, abs=1e-4)
    e0 = next(e for e in evaluated if e["enterprise"] == "E00")
    assert e0["tax_per_mu"] == pytest.approx(10.0, abs=1e-4)
    assert e0["points"]["tax_per_mu"] == pytest.approx(10.0 / county_tax * 40, abs=1e-3)
    assert e0["score"] == pytest.approx(sum(e0["points"].values()), abs=0.01)
    # shares 20/50/25/5 % of 20 enterprises → 4 A, 10 B, 5 C, 1 D, best scores first
    assert [e["class"] for e in evaluated] == ["A"] * 4 + ["B"] * 10 + ["C"] * 5 + ["D"]
    assert all(a["score"] >= b["score"] for a, b in zip(evaluated, evaluated[1:], strict=False))
    assert out["distribution"]["total"] == {"A": 4, "B": 10, "C": 5, "D": 1, "enterprises": 20}
    assert out["distribution"]["chain"][0]["group"] == "家电"


def test_cap_limits_one_indicator() -> None:
    method = load_method()
    rows = [_row(i) for i in range(9)] + [_row(9, tax=1e7)]
    best = score_rows(rows, method, 2025, "land")["evaluated"][0]
    assert best["enterprise"] == "E09" and best["points"]["tax_per_mu"] == pytest.approx(40 * method["cap"])


def test_county_override_of_the_method(tmp_path: Path) -> None:
    (tmp_path / "economy").mkdir()
    (tmp_path / "economy" / "mujun.yaml").write_text("eligible: {min_land_mu: 15}\n", encoding="utf-8")
    method = load_method(tmp_path)
    assert method["eligible"]["min_land_mu"] == 15 and method["indicators"]["tax_per_mu"]["weight"] == 40
    out = score_rows([_row(i) for i in range(10)], method, 2025, "land")
    assert len(out["not_eligible"]) == 5


def test_cli_on_a_file_with_xlsx(cli: Any, tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "亩均.csv"
    lines = ["统一社会信用代码,企业名称,年度,用地面积(亩),税收实际贡献(万元),工业增加值(万元),营业收入(万元),研发经费(万元),"
             "综合能耗(吨标准煤),年平均职工人数(人)"]
    lines += [f"E{i:02d},企业{i},2025,{10 + i},{100 + 10 * i},{1000 + 50 * i},5000,{100 + 5 * i},400,50" for i in range(8)]
    lines += ["E99,缺数企业,2025,20,100,1000,5000,100,,50"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli("ingest", path, "--dataset", "land").exit_code == 0
    out = tmp_path / "mujun.xlsx"
    result = cli("economy", "mujun", "--dataset", "land", "--xlsx", out, "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert len(data["evaluated"]) == 8 and data["not_evaluable"][0]["enterprise"] == "E99"
    sheet = openpyxl.load_workbook(out).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    keys = [r[0] for r in cells]
    assert cells[0][0] == "2025年度工业企业亩均效益评价"  # the title block of every table file
    assert {"期间", "口径", "来源数据集（版本）", "导出时间（北京时间）", "导出人", "数据标签"} <= set(keys)
    assert any(str(r[1]).startswith("land v") for r in cells if r[0] == "来源数据集（版本）")
    assert next(r[1] for r in cells if r[0] == "导出人").startswith("cli:")
    assert any(str(v).startswith("不可评价") for r in cells for v in r if v)
