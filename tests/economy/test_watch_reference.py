"""Watch rules on a hand-built report (each rule fires exactly where it should, with its evidence) and the
bundled reference data (chains, the county override, the digital-core code list with its source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shucang.economy import bind_dataset
from shucang.economy.reference import chains_source, digital_core, load_chains
from shucang.economy.watch import evaluate, stored_alerts
from shucang.errors import InputError
from shucang.warehouse import IngestOptions

HEADER = "统一社会信用代码,企业名称,统计月份,行业代码,所属镇街,填报时间,工业总产值(万元),用电量(万千瓦时)"


def _rows() -> list[str]:
    """Five firms, Jan 2024 – Jun 2025: F1 falls 30% from Apr 2025; F2 uses 50% more power from Apr 2025;
    F3 stops after Mar 2025; F4 and F5 (轴承, 3451) fall 5% while the county grows."""
    out = []
    for year in (2024, 2025):
        for month in range(1, 13 if year == 2024 else 7):
            late = year == 2025 and month >= 4
            for firm, code, town in (("F1", "3851", "周巷镇"), ("F2", "3851", "周巷镇"), ("F3", "3525", "浒山街道"),
                                     ("F4", "3451", "浒山街道"), ("F5", "3451", "浒山街道"), ("F6", "3851", "周巷镇")):
                if firm == "F3" and year == 2025 and month > 3:
                    continue
                output = 100.0 * (1.1 if year == 2025 else 1.0)
                power = 10.0 * (1.1 if year == 2025 else 1.0)
                if firm == "F1" and late:
                    output, power = 70.0, 7.0
                if firm == "F2" and late:
                    power = 15.0
                if firm in ("F4", "F5") and year == 2025:
                    output = 95.0
                out.append(f"{firm},企业{firm},{year}-{month:02d},{code},{town},{year}-{month:02d}-28,{output},{power}")
    return out


@pytest.fixture
def watched(warehouse: Any, tmp_path: Path) -> Any:
    path = tmp_path / "watch.csv"
    path.write_text("\n".join([HEADER, *_rows()]) + "\n", encoding="utf-8")
    warehouse.ingest(path, IngestOptions(dataset="w"))  # standard headers: bound and watched by the hook
    return warehouse


def test_rules_fire_where_they_should(watched: Any) -> None:
    stored = stored_alerts(watched, dataset="w")
    fired = {(a["rule"], a["subject"]) for a in stored}
    assert fired == {("output_decline", "F1"), ("power_output_divergence", "F2"), ("stopped_reporting", "F3"),
                     ("chain_below_county", "轴承")}
    decline = next(a for a in stored if a["rule"] == "output_decline")
    assert [m["period"] for m in decline["evidence"]["months"]] == ["2025-04", "2025-05", "2025-06"]
    assert all(m["yoy_pct"] == pytest.approx(-30.0) for m in decline["evidence"]["months"])
    stopped = next(a for a in stored if a["rule"] == "stopped_reporting")
    assert stopped["evidence"]["last_report"] == "2025-03"
    again = evaluate(watched, "w")
    assert again["period"] == "2025-06" and len(again["alerts"]) == len(stored)


def test_county_rule_override(watched: Any) -> None:
    folder = watched.settings.home / "economy"
    folder.mkdir(exist_ok=True)
    (folder / "watch.yaml").write_text("rules:\n  - {id: stopped_reporting, enabled: false}\n"
                                       "  - {id: output_decline, kind: decline, measure: output, months: 3, "
                                       "below_pct: -40}\n", encoding="utf-8")
    rules = {a["rule"] for a in evaluate(watched, "w")["alerts"]}
    assert "stopped_reporting" not in rules and "output_decline" not in rules  # F1 fell 30%, not 40%


def test_bundled_chains_and_override(tmp_path: Path) -> None:
    chains = {c.id: c for c in load_chains()}
    assert chains["appliance"].codes == ("385",) and chains["appliance"].covers("3854")
    assert chains["bearing"].codes == ("3451", "3452") and chains["mould"].codes == ("3525",)
    assert "GB/T 4754-2017" in chains_source()
    (tmp_path / "economy").mkdir()
    (tmp_path / "economy" / "chains.yaml").write_text(
        "chains:\n  - {id: mould, enabled: false}\n  - {id: pump, name: 泵阀, codes: ['3441', '3443']}\n",
        encoding="utf-8")
    local = {c.id: c for c in load_chains(tmp_path)}
    assert "mould" not in local and local["pump"].name == "泵阀" and "appliance" in local
    (tmp_path / "economy" / "chains.yaml").write_text("chains:\n  - {id: x, name: X, codes: ['abc']}\n",
                                                      encoding="utf-8")
    with pytest.raises(InputError, match="2–4"):
        load_chains(tmp_path)


def test_digital_core_codes_with_source() -> None:
    core = digital_core()
    assert "数字经济及其核心产业统计分类（2021）" in core.source
    assert set(core.categories) == {"01", "02", "03", "04"}
    assert core.category_of("3911") == "01" and core.category_of("6511") == "03"
    assert core.category_of("6432") == "04" and core.category_of("3851") is None


def test_unbound_dataset_is_left_alone(warehouse: Any, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = warehouse.ingest(path, IngestOptions(dataset="plain"))
    assert not result.warnings
    with pytest.raises(InputError):
        bind_dataset(warehouse, "plain")
