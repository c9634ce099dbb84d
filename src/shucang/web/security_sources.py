"""Adapters from the security page to the stages that own its figures.

Each function returns plain rows for the page; they only call the stages' public functions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from shucang.warehouse import Warehouse


def sensitive_columns(wh: Warehouse) -> list[dict[str, Any]]:
    """Columns classified as sensitive (a type, or a level above 1) across current dataset versions."""
    from shucang.classify import store

    rows: list[dict[str, Any]] = []
    for info in wh.list_datasets():
        if info.current_version is None:
            continue
        result = store.stored_classification(wh, info.name)
        if result is None:
            continue
        for col in result.columns:
            level = col.get("level") or 1
            if not col.get("type") and int(level) <= 1:
                continue
            rows.append({"dataset": info.title, "dataset_name": info.name, "column": col.get("name"),
                         "type": col.get("type"), "type_name": col.get("type_name") or col.get("type"),
                         "level": level, "confidence": col.get("confidence"),
                         "reviewed": bool(col.get("overridden"))})
    rows.sort(key=lambda r: (-int(r["level"] or 1), r["dataset_name"], str(r["column"])))
    return rows


def extracts_by_day(wh: Warehouse, days: int = 30) -> dict[str, int]:
    """Extract files issued per day (protection registry)."""
    from shucang.protect import list_extracts

    since = datetime.now(UTC) - timedelta(days=days)
    out: dict[str, int] = defaultdict(int)
    for extract in list_extracts(wh, limit=100_000):
        when = extract.created_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when < since:
            break  # newest first
        out[when.date().isoformat()] += 1
    return dict(out)


def open_data_rate(wh: Warehouse) -> dict[str, Any]:
    """公共数据开放率 computed live by the sharing stage: {rate, open, total, by_department}."""
    from shucang.share.opendata import open_data_rate as compute

    result = compute(wh)
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    rate = data.get("rate")  # the share stage reports ratios 0–1
    data["percent"] = rate * 100 if isinstance(rate, int | float) else None
    rows = []
    for dept in data.get("by_department") or []:
        d = dict(dept)
        r = d.get("rate")
        rows.append({"department": d.get("department_name") or d.get("name") or d.get("department"),
                     "open": d.get("open"), "total": d.get("total"),
                     "rate": r * 100 if isinstance(r, int | float) else None})
    data["by_department"] = rows
    return data


def audit_alerts(wh: Warehouse, days: int = 30, limit: int = 200) -> list[dict[str, Any]]:
    """Denied, failed and erroneous events of the last ``days`` days, newest first."""
    from shucang.share import audit

    since = datetime.now(UTC) - timedelta(days=days)
    rows: list[dict[str, Any]] = []
    for outcome in ("denied", "failed", "error"):
        for entry in audit.search(wh, outcome=outcome, since=since, limit=limit):
            rows.append({"at": entry.at, "actor": entry.actor, "action": entry.action, "outcome": entry.outcome,
                         "dataset": entry.dataset, "seq": entry.seq})
    rows.sort(key=lambda r: -int(r["seq"]))
    return rows[:limit]


def audit_chain(wh: Warehouse) -> dict[str, Any]:
    """Whether the hash-chained audit log verifies (entries, problems)."""
    from shucang.share import audit

    return audit.verify(wh).to_dict()
