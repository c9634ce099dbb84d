"""Grades (分级): from a column's type to its level, then context rules, then the dataset's level.

The default scheme is Zhejiang DB33/T 2351-2021 (L1 不敏感 … L4 敏感) with the type defaults of
the classification issue. Context rules, applied in this order, stricter wins (就高从严):

1. *legal-person published data* — in a table whose subjects are legal persons only (credit codes or
   company names, and no natural person's identifiers beside the legal representative), the
   business's address, phone, e-mail and postal code drop to L1;
2. *minors* — in a table where most subjects are under 18 (from ID numbers or birth dates), every
   personal column rises to L4 (PIPL Art. 28);
3. *linkage* — a quasi-identifier (gender, age, birth date, ethnicity, postal code…) stored beside a
   direct identifier and a sensitive attribute rises one level.

A scheme is data (:class:`GradingScheme`), so a county can switch to DB33/T 310030-2025 or GB/T
43697-2024 when its data bureau says so. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shucang.classify import types as ST

TYPE_LEVELS: dict[str, int] = ST.levels()
"""Default level of each type (from the registry, :mod:`shucang.classify.types`)."""
TYPE_NAMES_ZH: dict[str, str] = ST.names_zh()
LEVEL_NAMES_DB33 = {1: "L1 不敏感", 2: "L2 低敏感", 3: "L3 较敏感", 4: "L4 敏感"}

DIRECT_IDENTIFIERS = ST.in_group("direct")
QUASI_IDENTIFIERS = ST.in_group("quasi")
SENSITIVE_ATTRIBUTES = ST.in_group("sensitive")
PERSONAL = DIRECT_IDENTIFIERS | QUASI_IDENTIFIERS | SENSITIVE_ATTRIBUTES | ST.in_group("personal")
LEGAL_PERSON_KEYS = ST.in_group("legal_key")  # the subject is identified as a legal person
LEGAL_PERSON_PUBLISHED = ST.in_group("published")
NATURAL_PERSON_MARKERS = ST.in_group("natural")


@dataclass(frozen=True)
class GradingScheme:
    """A grading scheme: level names, each type's default level and the context-rule settings."""

    name: str = "DB33/T 2351-2021"
    """Standard the levels follow (shown to stewards)."""
    level_names: Mapping[int, str] = field(default_factory=lambda: dict(LEVEL_NAMES_DB33))
    """Label of each level 1–4."""
    defaults: Mapping[str, int] = field(default_factory=lambda: dict(TYPE_LEVELS))
    """Default level of each type code; unknown and untyped columns are level 1."""
    minor_age: int = 18
    """Subjects younger than this are minors (PIPL Art. 28 uses 14 for its stricter consent rule)."""
    minors_share: float = 0.5
    """Share of subjects who are minors above which a table is about minors."""
    minors_level: int = 4
    """Level every personal column of a table about minors rises to."""
    legal_person_level: int = 1
    """Level of a legal person's published data (address, phone of the business…)."""
    linkage_bump: int = 1
    """Levels a quasi-identifier rises beside a direct identifier and a sensitive attribute."""


SCHEMES: dict[str, GradingScheme] = {
    "DB33/T 2351-2021": GradingScheme(),
    # the Yangtze-Delta standard grades field by field with the same four levels and 就高从严
    "DB33/T 310030-2025": GradingScheme(name="DB33/T 310030-2025"),
    # GB/T 43697-2024 general data, levels 1–4: sensitive personal information ≥ 4, personal ≥ 2
    "GB/T 43697-2024": GradingScheme(
        name="GB/T 43697-2024",
        level_names={1: "一般数据1级", 2: "一般数据2级", 3: "一般数据3级", 4: "一般数据4级"},
        defaults={**TYPE_LEVELS, **{t: max(2, lv) for t, lv in TYPE_LEVELS.items() if t in PERSONAL},
                  **{t: 4 for t in ST.in_group("sensitive_pi")}},
    ),
}
DEFAULT_SCHEME = SCHEMES["DB33/T 2351-2021"]


def scheme_named(name: str | None) -> GradingScheme:
    """The scheme called ``name`` (default DB33/T 2351-2021)."""
    if not name:
        return DEFAULT_SCHEME
    from shucang.errors import InputError

    try:
        return SCHEMES[name]
    except KeyError:
        raise InputError(f"未知的分级标准 (unknown grading scheme): {name!r}",
                         hint="one of: " + ", ".join(SCHEMES)) from None


@dataclass(frozen=True)
class TableContext:
    """Facts about the table that context rules need (computed by the classifier)."""

    minors_share: float | None = None
    """Share of subjects under ``minor_age`` (None when no ID numbers or birth dates are present)."""


@dataclass(frozen=True)
class Grade:
    level: int
    reasons: tuple[str, ...] = ()


def default_level(type_code: str | None, scheme: GradingScheme = DEFAULT_SCHEME) -> int:
    return int(scheme.defaults.get(type_code, 1)) if type_code else 1


def grade_columns(types: Mapping[str, str | None], context: TableContext = TableContext(),
                  scheme: GradingScheme = DEFAULT_SCHEME) -> dict[str, Grade]:
    """Level of every column from its type and the table's context (就高从严)."""
    present = {t for t in types.values() if t}
    legal_person_table = bool(present & LEGAL_PERSON_KEYS) and not (present & NATURAL_PERSON_MARKERS)
    minors = (context.minors_share is not None and context.minors_share >= scheme.minors_share)
    linkage = bool(present & DIRECT_IDENTIFIERS) and bool(present & SENSITIVE_ATTRIBUTES)
    out: dict[str, Grade] = {}
    for column, t in types.items():
        level = default_level(t, scheme)
        reasons: list[str] = []
        if t and legal_person_table and t in LEGAL_PERSON_PUBLISHED and level > scheme.legal_person_level:
            level = scheme.legal_person_level
            reasons.append(f"legal-person published data → L{level}")
        if t and minors and t in PERSONAL and level < scheme.minors_level:
            level = scheme.minors_level
            reasons.append(f"data about minors → L{level}")
        if t and linkage and t in QUASI_IDENTIFIERS and t not in SENSITIVE_ATTRIBUTES:
            raised = min(4, level + scheme.linkage_bump)
            if raised > level:
                level = raised
                reasons.append("quasi-identifier beside a direct identifier and a sensitive attribute → +1")
        out[column] = Grade(level, tuple(reasons))
    return out


def dataset_level(levels: Mapping[str, int] | list[int]) -> int:
    """A dataset's level is the highest of its columns' (1 for an empty table)."""
    values = list(levels.values()) if isinstance(levels, Mapping) else list(levels)
    return max(values, default=1)
