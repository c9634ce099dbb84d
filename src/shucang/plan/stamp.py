"""What the plan's figures depend on, as one comparable stamp: a page keyed by it is recomputed
exactly when a figure can have changed, and costs three small catalog queries otherwise.

Every change of a plan value appends to :data:`~shucang.plan.store.plan_value_audit` (a re-ingest
that only moves lineage changes a dataset version instead, which the caller keys on separately); a
new or edited plan file, a closing and a revision change the stamp too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from shucang.plan.loader import plan_dirs
from shucang.plan.records import ensure_lifecycle_schema, plan_closures, plan_revisions
from shucang.plan.store import ensure_plan_schema, plan_value_audit

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse


@dataclass(frozen=True)
class PlanStamp:
    """Equal stamps mean equal plan figures (for the same dataset versions)."""

    last_value_change: int | None
    """Id of the newest plan-value audit row (None: no value was ever written)."""
    value_changes: int
    plan_files: tuple[tuple[str, int], ...]
    """(file name, modification time in ns) of the home's plan files."""
    closures: int
    last_revision: int | None


def plan_stamp(wh: Warehouse) -> PlanStamp:
    """The stamp of the warehouse's plans now."""
    home_dirs = [d for d, origin in plan_dirs(Path(wh.settings.home)) if origin == "home" and d.is_dir()]
    files = tuple(sorted((p.name, p.stat().st_mtime_ns) for d in home_dirs for p in d.glob("*.yaml")))
    ensure_plan_schema(wh.engine)
    ensure_lifecycle_schema(wh.engine)
    with wh.engine.connect() as conn:
        last, count = conn.execute(sa.select(sa.func.max(plan_value_audit.c.id), sa.func.count())).one()
        closed = conn.execute(sa.select(sa.func.count()).select_from(plan_closures)).scalar()
        revised = conn.execute(sa.select(sa.func.max(plan_revisions.c.id))).scalar()
    return PlanStamp(last, int(count), files, int(closed or 0), revised)
