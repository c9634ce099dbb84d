"""The alert lifecycle inside one catalog transaction: open, escalate, recover (from readings) and the
events they leave, each queued for every matching webhook in the same transaction (the outbox).

Rules: one open alert per (sign, group); a worse band escalates it (yellow → red) at once; opening and
recovering wait for ``consecutive`` readings outside / inside the band (hysteresis); a recovered or
closed alert stays as it is and a new breach opens a new one. All functions take the caller's
connection: the evaluation of one sign commits or rolls back as a whole.
"""

from __future__ import annotations

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


def apply_reading(conn: sa.Connection, sign: Sign, grp: str, value: float | None, level: str, *,
                  data_key: str, consecutive: int | None = None) -> list[str]:
    """Move (sign, grp) one reading further; return the kinds of the events it caused."""
    need = consecutive if consecutive is not None else sign.consecutive
    at = now()
    state = conn.execute(sa.select(group_state).where((group_state.c.sign == sign.id)
                                                      & (group_state.c.grp == grp))).first()
    alert = _open_alert(conn, sign.id, grp)
    events: list[str] = []
    previous = state.level if state else None
    streak = state.streak if state else 0
    if alert is None:
        if level == "ok":
            streak = 0
        else:
            streak = streak + 1 if previous not in (None, "ok") else 1
            if streak >= need:
                values = dict(sign=sign.id, grp=grp, level=level, value=value, status="open",
                              department=sign.department, opened_at=at, updated_at=at, data_key=data_key)
                alert_id = new_id(conn.execute(alerts.insert().values(**values)))
                record_event(conn, {"id": alert_id, **values}, "opened", sign_title=sign.label)
                events.append("opened")
                streak = 0
    else:
        changes: dict[str, Any] = {}
        if value != alert["value"]:
            changes.update(value=value, updated_at=at)
        if level == "ok":
            streak = streak + 1 if previous == "ok" else 1
            if streak >= need:
                changes.update(status="recovered", recovered_at=at, updated_at=at)
                events.append("recovered")
                streak = 0
        else:
            streak = 0
            if LEVEL_RANK[level] > LEVEL_RANK[alert["level"]]:
                changes.update(level=level, updated_at=at)
                events.append("escalated")
        if changes:
            conn.execute(alerts.update().where(alerts.c.id == alert["id"]).values(**changes))
            alert.update(changes)
        for kind in events:
            record_event(conn, alert, kind, sign_title=sign.label)
    values = dict(level=level, streak=streak, value=value, updated_at=at)
    if state is None:
        conn.execute(group_state.insert().values(sign=sign.id, grp=grp, **values))
    else:
        conn.execute(group_state.update().where((group_state.c.sign == sign.id) & (group_state.c.grp == grp))
                     .values(**values))
    return events


def has_open(conn: sa.Connection, sign_id: str, grp: str) -> bool:
    return _open_alert(conn, sign_id, grp) is not None
