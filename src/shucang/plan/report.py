"""The plan's evaluation report (规划实施情况终期评估报告) as data, written as DOCX or XLSX.

:func:`report_data` gathers, from the same calls as ``plan status --json``, everything the report
states: overall evaluation, the main target table (baseline, target, final value, completion both as
value ÷ target and as progress from the baseline, status), per-category analysis with each
indicator's series, text targets, tasks and 专栏 from the project register, lagging indicators with
their departments' explanations, data checks (revisions, hand vs computed) and the annex of data
sources and dataset versions. :func:`write_report` renders it (``report_docx`` / ``report_xlsx``);
both write a temporary file and rename it, so a reader never sees half a report.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shucang.errors import InputError
from shucang.plan.analytics import LAGGING, STATUSES
from shucang.plan.model import Plan

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

FORMATS = ("docx", "xlsx")
STATUS_RULE = ("已完成：期末值达到目标（“左右”、区间目标容差5%，“精确”目标容差0.5%）；"
               "基本完成：目标年已到且自基期的进度≥90%，或目标年前年均增速达到所需增速的95%；"
               "滞后：其余情形；无数据：尚无数值。")


def report_data(wh: Warehouse, plan_id: str | None = None, *, today: date | None = None) -> dict[str, Any]:
    """Everything the report shows, as plain data (numbers as numbers)."""
    from shucang.plan import monitor, register
    from shucang.plan.lifecycle import closure
    from shucang.plan.nextplan import continued_series
    from shucang.plan.store import read_values

    plan = monitor.load_plan(wh, plan_id)
    rows = [s.to_dict() for s in monitor.plan_status(wh, plan.id, scope="all")]
    values = read_values(wh.engine, plan.id)
    yearly: dict[str, list[dict[str, Any]]] = {}
    for v in values:
        if v.period_kind == "year":
            yearly.setdefault(v.indicator_id, []).append({"year": v.year, "value": v.value, "plan": plan.id})
    for row in rows:
        ind = plan.indicator(row["id"])
        row["plan_id"] = plan.id
        row["series"] = continued_series(wh, plan, ind) + sorted(yearly.get(ind.id, []), key=lambda p: p["year"])
    main = [r for r in rows if r["kind"] == "main"]
    projects = register.project_register(wh, plan)
    notes = register.lag_notes(wh, plan.id)
    datasets = {d.name: d for d in wh.list_datasets()}
    info = closure(wh, plan.id)
    today = today or date.today()
    return {
        "plan": {"id": plan.id, "title": plan.title, "issuer": plan.issuer, "start": plan.start_year,
                 "end": plan.end_year, "baseline_year": plan.baseline_year},
        "title": _title(plan, today),
        "final": today.year > plan.end_year,
        "generated": today.isoformat(),
        "closure": {k: v for k, v in info.items() if k != "snapshot"} if info else None,
        "status_rule": STATUS_RULE,
        "overall": _overall(main),
        "categories": [{"id": c.id, "name": c.name, "overall": _overall([r for r in main if r["category"] == c.id]),
                        "indicators": [r for r in main if r["category"] == c.id]} for c in plan.categories],
        "main": main,
        "text": [r for r in rows if r["kind"] == "text"],
        "project_targets": [r for r in rows if r["kind"] == "project"],
        "projects": projects,
        "tasks": _tasks(plan, projects, rows),
        "lagging": [{**r, "explanation": notes.get(r["id"])} for r in rows if r["status"] == LAGGING],
        "revisions": [{"id": r["id"], "name": r["name"], **rev} for r in rows for rev in r["revisions"]],
        "disagreements": [{"id": r["id"], "name": r["name"], **d} for r in rows for d in r["disagreements"]],
        "sources": _sources(plan, rows, values, datasets),
        "synthetic": _synthetic(values, datasets),
    }


def _title(plan: Plan, today: date) -> str:
    if today.year > plan.end_year:
        return f"{plan.title}实施情况终期评估报告"
    return f"{plan.title}实施情况评估报告（截至{today.year}年）"


def _overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    comps = [1.0 if r["met"] else max(0.0, min(1.0, r["completion"])) for r in rows if r["completion"] is not None]
    return {"count": len(rows), "by_status": counts,
            "mean_completion": sum(comps) / len(comps) if comps else None}


def _tasks(plan: Plan, projects: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from shucang.plan.register import STATUS_LABELS, task_statuses

    by_status = task_statuses(plan, projects)
    status_of = {r["id"]: r["status"] for r in rows}
    out = []
    for t in plan.tasks:
        inds = t.all_indicators()
        counts = {s: sum(1 for i in inds if status_of.get(i) == s) for s in STATUSES}
        out.append({"id": t.id, "title": f"{t.number}{t.title}", "indicators": len(inds), "by_status": counts,
                    "projects": [f"专栏{p['number']}" for p in projects if p["task"] and p["task"].split(".")[0] == t.id],
                    "register_status": STATUS_LABELS[by_status.get(t.id, "no_record")]})
    return out


def _sources(plan: Plan, rows: list[dict[str, Any]], values: list[Any],
             datasets: dict[str, Any]) -> dict[str, Any]:
    """Annex: where each indicator's figures come from, and every dataset version they were computed on."""
    by_ind: dict[str, list[Any]] = {}
    for v in values:
        by_ind.setdefault(v.indicator_id, []).append(v)
    per_indicator = []
    used: dict[str, set[int]] = {}
    for r in rows:
        own = by_ind.get(r["id"], [])
        versions: dict[str, set[int]] = {}
        for v in own:
            for name, ver in (v.lineage or {}).items():
                if isinstance(ver, int):
                    versions.setdefault(name, set()).add(ver)
                    used.setdefault(name, set()).add(ver)
        metric = plan.metric(r["metric"]) if r["metric"] else None
        per_indicator.append({
            "id": r["id"], "name": r["name"], "method": metric.title if metric else "部门填报",
            "metric": r["metric"], "sources": sorted({v.source for v in own}),
            "versions": "、".join(f"{n} v{'/'.join(map(str, sorted(vs)))}" for n, vs in sorted(versions.items()))
                        or ("目录统计" if metric is not None and metric.kind == "catalog" else ""),
        })
    return {"indicators": per_indicator,
            "datasets": [{"name": name, "title": getattr(datasets.get(name), "title", name) or name,
                          "versions": sorted(vs), "current": getattr(datasets.get(name), "current_version", None),
                          "synthetic": bool(getattr(datasets.get(name), "synthetic", False))}
                         for name, vs in sorted(used.items())]}


def _synthetic(values: list[Any], datasets: dict[str, Any]) -> bool:
    if any(v.source == "synthetic" for v in values):
        return True
    return any(getattr(datasets.get(name), "synthetic", False)
               for v in values for name in (v.lineage or {}))


def write_report(wh: Warehouse, plan_id: str | None, fmt: str, out: str | Path, *,
                 today: date | None = None) -> Path:
    """Write the report as ``fmt`` (docx | xlsx) to ``out`` atomically; returns the path."""
    if fmt not in FORMATS:
        raise InputError(f"格式须为 docx 或 xlsx (format must be docx or xlsx), got {fmt!r}")
    data = report_data(wh, plan_id, today=today)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    try:
        if fmt == "docx":
            from shucang.plan.report_docx import write_docx

            write_docx(data, tmp)
        else:
            from shucang.plan.report_xlsx import write_xlsx

            write_xlsx(data, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
