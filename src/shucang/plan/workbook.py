"""Bulk entry of actual values: an XLSX template to fill in, and import of XLSX or YAML value files.

The template has one row per indicator and one column per year (current values pre-filled,
computed indicators marked and shaded). Import checks every cell first and writes nothing when any
cell is wrong: problems come back together as ``{row, column, value, reason}``. Unchanged cells
write nothing and leave no audit entry, so re-importing the same file is harmless.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shucang.errors import InputError
from shucang.plan.model import Plan
from shucang.plan.monitor import _check_entry, load_plan
from shucang.plan.store import check_value, parse_period, read_values, write_value
from shucang.plan.yamlcheck import read_yaml

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

ID_HEADERS = ("指标编号", "id", "indicator", "indicator_id")
NOTE_HEADERS = ("备注", "note")
SHEET = "填报"


@dataclass
class ImportReport:
    plan: str
    file: str
    source: str
    written: int = 0
    unchanged: int = 0
    skipped_computed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_template(wh: Warehouse, path: str | Path, plan_id: str | None = None, *, scope: str = "all") -> Path:
    """Write the entry template (XLSX) for a plan, with current yearly values filled in."""
    import xlsxwriter

    from shucang.plan.monitor import _select

    plan = load_plan(wh, plan_id)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    years = list(range(plan.baseline_year, plan.end_year + 1))
    current: dict[tuple[str, int], float] = {}
    for row in read_values(wh.engine, plan.id):
        if row.period_kind == "year":
            current[(row.indicator_id, row.year)] = row.value
    book = xlsxwriter.Workbook(str(out))
    try:
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        text = book.add_format({"border": 1})
        number = book.add_format({"border": 1, "num_format": "General"})
        computed = book.add_format({"border": 1, "bg_color": "#EDEDED", "font_color": "#595959"})
        sheet = book.add_worksheet(SHEET)
        headers = ["指标编号", "指标名称", "类别", "单位", "基期值", "目标值", "来源", *map(str, years), "备注"]
        sheet.write_row(0, 0, headers, head)
        sheet.freeze_panes(1, 2)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 1, 44)
        sheet.set_column(2, 6, 12)
        for r, ind in enumerate(_select(plan, scope), start=1):
            is_computed = ind.metric is not None
            fmt = computed if is_computed else number
            sheet.write_string(r, 0, ind.id, text)
            sheet.write_string(r, 1, ind.name, text)
            sheet.write_string(r, 2, plan.category_name(ind.category) or {"text": "文中目标", "project": "专栏目标"}
                               .get(ind.kind, ""), text)
            sheet.write_string(r, 3, ind.unit, text)
            base = ind.baseline.value if ind.baseline else None
            if base is None:
                sheet.write_string(r, 4, (ind.baseline.text if ind.baseline else None) or "/", text)
            else:
                sheet.write_number(r, 4, base, text)
            sheet.write_number(r, 5, ind.target.value, text)
            sheet.write_string(r, 6, f"计算:{ind.metric}" if is_computed else "填报", text)
            for c, year in enumerate(years, start=7):
                value = current.get((ind.id, year))
                if value is None:
                    sheet.write_blank(r, c, None, fmt)
                else:
                    sheet.write_number(r, c, value, fmt)
            sheet.write_blank(r, 7 + len(years), None, text)
        info = book.add_worksheet("说明")
        for i, line in enumerate([
            f"{plan.title}（{plan.id}）实际值填报模板",
            "在年份列填写数值（纯数字，不带单位；百分比填 82.5 而非 82.5%）。留空表示不填报，不会删除已有数值。",
            "灰色行由仓内数据计算（来源“计算:…”），导入时跳过；如需人工修正请用 --include-computed。",
            "列名也可写 2025Q1（季度）或 2025-03（月度），仅限该指标允许的期间。",
            "导入：shucang plan import 文件.xlsx --plan " + plan.id + "（每次修改均记入审计：谁、何时、来源、备注、旧值→新值）。",
        ]):
            info.write_string(i, 0, line)
        info.set_column(0, 0, 120)
    finally:
        book.close()
    return out


_PERIOD_HEADER = re.compile(r"^\d{4}(\.0)?([Qq][1-4]|-\d{1,2})?$")


def _read_xlsx(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise InputError(f"{path.name}: 无法读取 Excel 文件 (unreadable workbook): {exc}") from None
    names = book.sheet_names
    sheet = SHEET if SHEET in names else names[0]
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def import_actuals(wh: Warehouse, path: str | Path, plan_id: str | None = None, *, actor: str,
                   source: str | None = None, note: str = "", include_computed: bool = False,
                   confirm: bool = False, editor: Any = None) -> dict[str, Any]:
    """Import values from an XLSX template or a YAML value file (all-or-nothing; audited).

    Every cell passes the same checks as a single entry (:mod:`shucang.plan.validation`); ``editor``
    (an authenticated caller) must be allowed to edit every indicator the file touches.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"文件不存在 (file not found): {file}")
    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        data = read_yaml(file.read_text(encoding="utf-8"), file.name)
        entries, file_plan, file_source, file_note = _yaml_entries(data, file.name)
        plan = load_plan(wh, plan_id or file_plan)
        source = source or file_source or f"import:{file.name}"
        note = note or file_note
    elif suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        plan = load_plan(wh, plan_id)
        entries = _xlsx_entries(_read_xlsx(file), file.name)
        source = source or f"import:{file.name}"
    else:
        raise InputError(f"{file.name}: 只支持 .xlsx 或 .yaml (only .xlsx or .yaml value files)")
    return _apply(wh, plan, entries, file.name, actor=actor, source=source, note=note,
                  include_computed=include_computed, confirm=confirm, editor=editor).to_dict()


Entry = tuple[str, str, str, Any, str, str]  # (where, indicator, period, value, note, column)


def _xlsx_entries(rows: list[list[Any]], name: str) -> list[Entry]:
    header_at = next((i for i, row in enumerate(rows[:20])
                      if any(str(c).strip().lower() in ID_HEADERS for c in row if c is not None)), None)
    if header_at is None:
        raise InputError(f"{name}: 找不到表头“指标编号” (no header row with 指标编号/id)",
                         hint="用 `shucang plan export` 生成模板 (start from the exported template)")
    header = [str(c).strip() if c is not None else "" for c in rows[header_at]]
    id_col = next(i for i, h in enumerate(header) if h.lower() in ID_HEADERS)
    note_col = next((i for i, h in enumerate(header) if h.lower() in NOTE_HEADERS), None)
    period_cols = [(i, h[:-2] if h.endswith(".0") else h) for i, h in enumerate(header) if _PERIOD_HEADER.match(h)]
    if not period_cols:
        raise InputError(f"{name}: 表头中没有年份列 (no year columns such as 2021 in the header)")
    entries: list[Entry] = []
    for r, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        ind = row[id_col] if id_col < len(row) else None
        if ind is None or str(ind).strip() == "":
            continue
        row_note = str(row[note_col]).strip() if note_col is not None and note_col < len(row) and row[note_col] else ""
        for c, label in period_cols:
            cell = row[c] if c < len(row) else None
            entries.append((f"{name}:{r}", str(ind).strip(), label, cell, row_note, header[c]))
    return entries


def _yaml_entries(data: Any, name: str) -> tuple[list[Entry], str | None, str | None, str]:
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
        raise InputError(f"{name}: 数值文件须有 values: 映射 (a value file needs a 'values:' mapping)")
    entries: list[Entry] = []
    values = data["values"]
    for ind, series in values.items():
        line = values.lines.get(ind, 0) if hasattr(values, "lines") else 0
        if not isinstance(series, dict):
            raise InputError(f"{name}:{line}: values.{ind}: 须为 期间: 数值 映射 (period: value mapping)")
        for period, value in series.items():
            vline = series.lines.get(period, line) if hasattr(series, "lines") else line
            entries.append((f"{name}:{vline}", str(ind), str(period), value, "", str(period)))
    return entries, data.get("plan"), data.get("source"), str(data.get("note") or "")


def _apply(wh: Warehouse, plan: Plan, entries: list[Entry], name: str, *, actor: str, source: str, note: str,
           include_computed: bool, confirm: bool = False, editor: Any = None) -> ImportReport:
    from shucang.plan.lifecycle import ensure_open
    from shucang.plan.validation import check_editor, check_value_for, parse_number, previous_value

    ensure_open(wh, plan.id)
    report = ImportReport(plan.id, name, source)
    problems: list[dict[str, Any]] = []
    ready = []
    skipped: set[str] = set()
    stored: dict[str, dict[str, float]] = {}
    for r in read_values(wh.engine, plan.id):
        stored.setdefault(r.indicator_id, {})[r.period] = r.value
    for _where, ind_id, label, raw, _note, _column in entries:  # the file's own values count as last year's
        try:
            number = parse_number(raw)
            if number is not None:
                stored.setdefault(ind_id, {})[parse_period(label).label] = number
        except InputError:
            pass
    for where, ind_id, label, raw, row_note, column in entries:
        try:
            value = parse_number(raw)
        except InputError as exc:
            problems.append({"row": where, "column": column, "value": raw, "reason": exc.message})
            continue
        if value is None:
            continue
        try:
            ind = plan.indicator(ind_id)
            if ind.metric is not None and not include_computed:
                skipped.add(ind.id)
                continue
            check_editor(editor, ind)
            period = parse_period(label)
            _check_entry(plan, ind, period.kind, period.year, actor, source)
            check_value_for(plan, ind, period, check_value(value),
                            previous=previous_value(plan, ind, period, stored.get(ind.id, {})),
                            confirm=confirm, note=row_note or note)
            ready.append((ind.id, period, check_value(value), row_note or note))
        except InputError as exc:
            problems.append({"row": where, "column": column, "value": raw, "reason": exc.message})
        except Exception as exc:  # NotFound of an unknown indicator id, reported as a row problem
            problems.append({"row": where, "column": column, "value": raw, "reason": str(exc)})
    if problems:
        shown = "; ".join(f"{p['row']} [{p['column']}] {p['value']!r}: {p['reason']}" for p in problems[:10])
        more = f"; … 另有 {len(problems) - 10} 处" if len(problems) > 10 else ""
        raise InputError(f"{name}: {len(problems)} 处数值有误，未导入任何数值 ({len(problems)} problem(s), "
                         f"nothing imported): {shown}{more}", hint="改正后重新导入 (fix and import again)")
    existing = {(r.indicator_id, r.period): r.value for r in read_values(wh.engine, plan.id)}
    for ind_id, period, value, cell_note in ready:
        if existing.get((ind_id, period.label)) == value:  # same figure: keep its original source
            report.unchanged += 1
            continue
        _, changed = write_value(wh.engine, plan.id, ind_id, period, value, actor=actor, source=source,
                                 note=cell_note, action="import")
        if changed:
            report.written += 1
        else:
            report.unchanged += 1
    report.skipped_computed = sorted(skipped)
    return report
