"""Which column of a monthly report plays which role, recognised from the standard headers.

Departments send the 统计局/经信局 monthly report files with a small set of customary headers
(统一社会信用代码, 统计月份, 工业总产值(万元) …). Recognising them by name, not by content, is what
makes binding predictable: the same header always gets the same role, and anything else can be set
with ``--map COLUMN=ROLE``. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shucang.errors import InputError

KEY_ROLES = ("enterprise", "name", "period", "industry", "town", "report_time", "size")
ROLES = (*KEY_ROLES, "measure", "ignore")

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "enterprise": ("统一社会信用代码", "信用代码", "社会信用代码", "企业信用代码"),
    "name": ("企业名称", "单位详细名称", "单位名称", "企业（单位）名称"),
    "period": ("报告期", "统计月份", "月份", "报告月份", "统计期", "所属期"),
    "industry": ("行业代码", "国民经济行业代码", "行业小类代码", "行业（小类）代码"),
    "town": ("所属镇街", "镇（街道）", "所属镇（街道）", "镇街", "乡镇街道", "所属乡镇"),
    "report_time": ("填报时间", "上报时间", "报送时间", "填报日期"),
    "size": ("企业规模", "规模", "规模类型"),
}

MEASURES: dict[str, tuple[str, ...]] = {
    "output": ("工业总产值",),
    "sales": ("工业销售产值",),
    "export": ("出口交货值",),
    "electricity": ("用电量", "工业用电量"),
    "profit": ("利润总额",),
    "tax": ("应交税金", "税金总额", "应交税费", "实缴税金"),
    "employees": ("从业人员", "从业人员平均人数", "从业人员期末人数"),
    "revenue": ("营业收入", "主营业务收入"),
    "added_value": ("工业增加值", "增加值"),
    "energy": ("综合能源消费量", "综合能耗", "能耗"),
    "rd": ("研发费用", "R&D经费支出", "研究与试验发展经费支出", "研发经费"),
}
"""Canonical measure keys and the header stems that mean them (the unit in brackets is ignored)."""

MEASURE_LABELS = {"output": "工业总产值", "sales": "工业销售产值", "export": "出口交货值", "electricity": "用电量",
                  "profit": "利润总额", "tax": "应交税金", "employees": "从业人员", "revenue": "营业收入",
                  "added_value": "工业增加值", "energy": "综合能源消费量", "rd": "研发费用"}

_FULL = "（）［］【】　"
_HALF = "()[][] "


def normalise_header(header: str) -> str:
    """Half-width brackets, no spaces: '工业总产值（万元）' → '工业总产值(万元)'."""
    text = header.translate(str.maketrans(_FULL, _HALF))
    return re.sub(r"\s+", "", text)


def _stem(header: str) -> str:
    """The header without its unit: '工业总产值(万元)' → '工业总产值'."""
    return re.sub(r"\(.*?\)$", "", normalise_header(header)).strip()


_KEY_LOOKUP = {normalise_header(s): role for role, names in HEADER_SYNONYMS.items() for s in names}
_MEASURE_LOOKUP = {normalise_header(s): key for key, stems in MEASURES.items() for s in stems}


@dataclass(frozen=True)
class ColumnRole:
    """One column's role; ``measure`` is the canonical key of a measure column when known."""

    column: str
    role: str
    measure: str | None = None
    origin: str = "header"


def detect_role(header: str) -> ColumnRole | None:
    """The role a header means by itself, or None (a header not in the vocabulary stays unbound)."""
    norm = normalise_header(header)
    if norm in _KEY_LOOKUP:
        return ColumnRole(header, _KEY_LOOKUP[norm])
    stem = _stem(header)
    if stem in _KEY_LOOKUP:
        return ColumnRole(header, _KEY_LOOKUP[stem])
    if stem in _MEASURE_LOOKUP:
        return ColumnRole(header, "measure", _MEASURE_LOOKUP[stem])
    return None


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``["产值=measure:output", "月=period"]`` → {column: role spec}; a clear error for bad items."""
    out: dict[str, str] = {}
    for item in items or []:
        column, sep, role = item.rpartition("=")
        if not sep or not column.strip() or not role.strip():
            raise InputError(f"无法解析映射 {item!r} (cannot parse mapping)", hint="write --map COLUMN=ROLE, e.g. "
                             "--map 产值=measure:output; roles: " + ", ".join(ROLES))
        out[column.strip()] = role.strip()
    return out


def _override(column: str, spec: str) -> ColumnRole:
    role, _, measure = spec.partition(":")
    if role not in ROLES and role in MEASURES:  # --map 产值=output is a measure too
        role, measure = "measure", role
    if role not in ROLES:
        raise InputError(f"未知角色 {role!r} (unknown role) for column {column!r}",
                         hint="roles: " + ", ".join(ROLES) + "; measures: measure:" + "|".join(MEASURES))
    if measure and measure not in MEASURES:
        raise InputError(f"未知指标 {measure!r} (unknown measure key)", hint="measures: " + ", ".join(MEASURES))
    if role == "measure" and not measure:
        found = detect_role(column)
        measure = found.measure if found and found.measure else ""
    return ColumnRole(column, role, measure or None, "map")


def bind_columns(headers: list[str], overrides: dict[str, str] | None = None) -> list[ColumnRole]:
    """Roles for ``headers``: overrides first, then the standard headers; each key role at most once."""
    overrides = overrides or {}
    unknown = [c for c in overrides if c not in headers]
    if unknown:
        raise InputError(f"数据集没有列 {', '.join(unknown)} (no such column)", hint="columns: " + ", ".join(headers))
    roles: list[ColumnRole] = []
    taken: set[str] = set()
    for header in headers:  # overridden key roles win over detected ones
        if header in overrides:
            r = _override(header, overrides[header])
            if r.role in KEY_ROLES:
                if r.role in taken:
                    raise InputError(f"角色 {r.role} 被指定给多列 (role mapped to several columns)")
                taken.add(r.role)
            roles.append(r)
    for header in headers:
        if header in overrides:
            continue
        found = detect_role(header)
        if found is None or (found.role in KEY_ROLES and found.role in taken):
            continue
        if found.role in KEY_ROLES:
            taken.add(found.role)
        roles.append(found)
    order = {h: i for i, h in enumerate(headers)}
    return sorted((r for r in roles if r.role != "ignore"), key=lambda r: order[r.column])


def check_complete(roles: list[ColumnRole], dataset: str) -> None:
    """A monthly report needs an enterprise, a period and at least one measure."""
    have = {r.role for r in roles}
    missing = [r for r in ("enterprise", "period") if r not in have]
    if "measure" not in have:
        missing.append("measure")
    if missing:
        raise InputError(f"数据集 {dataset} 缺少角色 {', '.join(missing)} (no column recognised as "
                         f"{', '.join(missing)})", hint="name them with --map COLUMN=ROLE, e.g. --map 月=period")
