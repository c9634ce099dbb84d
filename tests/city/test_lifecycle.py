"""The alert lifecycle: open, escalate, recover, hysteresis, stale data, failing SQL, no duplicates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from shucang.city.alerts import list_alerts
from shucang.city.evaluate import evaluate
from shucang.city.tables import alert_events, group_state, now


def _by_group(wh: Any, status: str = "all") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for a in list_alerts(wh, status=status):
        if a["sign"] == "gauge_level":
            out.setdefault(a["group"], []).append(a)
    return out


def _events(wh: Any) -> list[tuple[int, str]]:
    with wh.engine.connect() as conn:
        return [(r.alert_id, r.kind) for r in conn.execute(sa.select(alert_events).order_by(alert_events.c.id))]


def test_open_escalate_recover_without_duplicates(warehouse: Any, put_levels: Callable[..., int],
                                                  level_sign: Callable[..., Any]) -> None:
    level_sign()
    put_levels({"A": 1.0, "B": 4.0, "C": 6.0})  # the after-ingest hook evaluates the sign
    alerts = _by_group(warehouse)
    assert set(alerts) == {"B", "C"}
    assert alerts["B"][0]["level"] == "yellow" and alerts["C"][0]["level"] == "red"
    assert {a[0]["status"] for a in alerts.values()} == {"open"}
    before = _events(warehouse)

    again = evaluate(warehouse, sign_ids=["gauge_level"])  # same data: a no-op
    assert again[0].skipped and _events(warehouse) == before

    put_levels({"A": 1.0, "B": 5.5, "C": 6.5})  # B escalates; C stays red with a new value
    alerts = _by_group(warehouse)
    assert len(alerts["B"]) == 1 and alerts["B"][0]["level"] == "red" and alerts["B"][0]["value"] == 5.5
    assert len(alerts["C"]) == 1 and alerts["C"][0]["value"] == 6.5
    kinds = [k for _, k in _events(warehouse)]
    assert kinds.count("opened") == 2 and kinds.count("escalated") == 1

    put_levels({"A": 1.0, "B": 2.0, "C": 7.0})  # B back inside: recovered, not a new alert
    alerts = _by_group(warehouse)
    assert alerts["B"][0]["status"] == "recovered" and len(alerts["B"]) == 1
    put_levels({"A": 1.0, "B": 4.0, "C": 7.0})  # a new breach after recovery opens a new alert
    alerts = _by_group(warehouse)
    assert [a["status"] for a in alerts["B"]] == ["open", "recovered"]
    assert len(list_alerts(warehouse, status="open")) == 2


def test_consecutive_readings_before_open_and_recover(warehouse: Any, put_levels: Callable[..., int],
                                                      level_sign: Callable[..., Any]) -> None:
    level_sign(consecutive=2)
    put_levels({"A": 4.0})
    assert _by_group(warehouse) == {}  # one reading outside is not enough
    put_levels({"A": 2.0})
    put_levels({"A": 4.0})
    assert _by_group(warehouse) == {}  # the streak was broken
    put_levels({"A": 4.5})
    assert _by_group(warehouse)["A"][0]["status"] == "open"
    put_levels({"A": 1.0})
    assert _by_group(warehouse)["A"][0]["status"] == "open"  # hovering back once does not recover
    put_levels({"A": 1.0})
    assert _by_group(warehouse)["A"][0]["status"] == "recovered"


def _states(wh: Any) -> dict[str, tuple[str, int]]:
    with wh.engine.connect() as conn:
        return {r.grp: (r.level, r.streak) for r in conn.execute(
            sa.select(group_state).where(group_state.c.sign == "gauge_level"))}


def test_quiet_groups_keep_no_state_row_and_act_as_new(warehouse: Any, put_levels: Callable[..., int],
                                                       level_sign: Callable[..., Any]) -> None:
    level_sign(consecutive=2)
    put_levels({"A": 1.0, "B": 4.0, "C": 2.0})
    assert _states(warehouse) == {"B": ("yellow", 1)}  # A and C quietly ok: nothing to remember
    put_levels({"A": 1.0, "B": 2.0, "C": 4.0})
    assert _states(warehouse) == {"B": ("ok", 0), "C": ("yellow", 1)}  # B's streak broken, C's begun
    put_levels({"A": 4.0, "B": 4.0, "C": 4.5})
    assert {g: a[0]["status"] for g, a in _by_group(warehouse).items()} == {"C": "open"}  # A, B: first breach
    assert _states(warehouse) == {"A": ("yellow", 1), "B": ("yellow", 1), "C": ("yellow", 0)}
    put_levels({"A": 4.0, "B": 4.0, "C": 4.5})
    assert {g: a[0]["status"] for g, a in _by_group(warehouse).items()} == {"A": "open", "B": "open", "C": "open"}


def test_stale_data_is_never_green_and_alerts(warehouse: Any, put_levels: Callable[..., int],
                                              level_sign: Callable[..., Any]) -> None:
    from shucang.city.board import board

    level_sign()
    put_levels({"A": 1.0})
    entry = next(e for e in board(warehouse) if e["id"] == "gauge_level")
    assert entry["state"] == "ok" and entry["freshness"]["stale"] is False
    later = now() + timedelta(days=3)
    out = evaluate(warehouse, sign_ids=["gauge_level"], at=later)
    assert out[0].state == "stale" and out[0].events == ["opened"]
    stale = [a for a in list_alerts(warehouse) if a["sign"] == "gauge_level"]
    assert len(stale) == 1 and stale[0]["group"] == "(数据过期)" and stale[0]["level"] == "yellow"
    assert evaluate(warehouse, sign_ids=["gauge_level"], at=later)[0].skipped
    entry = next(e for e in board(warehouse, at=later) if e["id"] == "gauge_level")
    assert entry["state"] == "stale"
    put_levels({"A": 1.0})  # fresh data again: the stale alert recovers
    assert [a for a in list_alerts(warehouse) if a["sign"] == "gauge_level"] == []


def test_failing_sql_shows_error_with_reason(warehouse: Any, put_levels: Callable[..., int],
                                             level_sign: Callable[..., Any]) -> None:
    put_levels({"A": 1.0})
    put_levels({"X": 9.0}, dataset="other_gauges")
    level_sign("bad_column", sql="SELECT station AS grp, nosuch AS value FROM gauges")
    level_sign("other_dataset", sql="SELECT station AS grp, level AS value FROM gauges, other_gauges")
    out = {o.sign: o for o in evaluate(warehouse, sign_ids=["bad_column", "other_dataset"])}
    assert out["bad_column"].state == "error" and "nosuch" in (out["bad_column"].error or "")
    # the query may read its own dataset only, even though other_gauges exists
    assert out["other_dataset"].state == "error" and "other_gauges" in (out["other_dataset"].error or "")
    from shucang.city.board import board

    entry = next(e for e in board(warehouse) if e["id"] == "bad_column")
    assert entry["state_label"] == "错误" and "nosuch" in entry["error"]


def test_history_band_same_weekday(warehouse: Any) -> None:
    import datetime as dt

    import pyarrow as pa

    from shucang.city.definitions import add_sign
    from shucang.warehouse import IngestOptions

    days = [dt.date(2025, 12, 31) - dt.timedelta(days=i) for i in range(60)]
    # steady 100 ± 2 on the same weekday, a jump to 140 on the last day
    values = [140.0 if i == 0 else 100.0 + (2 if (i // 7) % 2 else -2) for i in range(60)]
    warehouse.ingest_arrow(pa.table({"day": days, "n": values}), IngestOptions(dataset="calls", mode="replace"))
    add_sign(warehouse.settings.home, {"id": "calls_daily", "dataset": "calls",
                                       "sql": "SELECT day AS at, '全市' AS grp, n AS value FROM calls",
                                       "history": {"weeks": 8, "yellow_k": 2, "red_k": 3}})
    out = evaluate(warehouse, sign_ids=["calls_daily"])
    assert out[0].state == "red"
    alert = next(a for a in list_alerts(warehouse) if a["sign"] == "calls_daily")
    assert alert["value"] == 140.0 and alert["group"] == "全市"


def test_a_round_raced_by_another_process_is_retried_without_its_signs(
        warehouse: Any, put_levels: Callable[..., int], level_sign: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.city import evaluate as evaluation
    from shucang.errors import Conflict

    level_sign()
    put_levels({"A": 1.0, "B": 4.0, "C": 6.0})  # evaluated by the after-ingest hook
    before = _events(warehouse)
    real = evaluation._done_keys

    def blind_before_the_round(wh: Any, keys: dict[str, str], conn: Any = None) -> Any:
        return {} if conn is None else real(wh, keys, conn)  # as if the other process committed just after

    monkeypatch.setattr(evaluation, "_done_keys", blind_before_the_round)
    (outcome,) = evaluate(warehouse, sign_ids=["gauge_level"])
    assert outcome.skipped and not outcome.events and _events(warehouse) == before

    monkeypatch.setattr(evaluation, "_done_keys", lambda wh, keys, conn=None: {})
    with pytest.raises(Conflict):  # never a traceback: a clear error after a few tries
        evaluate(warehouse, sign_ids=["gauge_level"])
    assert _events(warehouse) == before
