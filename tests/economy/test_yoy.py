"""The YoY contract against a hand computation, on a file with entering/leaving enterprises, gaps and
corrections; header binding; the CLI's JSON shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.economy import reports

from shucang.economy import bind_dataset, corrections, load_binding, yoy
from shucang.errors import InputError, NotFound
from shucang.warehouse import IngestOptions

KEYS = {"group", "current", "previous", "yoy_pct", "enterprises"}


@pytest.fixture
def bound(warehouse: Any, tmp_path: Path) -> Any:
    path = reports.write(tmp_path / "月报.csv")
    warehouse.ingest(path, IngestOptions(dataset="monthly"))
    bind_dataset(warehouse, "monthly")
    return warehouse


def test_headers_bind_to_roles(bound: Any) -> None:
    b = load_binding(bound, "monthly")
    roles = b.to_dict()["roles"]
    assert roles == {"enterprise": "统一社会信用代码", "name": "单位详细名称", "period": "统计月份",
                     "industry": "行业代码", "town": "镇（街道）", "report_time": "填报时间"}
    assert [(m["column"], m["measure"]) for m in b.to_dict()["measures"]] == [
        ("工业总产值（万元）", "output"), ("用电量(万千瓦时)", "electricity")]
    assert b.measure_column("工业总产值(万元)") == "工业总产值（万元）"  # full- or half-width brackets
    assert b.measure_column("output") == "工业总产值（万元）"


@pytest.mark.parametrize("caliber", ["comparable", "all"])
@pytest.mark.parametrize("by", ["none", "town", "industry", "division", "chain"])
@pytest.mark.parametrize("month", [6, 4, 2])
def test_yoy_agrees_with_hand_computation(bound: Any, by: str, caliber: str, month: int) -> None:
    got = yoy(bound, "monthly", "工业总产值(万元)", f"2025-{month:02d}", by=by, caliber=caliber)
    want = reports.hand_yoy(2025, month, by, caliber)
    assert got["period"] == f"2025-{month:02d}" and got["caliber"] == caliber
    assert got["measure"] == "工业总产值（万元）"
    rows = {r["group"]: r for r in got["rows"]}
    assert set(rows) == set(want["rows"]), (set(rows), set(want["rows"]))
    for group, w in [*want["rows"].items(), ("合计", want["total"])]:
        g = got["total"] if group == "合计" else rows[group]
        assert KEYS <= set(g)
        assert g["current"] == pytest.approx(w["current"], abs=1e-6), group
        assert g["previous"] == pytest.approx(w["previous"], abs=1e-6), group
        assert g["enterprises"] == w["enterprises"], group
        if w["yoy_pct"] is None:
            assert g["yoy_pct"] is None, group
        else:
            assert abs(g["yoy_pct"] - w["yoy_pct"]) < 0.01, group


def test_calibers_differ_where_enterprises_enter_and_leave(bound: Any) -> None:
    comparable = yoy(bound, "monthly", "output", "202506", caliber="comparable")["total"]
    everything = yoy(bound, "monthly", "output", "2025年6月", caliber="all")["total"]
    assert comparable["enterprises"] == 4  # 甲 乙 戊 辛
    assert everything["enterprises"] == 8  # every firm reported some month of 2025 up to June (丁 until April)
    assert everything["current"] > comparable["current"] and everything["previous"] > comparable["previous"]


def test_previous_zero_gives_null(bound: Any) -> None:
    rows = {r["group"]: r for r in yoy(bound, "monthly", "output", "2025-06", by="town", caliber="all")["rows"]}
    assert rows["龙山镇"]["previous"] == 0 and rows["龙山镇"]["yoy_pct"] is None


def test_corrections_are_visible_and_the_latest_counts(bound: Any) -> None:
    out = corrections(bound, load_binding(bound, "monthly"))
    assert out["count"] == len(reports.CORRECTIONS)
    by_key = {(c["enterprise"], c["period"]): c for c in out["corrections"]}
    c = by_key[("91330282A00000008X", "2025-05")]
    assert len(c["superseded"]) == 2
    counted = reports.deduplicated()[("91330282A00000008X", 2025, 5)]
    assert c["counted"]["values"]["工业总产值（万元）"] == pytest.approx(counted[6])
    assert all(s["report_time"] < c["counted"]["report_time"] for s in c["superseded"])


def test_errors_are_clear(bound: Any, warehouse: Any) -> None:
    with pytest.raises(InputError, match="月份"):
        yoy(bound, "monthly", "output", "2025-13")
    with pytest.raises(InputError, match="no such measure"):
        yoy(bound, "monthly", "利润", "2025-06")
    with pytest.raises(InputError, match="--by"):
        yoy(bound, "monthly", "output", "2025-06", by="planet")
    with pytest.raises(NotFound, match="no dataset"):
        yoy(bound, "population_x", "output", "2025-06")


def test_map_overrides_headers(warehouse: Any, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("代码,月,产值\n91330282A00000001X,202506,10\n91330282A00000001X,202406,8\n", encoding="utf-8")
    warehouse.ingest(path, IngestOptions(dataset="odd"))
    with pytest.raises(NotFound, match="not bound"):
        yoy(warehouse, "odd", "产值", "2025-06")
    with pytest.raises(InputError, match="enterprise"):
        bind_dataset(warehouse, "odd")
    b = bind_dataset(warehouse, "odd", {"代码": "enterprise", "月": "period", "产值": "measure:output"})
    assert b.column("period") == "月" and b.measure_column("output") == "产值"
    total = yoy(warehouse, "odd", "产值", "2025-06")["total"]
    assert (total["current"], total["previous"], total["yoy_pct"]) == (10, 8, 25.0)


def test_cli_contract(cli: Any, tmp_path: Path) -> None:
    path = reports.write(tmp_path / "月报.csv")
    assert cli("ingest", path, "--dataset", "monthly").exit_code == 0
    bound = cli("economy", "bind", "monthly", "--json")
    assert bound.exit_code == 0, bound.stderr
    result = cli("economy", "yoy", "--dataset", "monthly", "--measure", "工业总产值(万元)", "--period", "2025-06",
                 "--by", "town", "--caliber", "all", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert {"period", "measure", "caliber", "rows", "total"} <= set(data)
    assert all(KEYS <= set(r) for r in [*data["rows"], data["total"]])
    want = reports.hand_yoy(2025, 6, "town", "all")
    assert abs(data["total"]["yoy_pct"] - want["total"]["yoy_pct"]) < 0.01
    bad = cli("economy", "yoy", "--dataset", "monthly", "--period", "June", "--json")
    assert bad.exit_code != 0 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) <= 2
