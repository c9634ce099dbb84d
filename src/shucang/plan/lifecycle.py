"""A plan's end: closing freezes the final figures; corrections afterwards are audited revisions.

``close_plan`` stores a snapshot — every value with its source and lineage (the dataset versions a
computed value came from), every indicator's status — with who and when. From then on the write
paths (``set_actual``, ``delete_actual``, imports, recompute) refuse the plan via :func:`ensure_open`
and write nothing; ``revise`` is the one way to correct a figure: it needs a reason, is recorded on
the share stage's hash-chained audit log, and the frozen figure stays beside the revised one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.errors import Conflict, InputError
from shucang.plan.model import Plan
from shucang.plan.records import (
    aware,
    ensure_lifecycle_schema,
    now,
    plan_closures,
    plan_computed,
    plan_revisions,
)
from shucang.plan.store import Period, read_values, write_value

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

log = logging.getLogger("shucang.plan")
DISAGREEMENT = 0.01
"""A hand-entered value further than this (relative) from the computed one is flagged."""


def closure(wh: Warehouse, plan_id: str) -> dict[str, Any] | None:
    """The closure record of a plan (closed_by, closed_at, note, snapshot), None while it is open."""
    ensure_lifecycle_schema(wh.engine)
    with wh.engine.connect() as conn:
        row = conn.execute(sa.select(plan_closures).where(plan_closures.c.plan_id == plan_id)).first()
    if row is None:
        return None
    return {"plan": row.plan_id, "closed_by": row.closed_by, "closed_at": aware(row.closed_at).isoformat(),
            "note": row.note or "", "snapshot": row.snapshot}


def ensure_open(wh: Warehouse, plan_id: str) -> None:
    """Conflict when the plan is closed: its figures are frozen (nothing may be written)."""
    info = closure(wh, plan_id)
    if info is not None:
        raise Conflict(f"规划 {plan_id} 已于 {info['closed_at'][:10]} 由 {info['closed_by']} 关闭，数值已冻结 "
                       f"(plan closed: values are frozen)",
                       hint=f"更正请用 `shucang plan revise {plan_id} 指标 年份 数值 --reason …` "
                            "(corrections go through plan revise)")


def close_plan(wh: Warehouse, plan: Plan, *, actor: str, note: str = "") -> dict[str, Any]:
    """Freeze the plan's figures: values (with lineage), statuses and metric versions, with who/when."""
    from shucang.plan.monitor import plan_status

    if not actor or not actor.strip():
        raise InputError("须注明操作人 (an actor is required)")
    ensure_open(wh, plan.id)
    rows = read_values(wh.engine, plan.id)
    statuses = {s.info["id"]: {"latest": s.assessment.latest, "latest_period": s.assessment.latest_period,
                               "status": s.assessment.status, "status_code": s.assessment.status_code,
                               "completion": s.assessment.completion}
                for s in plan_status(wh, plan.id, scope="all")}
    values = [{"indicator": r.indicator_id, "period": r.period, "value": r.value, "source": r.source,
               "metric": r.metric_id, "lineage": r.lineage} for r in rows]
    snapshot = {"statuses": statuses, "values": values,
                "dataset_versions": _versions_used(rows), "rules": {"status": plan.status_rules.__dict__}}
    at = now()
    with wh.engine.begin() as conn:
        conn.execute(plan_closures.insert().values(plan_id=plan.id, closed_by=actor.strip(), closed_at=at,
                                                   note=note, snapshot=snapshot))
    _audit(wh, actor, "plan.close", plan=plan.id, values=len(values), note=note)
    return {"plan": plan.id, "closed_by": actor.strip(), "closed_at": at.isoformat(), "values": len(values),
            "indicators": len(statuses)}


def _versions_used(rows: list[Any]) -> dict[str, list[int]]:
    used: dict[str, set[int]] = {}
    for r in rows:
        for name, version in (r.lineage or {}).items():
            if isinstance(version, int):
                used.setdefault(name, set()).add(version)
    return {name: sorted(v) for name, v in sorted(used.items())}


def _audit(wh: Warehouse, actor: str, action: str, **details: Any) -> int | None:
    """Record on the share stage's hash-chained audit log (the plan stage sits above share)."""
    from shucang.share.audit import record_event

    return record_event(wh, actor, action, **details)


def revise(wh: Warehouse, plan: Plan, indicator_id: str, year: int | str, value: Any, *, reason: str,
           actor: str) -> dict[str, Any]:
    """Correct one figure of a closed plan (audited); the frozen figure is kept beside it."""
    from shucang.plan.store import parse_period
    from shucang.plan.validation import check_value_for, parse_number

    info = closure(wh, plan.id)
    if info is None:
        raise InputError(f"规划 {plan.id} 尚未关闭，请直接用 `shucang plan set` (the plan is open: use plan set)")
    if not reason or not reason.strip():
        raise InputError("修订须说明原因 (a revision needs --reason)")
    if not actor or not actor.strip():
        raise InputError("须注明操作人 (an actor is required)")
    ind = plan.indicator(indicator_id)
    period: Period = parse_period(year)
    number = parse_number(value)
    if number is None:
        raise InputError("须给出数值 (a value is required)")
    check_value_for(plan, ind, period, number, confirm=True, note=reason)
    frozen = next((v["value"] for v in info["snapshot"]["values"]
                   if v["indicator"] == ind.id and v["period"] == period.label), None)
    old = next((r.value for r in read_values(wh.engine, plan.id, [ind.id]) if r.period == period.label), None)
    seq = _audit(wh, actor, "plan.revise", plan=plan.id, indicator=ind.id, period=period.label,
                 frozen=frozen, old=old, new=number, reason=reason.strip())
    write_value(wh.engine, plan.id, ind.id, period, number, actor=actor.strip(), source="revision",
                note=reason.strip(), action="revise")
    at = now()
    with wh.engine.begin() as conn:
        conn.execute(plan_revisions.insert().values(
            plan_id=plan.id, indicator_id=ind.id, period=period.label, frozen_value=frozen, old_value=old,
            new_value=number, reason=reason.strip(), actor=actor.strip(), at=at, audit_seq=seq))
    return {"plan": plan.id, "indicator": ind.id, "period": period.label, "frozen": frozen, "old": old,
            "value": number, "reason": reason.strip(), "actor": actor.strip(), "at": at.isoformat(),
            "audit_seq": seq}


def revisions(wh: Warehouse, plan_id: str, indicator_id: str | None = None) -> list[dict[str, Any]]:
    """Revisions of a closed plan, oldest first."""
    ensure_lifecycle_schema(wh.engine)
    t = plan_revisions
    stmt = sa.select(t).where(t.c.plan_id == plan_id)
    if indicator_id is not None:
        stmt = stmt.where(t.c.indicator_id == indicator_id)
    with wh.engine.connect() as conn:
        rows = conn.execute(stmt.order_by(t.c.id)).all()
    return [{"indicator": r.indicator_id, "period": r.period, "frozen": r.frozen_value, "old": r.old_value,
             "value": r.new_value, "reason": r.reason, "actor": r.actor, "at": aware(r.at).isoformat(),
             "audit_seq": r.audit_seq} for r in rows]


# -- computed shadows: what the data say where a hand-entered value was kept -----------------------


def record_computed(wh: Warehouse, plan_id: str, indicator_id: str, period: str, value: float, metric_id: str,
                    lineage: dict[str, Any] | None) -> None:
    """Remember the computed figure beside a kept hand-entered one (upsert)."""
    ensure_lifecycle_schema(wh.engine)
    t = plan_computed
    key = (t.c.plan_id == plan_id) & (t.c.indicator_id == indicator_id) & (t.c.period == period)
    fields = {"value": value, "metric_id": metric_id, "lineage": lineage, "at": now()}
    with wh.engine.begin() as conn:
        if conn.execute(sa.select(t.c.period).where(key)).first() is None:
            conn.execute(t.insert().values(plan_id=plan_id, indicator_id=indicator_id, period=period, **fields))
        else:
            conn.execute(t.update().where(key).values(**fields))


def disagreements(wh: Warehouse, plan_id: str, indicator_id: str | None = None) -> list[dict[str, Any]]:
    """Hand-entered values that differ from what the warehouse data compute (by more than 1%)."""
    ensure_lifecycle_schema(wh.engine)
    t = plan_computed
    stmt = sa.select(t).where(t.c.plan_id == plan_id)
    if indicator_id is not None:
        stmt = stmt.where(t.c.indicator_id == indicator_id)
    with wh.engine.connect() as conn:
        computed = conn.execute(stmt).all()
    if not computed:
        return []
    current = {(r.indicator_id, r.period): r for r in read_values(wh.engine, plan_id)}
    out = []
    for c in computed:
        row = current.get((c.indicator_id, c.period))
        if row is None or row.metric_id is not None:
            continue
        scale = max(abs(c.value), 1e-9)
        if abs(row.value - c.value) / scale > DISAGREEMENT:
            out.append({"indicator": c.indicator_id, "period": c.period, "entered": row.value,
                        "computed": c.value, "metric": c.metric_id, "lineage": c.lineage,
                        "source": row.source, "difference": row.value - c.value})
    return sorted(out, key=lambda d: (d["indicator"], d["period"]))


def is_final(plan: Plan, year: int, computed_at: datetime) -> bool:
    """A computed value of ``year`` is final when written ``final_after_days`` after the year ended."""
    from datetime import timedelta

    cutoff = datetime(year + 1, 1, 1, tzinfo=aware(computed_at).tzinfo) + timedelta(
        days=plan.entry_rules.final_after_days)
    return aware(computed_at) >= cutoff


def after_ingest_allowed(wh: Warehouse, plan_id: str) -> bool:
    """Whether the after-ingest hook may recompute this plan (closed plans are left alone)."""
    try:
        return closure(wh, plan_id) is None
    except Exception:  # noqa: BLE001 — a hook must never fail an ingest
        log.exception("plan %s: closure check failed", plan_id)
        return False
