"""The economy demo data: deterministic per build date, ends with the last complete month, has entering and
leaving firms and corrections, binds itself, and every watch rule fires on it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pyarrow.compute as pc

from shucang.demo.economy import last_complete_month
from shucang.economy import load_binding, yoy
from shucang.economy.watch import stored_alerts

AS_OF = date(2026, 12, 6)


def test_last_complete_month() -> None:
    assert last_complete_month(date(2026, 12, 6)) == (2026, 11)
    assert last_complete_month(date(2027, 1, 1)) == (2026, 12)


def test_tables_are_deterministic_per_date() -> None:
    from shucang.demo.build import generate_tables

    a = generate_tables(scale=0.02, as_of=AS_OF)["economy_monthly"].table
    b = generate_tables(scale=0.02, as_of=AS_OF)["economy_monthly"].table
    c = generate_tables(scale=0.02, as_of=date(2027, 3, 2))["economy_monthly"].table
    assert a.equals(b)
    months = pc.unique(a["统计月份"]).to_pylist()
    assert max(months) == "2026-11" and min(months) == "2023-01"
    assert max(pc.unique(c["统计月份"]).to_pylist()) == "2027-02"


def test_demo_is_bound_with_entering_leaving_and_corrections(demo_wh: Any) -> None:
    b = load_binding(demo_wh, "economy_monthly")
    assert {"enterprise", "period", "industry", "town", "report_time"} <= set(b.to_dict()["roles"])
    assert {"output", "sales", "export", "electricity", "tax", "rd", "employees"} <= {m.measure for m in b.measures}
    firsts = demo_wh.sql('SELECT "统一社会信用代码" AS e, min("统计月份") AS f, max("统计月份") AS l '
                           'FROM economy_monthly GROUP BY 1').to_pylist()
    assert any(r["f"] > "2023-01" for r in firsts)  # entering 规上
    assert any(r["l"] < "2026-11" for r in firsts)  # leaving
    dup = demo_wh.sql('SELECT count(*) AS n FROM (SELECT 1 FROM economy_monthly GROUP BY '
                        '"统一社会信用代码", "统计月份" HAVING count(*) > 1)').column("n")[0].as_py()
    assert dup > 0
    total = yoy(demo_wh, "economy_monthly", "工业总产值(万元)", "2026-11")["total"]
    assert total["yoy_pct"] is not None and total["enterprises"] >= 20
    sizes = yoy(demo_wh, "economy_monthly", "output", "2026-11", by="size")
    assert {r["group"] for r in sizes["rows"]} <= {"大型", "中型", "小型", "微型"}
    assert sum(r["enterprises"] for r in sizes["rows"]) == total["enterprises"]


def test_every_watch_rule_fires_on_the_demo(demo_wh: Any) -> None:
    alerts = stored_alerts(demo_wh, dataset="economy_monthly")  # stored by the after-ingest hook
    counts = Counter(a["rule"] for a in alerts)
    assert set(counts) == {"output_decline", "power_output_divergence", "stopped_reporting", "chain_below_county"}
    decline = next(a for a in alerts if a["rule"] == "output_decline")
    assert len(decline["evidence"]["months"]) == 3
    assert all(m["yoy_pct"] < -20 for m in decline["evidence"]["months"])
    chain = next(a for a in alerts if a["rule"] == "chain_below_county")
    assert chain["evidence"]["chain"]["yoy_pct"] < chain["evidence"]["county"]["yoy_pct"]
