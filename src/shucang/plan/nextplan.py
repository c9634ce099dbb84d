"""More than one plan: which one is current, series that run across plans, and the next plan's template.

- The default plan is the one whose period contains today, else the most recent one (latest end).
- An indicator may declare ``continues: {plan, indicator}``; its series then starts with the earlier
  plan's values (2020 → 2030 across 十四五 and 十五五), each point marked with the plan it belongs to.
- ``new_plan_from`` copies a plan's structure — departments, categories, indicators (with their
  units, directions, metrics), tasks, 专栏 and metrics — without any figure: no baselines, targets,
  facts, values; every indicator ``continues`` its namesake, so the series join up once the new
  plan's figures are written in. It invents no content: targets are left for the county to fill in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from shucang.errors import Conflict, InputError
from shucang.plan.loader import default_plan_id, discover_plans, parse_plan
from shucang.plan.model import Indicator, Plan
from shucang.plan.store import read_values

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

__all__ = ["continued_series", "default_plan_id", "new_plan_from", "write_new_plan"]


def continued_series(wh: Warehouse, plan: Plan, ind: Indicator, *, depth: int = 5) -> list[dict[str, Any]]:
    """Yearly points of the earlier plans this indicator continues (oldest first), with their plan id."""
    points: list[dict[str, Any]] = []
    link = ind.continues
    plans = discover_plans(getattr(getattr(wh, "settings", None), "home", None)) if link else {}
    seen = {plan.id}
    while link is not None and depth > 0 and link[0] in plans and link[0] not in seen:
        earlier = plans[link[0]]
        seen.add(earlier.id)
        try:
            prev = earlier.indicator(link[1])
        except Exception:  # noqa: BLE001 — a dangling link shows nothing rather than failing the page
            break
        rows = [r for r in read_values(wh.engine, earlier.id, [prev.id]) if r.period_kind == "year"]
        own: list[dict[str, Any]] = [{"year": r.year, "value": r.value, "plan": earlier.id} for r in rows]
        if prev.baseline is not None and prev.baseline.value is not None and \
                prev.baseline.year not in {p["year"] for p in own}:
            own.append({"year": prev.baseline.year, "value": prev.baseline.value, "plan": earlier.id})
        points = sorted(own, key=lambda p: int(p["year"])) + points
        link, depth = prev.continues, depth - 1
    return points


def new_plan_from(source: Plan, new_id: str, *, title: str | None = None, start: int | None = None,
                  end: int | None = None) -> str:
    """YAML text of a new plan with ``source``'s structure and none of its figures (see module doc)."""
    length = source.end_year - source.start_year
    start = start if start is not None else source.end_year + 1
    end = end if end is not None else start + length
    if end < start:
        raise InputError("结束年早于开始年 (end before start)")
    target_year = end

    def indicator(ind: Indicator) -> dict[str, Any]:
        out: dict[str, Any] = {"id": ind.id, "name": ind.name}
        if ind.short_name:
            out["short_name"] = ind.short_name
        if ind.category:
            out["category"] = ind.category
        out["unit"] = ind.unit
        out["baseline"] = {"year": start - 1, "value": None, "text": "待填（上期期末值）"}
        out["target"] = {"year": target_year, "value": None, "text": "待定（按新规划文本填写）"}
        for key, default in (("direction", "higher"), ("target_kind", "at_least"), ("measure", "stock")):
            if getattr(ind, key) != default:
                out[key] = getattr(ind, key)
        if ind.department:
            out["department"] = ind.department
        if ind.metric:
            out["source"] = ind.metric
        if ind.periods != ("year",):
            out["periods"] = list(ind.periods)
        out["continues"] = {"plan": source.id, "indicator": ind.id}
        return out

    def task(t: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"id": t.id, "number": t.number, "title": t.title}
        if t.subtasks:
            out["subtasks"] = [task(s) for s in t.subtasks]
        if t.projects:
            out["projects"] = list(t.projects)
        return out

    doc: dict[str, Any] = {
        "id": new_id,
        "title": title or f"{source.title}（下一期，待编制）",
        "issuer": source.issuer,
        "description": f"由 {source.id} 复制结构生成的模板：只有结构，没有任何数值。基期值与目标值须按新规划文本填写。",
        "period": {"start": start, "end": end},
        "departments": [{"code": d.code, "name": d.name} for d in source.departments],
        "categories": [{"id": c.id, "name": c.name} for c in source.categories],
        "indicators": [indicator(i) for i in source.indicators],
        "tasks": [task(t) for t in source.tasks],
        "projects": [{"id": p.id, "number": p.number, "title": p.title,
                      **({"task": p.task} if p.task else {}),
                      "items": [{"name": it.name, **({"description": it.description} if it.description else {})}
                                for it in p.items]} for p in source.projects],
        "metrics": [_metric(m) for m in source.metrics],
    }
    header = (f"# 由 `shucang plan new --from {source.id} {new_id}` 生成：复制 {source.id} 的结构，不含任何数值。\n"
              "# 每个 target.value 均为 null（待填）：按新规划文本填写后，`shucang plan add` 才会接受此文件。\n")
    text: str = header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    filled = yaml.safe_dump({**doc, "indicators": [{**i, "target": {**i["target"], "value": 1}}
                                                   for i in doc["indicators"]]}, allow_unicode=True)
    parse_plan(filled, f"{new_id}.yaml")  # once its targets are written in, the draft must load
    return text


def _metric(m: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "title": m.title}
    if m.kind != "sql":
        out["kind"] = m.kind
    if m.sql:
        out["sql"] = m.sql
    if m.datasets:
        out["datasets"] = list(m.datasets)
    if m.function:
        out["function"] = m.function
    if m.decimals is not None:
        out["decimals"] = m.decimals
    return out


def write_new_plan(home: Path, source: Plan, new_id: str, out: Path | None = None, **kw: Any) -> Path:
    """Write the draft (default ``<home>/plan-drafts/NEW_ID.yaml``; not monitored until ``plan add``)."""
    if new_id in discover_plans(home):
        raise Conflict(f"已有编号为 {new_id!r} 的规划 (a plan with this id exists)")
    text = new_plan_from(source, new_id, **kw)
    target = out if out is not None else home / "plan-drafts" / f"{new_id}.yaml"
    if target.exists():
        raise Conflict(f"文件已存在 (file exists): {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
