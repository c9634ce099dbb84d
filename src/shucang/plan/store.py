"""Actual values of plan indicators and their audit trail, in the catalog (component "plan").

One row per (plan, indicator, period) holds the current value, where it came from (``source``:
manual, synthetic, import:…, metric:<id>) and, for computed values, the dataset versions it was
computed from (``lineage``). Every change — entry, import, recomputation, deletion — appends an
audit row with who, when, source, note and old → new; unchanged writes append nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from shucang.errors import InputError
from shucang.warehouse.migrations import Schema, create_tables_step

COMPONENT = "plan"
metadata = sa.MetaData()

plan_values = sa.Table(
    "plan_values", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.String(64), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),  # 2023 | 2023Q2 | 2023-06
    sa.Column("period_kind", sa.String(8), nullable=False),  # year | quarter | month
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("metric_id", sa.String(64), nullable=True),
    sa.Column("lineage", sa.JSON, nullable=True),
    sa.Column("updated_by", sa.String(128), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("plan_id", "indicator_id", "period", name="uq_plan_values_period"),
)
sa.Index("ix_plan_values_plan", plan_values.c.plan_id, plan_values.c.indicator_id)

plan_value_audit = sa.Table(
    "plan_value_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("plan_id", sa.String(64), nullable=False),
    sa.Column("indicator_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),  # set | compute | import | delete
    sa.Column("old_value", sa.Float, nullable=True),
    sa.Column("new_value", sa.Float, nullable=True),
    sa.Column("old_source", sa.String(200), nullable=True),
    sa.Column("source", sa.String(200), nullable=True),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("lineage", sa.JSON, nullable=True),
)
sa.Index("ix_plan_value_audit_plan", plan_value_audit.c.plan_id, plan_value_audit.c.indicator_id)

MIGRATIONS = [create_tables_step(metadata)]
SCHEMA = Schema(COMPONENT, MIGRATIONS)


def ensure_plan_schema(engine: sa.Engine) -> None:
    """Create or migrate the plan tables once per engine."""
    SCHEMA.ensure(engine)


@dataclass(frozen=True)
class Period:
    label: str
    kind: str
    year: int


_PERIOD_RE = re.compile(r"^(?P<y>\d{4})(?:(?:[-/.]?[Qq](?P<q>[1-4]))|(?:[-/.](?P<m>\d{1,2}))|(?:年(?P<m2>\d{1,2})月?))?$")


def parse_period(year: int | str, period: str | None = None) -> Period:
    """Normalise a period: (2023) → "2023"; (2023, "Q2") or "2023Q2" → "2023Q2"; "2023-6" → "2023-06"."""
    text = str(year).strip()
    if period:
        p = str(period).strip().upper()
        if re.fullmatch(r"Q[1-4]", p):
            text = f"{text}Q{p[1]}"
        elif re.fullmatch(r"M?\d{1,2}", p):
            text = f"{text}-{p.lstrip('M')}"
        else:
            text = f"{text}{p}" if p.startswith("Q") else f"{text}-{p}"
    if text.endswith(".0"):  # spreadsheets hand years over as floats
        text = text[:-2]
    match = _PERIOD_RE.match(text)
    if not match:
        raise InputError(f"无法识别的期间 {text!r} (unrecognised period)",
                         hint="写 2023、2023Q2 或 2023-06 (write 2023, 2023Q2 or 2023-06)")
    y = int(match["y"])
    if not 1949 <= y <= 2100:
        raise InputError(f"年份 {y} 超出范围 (year out of range)")
    if match["q"]:
        return Period(f"{y}Q{match['q']}", "quarter", y)
    month = match["m"] or match["m2"]
    if month:
        mo = int(month)
        if not 1 <= mo <= 12:
            raise InputError(f"月份 {mo} 无效 (invalid month) in {text!r}")
        return Period(f"{y}-{mo:02d}", "month", y)
    return Period(str(y), "year", y)


@dataclass(frozen=True)
class StoredValue:
    plan_id: str
    indicator_id: str
    period: str
    period_kind: str
    year: int
    value: float
    source: str
    note: str
    metric_id: str | None
    lineage: dict[str, Any] | None
    updated_by: str
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["updated_at"] = _iso(self.updated_at)
        return d


@dataclass(frozen=True)
class AuditEntry:
    id: int
    plan_id: str
    indicator_id: str
    period: str
    action: str
    old_value: float | None
    new_value: float | None
    old_source: str | None
    source: str | None
    actor: str
    at: datetime
    note: str
    lineage: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = _iso(self.at)
        return d


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _now() -> datetime:
    return datetime.now(UTC)


def check_value(value: Any) -> float:
    """A finite number, else InputError (NaN and ±inf are not values)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"数值无效 (not a number): {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"数值无效 (not a finite number): {value!r}")
    return number


def _stored(row: Any) -> StoredValue:
    return StoredValue(row.plan_id, row.indicator_id, row.period, row.period_kind, row.year, row.value,
                       row.source, row.note or "", row.metric_id, row.lineage, row.updated_by, row.updated_at)


def read_values(engine: sa.Engine, plan_id: str, indicator_ids: list[str] | None = None) -> list[StoredValue]:
    """Current values of a plan (optionally of some indicators), ordered by indicator and period."""
    ensure_plan_schema(engine)
    t = plan_values
    stmt = sa.select(t).where(t.c.plan_id == plan_id)
    if indicator_ids is not None:
        stmt = stmt.where(t.c.indicator_id.in_(indicator_ids))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(t.c.indicator_id, t.c.year, t.c.period)).all()
    return [_stored(r) for r in rows]


def write_value(engine: sa.Engine, plan_id: str, indicator_id: str, period: Period, value: float, *,
                actor: str, source: str, note: str = "", action: str = "set", metric_id: str | None = None,
                lineage: dict[str, Any] | None = None) -> tuple[StoredValue, bool]:
    """Insert or update one value and audit the change; returns (row, changed)."""
    ensure_plan_schema(engine)
    args = (engine, plan_id, indicator_id, period, value, actor, source, note, action, metric_id, lineage)
    try:
        return _write_value(*args)
    except sa.exc.IntegrityError:  # another writer inserted the same period first: now it is an update
        return _write_value(*args)


def _write_value(engine: sa.Engine, plan_id: str, indicator_id: str, period: Period, value: float,
                 actor: str, source: str, note: str, action: str, metric_id: str | None,
                 lineage: dict[str, Any] | None) -> tuple[StoredValue, bool]:
    t, a = plan_values, plan_value_audit
    now = _now()
    key = (t.c.plan_id == plan_id) & (t.c.indicator_id == indicator_id) & (t.c.period == period.label)
    with engine.begin() as conn:
        old = conn.execute(sa.select(t).where(key)).first()
        fields = dict(value=value, source=source, note=note, metric_id=metric_id, lineage=lineage,
                      updated_by=actor, updated_at=now)
        if old is not None:
            same = old.value == value and old.source == source and (old.note or "") == note
            if same and old.lineage == lineage:
                return _stored(old), False
            conn.execute(t.update().where(key).values(**fields))
            if same:  # only the lineage moved (data re-ingested, same figure): no audit noise
                row = conn.execute(sa.select(t).where(key)).one()
                return _stored(row), False
        else:
            conn.execute(t.insert().values(plan_id=plan_id, indicator_id=indicator_id, period=period.label,
                                           period_kind=period.kind, year=period.year, **fields))
        conn.execute(a.insert().values(
            plan_id=plan_id, indicator_id=indicator_id, period=period.label, action=action,
            old_value=old.value if old is not None else None, new_value=value,
            old_source=old.source if old is not None else None, source=source, actor=actor, at=now,
            note=note, lineage=lineage))
        row = conn.execute(sa.select(t).where(key)).one()
    return _stored(row), True


def delete_value(engine: sa.Engine, plan_id: str, indicator_id: str, period: Period, *, actor: str,
                 note: str = "") -> StoredValue | None:
    """Remove one value (audited); returns what was removed, None when there was nothing."""
    ensure_plan_schema(engine)
    t, a = plan_values, plan_value_audit
    key = (t.c.plan_id == plan_id) & (t.c.indicator_id == indicator_id) & (t.c.period == period.label)
    with engine.begin() as conn:
        old = conn.execute(sa.select(t).where(key)).first()
        if old is None:
            return None
        conn.execute(t.delete().where(key))
        conn.execute(a.insert().values(
            plan_id=plan_id, indicator_id=indicator_id, period=period.label, action="delete",
            old_value=old.value, new_value=None, old_source=old.source, source=None, actor=actor,
            at=_now(), note=note, lineage=None))
    return _stored(old)


def read_history(engine: sa.Engine, plan_id: str, indicator_id: str | None = None, *,
                 limit: int = 500) -> list[AuditEntry]:
    """Audit entries, newest first."""
    ensure_plan_schema(engine)
    a = plan_value_audit
    stmt = sa.select(a).where(a.c.plan_id == plan_id)
    if indicator_id is not None:
        stmt = stmt.where(a.c.indicator_id == indicator_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(a.c.id.desc()).limit(max(1, min(limit, 10_000)))).all()
    return [AuditEntry(r.id, r.plan_id, r.indicator_id, r.period, r.action, r.old_value, r.new_value,
                       r.old_source, r.source, r.actor, r.at, r.note or "", r.lineage) for r in rows]
