"""Alerts as people see and handle them: list, detail with history, and the steps of handling —
acknowledge (签收), dispatch to a department with a deadline (派单), record handling (处置), close (闭环).

Each step is one catalog transaction (the alert, its event, the outbox rows) followed by an entry in
the share stage's audit chain with who and when. What a viewer sees goes through :func:`sees_values`:
values and groups of a sign are shown to the local operator, admins, the owning department's stewards,
holders of a grant on the sign's dataset, and to everyone for signs marked ``open``; anyone else gets
the level and status only (aggregates, never a value they may not read).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shucang.city.definitions import load_signs
from shucang.city.lifecycle import record_event
from shucang.city.model import Sign
from shucang.city.tables import alert_events, alerts, aware, ensure_tables, evaluations, now
from shucang.errors import Conflict, InputError, NotFound, PermissionDenied
from shucang.share.access import Actor, allowed, owns
from shucang.warehouse import Warehouse

STATUSES = ("open", "recovered", "closed", "all")
Viewer = Actor | str | None
"""An Actor from the API or web; a plain name (or None) is the local operator of the CLI."""


def _iso(value: Any) -> str | None:
    value = aware(value)
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else None


def sees_values(wh: Warehouse, viewer: Viewer, sign: Sign | None) -> bool:
    """Whether ``viewer`` may see this sign's values and groups (see the module docstring)."""
    if not isinstance(viewer, Actor) or viewer.role == "admin":
        return True
    if sign is None:
        return False
    if sign.open:
        return True
    if not viewer.is_authenticated:
        return False
    if owns(viewer, sign.department, "sign"):
        return True
    try:
        from shucang.share.reads import dataset_resource

        info = wh.dataset(sign.dataset)
        return allowed(viewer, "dataset:read", dataset_resource(wh, viewer, info))
    except Exception:  # noqa: BLE001 — no dataset, no grant: nothing to show
        return False


def may_handle(viewer: Viewer, alert: dict[str, Any]) -> bool:
    """The local operator, admins, and stewards of the owning or the dispatched department."""
    if not isinstance(viewer, Actor):
        return True
    return any(owns(viewer, alert.get(key), "alert") for key in ("department", "dispatched_to"))


def _shape(row: Any, sign: Sign | None, visible: bool) -> dict[str, Any]:
    out = {
        "id": row.id, "sign": row.sign, "group": row.grp if visible else None, "level": row.level,
        "value": row.value if visible else None, "status": row.status,
        "opened_at": _iso(row.opened_at), "updated_at": _iso(row.updated_at),
        "title": sign.label if sign else row.sign, "unit": sign.unit if sign else "",
        "kind": sign.kind if sign else "other", "department": row.department,
        "acknowledged_at": _iso(row.acknowledged_at), "acknowledged_by": row.acknowledged_by,
        "dispatched_to": row.dispatched_to, "dispatched_at": _iso(row.dispatched_at),
        "deadline": _iso(row.deadline), "handling": row.handling if visible else None,
        "recovered_at": _iso(row.recovered_at), "closed_at": _iso(row.closed_at), "closed_by": row.closed_by,
        "overdue": bool(row.status == "open" and row.deadline is not None and aware(row.deadline) < now()),
        "visible": visible,
    }
    return out


def list_alerts(wh: Warehouse, *, status: str = "open", viewer: Viewer = None, sign: str | None = None,
                limit: int = 1000) -> list[dict[str, Any]]:
    """Alerts newest first: ``{"id","sign","group","level","value","status","opened_at","updated_at", …}``."""
    if status not in STATUSES:
        raise InputError(f"未知状态 (unknown status) {status!r}", hint="open | recovered | closed | all")
    ensure_tables(wh.engine)
    stmt = sa.select(alerts).order_by(alerts.c.id.desc()).limit(max(1, min(limit, 10_000)))
    if status != "all":
        stmt = stmt.where(alerts.c.status == status)
    if sign:
        stmt = stmt.where(alerts.c.sign == sign)
    signs = load_signs(wh.settings.home)
    with wh.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    seen: dict[str, bool] = {}
    out = []
    for row in rows:
        if row.sign not in seen:
            seen[row.sign] = sees_values(wh, viewer, signs.get(row.sign))
        out.append(_shape(row, signs.get(row.sign), seen[row.sign]))
    return out


def _row(conn: sa.Connection, alert_id: int) -> Any:
    row = conn.execute(sa.select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise NotFound(f"没有编号为 {alert_id} 的告警 (no such alert)", hint="see `shucang alerts list --status all`")
    return row


def alert_detail(wh: Warehouse, alert_id: int, *, viewer: Viewer = None) -> dict[str, Any]:
    """One alert with its history (events) and the data behind it (the sign's latest reading of its group)."""
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        row = _row(conn, alert_id)
        events = conn.execute(sa.select(alert_events).where(alert_events.c.alert_id == alert_id)
                              .order_by(alert_events.c.id)).all()
        latest = conn.execute(sa.select(evaluations).where(evaluations.c.sign == row.sign)
                              .order_by(evaluations.c.id.desc()).limit(1)).first()
    sign = load_signs(wh.settings.home).get(row.sign)
    visible = sees_values(wh, viewer, sign)
    out = _shape(row, sign, visible)
    out["events"] = [{"kind": e.kind, "actor": e.actor, "at": _iso(e.at), "level": e.level,
                      "value": e.value if visible else None, "note": e.note if visible else ""} for e in events]
    result = dict(latest.result or {}) if latest is not None else {}
    group = next((g for g in result.get("groups", []) if g.get("grp") == row.grp), None)
    out["data"] = {
        "evaluated_at": _iso(latest.evaluated_at) if latest is not None else None,
        "as_of": latest.as_of if latest is not None else None,
        "state": latest.state if latest is not None else None,
        "reading": group if visible else None,
        "series": result.get("series", {}).get(row.grp, []) if visible else [],
        "sql": sign.sql if sign else None, "dataset": sign.dataset if sign else None,
        "band": sign.band_text() if sign else None,
    }
    out["may_handle"] = may_handle(viewer, out)
    return out


def _actor_name(actor: Viewer) -> str:
    if isinstance(actor, Actor):
        return actor.name
    return actor or "system"


def _step(wh: Warehouse, alert_id: int, actor: Viewer, kind: str, changes: dict[str, Any], note: str,
          allowed_statuses: tuple[str, ...] = ("open",), detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One handling step: update the alert, store the event and its outbox rows, then audit it."""
    from shucang.share.audit import record_event as audit

    ensure_tables(wh.engine)
    signs = load_signs(wh.settings.home)
    with wh.engine.begin() as conn:
        row = _row(conn, alert_id)
        current = dict(row._mapping)
        if not may_handle(actor, current):
            raise PermissionDenied(f"无权处置告警 {alert_id} (may not handle alert {alert_id})",
                                   hint="admins and stewards of the owning or dispatched department handle alerts")
        if row.status not in allowed_statuses:
            raise Conflict(f"告警 {alert_id} 状态为 {row.status}，不能{kind} (alert is {row.status})")
        at = now()
        changes = {**changes, "updated_at": at}
        conn.execute(alerts.update().where(alerts.c.id == alert_id).values(**changes))
        current.update(changes)
        sign = signs.get(row.sign)
        record_event(conn, current, kind, actor=_actor_name(actor), note=note, detail=detail,
                     sign_title=sign.label if sign else "")
    audit(wh, actor if isinstance(actor, Actor) else _actor_name(actor), f"city:alert:{kind}",
          dataset=sign.dataset if sign else None, department=row.department, alert=alert_id, sign=row.sign,
          note=note, **(detail or {}))
    return alert_detail(wh, alert_id, viewer=actor)


def acknowledge(wh: Warehouse, alert_id: int, actor: Viewer, *, note: str = "") -> dict[str, Any]:
    """签收: someone has seen the alert and owns it for now."""
    return _step(wh, alert_id, actor, "acknowledged",
                 {"acknowledged_at": now(), "acknowledged_by": _actor_name(actor)}, note)


def dispatch(wh: Warehouse, alert_id: int, actor: Viewer, *, department: str, deadline: datetime | None = None,
             hours: float | None = None, note: str = "") -> dict[str, Any]:
    """派单: hand the alert to a department with a deadline (default 24 hours)."""
    department = (department or "").strip()
    if not department:
        raise InputError("需要承办部门 (a department code is required)", hint="--department CODE")
    if deadline is None:
        deadline = now() + timedelta(hours=hours if hours is not None else 24)
    deadline = aware(deadline)
    return _step(wh, alert_id, actor, "dispatched",
                 {"dispatched_to": department, "dispatched_at": now(), "deadline": deadline}, note,
                 detail={"to_department": department, "deadline": deadline.isoformat(timespec="seconds")})


def record_handling(wh: Warehouse, alert_id: int, actor: Viewer, *, note: str) -> dict[str, Any]:
    """处置: what was done (kept on the alert and in its history)."""
    if not note.strip():
        raise InputError("需要处置说明 (a note saying what was done is required)", hint="--note TEXT")
    return _step(wh, alert_id, actor, "handled", {"handling": note.strip()}, note.strip(),
                 allowed_statuses=("open", "recovered"))


def close(wh: Warehouse, alert_id: int, actor: Viewer, *, note: str = "") -> dict[str, Any]:
    """闭环: the matter is settled; a later breach opens a new alert."""
    return _step(wh, alert_id, actor, "closed", {"status": "closed", "closed_at": now(),
                                                 "closed_by": _actor_name(actor)}, note,
                 allowed_statuses=("open", "recovered"))


def open_counts(wh: Warehouse) -> dict[str, Any]:
    """Open alerts by level and by group (aggregates anyone may see: the town map, the big screen)."""
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(alerts.c.grp, alerts.c.level, sa.func.count().label("n"))
                            .where(alerts.c.status == "open").group_by(alerts.c.grp, alerts.c.level)).all()
    by_level = {"yellow": 0, "red": 0}
    by_group: dict[str, dict[str, int]] = {}
    for r in rows:
        by_level[r.level] = by_level.get(r.level, 0) + int(r.n)
        by_group.setdefault(r.grp, {"yellow": 0, "red": 0})[r.level] += int(r.n)
    return {"by_level": by_level, "by_group": by_group, "total": sum(by_level.values())}
