"""The plan stage's library API: plans, values, status, series, roll-ups and the composite index.

Every front end (CLI, JSON API, cockpit) calls these functions with an open ``Warehouse``; they read
plan files through :mod:`~shucang.plan.loader`, values through :mod:`~shucang.plan.store` and
compute with the pure :mod:`~shucang.plan.analytics`. Writes take an explicit ``actor`` for the audit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from shucang.errors import InputError, NotFound
from shucang.plan import analytics as an
from shucang.plan.loader import discover_plans, find_plan
from shucang.plan.metrics import recompute as _recompute
from shucang.plan.metrics import stale_indicators
from shucang.plan.model import Indicator, Plan
from shucang.plan.store import (
    AuditEntry,
    StoredValue,
    check_value,
    delete_value,
    parse_period,
    read_history,
    read_values,
    write_value,
)

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

SCOPES = ("main", "text", "project", "all")
ROLLUP_KINDS = ("category", "zone", "task", "subtask", "project")


def _home(wh: Warehouse | None) -> Any:
    """The warehouse home, whose ``plans/`` folder holds plans added there (None: bundled plans only)."""
    return wh.settings.home if wh is not None else None


def list_plans(wh: Warehouse) -> list[dict[str, Any]]:
    """Every plan known to this warehouse (bundled and in ``<home>/plans``), the default one and the
    closed ones marked."""
    from shucang.plan.lifecycle import closure
    from shucang.plan.loader import default_plan_id

    plans = discover_plans(_home(wh))
    default = default_plan_id(plans)
    out = []
    for p in sorted(plans.values(), key=lambda p: p.id):
        info = closure(wh, p.id) if getattr(wh, "engine", None) is not None else None
        out.append({**plan_summary(p), "default": p.id == default,
                    "closed": ({"at": info["closed_at"], "by": info["closed_by"]} if info else None)})
    return out


def load_plan(wh: Warehouse | None = None, plan_id: str | None = None) -> Plan:
    """The named plan, or the default plan (period contains today, else the most recent) when none is named."""
    return find_plan(_home(wh), plan_id)


def current_plan_id(wh: Warehouse | None = None) -> str:
    """The id of the default plan (see :func:`shucang.plan.loader.default_plan_id`)."""
    from shucang.plan.loader import default_plan_id

    return default_plan_id(discover_plans(_home(wh)))


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {"id": plan.id, "title": plan.title, "period": [plan.start_year, plan.end_year],
            "baseline_year": plan.baseline_year, "issuer": plan.issuer, "origin": plan.origin,
            "indicators": len(plan.indicators), "targets": len(plan.targets), "zones": len(plan.zones),
            "tasks": len(plan.tasks), "projects": len(plan.projects), "metrics": len(plan.metrics)}


def indicator_info(plan: Plan, ind: Indicator) -> dict[str, Any]:
    """The static description of one indicator (no values)."""
    return {
        "id": ind.id, "name": ind.name, "short_name": ind.label, "kind": ind.kind,
        "category": ind.category, "category_name": plan.category_name(ind.category), "unit": ind.unit,
        "baseline": ind.baseline.value if ind.baseline else None,
        "baseline_year": ind.baseline.year if ind.baseline else None,
        "baseline_text": ind.baseline.text if ind.baseline else None,
        "target": ind.target.value, "target_upper": ind.target.upper, "target_year": ind.target.year,
        "target_text": ind.target.text, "target_kind": ind.target_kind, "direction": ind.direction,
        "department": ind.department, "department_name": plan.department_name(ind.department),
        "source": ind.source, "metric": ind.metric, "measure": ind.measure, "periods": list(ind.periods),
        "section": ind.section, "note": ind.note,
    }


def plan_detail(plan: Plan) -> dict[str, Any]:
    """The whole plan as JSON-ready data (what `plan show --json` and the API return)."""
    def task(t: Any) -> dict[str, Any]:
        return {"id": t.id, "number": t.number, "title": t.title, "indicators": list(t.indicators),
                "projects": list(t.projects), "subtasks": [task(s) for s in t.subtasks]}

    return {
        **plan_summary(plan), "description": plan.description, "source_text": plan.source_text,
        "categories": [asdict(c) for c in plan.categories],
        "departments": [asdict(d) for d in plan.departments],
        "indicators": [indicator_info(plan, i) for i in plan.indicators],
        "targets": [indicator_info(plan, i) for i in plan.targets],
        "zones": [asdict(z) for z in plan.zones],
        "tasks": [task(t) for t in plan.tasks],
        "projects": [asdict(p) for p in plan.projects],
        "metrics": [asdict(mt) for mt in plan.metrics],
        "index": asdict(plan.index) if plan.index else None,
        "facts": [asdict(f) for f in plan.facts],
        "status_rules": asdict(plan.status_rules),
    }


def _select(plan: Plan, scope: str) -> list[Indicator]:
    if scope not in SCOPES:
        raise InputError(f"范围须为 {' | '.join(SCOPES)} (scope must be one of them), got {scope!r}")
    if scope == "all":
        return plan.all_indicators()
    return [i for i in plan.all_indicators() if i.kind == scope]


def _observations(rows: list[StoredValue]) -> tuple[list[an.Observation], list[an.Observation]]:
    yearly = [an.Observation(r.year, r.value, r.period) for r in rows if r.period_kind == "year"]
    sub = [an.Observation(r.year, r.value, r.period) for r in rows if r.period_kind != "year"]
    return yearly, sub


@dataclass(frozen=True)
class IndicatorStatus:
    """One row of the status table: the indicator, its latest value and the analytics."""

    info: dict[str, Any]
    assessment: an.Assessment
    latest_source: str | None
    stale: bool
    baseline_actual: float | None = None
    """The value stored for the baseline year (e.g. computed from data), to check it against the plan."""
    lifecycle: dict[str, Any] | None = None
    """closed, frozen (value/status at closing), revisions, disagreements (hand vs computed)."""

    def to_dict(self) -> dict[str, Any]:
        a = self.assessment
        g, p = a.growth, a.projection
        return {
            **self.info,
            "latest": a.latest, "latest_year": a.latest_year, "latest_period": a.latest_period,
            "latest_source": self.latest_source,
            "completion": _r(a.completion), "completion_method": a.completion_method,
            "attainment": _r(a.attainment), "met": a.met,
            "status": a.status, "status_code": a.status_code,
            "expected_progress": _r(a.expected_progress), "gap": a.gap,
            "required_growth": _r(g.required), "achieved_growth": _r(g.achieved), "growth_method": g.method,
            "pace": _r(g.pace), "pace_band": g.pace_band,
            "required_change": _r(g.required_change), "achieved_change": _r(g.achieved_change),
            "projection": _r(p.value), "projection_method": p.method, "projection_year": p.year,
            "projection_cagr": _r(p.cagr), "projection_linear": _r(p.linear), "projected_met": a.projected_met,
            "stale": self.stale, "baseline_actual": self.baseline_actual,
            **(self.lifecycle or {"closed": False, "frozen": None, "revisions": [], "disagreements": []}),
        }


def _r(x: float | None, digits: int = 6) -> float | None:
    return round(x, digits) if x is not None else None


def plan_status(wh: Warehouse, plan_id: str | None = None, *, scope: str = "main",
                as_of: int | None = None) -> list[IndicatorStatus]:
    """Status of every indicator in ``scope`` (main table by default), values up to ``as_of``."""
    plan = load_plan(wh, plan_id)
    chosen = _select(plan, scope)
    rows = read_values(wh.engine, plan.id)
    by: dict[str, list[StoredValue]] = {}
    for row in rows:
        by.setdefault(row.indicator_id, []).append(row)
    stale = stale_indicators(wh, plan, rows) if any(r.metric_id for r in rows) else {}
    life = lifecycle_facts(wh, plan.id)
    out: list[IndicatorStatus] = []
    for ind in chosen:
        own = by.get(ind.id, [])
        yearly, sub = _observations(own)
        a = an.assess(ind, yearly, sub, plan.status_rules, as_of=as_of)
        source = next((r.source for r in own if r.period == a.latest_period), None)
        base_year = str(ind.baseline.year) if ind.baseline else None
        base_actual = next((r.value for r in own if r.period == base_year), None)
        out.append(IndicatorStatus(indicator_info(plan, ind), a, source, stale.get(ind.id, False), base_actual,
                                   life(ind.id)))
    return out


def lifecycle_facts(wh: Warehouse, plan_id: str) -> Any:
    """indicator id → {closed, frozen, revisions, disagreements} (three catalog queries for the plan)."""
    from shucang.plan.lifecycle import closure, disagreements, revisions

    info = closure(wh, plan_id)
    frozen = (info or {}).get("snapshot", {}).get("statuses", {})
    revs: dict[str, list[dict[str, Any]]] = {}
    for r in revisions(wh, plan_id) if info else []:
        revs.setdefault(r["indicator"], []).append(r)
    diffs: dict[str, list[dict[str, Any]]] = {}
    for d in disagreements(wh, plan_id):
        diffs.setdefault(d["indicator"], []).append(d)

    def facts(indicator_id: str) -> dict[str, Any]:
        snap = frozen.get(indicator_id)
        return {"closed": info is not None,
                "frozen": ({"value": snap["latest"], "period": snap["latest_period"], "status": snap["status"],
                            "status_code": snap["status_code"], "at": info["closed_at"], "by": info["closed_by"]}
                           if info is not None and snap is not None else None),
                "revisions": revs.get(indicator_id, []), "disagreements": diffs.get(indicator_id, [])}

    return facts


def indicator_series(wh: Warehouse, plan_id: str | None, indicator_id: str) -> dict[str, Any]:
    """One indicator with every stored value, its baseline and target, status and projections."""
    plan = load_plan(wh, plan_id)
    ind = plan.indicator(indicator_id)
    rows = read_values(wh.engine, plan.id, [ind.id])
    yearly, sub = _observations(rows)
    a = an.assess(ind, yearly, sub, plan.status_rules)
    status = IndicatorStatus(indicator_info(plan, ind), a,
                             next((r.source for r in rows if r.period == a.latest_period), None),
                             stale_indicators(wh, plan, rows).get(ind.id, False), None,
                             lifecycle_facts(wh, plan.id)(ind.id))
    projection_path: list[dict[str, Any]] = []
    if a.latest_year is not None and a.latest_year < ind.target.year and a.latest is not None:
        g = a.growth.achieved  # the CAGR the projection extends
        for year in range(a.latest_year, ind.target.year + 1):
            step = year - a.latest_year
            linear = None
            if a.projection.linear is not None and ind.target.year > a.latest_year:
                linear = a.latest + (a.projection.linear - a.latest) * step / (ind.target.year - a.latest_year)
            projection_path.append({"year": year, "cagr": _r(a.latest * (1 + g) ** step) if g is not None
                                    else None, "linear": _r(linear)})
    return {
        "plan": plan.id, "indicator": indicator_info(plan, ind), "status": status.to_dict(),
        "baseline": ({"year": ind.baseline.year, "value": ind.baseline.value} if ind.baseline else None),
        "target": {"year": ind.target.year, "value": ind.target.value, "upper": ind.target.upper},
        "values": [r.to_dict() for r in rows], "projection_path": projection_path,
    }


def set_actual(wh: Warehouse, plan_id: str | None, indicator_id: str, year: int | str, value: Any, *,
               actor: str, source: str = "manual", note: str = "", period: str | None = None,
               confirm: bool = False, editor: Any = None, today: date | None = None) -> dict[str, Any]:
    """Enter (or correct) one value by hand; audited with actor, time, source, note and old → new.

    ``value`` may be a number or text (``"1,234.5"``; a decimal comma is refused); the checks of
    :mod:`shucang.plan.validation` apply (no future years, unit bounds, jumps need ``confirm`` and a
    note); ``editor`` (an authenticated caller) must be allowed to edit the indicator's department.
    """
    from shucang.plan.lifecycle import ensure_open
    from shucang.plan.validation import check_editor, check_value_for, parse_number, previous_value

    plan = load_plan(wh, plan_id)
    ind = plan.indicator(indicator_id)
    check_editor(editor, ind)
    ensure_open(wh, plan.id)
    p = parse_period(year, period)
    _check_entry(plan, ind, p.kind, p.year, actor, source)
    number = parse_number(value)
    if number is None:
        raise InputError("须给出数值 (a value is required)")
    number = check_value(number)
    stored = {r.period: r.value for r in read_values(wh.engine, plan.id, [ind.id])}
    check_value_for(plan, ind, p, number, today=today, previous=previous_value(plan, ind, p, stored),
                    confirm=confirm, note=note or "")
    row, changed = write_value(wh.engine, plan.id, ind.id, p, number, actor=actor.strip(),
                               source=source.strip(), note=note or "", action="set")
    return {**row.to_dict(), "changed": changed}


def _check_entry(plan: Plan, ind: Indicator, kind: str, year: int, actor: str, source: str) -> None:
    if not actor or not actor.strip():
        raise InputError("须注明填报人 (an actor is required for the audit trail)")
    if not source or not source.strip():
        raise InputError("须注明数据来源 (a source is required)")
    if source.strip().startswith("metric:"):
        raise InputError("来源 metric:… 保留给度量计算 (the source metric:… is reserved for computed values)",
                         hint="用 `shucang plan recompute` 重新计算 (use `shucang plan recompute`)")
    if kind not in ind.periods:
        raise InputError(f"指标 {ind.id} 只接受 {', '.join(ind.periods)} 期间的数值 (period kind {kind} not "
                         f"allowed for this indicator)")
    if not plan.baseline_year - 10 <= year <= plan.end_year + 10:
        raise InputError(f"年份 {year} 超出规划 {plan.id} 的监测范围 (year outside the plan's range "
                         f"{plan.baseline_year - 10}–{plan.end_year + 10})")


def delete_actual(wh: Warehouse, plan_id: str | None, indicator_id: str, year: int | str, *, actor: str,
                  note: str = "", period: str | None = None, editor: Any = None) -> dict[str, Any]:
    """Remove one value (audited); NotFound when there is none; refused on a closed plan."""
    from shucang.plan.lifecycle import ensure_open
    from shucang.plan.validation import check_editor

    plan = load_plan(wh, plan_id)
    ind = plan.indicator(indicator_id)
    check_editor(editor, ind)
    ensure_open(wh, plan.id)
    p = parse_period(year, period)
    if not actor or not actor.strip():
        raise InputError("须注明操作人 (an actor is required for the audit trail)")
    removed = delete_value(wh.engine, plan.id, ind.id, p, actor=actor.strip(), note=note)
    if removed is None:
        raise NotFound(f"指标 {ind.id} 在 {p.label} 没有数值 (no value to delete)")
    return removed.to_dict()


def value_history(wh: Warehouse, plan_id: str | None = None, indicator_id: str | None = None, *,
                  limit: int = 500) -> list[AuditEntry]:
    """The audit trail of a plan's values (one indicator's when named), newest first."""
    plan = load_plan(wh, plan_id)
    if indicator_id is not None:
        plan.indicator(indicator_id)
    return read_history(wh.engine, plan.id, indicator_id, limit=limit)


def recompute(wh: Warehouse, plan_id: str | None = None, *, actor: str = "system:recompute", force: bool = False,
              stale_only: bool = False, versions: dict[str, int] | None = None,
              indicators: list[str] | None = None, rewrite_final: bool = False,
              today: datetime | None = None) -> dict[str, Any]:
    """Re-evaluate the plan's metrics (see :func:`shucang.plan.metrics.recompute`); refused once closed."""
    from shucang.plan.lifecycle import ensure_open

    plan = load_plan(wh, plan_id)
    if indicators:
        for ind in indicators:
            plan.indicator(ind)
    ensure_open(wh, plan.id)
    return _recompute(wh, plan, actor=actor, force=force, stale_only=stale_only, versions=versions,
                      indicators=indicators, rewrite_final=rewrite_final, today=today).to_dict()


def rollups(wh: Warehouse, plan_id: str | None = None, by: str = "category", *,
            as_of: int | None = None) -> list[dict[str, Any]]:
    """Status counts and mean completion by category, zone, task, subtask or project."""
    if by not in ROLLUP_KINDS:
        raise InputError(f"汇总维度须为 {' | '.join(ROLLUP_KINDS)} (by must be one of them), got {by!r}")
    plan = load_plan(wh, plan_id)
    statuses = {s.info["id"]: s.assessment for s in plan_status(wh, plan.id, scope="all", as_of=as_of)}
    groups: list[tuple[str, str, list[str]]]
    if by == "category":
        groups = [(c.id, c.name, [i.id for i in plan.indicators if i.category == c.id]) for c in plan.categories]
    elif by == "zone":
        groups = [(z.id, z.name, list(z.indicators)) for z in plan.zones]
    elif by == "task":
        groups = [(t.id, f"{t.number}{t.title}", t.all_indicators()) for t in plan.tasks]
    elif by == "subtask":
        groups = [(t.id, f"{t.number}{t.title}", t.all_indicators()) for t in plan.all_tasks()]
    else:
        groups = [(p.id, f"专栏{p.number}：{p.title}",
                   [*p.targets, *(m.indicator for m in p.milestones if m.indicator)]) for p in plan.projects]
    return [r.to_dict() for r in an.rollup(groups, statuses)]


def composite_index(wh: Warehouse, plan_id: str | None = None) -> dict[str, Any]:
    """The configured composite index per year beside the official value (None when not configured)."""
    plan = load_plan(wh, plan_id)
    if plan.index is None:
        raise NotFound(f"规划 {plan.id} 未配置综合指数 (no composite index configured)")
    cfg = plan.index
    wanted = {c.indicator for d in cfg.dimensions for c in d.components}
    if cfg.official_indicator:
        wanted.add(cfg.official_indicator)
    values: dict[str, dict[int, float]] = {}
    indicators = {i.id: i for i in plan.all_indicators() if i.id in wanted}
    for ind in indicators.values():
        if ind.baseline is not None and ind.baseline.value is not None:
            values.setdefault(ind.id, {})[ind.baseline.year] = ind.baseline.value
    for row in read_values(wh.engine, plan.id, sorted(wanted)):
        if row.period_kind == "year":
            values.setdefault(row.indicator_id, {})[row.year] = row.value
    years = range(plan.baseline_year, plan.end_year + 1)
    points = an.composite_index(cfg, indicators, values, years)
    return {"plan": plan.id, "name": cfg.name, "scale": cfg.scale, "note": cfg.note,
            "official_indicator": cfg.official_indicator,
            "method": {"dimensions": [asdict(d) for d in cfg.dimensions],
                       "aggregation": "Σ 维度权重 × 维度内加权平均 (weighted mean of normalised scores); "
                                      "缺数指标不计入并重新归一权重 (missing indicators are left out)"},
            "points": [p.to_dict() for p in points]}
