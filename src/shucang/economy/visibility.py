"""Who sees what of this stage: single-enterprise figures only for callers allowed to read the monthly
report dataset (the sharing stage's one permission check); everyone else gets aggregates, and for
anyone but an admin a group of fewer than ``MIN_GROUP`` enterprises is suppressed (统计制度的保密要求:
a group that small would reveal single enterprises)."""

from __future__ import annotations

from typing import Any

from shucang.errors import ShucangError
from shucang.share.access import Actor, require
from shucang.share.reads import dataset_info, dataset_resource
from shucang.warehouse import Warehouse

MIN_GROUP = 5
FIGURES = ("current", "previous", "yoy_pct", "month_current", "month_previous")


def can_see_enterprises(wh: Warehouse, actor: Actor, dataset: str) -> bool:
    """True for an admin, the steward of the dataset's department, or a holder of an active grant."""
    try:
        require(actor, "dataset:read", dataset_resource(wh, actor, dataset_info(wh, dataset)))
    except ShucangError:
        return False
    return True


def require_enterprises(wh: Warehouse, actor: Actor, dataset: str) -> None:
    """Raise the sharing stage's 401/403 when ``actor`` may not see single enterprises of ``dataset``."""
    require(actor, "dataset:read", dataset_resource(wh, actor, dataset_info(wh, dataset)))


def suppress(rows: list[dict[str, Any]], actor: Actor | None) -> list[dict[str, Any]]:
    """Blank the figures of groups with fewer than MIN_GROUP enterprises (admins see everything)."""
    if actor is not None and actor.role == "admin":
        return rows
    out = []
    for r in rows:
        if int(r.get("enterprises") or 0) < MIN_GROUP:
            r = {**r, **{k: None for k in FIGURES if k in r}, "suppressed": True}
        out.append(r)
    return out


def suppress_yoy(figures: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
    return {**figures, "rows": suppress(figures["rows"], actor), "total": suppress([figures["total"]], actor)[0]}
