"""The project register of the 专栏: who runs each item, when, with what money, how far, and the proof.

Six of the Cixi plan's twelve 专栏 (among them 专栏10 数据仓 and 专栏11 城市大脑) state no number, so
their progress can only come from the register: every item carries 责任单位, start/end, planned and
actual investment (万元), progress %, dated milestones, a status (未开工/在建/完成/滞后) and evidence
(text, link, file). A 专栏's status — and a task's — follows from its items (:func:`rollup_status`).
Departments also write 滞后原因与下一步措施 for lagging indicators (:func:`explain`). Every write is
recorded on the share stage's audit chain and refused once the plan is closed.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.errors import InputError
from shucang.plan.lifecycle import _audit, ensure_open
from shucang.plan.model import Plan, Project
from shucang.plan.records import (
    aware,
    ensure_lifecycle_schema,
    now,
    plan_item_milestones,
    plan_items,
    plan_lag_notes,
)
from shucang.plan.validation import check_editor, parse_number

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

ITEM_STATUSES = {"not_started": "未开工", "in_progress": "在建", "done": "完成", "lagging": "滞后"}
NO_RECORD = "no_record"
STATUS_LABELS = {**ITEM_STATUSES, NO_RECORD: "未登记"}
_BY_LABEL = {v: k for k, v in ITEM_STATUSES.items()}


def status_code(text: str | None) -> str | None:
    """'在建' or 'in_progress' → 'in_progress'; None stays None; anything else is an InputError."""
    if text is None or not str(text).strip():
        return None
    t = str(text).strip()
    if t in ITEM_STATUSES:
        return t
    if t in _BY_LABEL:
        return _BY_LABEL[t]
    raise InputError(f"状态须为 未开工/在建/完成/滞后 (status must be one of them), got {t!r}")


def _date(value: Any, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    if len(text) == 7:  # 2024-06: the first of the month
        text += "-01"
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(f"{what}须为日期 YYYY-MM-DD (a date), got {value!r}") from None


def find_item(plan: Plan, project_id: str, item: str) -> tuple[Project, str]:
    """The 专栏 and the item's name; ``item`` may be the name or its 1-based number."""
    project = plan.project(project_id)
    names = [i.name for i in project.items]
    if item.strip().isdigit() and 1 <= int(item) <= len(names):
        return project, names[int(item) - 1]
    if item.strip() in names:
        return project, item.strip()
    raise InputError(f"专栏{project.number} 没有项目 {item!r} (no such item); 现有 (items): {'、'.join(names) or '无'}")


def derive_status(progress: float | None, end: date | None, today: date) -> str:
    """Status when none is given: 完成 at 100 %, 滞后 past its end, 在建 once started, else 未开工."""
    if progress is not None and progress >= 100:
        return "done"
    if end is not None and end < today:
        return "lagging"
    return "in_progress" if progress else "not_started"


def set_item(wh: Warehouse, plan: Plan, project_id: str, item: str, *, actor: str, editor: Any = None,
             today: date | None = None, **fields: Any) -> dict[str, Any]:
    """Create or update one item of the register (only the fields given change); audited."""
    ensure_open(wh, plan.id)
    _check_register_editor(plan, editor)
    project, name = find_item(plan, project_id, item)
    ensure_lifecycle_schema(wh.engine)
    t = plan_items
    key = (t.c.plan_id == plan.id) & (t.c.project_id == project.id) & (t.c.item == name)
    with wh.engine.connect() as conn:
        old = conn.execute(sa.select(t).where(key)).first()
    current = dict(old._mapping) if old is not None else {}
    new = _clean(fields)
    merged = {**{k: current.get(k) for k in _FIELDS}, **new}
    if merged["start"] and merged["end"] and merged["end"] < merged["start"]:
        raise InputError("结束日期早于开始日期 (end before start)")
    if "status" not in new or new["status"] is None:
        merged["status"] = (current.get("status") if "progress" not in new and "end" not in new and current
                            else derive_status(merged["progress"], merged["end"], today or date.today()))
    values = {k: (v if v is not None else ("" if k in _TEXT else None)) for k, v in merged.items()}
    values.update(updated_by=actor.strip(), updated_at=now())
    with wh.engine.begin() as conn:
        if old is None:
            conn.execute(t.insert().values(plan_id=plan.id, project_id=project.id, item=name, **values))
        else:
            conn.execute(t.update().where(key).values(**values))
    _audit(wh, actor, "plan.register", plan=plan.id, project=project.id, item=name,
           changes={k: str(v) for k, v in new.items()})
    return next(i for i in items(wh, plan.id, project.id) if i["item"] == name)


_FIELDS = ("unit", "start", "end", "planned_investment", "actual_investment", "progress", "status",
           "evidence_text", "evidence_link", "evidence_file")
_TEXT = ("unit", "evidence_text", "evidence_link", "evidence_file")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key not in _FIELDS:
            raise InputError(f"未知字段 (unknown field) {key!r}")
        if key in ("start", "end"):
            out[key] = _date(value, "开始日期" if key == "start" else "结束日期")
        elif key in ("planned_investment", "actual_investment", "progress"):
            number = parse_number(value)
            if number is not None and number < 0:
                raise InputError(f"{key} 不能为负 (must not be negative)")
            if key == "progress" and number is not None and number > 100:
                raise InputError("进度须在 0–100 之间 (progress is a percentage)")
            out[key] = number
        elif key == "status":
            out[key] = status_code(value)
        elif key == "evidence_link":
            link = str(value).strip()
            if link and not link.startswith(("http://", "https://")):
                raise InputError("佐证链接须以 http:// 或 https:// 开头 (a web link)")
            out[key] = link
        else:
            out[key] = str(value).strip()
    return out


def _check_register_editor(plan: Plan, editor: Any) -> None:
    if editor is None:
        return
    from shucang.errors import PermissionDenied

    if getattr(editor, "role", None) not in ("admin", "steward"):
        raise PermissionDenied("只有管理员或数据管理员可以登记项目 (admins and stewards only)")


def store_evidence(wh: Warehouse, plan: Plan, project_id: str, source: Path) -> str:
    """Copy an evidence file under ``<home>/plan-evidence/PLAN/PROJECT/`` and return its relative path."""
    if not source.is_file():
        raise InputError(f"佐证文件不存在 (evidence file not found): {source}")
    target_dir = Path(wh.settings.home) / "plan-evidence" / plan.id / project_id
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    tmp = target.with_name(target.name + ".part")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    return str(target.relative_to(Path(wh.settings.home)))


def add_milestone(wh: Warehouse, plan: Plan, project_id: str, item: str, due: Any, text: str, *, actor: str,
                  done: Any = None, editor: Any = None) -> dict[str, Any]:
    """A dated milestone of an item (``done``: the date it was reached)."""
    ensure_open(wh, plan.id)
    _check_register_editor(plan, editor)
    project, name = find_item(plan, project_id, item)
    when = _date(due, "里程碑日期")
    if when is None or not text.strip():
        raise InputError("里程碑须有日期和内容 (a milestone needs a date and a text)")
    ensure_lifecycle_schema(wh.engine)
    row = {"plan_id": plan.id, "project_id": project.id, "item": name, "due": when, "text": text.strip(),
           "done": _date(done, "完成日期")}
    with wh.engine.begin() as conn:
        conn.execute(plan_item_milestones.insert().values(**row))
    _audit(wh, actor, "plan.milestone", plan=plan.id, project=project.id, item=name, due=str(when), text=text)
    return {k: (str(v) if isinstance(v, date) else v) for k, v in row.items()}


def items(wh: Warehouse, plan_id: str, project_id: str | None = None) -> list[dict[str, Any]]:
    """Registered items (with their milestones), in project and item order."""
    ensure_lifecycle_schema(wh.engine)
    t, m = plan_items, plan_item_milestones
    stmt = sa.select(t).where(t.c.plan_id == plan_id)
    mstmt = sa.select(m).where(m.c.plan_id == plan_id)
    if project_id is not None:
        stmt, mstmt = stmt.where(t.c.project_id == project_id), mstmt.where(m.c.project_id == project_id)
    with wh.engine.connect() as conn:
        rows = conn.execute(stmt.order_by(t.c.project_id, t.c.item)).all()
        stones = conn.execute(mstmt.order_by(m.c.due, m.c.id)).all()
    by_item: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in stones:
        by_item.setdefault((s.project_id, s.item), []).append(
            {"due": s.due.isoformat(), "text": s.text, "done": s.done.isoformat() if s.done else None})
    out = []
    for r in rows:
        d = dict(r._mapping)
        d.pop("plan_id")
        d["project"] = d.pop("project_id")
        d["start"] = r.start.isoformat() if r.start else None
        d["end"] = r.end.isoformat() if r.end else None
        d["status_label"] = ITEM_STATUSES.get(r.status, r.status)
        d["updated_at"] = aware(r.updated_at).isoformat()
        d["milestones"] = by_item.get((r.project_id, r.item), [])
        out.append(d)
    return out


def rollup_status(statuses: list[str], expected: int) -> str:
    """A 专栏's (or task's) status from its items': 滞后 if any lags, 完成 when all are done, 在建 once
    any started, 未开工 otherwise; 未登记 when nothing is registered."""
    if not statuses:
        return NO_RECORD
    if "lagging" in statuses:
        return "lagging"
    if len(statuses) >= expected and all(s == "done" for s in statuses):
        return "done"
    if any(s in ("in_progress", "done") for s in statuses):
        return "in_progress"
    return "not_started"


def project_register(wh: Warehouse, plan: Plan) -> list[dict[str, Any]]:
    """Every 专栏 with its items (registered or not), investment totals and derived status."""
    registered: dict[tuple[str, str], dict[str, Any]] = {(i["project"], i["item"]): i for i in items(wh, plan.id)}
    out = []
    for p in plan.projects:
        rows: list[dict[str, Any]] = []
        for it in p.items:
            rec = registered.get((p.id, it.name))
            rows.append({"name": it.name, "description": it.description, "record": rec})
        recs: list[dict[str, Any]] = [r["record"] for r in rows if r["record"]]
        status = rollup_status([r["status"] for r in recs], len(p.items))
        planned = [r["planned_investment"] for r in recs if r["planned_investment"] is not None]
        actual = [r["actual_investment"] for r in recs if r["actual_investment"] is not None]
        progress = [r["progress"] for r in recs if r["progress"] is not None]
        out.append({"id": p.id, "number": p.number, "title": p.title, "task": p.task, "items": rows,
                    "goals": [{"year": m.year, "text": m.text, "indicator": m.indicator} for m in p.milestones],
                    "quantified": bool(p.targets), "status": status, "status_label": STATUS_LABELS[status],
                    "registered": len(recs), "planned_investment": sum(planned) if planned else None,
                    "actual_investment": sum(actual) if actual else None,
                    "progress": (sum(progress) / len(progress)) if progress else None})
    return out


def task_statuses(plan: Plan, projects: list[dict[str, Any]]) -> dict[str, str]:
    """Each task's status from the items of its 专栏 (tasks name their projects; projects name a task)."""
    by_task: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for p in projects:
        owners = {t.id for t in plan.all_tasks() if p["id"] in t.projects}
        if p["task"]:
            owners.add(p["task"])
        for owner in owners:
            top = owner.split(".")[0]
            for key in {owner, top}:
                by_task.setdefault(key, []).extend(r["record"]["status"] for r in p["items"] if r["record"])
                counts[key] = counts.get(key, 0) + len(p["items"])
    return {t.id: rollup_status(by_task.get(t.id, []), counts.get(t.id, 0)) for t in plan.all_tasks()}


# -- explanations of lagging indicators ------------------------------------------------------------


def explain(wh: Warehouse, plan: Plan, indicator_id: str, *, reason: str, next_steps: str = "", actor: str,
            editor: Any = None) -> dict[str, Any]:
    """Write (or replace) the 滞后原因与下一步措施 of an indicator; the department's own stewards only."""
    ind = plan.indicator(indicator_id)
    check_editor(editor, ind)
    if not reason.strip():
        raise InputError("须写明滞后原因 (a reason is required)")
    ensure_lifecycle_schema(wh.engine)
    t = plan_lag_notes
    key = (t.c.plan_id == plan.id) & (t.c.indicator_id == ind.id)
    at = now()
    row: dict[str, Any] = {"reason": reason.strip()[:4000], "next_steps": next_steps.strip()[:4000],
                           "actor": actor.strip(), "at": at}
    with wh.engine.begin() as conn:
        if conn.execute(sa.select(t.c.indicator_id).where(key)).first() is None:
            conn.execute(t.insert().values(plan_id=plan.id, indicator_id=ind.id, **row))
        else:
            conn.execute(t.update().where(key).values(**row))
    _audit(wh, actor, "plan.explain", plan=plan.id, indicator=ind.id, reason=row["reason"])
    return {"indicator": ind.id, **row, "at": at.isoformat()}


def lag_notes(wh: Warehouse, plan_id: str) -> dict[str, dict[str, Any]]:
    """indicator id → {reason, next_steps, actor, at}."""
    ensure_lifecycle_schema(wh.engine)
    t = plan_lag_notes
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.plan_id == plan_id)).all()
    return {r.indicator_id: {"reason": r.reason, "next_steps": r.next_steps, "actor": r.actor,
                             "at": aware(r.at).isoformat()} for r in rows}
