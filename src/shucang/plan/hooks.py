"""The plan stage's after-ingest hook, cheap for the many ingests no plan metric reads.

Only when a plan file may name the dataset (:func:`shucang.plan.mentions.may_name`) are the plans
parsed and :func:`shucang.plan.metrics.plan_after_ingest` run (which imports DuckDB and the plan
machinery); so a small ingest of other data pays neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shucang.plan.mentions import may_name

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

BUNDLED_PLANS = Path(__file__).parent / "plans"
"""Where :mod:`shucang.plan.loader` finds the bundled plans (``loader.plan_dirs``; a test keeps them equal)."""


def plan_dirs(home: Path | None) -> list[Path]:
    return [BUNDLED_PLANS, *([home / "plans"] if home is not None else [])]


def plan_after_ingest(wh: Warehouse, result: Any) -> None:
    """Recompute the plan metrics reading the dataset just loaded (see ``plan.metrics``)."""
    if not may_name(plan_dirs(wh.settings.home), result.dataset):
        return
    from shucang.plan.metrics import plan_after_ingest as recompute_after_ingest

    recompute_after_ingest(wh, result)
