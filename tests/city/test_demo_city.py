"""The city stage over the synthetic demo: every kind of sign shows yellow or red, the big-screen panel,
and the 12345 event loop without personal data."""

from __future__ import annotations

import re
from typing import Any

from shucang.city.board import board, screen_panel
from shucang.city.hotline_loop import event_loop
from shucang.city.model import KINDS
from shucang.share.access import PUBLIC


def test_demo_signs_alerts_and_event_loop(warehouse: Any) -> None:
    from shucang.platform import build_demo_warehouse

    summary = build_demo_warehouse(warehouse, scale=0.01)
    assert any("城市体征" in note for note in summary["notes"])
    entries = board(warehouse)
    assert all(e["state"] in ("ok", "yellow", "red") for e in entries), [(e["id"], e["error"]) for e in entries]
    alarmed = {e["kind"] for e in entries if e["state"] in ("yellow", "red")}
    assert alarmed >= set(KINDS) - {"other"}, alarmed

    panel = screen_panel(warehouse)
    assert panel["alerts"]["total"] > 0 and panel["alerts"]["total"] == panel["alerts"]["yellow"] + panel["alerts"]["red"]
    assert sum(panel["signs"].values()) == len(entries) and panel["hot_towns"]

    loop = event_loop(warehouse)
    assert loop["available"] and [s["label"] for s in loop["stages"]] == ["受理", "派单", "签收", "办结", "回访"]
    counts = [s["tickets"] for s in loop["stages"]]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    slow = {d["department"]: d["on_time_pct"] for d in loop["departments"]}
    assert slow["市综合行政执法局"] < 60 < max(slow.values())  # the designed slow department shows
    assert loop["overdue"] and all(set(o) == {"ticket_no", "department", "town", "category", "received_at", "state",
                                                "hours_over"} for o in loop["overdue"])
    assert loop["repeat_callers"] and all(set(r) == {"town", "repeat_callers", "callers"} for r in loop["repeat_callers"])
    names = {n for n in warehouse.sql("SELECT DISTINCT caller_name AS n FROM hotline_12345 WHERE caller_name IS NOT NULL")
             .column("n").to_pylist() if len(n) >= 2}
    words = [t["words"] for topics in loop["topics"].values() for t in topics]
    assert not any(re.search(r"\d{4,}", w) for w in words)
    assert not any(name in w for name in names for w in words)  # counted after masking: no caller names

    public = event_loop(warehouse, viewer=PUBLIC)
    assert public["overdue"] == [] and public["topics"] == {} and public["departments"]
