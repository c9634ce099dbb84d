"""Adapters from the security page to the stages that own its figures.

Each function returns plain rows for the page, or None when the owning stage is not installed (so
the page can say "not available yet"). They only call the stages' public functions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from shucang.warehouse import Warehouse


def sensitive_columns(wh: Warehouse) -> list[dict[str, Any]] | None:
    """Columns classified as sensitive (a type, or a level above 1) across current dataset versions."""
    try:
        from shucang.classify import store
    except ImportError:
        return None
    rows: list[dict[str, Any]] = []
    for info in wh.list_datasets():
        if info.current_version is None:
            continue
        for col in store.column_classes(wh, info.name):
            data = col.to_dict() if hasattr(col, "to_dict") else dict(col)
            level = data.get("level") or 1
            if not data.get("type") and int(level) <= 1:
                continue
            rows.append({"dataset": info.title, "dataset_name": info.name, "column": data.get("column") or data.get("name"),
                         "type": data.get("type"), "type_name": data.get("type_name") or data.get("type"),
                         "level": level, "confidence": data.get("confidence"),
                         "reviewed": bool(data.get("reviewed") or data.get("source") == "review")})
    rows.sort(key=lambda r: (-int(r["level"] or 1), r["dataset_name"], str(r["column"])))
    return rows


def extracts_by_day(wh: Warehouse, days: int = 30) -> dict[str, int] | None:
    """Extract files issued per day (protection registry), or None without the protection stage."""
    try:
        from shucang.protect import list_extracts
    except ImportError:
        return None
    since = datetime.now(UTC) - timedelta(days=days)
    out: dict[str, int] = defaultdict(int)
    for extract in list_extracts(wh):
        data = extract.to_dict() if hasattr(extract, "to_dict") else dict(extract)
        stamp = data.get("created_at") or data.get("issued_at")
        when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
        if when is None:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when >= since:
            out[when.date().isoformat()] += 1
    return dict(out)


def open_data_rate(wh: Warehouse) -> dict[str, Any] | None:
    """公共数据开放率 computed live by the sharing stage: {rate, open, total, by_department}."""
    try:
        from shucang.share.opendata import open_data_rate as compute
    except ImportError:
        return None
    result = compute(wh)
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    rate = data.get("rate")
    if isinstance(rate, int | float) and rate <= 1 and data.get("percent") is None:
        data["percent"] = rate * 100
    else:
        data.setdefault("percent", rate)
    rows = []
    for dept in data.get("by_department") or []:
        d = dict(dept)
        r = d.get("rate")
        rows.append({"department": d.get("department_name") or d.get("name") or d.get("department"),
                     "open": d.get("open"), "total": d.get("total"),
                     "rate": r * 100 if isinstance(r, int | float) and r <= 1 else r})
    data["by_department"] = rows
    return data


def audit_alerts(wh: Warehouse, days: int = 30, limit: int = 200) -> list[dict[str, Any]] | None:
    """Denied, failed and erroneous events of the last ``days`` days, newest first."""
    try:
        from shucang.share import audit
    except ImportError:
        return None
    since = datetime.now(UTC) - timedelta(days=days)
    rows: list[dict[str, Any]] = []
    for outcome in ("denied", "failed", "error"):
        for entry in audit.search(wh, outcome=outcome, since=since, limit=limit):
            rows.append({"at": entry.at, "actor": entry.actor, "action": entry.action, "outcome": entry.outcome,
                         "dataset": entry.dataset, "seq": entry.seq})
    rows.sort(key=lambda r: -int(r["seq"]))
    return rows[:limit]


def audit_chain(wh: Warehouse) -> dict[str, Any] | None:
    """Whether the hash-chained audit log verifies (entries, problems)."""
    try:
        from shucang.share import audit
    except ImportError:
        return None
    return audit.verify(wh).to_dict()
