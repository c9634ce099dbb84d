"""A column's grade as the later stages use it: ``(sensitive type code or None, level 1–4)``.

Grades reach protection and sharing as the classify store's records, as ``(type, level)`` pairs, as
dicts from a policy file or not at all. This is the one place that turns any of them into the pair,
with one default for what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

UNGRADED_LEVEL = 4
"""Level assumed for a column (or a grade without a level) the classify stage has not graded.

The strictest level, 就高从严: a column nobody has looked at yet may hold anything, so it is released
only to callers cleared for L4 and otherwise masked or dropped by the policy. (The protection stage
once assumed L1 here and the sharing stage L4; the safe one was kept.)"""

Graded = tuple[str | None, int]


def grade_of(value: Any) -> Graded:
    """``(type, level)`` from a grade record, a pair, a dict, or None (ungraded)."""
    if value is None:
        return None, UNGRADED_LEVEL
    if isinstance(value, tuple | list):
        return (value[0] or None), int(value[1] or UNGRADED_LEVEL)
    if isinstance(value, Mapping):
        return value.get("type") or None, int(value.get("level") or UNGRADED_LEVEL)
    return getattr(value, "type", None) or None, int(getattr(value, "level", None) or UNGRADED_LEVEL)


def grades_of(grades: Mapping[str, Any] | None) -> dict[str, Graded]:
    """Every given column's ``(type, level)``; columns not given stay absent (look them up with
    ``.get(name, UNGRADED)``)."""
    return {str(name): grade_of(value) for name, value in (grades or {}).items()}


UNGRADED: Graded = (None, UNGRADED_LEVEL)
"""The grade of a column absent from the classify stage's store."""
