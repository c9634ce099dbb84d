"""Whether a value may be entered: the one place the CLI, the JSON API, the web form and imports ask.

Rules (docs/plan.md, "Values that make sense"):

- a number is a number: ``85,3`` is refused (a decimal comma cannot be told from a thousands
  separator), ``1,234.5`` (groups of three) and ``82.5%`` are read as 1234.5 and 82.5;
- no value for a period that has not begun (a year after the current one);
- the unit bounds the value: ``%`` within 0–100 unless the indicator declares ``value_range``; counts
  (家, 个, 件 …) are whole and not negative;
- a jump beyond ``entry_rules.jump_factor`` × last year's value needs ``confirm`` and a note;
- who may write: admins, and stewards of the indicator's department (any steward when it has none).
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from shucang.errors import InputError, PermissionDenied
from shucang.plan.model import Indicator, Plan
from shucang.plan.store import Period

PERCENT_UNITS = frozenset({"%", "％"})
COUNT_UNITS = frozenset({"家", "个", "件", "座", "台", "人", "项", "户", "所", "条", "套", "部", "款", "张",
                         "次", "场", "名", "只", "处", "类"})
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(raw: Any) -> float | None:
    """A typed or cell value as a float; blanks ('', '/', '-') are None; ambiguous commas are refused."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise InputError(f"数值无效 (not a number): {raw!r}")
    if isinstance(raw, (int, float)):
        number = float(raw)
    else:
        text = str(raw).strip().replace("，", ",").replace("．", ".").replace("％", "%").replace(" ", "")
        if text in ("", "/", "-", "—"):
            return None
        if text.endswith("%"):
            text = text[:-1]
        if "," in text:
            if not _GROUPED.match(text):
                raise InputError(
                    f"数值 {raw!r} 含逗号，无法判断是小数点还是千位分隔符 (ambiguous comma: a decimal comma is "
                    "not accepted)", hint="小数点请写“.”，如 85.3 (write the decimal point as '.', e.g. 85.3)")
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise InputError(f"数值须为数字 (the value must be a number): {raw!r}") from None
    if not math.isfinite(number):
        raise InputError(f"数值无效 (not a finite number): {raw!r}")
    return number


def value_bounds(ind: Indicator) -> tuple[float | None, float | None]:
    """(low, high) an entered value must respect: declared, else by unit."""
    if ind.value_range is not None:
        return ind.value_range
    if ind.unit.strip() in PERCENT_UNITS:
        return 0.0, 100.0
    if is_count(ind):
        return 0.0, None
    return None, None


def is_count(ind: Indicator) -> bool:
    return ind.whole if ind.whole is not None else ind.unit.strip() in COUNT_UNITS


def _period_start(period: Period) -> date:
    if period.kind == "quarter":
        return date(period.year, 3 * int(period.label[-1]) - 2, 1)
    if period.kind == "month":
        return date(period.year, int(period.label[-2:]), 1)
    return date(period.year, 1, 1)


def check_value_for(plan: Plan, ind: Indicator, period: Period, value: float, *, today: date | None = None,
                    previous: float | None = None, confirm: bool = False, note: str = "") -> None:
    """Raise InputError when ``value`` cannot be right for ``ind`` at ``period`` (see module docstring)."""
    today = today or date.today()
    if _period_start(period) > today:
        raise InputError(f"{period.label} 尚未开始，不能填报 (no values for a period that has not begun; "
                         f"today is {today.isoformat()})")
    low, high = value_bounds(ind)
    unit = ind.unit
    if (low is not None and value < low) or (high is not None and value > high):
        shown = f"{'' if low is None else f'{low:g}'}–{'' if high is None else f'{high:g}'}"
        raise InputError(f"{ind.id}: {value:g}{unit} 超出允许范围 {shown}{unit} (value outside the allowed range)",
                         hint="如确需超出，请在规划文件中为该指标写 value_range (declare value_range in the plan)")
    if is_count(ind) and not float(value).is_integer():
        raise InputError(f"{ind.id}: 单位为“{unit}”的计数须为整数 (a count must be a whole number), got {value:g}")
    if previous is not None and previous > 0 and value > 0:
        factor = plan.entry_rules.jump_factor
        if value > previous * factor or value < previous / factor:
            if not confirm or not note.strip():
                raise InputError(
                    f"{ind.id} {period.label}: {value:g} 与上年 {previous:g} 相差超过 {factor:g} 倍，须确认并说明 "
                    f"(a jump beyond {factor:g}× last year needs a confirmation and a note)",
                    hint="确认无误请加 --confirm 并用 --note 说明原因 (add --confirm and a --note)")


def previous_value(plan: Plan, ind: Indicator, period: Period, stored: dict[str, float]) -> float | None:
    """The latest yearly value before ``period`` (stored, else the baseline); None for quarters and months."""
    if period.kind != "year":
        return None
    earlier = {int(label): v for label, v in stored.items() if label.isdigit() and int(label) < period.year}
    if ind.baseline is not None and ind.baseline.value is not None and ind.baseline.year < period.year:
        earlier.setdefault(ind.baseline.year, ind.baseline.value)
    return earlier[max(earlier)] if earlier else None


def may_edit(actor: Any, department: str | None) -> bool:
    """Admins, and stewards of the indicator's department (any steward when it has none): the one
    ``plan:write`` rule of the sharing stage, so the web form, the API and the CLI agree."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    from shucang.share.access import Resource, allowed

    return allowed(actor, "plan:write", Resource("indicator", department=department))


def check_editor(actor: Any, ind: Indicator) -> None:
    """PermissionDenied unless ``actor`` may write values of ``ind`` (``None``: the local operator)."""
    if actor is None:
        return
    if not may_edit(actor, ind.department):
        raise PermissionDenied(
            f"无权修改指标 {ind.id} (only an admin or a steward of department {ind.department or '—'} may edit it)",
            hint="请联系责任部门的数据管理员 (ask a steward of the responsible department)")
