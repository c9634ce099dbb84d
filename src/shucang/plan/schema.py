"""The plan file schema: which fields each part of a plan YAML has, checked while building the model.

The schema is written as code rather than JSON Schema so every error can carry the YAML line and a
bilingual message, and so cross-references (an indicator's category, a zone's indicators, a
project's task, an indicator's metric) are checked in the same pass. Unknown keys are errors too:
a typo such as ``taget:`` must not silently drop a target. Field reference: docs/plan.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shucang.plan import model as m
from shucang.plan.yamlcheck import Checker

PLAN_KEYS = {"id", "title", "issuer", "period", "baseline_year", "source_text", "description",
             "status_rules", "departments", "categories", "indicators", "targets", "zones", "tasks",
             "projects", "metrics", "index", "facts", "entry_rules"}
INDICATOR_KEYS = {"id", "name", "short_name", "category", "unit", "baseline", "target", "direction",
                  "target_kind", "department", "source", "measure", "periods", "section", "note",
                  "decimals", "value_range", "whole", "continues"}
ZONE_KEYS = {"id", "name", "kind", "towns", "towns_from_text", "focus_industries", "platforms",
             "lead_enterprises", "goal", "indicators", "note"}
TASK_KEYS = {"id", "number", "title", "subtasks", "indicators", "projects"}
PROJECT_KEYS = {"id", "number", "title", "task", "items", "targets", "milestones"}
METRIC_KEYS = {"id", "title", "kind", "sql", "datasets", "function", "decimals", "note", "by_industry_code"}
ZONE_KINDS = ("core", "belt", "park")
METRIC_FUNCTIONS = ("open_data_rate",)


def _baseline(check: Checker, obj: Any, path: str) -> m.Baseline | None:
    raw = obj.get("baseline") if isinstance(obj, dict) else None
    if raw is None:
        return None
    where = f"{path}.baseline"
    if not check.mapping(where, check.line_of(obj, "baseline"), raw):
        return None
    check.unknown(raw, {"year", "value", "text"}, where)
    year = check.field(raw, "year", where, "int")
    if "value" not in raw:
        check.error(raw.line, f"{where}.value", "缺少必填字段 (required; write null for a '/' baseline)")
    value = check.field(raw, "value", where, "number?", required=False)
    text = check.field(raw, "text", where, "str", required=False)
    return m.Baseline(year=year or 0, value=value, text=text)


def _target(check: Checker, obj: Any, path: str) -> m.Target | None:
    raw = check.field(obj, "target", path, "map")
    if raw is None:
        return None
    where = f"{path}.target"
    check.unknown(raw, {"year", "value", "upper", "text"}, where)
    year = check.field(raw, "year", where, "int")
    value = check.field(raw, "value", where, "number")
    upper = check.field(raw, "upper", where, "number", required=False)
    text = check.field(raw, "text", where, "str", required=False)
    if value is not None and upper is not None and upper < value:
        check.error(check.line_of(raw, "upper"), f"{where}.upper", "上限小于目标值 (upper < value)")
    if year is None or value is None:
        return None
    return m.Target(year=year, value=value, upper=upper, text=text)


def _indicator(check: Checker, raw: Any, where: str, line: int, kind: str,
               section: str = "") -> m.Indicator | None:
    if not check.mapping(where, line, raw):
        return None
    check.unknown(raw, INDICATOR_KEYS, where)
    ind_id = check.field(raw, "id", where, "id")
    name = check.field(raw, "name", where, "str")
    unit = check.field(raw, "unit", where, "str")
    baseline = _baseline(check, raw, where)
    target = _target(check, raw, where)
    periods = check.strings(raw, "periods", where) or ("year",)
    for p in periods:
        if p not in m.PERIOD_KINDS:
            check.error(check.line_of(raw, "periods"), f"{where}.periods",
                        f"周期须为 {' | '.join(m.PERIOD_KINDS)}, got {p!r}")
    source = check.field(raw, "source", where, "str", required=False, default="manual")
    decimals = check.field(raw, "decimals", where, "int", required=False)
    fields = dict(
        short_name=check.field(raw, "short_name", where, "str", required=False, default=""),
        category=check.field(raw, "category", where, "id", required=kind == "main"),
        direction=check.field(raw, "direction", where, "str", required=False, default="higher",
                              choices=m.DIRECTIONS),
        target_kind=check.field(raw, "target_kind", where, "str", required=False, default="at_least",
                                choices=m.TARGET_KINDS),
        department=check.field(raw, "department", where, "str", required=False),
        measure=check.field(raw, "measure", where, "str", required=False, default="stock",
                            choices=m.MEASURES),
        section=check.field(raw, "section", where, "str", required=False, default=section),
        note=check.field(raw, "note", where, "str", required=False, default=""),
    )
    if baseline is not None and target is not None and baseline.year >= target.year:
        check.error(check.line_of(raw, "target"), f"{where}.target.year",
                    f"目标年须晚于基期 (target year must follow the baseline year {baseline.year})")
    value_range = _value_range(check, raw, where)
    whole = check.field(raw, "whole", where, "bool", required=False)
    continues = _continues(check, raw, where)
    if ind_id is None or name is None or unit is None or target is None:
        return None
    return m.Indicator(id=ind_id, name=name, unit=unit, target=target, kind=kind, baseline=baseline,
                       metric=None if source == "manual" else source, periods=tuple(periods),
                       decimals=decimals, value_range=value_range, whole=whole, continues=continues,
                       **fields)


def _value_range(check: Checker, raw: Any, where: str) -> tuple[float | None, float | None] | None:
    """``value_range: [min, max]`` (either may be null): the bounds an entered value must respect."""
    spec = raw.get("value_range")
    if spec is None:
        return None
    line = check.line_of(raw, "value_range")
    ok = isinstance(spec, list) and len(spec) == 2 and all(
        v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in spec)
    if not ok or (spec[0] is not None and spec[1] is not None and spec[1] < spec[0]):
        check.error(line, f"{where}.value_range", f"须为 [下限, 上限] (write [min, max], null for none), got {spec!r}")
        return None
    return (None if spec[0] is None else float(spec[0]), None if spec[1] is None else float(spec[1]))


def _continues(check: Checker, raw: Any, where: str) -> tuple[str, str] | None:
    """``continues: {plan, indicator}``: the earlier plan's indicator this one carries on."""
    spec = raw.get("continues")
    if spec is None:
        return None
    path = f"{where}.continues"
    if not check.mapping(path, check.line_of(raw, "continues"), spec):
        return None
    check.unknown(spec, {"plan", "indicator"}, path)
    plan_id = check.field(spec, "plan", path, "id")
    ind_id = check.field(spec, "indicator", path, "id")
    return (plan_id, ind_id) if plan_id and ind_id else None


def _zone(check: Checker, raw: Any, where: str, line: int) -> m.Zone | None:
    if not check.mapping(where, line, raw):
        return None
    check.unknown(raw, ZONE_KEYS, where)
    zid = check.field(raw, "id", where, "id")
    name = check.field(raw, "name", where, "str")
    kind = check.field(raw, "kind", where, "str", choices=ZONE_KINDS)
    towns = check.strings(raw, "towns", where)
    if not towns:
        check.error(check.line_of(raw, "towns"), f"{where}.towns", "至少一个镇街 (at least one town)")
    if None in (zid, name, kind):
        return None
    return m.Zone(
        id=zid, name=name, kind=kind, towns=towns,
        towns_from_text=check.field(raw, "towns_from_text", where, "bool", required=False, default=False),
        focus_industries=check.strings(raw, "focus_industries", where),
        platforms=check.strings(raw, "platforms", where),
        lead_enterprises=check.strings(raw, "lead_enterprises", where),
        goal=check.field(raw, "goal", where, "str", required=False, default=""),
        indicators=check.strings(raw, "indicators", where),
        note=check.field(raw, "note", where, "str", required=False, default=""),
    )


def _task(check: Checker, raw: Any, where: str, line: int) -> m.Task | None:
    if not check.mapping(where, line, raw):
        return None
    check.unknown(raw, TASK_KEYS, where)
    tid = check.field(raw, "id", where, "id")
    number = check.field(raw, "number", where, "str")
    title = check.field(raw, "title", where, "str")
    subs = [_task(check, item, w, ln) for w, ln, item in check.items(raw, "subtasks", where)]
    if None in (tid, number, title):
        return None
    return m.Task(id=tid, number=number, title=title, subtasks=tuple(s for s in subs if s),
                  indicators=check.strings(raw, "indicators", where),
                  projects=check.strings(raw, "projects", where))


def _project(check: Checker, raw: Any, where: str, line: int,
             targets_out: list[m.Indicator]) -> m.Project | None:
    if not check.mapping(where, line, raw):
        return None
    check.unknown(raw, PROJECT_KEYS, where)
    pid = check.field(raw, "id", where, "id")
    number = check.field(raw, "number", where, "int")
    title = check.field(raw, "title", where, "str")
    items: list[m.ProjectItem] = []
    for w, ln, item in check.items(raw, "items", where):
        if check.mapping(w, ln, item):
            check.unknown(item, {"name", "description"}, w)
            nm = check.field(item, "name", w, "str")
            if nm:
                items.append(m.ProjectItem(nm, check.field(item, "description", w, "str", required=False,
                                                           default="")))
    target_ids: list[str] = []
    for w, ln, item in check.items(raw, "targets", where):
        ind = _indicator(check, item, w, ln, "project", section=f"专栏{number}" if number else "")
        if ind:
            targets_out.append(ind)
            target_ids.append(ind.id)
    milestones: list[m.Milestone] = []
    for w, ln, item in check.items(raw, "milestones", where):
        if check.mapping(w, ln, item):
            check.unknown(item, {"year", "text", "indicator"}, w)
            year = check.field(item, "year", w, "int")
            text = check.field(item, "text", w, "str")
            if year and text:
                milestones.append(m.Milestone(year, text, check.field(item, "indicator", w, "id",
                                                                       required=False)))
    if None in (pid, number, title):
        return None
    return m.Project(id=pid, number=number, title=title,
                     task=check.field(raw, "task", where, "id", required=False),
                     items=tuple(items), targets=tuple(target_ids), milestones=tuple(milestones))


def _metric(check: Checker, raw: Any, where: str, line: int) -> m.Metric | None:
    if not check.mapping(where, line, raw):
        return None
    check.unknown(raw, METRIC_KEYS, where)
    mid = check.field(raw, "id", where, "id")
    title = check.field(raw, "title", where, "str")
    kind = check.field(raw, "kind", where, "str", required=False, default="sql", choices=("sql", "catalog"))
    sql = check.field(raw, "sql", where, "str", required=kind == "sql", default="")
    datasets = check.strings(raw, "datasets", where)
    function = check.field(raw, "function", where, "str", required=kind == "catalog", default="",
                           choices=METRIC_FUNCTIONS if kind == "catalog" else ())
    if kind == "sql" and not datasets:
        check.error(check.line_of(raw, "datasets"), f"{where}.datasets",
                    "须列出 SQL 读取的数据集 (list the datasets the SQL reads, for lineage)")
    if kind == "sql" and sql:
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head not in ("SELECT", "WITH"):
            check.error(check.line_of(raw, "sql"), f"{where}.sql",
                        "须为一条 SELECT/WITH 查询 (one SELECT or WITH statement)")
    by_code = _code_caliber(check, raw, where, datasets) if kind == "sql" else None
    if None in (mid, title):
        return None
    return m.Metric(id=mid, title=title, kind=kind, sql=sql, datasets=datasets, function=function,
                    decimals=check.field(raw, "decimals", where, "int", required=False),
                    note=check.field(raw, "note", where, "str", required=False, default=""),
                    by_industry_code=by_code)


def _code_caliber(check: Checker, raw: Any, where: str, datasets: tuple[str, ...]) -> m.CodeCaliber | None:
    """``by_industry_code: {dataset, column, sql}`` — the metric by GB/T 4754 code where data has codes."""
    block = check.field(raw, "by_industry_code", where, "map", required=False)
    if block is None:
        return None
    here = f"{where}.by_industry_code"
    check.unknown(block, {"dataset", "column", "sql"}, here)
    dataset = check.field(block, "dataset", here, "str")
    column = check.field(block, "column", here, "str")
    sql = check.field(block, "sql", here, "str")
    if dataset is not None and dataset not in datasets:
        check.error(check.line_of(block, "dataset"), f"{here}.dataset",
                    "须为该度量 datasets 中的一个 (must be one of the metric's datasets)")
    if sql and sql.lstrip().split(None, 1)[0].upper() not in ("SELECT", "WITH"):
        check.error(check.line_of(block, "sql"), f"{here}.sql", "须为一条 SELECT/WITH 查询 (one SELECT or WITH statement)")
    if dataset is None or column is None or not sql:
        return None
    return m.CodeCaliber(dataset=dataset, column=column, sql=sql)


def _index(check: Checker, raw: Any) -> m.IndexConfig | None:
    if raw is None:
        return None
    where = "index"
    if not check.mapping(where, getattr(raw, "line", 0), raw):
        return None
    check.unknown(raw, {"name", "scale", "official_indicator", "note", "dimensions"}, where)
    dims: list[m.IndexDimension] = []
    for w, ln, d in check.items(raw, "dimensions", where, required=True):
        if not check.mapping(w, ln, d):
            continue
        check.unknown(d, {"id", "name", "weight", "components"}, w)
        comps: list[m.IndexComponent] = []
        for cw, cln, c in check.items(d, "components", w, required=True):
            if not check.mapping(cw, cln, c):
                continue
            check.unknown(c, {"indicator", "weight", "normalisation", "low", "high", "cap"}, cw)
            ind = check.field(c, "indicator", cw, "id")
            norm = check.field(c, "normalisation", cw, "str", required=False, default="target_ratio",
                               choices=m.NORMALISATIONS)
            low = check.field(c, "low", cw, "number", required=norm == "minmax")
            high = check.field(c, "high", cw, "number", required=norm == "minmax")
            if norm == "minmax" and low is not None and high is not None and high <= low:
                check.error(check.line_of(c, "high"), f"{cw}.high", "high 须大于 low (high must exceed low)")
            weight = check.field(c, "weight", cw, "number", required=False, default=1.0)
            if weight is not None and weight < 0:
                check.error(check.line_of(c, "weight"), f"{cw}.weight", "权重不能为负 (negative weight)")
            if ind:
                comps.append(m.IndexComponent(ind, weight or 0.0, norm or "target_ratio", low, high,
                                              check.field(c, "cap", cw, "number", required=False,
                                                          default=1.0)))
        did = check.field(d, "id", w, "id")
        dname = check.field(d, "name", w, "str")
        dweight = check.field(d, "weight", w, "number", required=False, default=1.0)
        if did and dname:
            dims.append(m.IndexDimension(did, dname, dweight or 0.0, tuple(comps)))
    return m.IndexConfig(
        name=check.field(raw, "name", where, "str", required=False, default="综合指数"),
        dimensions=tuple(dims),
        scale=check.field(raw, "scale", where, "number", required=False, default=100.0),
        official_indicator=check.field(raw, "official_indicator", where, "id", required=False),
        note=check.field(raw, "note", where, "str", required=False, default=""),
    )


def _status_rules(check: Checker, raw: Any) -> m.StatusRules:
    if raw is None:
        return m.StatusRules()
    if not check.mapping("status_rules", getattr(raw, "line", 0), raw):
        return m.StatusRules()
    defaults = m.StatusRules()
    keys = {"largely_met", "on_track", "exact_tolerance", "about_tolerance"}
    check.unknown(raw, keys, "status_rules")
    values = {k: check.field(raw, k, "status_rules", "number", required=False, default=getattr(defaults, k))
              for k in keys}
    return m.StatusRules(**values)


def _entry_rules(check: Checker, raw: Any) -> m.EntryRules:
    defaults = m.EntryRules()
    if raw is None or not check.mapping("entry_rules", getattr(raw, "line", 0), raw):
        return defaults
    check.unknown(raw, {"jump_factor", "final_after_days"}, "entry_rules")
    factor = check.field(raw, "jump_factor", "entry_rules", "number", required=False, default=defaults.jump_factor)
    if factor is not None and factor <= 1:
        check.error(check.line_of(raw, "jump_factor"), "entry_rules.jump_factor", "须大于 1 (must exceed 1)")
        factor = defaults.jump_factor
    days = check.field(raw, "final_after_days", "entry_rules", "int", required=False,
                       default=defaults.final_after_days)
    return m.EntryRules(jump_factor=factor, final_after_days=max(0, days))


def _check_references(check: Checker, data: dict[str, Any], plan: m.Plan) -> None:
    """Cross-references are checked on the model; errors get the line of the object they name."""

    def error(owner: str, path: str, message: str) -> None:
        check.error(_find_id_line(data, owner) or 1, path, message)

    seen: set[str] = set()
    for ind in plan.all_indicators():
        if ind.id in seen:
            error(ind.id, f"{ind.id}", "指标编号重复 (duplicate indicator id)")
        seen.add(ind.id)
    known = seen
    cats = {c.id for c in plan.categories}
    metrics = {mt.id for mt in plan.metrics}
    depts = {d.code for d in plan.departments}
    for ind in plan.all_indicators():
        if ind.category is not None and ind.category not in cats:
            error(ind.id, f"{ind.id}.category", f"未定义的类别 (unknown category) {ind.category!r}")
        if ind.metric is not None and ind.metric not in metrics:
            error(ind.id, f"{ind.id}.source",
                  f"未定义的度量 (unknown metric) {ind.metric!r}; 手工填报写 manual (use 'manual')")
        if ind.department is not None and depts and ind.department not in depts:
            error(ind.id, f"{ind.id}.department", f"未定义的部门 (unknown department) {ind.department!r}")
    for zone in plan.zones:
        for ref in zone.indicators:
            if ref not in known:
                error(zone.id, f"zones.{zone.id}.indicators", f"未定义的指标 (unknown indicator) {ref!r}")
    projects = {p.id for p in plan.projects}
    tasks = {t.id for t in plan.all_tasks()}
    for task in plan.all_tasks():
        for ref in task.indicators:
            if ref not in known:
                error(task.id, f"tasks.{task.id}.indicators", f"未定义的指标 (unknown indicator) {ref!r}")
        for ref in task.projects:
            if ref not in projects:
                error(task.id, f"tasks.{task.id}.projects", f"未定义的专栏 (unknown project) {ref!r}")
    for proj in plan.projects:
        if proj.task is not None and proj.task not in tasks:
            error(proj.id, f"projects.{proj.id}.task", f"未定义的任务 (unknown task) {proj.task!r}")
        for ms in proj.milestones:
            if ms.indicator is not None and ms.indicator not in known:
                error(proj.id, f"projects.{proj.id}.milestones",
                      f"未定义的指标 (unknown indicator) {ms.indicator!r}")
    if plan.index is not None:
        for dim in plan.index.dimensions:
            for comp in dim.components:
                if comp.indicator not in known:
                    error(dim.id, f"index.{dim.id}", f"未定义的指标 (unknown indicator) {comp.indicator!r}")
        official = plan.index.official_indicator
        if official and official not in known:
            check.error(getattr(data.get("index"), "line", 1), "index.official_indicator",
                        f"未定义的指标 (unknown indicator) {official!r}")


def _find_id_line(node: Any, ident: str) -> int | None:
    if isinstance(node, dict):
        if node.get("id") == ident:
            return getattr(node, "line", None)
        for value in node.values():
            found = _find_id_line(value, ident)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find_id_line(value, ident)
            if found:
                return found
    return None


def build_plan(data: dict[str, Any], check: Checker, *, path: Path | None = None,
               origin: str = "bundled") -> m.Plan | None:
    """Build the model from parsed YAML, recording every problem in ``check``."""
    check.unknown(data, PLAN_KEYS, "")
    plan_id = check.field(data, "id", "", "id")
    title = check.field(data, "title", "", "str")
    period = check.field(data, "period", "", "map")
    start = end = None
    if period is not None:
        check.unknown(period, {"start", "end"}, "period")
        start = check.field(period, "start", "period", "int")
        end = check.field(period, "end", "period", "int")
        if start and end and end < start:
            check.error(check.line_of(period, "end"), "period.end", "结束年早于开始年 (end before start)")
    baseline_year = check.field(data, "baseline_year", "", "int", required=False,
                                default=(start - 1) if start else None)
    departments = []
    for w, ln, item in check.items(data, "departments", ""):
        if check.mapping(w, ln, item):
            check.unknown(item, {"code", "name"}, w)
            code, name = check.field(item, "code", w, "id"), check.field(item, "name", w, "str")
            if code and name:
                departments.append(m.Department(code, name))
    categories = []
    for w, ln, item in check.items(data, "categories", "", required=True):
        if check.mapping(w, ln, item):
            check.unknown(item, {"id", "name"}, w)
            cid, name = check.field(item, "id", w, "id"), check.field(item, "name", w, "str")
            if cid and name:
                categories.append(m.Category(cid, name))
    indicators = [_indicator(check, item, w, ln, "main", "主要目标表")
                  for w, ln, item in check.items(data, "indicators", "", required=True)]
    targets = [_indicator(check, item, w, ln, "text") for w, ln, item in check.items(data, "targets", "")]
    zones = [_zone(check, item, w, ln) for w, ln, item in check.items(data, "zones", "")]
    tasks = [_task(check, item, w, ln) for w, ln, item in check.items(data, "tasks", "")]
    project_targets: list[m.Indicator] = []
    projects = [_project(check, item, w, ln, project_targets)
                for w, ln, item in check.items(data, "projects", "")]
    metrics = [_metric(check, item, w, ln) for w, ln, item in check.items(data, "metrics", "")]
    facts = []
    for w, ln, item in check.items(data, "facts", ""):
        if check.mapping(w, ln, item):
            check.unknown(item, {"id", "name", "value", "unit", "year", "note"}, w)
            vals = (check.field(item, "id", w, "id"), check.field(item, "name", w, "str"),
                    check.field(item, "value", w, "number"), check.field(item, "unit", w, "str"),
                    check.field(item, "year", w, "int"))
            if None not in vals:
                facts.append(m.Fact(*vals, note=check.field(item, "note", w, "str", required=False,
                                                            default="")))
    index = _index(check, data.get("index"))
    rules = _status_rules(check, data.get("status_rules"))
    entry_rules = _entry_rules(check, data.get("entry_rules"))
    if plan_id is None or title is None or start is None or end is None or baseline_year is None:
        return None
    plan = m.Plan(
        id=plan_id, title=title, start_year=start, end_year=end, baseline_year=baseline_year,
        categories=tuple(categories), indicators=tuple(i for i in indicators if i),
        targets=tuple(i for i in [*targets, *project_targets] if i), zones=tuple(z for z in zones if z),
        tasks=tuple(t for t in tasks if t), projects=tuple(p for p in projects if p),
        metrics=tuple(mt for mt in metrics if mt), index=index, facts=tuple(facts),
        departments=tuple(departments), status_rules=rules, entry_rules=entry_rules,
        issuer=check.field(data, "issuer", "", "str", required=False, default=""),
        source_text=check.field(data, "source_text", "", "str", required=False, default=""),
        description=check.field(data, "description", "", "str", required=False, default=""),
        path=path, origin=origin,
    )
    _check_references(check, data, plan)
    return plan
