"""Schema changes between two versions of a dataset: added, removed and retyped columns."""

from __future__ import annotations

from typing import Any


def diff_columns(before: list[Any], after: list[Any]) -> dict[str, Any]:
    """``{"added": [...], "removed": [...], "retyped": [{"column", "from", "to"}]}`` (empty lists omitted)."""
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    added = [n for n in new if n not in old]
    removed = [n for n in old if n not in new]
    retyped = []
    for name in new:
        if name in old:
            a, b = old[name], new[name]
            if (a.storage_type, a.logical_type) != (b.storage_type, b.logical_type) and b.logical_type != "empty" \
                    and a.logical_type != "empty":
                retyped.append({"column": name, "from": f"{a.logical_type} ({a.storage_type})",
                                "to": f"{b.logical_type} ({b.storage_type})"})
    changes: dict[str, Any] = {}
    if added:
        changes["added"] = added
    if removed:
        changes["removed"] = removed
    if retyped:
        changes["retyped"] = retyped
    return changes
