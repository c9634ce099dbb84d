"""The project register as an XLSX template: one row per 专栏 item, filled in by departments, imported back.

Import is all or nothing, like value imports: every row is checked first (item names, dates, numbers,
status) and problems come back together as ``file:row [column] value: reason``. Milestones go in one
cell as ``2024-06-30 开工; 2025-10-01 投运`` (a date, a space, the text; separated by ``;``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shucang.errors import InputError, ShucangError
from shucang.plan.model import Plan
from shucang.plan.register import _clean, add_milestone, find_item, items, set_item

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

SHEET = "项目登记"
COLUMNS = (("project", "专栏编号"), ("project_title", "专栏"), ("item", "项目"), ("unit", "责任单位"),
           ("start", "开始日期"), ("end", "结束日期"), ("planned_investment", "计划投资（万元）"),
           ("actual_investment", "实际完成投资（万元）"), ("progress", "进度（%）"), ("status", "状态"),
           ("evidence_text", "佐证说明"), ("evidence_link", "佐证链接"), ("milestones", "里程碑"))


def export_register(wh: Warehouse, path: str | Path, plan: Plan) -> Path:
    """Write the register template with what is registered so far (atomic: temp file + rename)."""
    import xlsxwriter

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    registered = {(i["project"], i["item"]): i for i in items(wh, plan.id)}
    book = xlsxwriter.Workbook(str(tmp))
    try:
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        money = book.add_format({"num_format": "#,##0.0"})
        sheet = book.add_worksheet(SHEET)
        sheet.write_row(0, 0, [label for _, label in COLUMNS], head)
        sheet.freeze_panes(1, 3)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 2, 30)
        sheet.set_column(3, 12, 14)
        sheet.data_validation(1, 9, 2000, 9, {"validate": "list", "source": ["未开工", "在建", "完成", "滞后"]})
        r = 1
        for p in plan.projects:
            for it in p.items:
                rec = registered.get((p.id, it.name)) or {}
                stones = "; ".join(f"{m['due']} {m['text']}" for m in rec.get("milestones", []))
                row = {"project": p.id, "project_title": f"专栏{p.number} {p.title}", "item": it.name,
                       "unit": rec.get("unit"), "start": rec.get("start"), "end": rec.get("end"),
                       "planned_investment": rec.get("planned_investment"),
                       "actual_investment": rec.get("actual_investment"), "progress": rec.get("progress"),
                       "status": rec.get("status_label"), "evidence_text": rec.get("evidence_text"),
                       "evidence_link": rec.get("evidence_link"), "milestones": stones}
                for c, (key, _label) in enumerate(COLUMNS):
                    value = row[key]
                    if isinstance(value, (int, float)):
                        sheet.write_number(r, c, value, money if "investment" in key else None)
                    elif value:
                        sheet.write_string(r, c, str(value))
                r += 1
    finally:
        book.close()
    tmp.replace(out)
    return out


def import_register(wh: Warehouse, path: str | Path, plan: Plan, *, actor: str, editor: Any = None) -> dict[str, Any]:
    """Read a filled-in register template; write every row or none."""
    from python_calamine import CalamineWorkbook

    file = Path(path)
    try:
        book = CalamineWorkbook.from_path(str(file))
    except Exception as exc:  # calamine's own error types for damaged files
        raise InputError(f"{file.name}: 无法读取 Excel 文件 (unreadable workbook): {exc}") from None
    sheet = SHEET if SHEET in book.sheet_names else book.sheet_names[0]
    rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if not rows:
        raise InputError(f"{file.name}: 空表 (empty sheet)")
    header = [str(c).strip() for c in rows[0]]
    labels = {label: key for key, label in COLUMNS}
    cols = {labels[h]: i for i, h in enumerate(header) if h in labels}
    for needed in ("project", "item"):
        if needed not in cols:
            raise InputError(f"{file.name}: 缺少列“{dict(COLUMNS)[needed]}” (missing column)",
                             hint="用 `shucang plan register export` 生成模板 (start from the template)")
    problems: list[str] = []
    ready: list[tuple[str, str, dict[str, Any], list[tuple[str, str]]]] = []
    for n, row in enumerate(rows[1:], start=2):
        def cell(key: str, row: list[Any] = row) -> Any:
            i = cols.get(key)
            value = row[i] if i is not None and i < len(row) else None
            return None if value is None or (isinstance(value, str) and not value.strip()) else value
        if cell("project") is None:
            continue
        fields = {k: cell(k) for k, _ in COLUMNS if k not in ("project", "project_title", "item", "milestones")}
        fields = {k: (v.date() if hasattr(v, "date") and callable(v.date) else v) for k, v in fields.items()}
        if not any(v is not None for v in fields.values()) and cell("milestones") is None:
            continue  # an untouched row
        try:
            project, name = find_item(plan, str(cell("project")), str(cell("item") or ""))
            _clean(fields)
            stones = []
            for part in str(cell("milestones") or "").replace("；", ";").split(";"):
                if part.strip():
                    due, _, text = part.strip().partition(" ")
                    if not text.strip():
                        raise InputError(f"里程碑须写成“日期 内容” (write 'date text'), got {part.strip()!r}")
                    stones.append((due, text.strip()))
            ready.append((project.id, name, fields, stones))
        except ShucangError as exc:
            problems.append(f"{file.name}:{n}: {exc.message}")
    if problems:
        raise InputError(f"{file.name}: {len(problems)} 行有误，未导入 ({len(problems)} problem(s), nothing imported): "
                         + "; ".join(problems[:10]), hint="改正后重新导入 (fix and import again)")
    known = {(i["project"], i["item"], m["due"], m["text"]) for i in items(wh, plan.id) for m in i["milestones"]}
    written = 0
    for project_id, name, fields, stones in ready:
        set_item(wh, plan, project_id, name, actor=actor, editor=editor, **fields)
        for due, text in stones:
            if (project_id, name, str(due)[:10], text) not in known:
                add_milestone(wh, plan, project_id, name, due, text, actor=actor, editor=editor)
        written += 1
    return {"plan": plan.id, "file": file.name, "items": written}
