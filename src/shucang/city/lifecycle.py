"""The alert lifecycle inside one catalog transaction: open, escalate, recover (from readings) and the
events they leave, each queued for every matching webhook in the same transaction (the outbox).

Rules: one open alert per (sign, group); a worse band escalates it (yellow → red) at once; opening and
recovering wait for ``consecutive`` readings outside / inside the band (hysteresis); a recovered or
closed alert stays as it is and a new breach opens a new one. All functions take the caller's
connection: an evaluation round commits or rolls back as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from shucang.city.model import LEVEL_RANK, Sign
from shucang.city.tables import alert_events, alerts, group_state, now, outbox, webhooks

SYSTEM = "system:city"
STALE_GROUP = "(数据过期)"
"""The group of the alert a sign raises about its own stale data."""


def new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key an INSERT produced."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def record_event(conn: sa.Connection, alert: dict[str, Any], kind: str, *, actor: str = SYSTEM,
                 note: str = "", detail: dict[str, Any] | None = None, sign_title: str = "") -> int:
    """Store one event of ``alert`` and queue it for the webhooks that want it; return the event id."""
    at = now()
    event_id = new_id(conn.execute(alert_events.insert().values(
        alert_id=alert["id"], kind=kind, actor=actor, at=at, level=alert["level"], value=alert.get("value"),
        note=note, detail=detail or {})))
    departments = {d for d in (alert.get("department"), alert.get("dispatched_to")) if d}
    hooks = conn.execute(sa.select(webhooks.c.id, webhooks.c.department).where(webhooks.c.active.is_(True))).all()
    for hook in hooks:
        if hook.department is not None and hook.department not in departments:
            continue
        key = f"shucang-city-e{event_id}-w{hook.id}"
        conn.execute(outbox.insert().values(
            event_id=event_id, webhook_id=hook.id, key=key, status="pending", attempts=0, next_attempt_at=at,
            created_at=at, payload=message(alert, kind, key, actor=actor, note=note, at=at.isoformat(),
                                           sign_title=sign_title)))
    return event_id


KIND_TEXT = {"opened": "新增", "escalated": "升级", "recovered": "恢复", "acknowledged": "已签收",
             "dispatched": "已派单", "handled": "处置记录", "closed": "已闭环"}
LEVEL_TEXT = {"yellow": "关注", "red": "预警", "ok": "正常"}


def message(alert: dict[str, Any], kind: str, key: str, *, actor: str, note: str, at: str,
            sign_title: str = "") -> dict[str, Any]:
    """A text message a 钉钉/浙政钉 group robot accepts, with the idempotency key beside it."""
    value = alert.get("value")
    shown = "—" if value is None else f"{value:g}"
    lines = [f"【城市大脑·{LEVEL_TEXT.get(alert['level'], alert['level'])}{KIND_TEXT.get(kind, kind)}】"
             f"{sign_title or alert['sign']} · {alert['grp']}",
             f"当前值 {shown}；告警编号 {alert['id']}；时间 {at[:19]}"]
    if alert.get("dispatched_to"):
        lines.append(f"承办部门 {alert['dispatched_to']}")
    if note:
        lines.append(f"说明：{note}")
    if actor != SYSTEM:
        lines.append(f"操作人 {actor}")
    return {"msgtype": "text", "text": {"content": "\n".join(lines)}, "idempotency_key": key,
            "shucang": {"event": kind, "alert_id": alert["id"], "sign": alert["sign"], "group": alert["grp"],
                        "level": alert["level"], "status": alert["status"]}}


def _open_alert(conn: sa.Connection, sign_id: str, grp: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(alerts).where((alerts.c.sign == sign_id) & (alerts.c.grp == grp)
                                               & (alerts.c.status == "open"))).first()
    return dict(row._mapping) if row else None


CHUNK = 400
"""Signs per ``IN (…)`` list when a ledger reads its rows (well under every database's parameter limit)."""


class Ledger:
    """The per-group state and open alerts of many signs, read in a few queries inside the caller's
    transaction; readings are applied in memory and :meth:`flush` writes what changed in a handful of
    executemany statements (new alerts and events with RETURNING of their ids). One ledger serves a whole
    evaluation round, so 200 signs cost about as many round trips as one."""

    def __init__(self, conn: sa.Connection, signs: Iterable[Sign]) -> None:
        self.conn = conn
        self.signs = {s.id: s for s in signs}
        self.states: dict[tuple[str, str], tuple[str, int, float | None]] = {}
        self.open: dict[tuple[str, str], dict[str, Any]] = {}
        ids = sorted(self.signs)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for r in conn.execute(sa.select(group_state).where(group_state.c.sign.in_(chunk))):
                self.states[(r.sign, r.grp)] = (r.level, r.streak, r.value)
            for r in conn.execute(sa.select(alerts).where(alerts.c.sign.in_(chunk) & (alerts.c.status == "open"))):
                self.open[(r.sign, r.grp)] = dict(r._mapping)
        self._stored = set(self.states)
        self._new_states: list[dict[str, Any]] = []
        self._changed_states: list[dict[str, Any]] = []
        self._new_alerts: list[dict[str, Any]] = []
        self._changed_alerts: dict[int, dict[str, Any]] = {}
        self._events: list[tuple[dict[str, Any], str]] = []

    def has_open(self, sign_id: str, grp: str) -> bool:
        return (sign_id, grp) in self.open

    def apply(self, sign: Sign, data_key: str, grp: str, value: float | None, level: str,
              consecutive: int | None = None) -> list[str]:
        """Move (sign, grp) one reading further; return the kinds of the events it causes."""
        need = consecutive if consecutive is not None else sign.consecutive
        at = now()
        slot = (sign.id, grp)
        state = self.states.get(slot)
        alert = self.open.get(slot)
        events: list[str] = []
        previous = state[0] if state else None
        streak = state[1] if state else 0
        if alert is None:
            if level == "ok":
                streak = 0
            else:
                streak = streak + 1 if previous not in (None, "ok") else 1
                if streak >= need:
                    alert = dict(id=None, sign=sign.id, grp=grp, level=level, value=value, status="open",
                                 department=sign.department, opened_at=at, updated_at=at, data_key=data_key)
                    self._new_alerts.append(alert)
                    self.open[slot] = alert
                    events.append("opened")
                    streak = 0
        else:
            changed = False
            if value != alert["value"]:
                alert.update(value=value, updated_at=at)
                changed = True
            if level == "ok":
                streak = streak + 1 if previous == "ok" else 1
                if streak >= need:
                    alert.update(status="recovered", recovered_at=at, updated_at=at)
                    events.append("recovered")
                    del self.open[slot]
                    streak = 0
                    changed = True
            else:
                streak = 0
                if LEVEL_RANK[level] > LEVEL_RANK[alert["level"]]:
                    alert.update(level=level, updated_at=at)
                    events.append("escalated")
                    changed = True
            if changed and alert["id"] is not None:
                self._changed_alerts[alert["id"]] = alert
        if alert is not None:  # no alert, no events
            self._events += [(alert, kind) for kind in events]
        # Only what the next reading needs is written: a group quietly ok (streak 0, no open alert) acts
        # exactly as one never seen, so it gets no row; a stored row changes when its level or streak does.
        if slot not in self._stored:
            if level != "ok" or streak or slot in self.open:
                self._new_states.append(dict(sign=sign.id, grp=grp, level=level, streak=streak, value=value,
                                             updated_at=at))
                self._stored.add(slot)
        elif state is None or state[:2] != (level, streak):
            self._changed_states.append(dict(b_sign=sign.id, b_grp=grp, level=level, streak=streak, value=value,
                                             updated_at=at))
        self.states[slot] = (level, streak, value)
        return events

    def flush(self) -> None:
        """Write states, alerts, events and outbox rows (all in the caller's transaction)."""
        conn = self.conn
        if self._new_states:
            conn.execute(group_state.insert(), self._new_states)
        if self._changed_states:
            conn.execute(group_state.update().where(
                (group_state.c.sign == sa.bindparam("b_sign")) & (group_state.c.grp == sa.bindparam("b_grp"))),
                self._changed_states)
        if self._new_alerts:
            rows = [{k: v for k, v in a.items() if k != "id"} for a in self._new_alerts]
            ids = conn.execute(alerts.insert().returning(alerts.c.id, sort_by_parameter_order=True), rows).scalars()
            for alert, alert_id in zip(self._new_alerts, ids, strict=True):
                alert["id"] = int(alert_id)
        if self._changed_alerts:
            conn.execute(alerts.update().where(alerts.c.id == sa.bindparam("b_id")), [
                {"b_id": a["id"], "value": a["value"], "level": a["level"], "status": a["status"],
                 "updated_at": a["updated_at"], "recovered_at": a.get("recovered_at")}
                for a in self._changed_alerts.values()])
        if self._events:
            self._queue_events()
        self._new_states, self._changed_states, self._new_alerts = [], [], []
        self._changed_alerts, self._events = {}, []

    def _queue_events(self) -> None:
        conn, at = self.conn, now()
        rows = [dict(alert_id=a["id"], kind=kind, actor=SYSTEM, at=at, level=a["level"], value=a.get("value"),
                     note="", detail={}) for a, kind in self._events]
        ids = conn.execute(alert_events.insert().returning(alert_events.c.id, sort_by_parameter_order=True),
                           rows).scalars()
        hooks = conn.execute(sa.select(webhooks.c.id, webhooks.c.department)
                             .where(webhooks.c.active.is_(True))).all()
        queued = []
        for (alert, kind), event_id in zip(self._events, ids, strict=True):
            wanted = {alert.get("department"), alert.get("dispatched_to")}
            sign = self.signs[alert["sign"]]
            for hook in hooks:
                if hook.department is not None and hook.department not in wanted:
                    continue
                key = f"shucang-city-e{event_id}-w{hook.id}"
                queued.append(dict(event_id=int(event_id), webhook_id=hook.id, key=key, status="pending",
                                   attempts=0, next_attempt_at=at, created_at=at,
                                   payload=message(alert, kind, key, actor=SYSTEM, note="",
                                                   at=at.isoformat(), sign_title=sign.label)))
        if queued:
            conn.execute(outbox.insert(), queued)


def has_open(conn: sa.Connection, sign_id: str, grp: str) -> bool:
    return _open_alert(conn, sign_id, grp) is not None
