"""Wiring of the stages into one warehouse object for the front ends (CLI, API, web).

The warehouse stage cannot import the stages above it, so work that must follow every ingest
(classification) is passed in here as a hook. This is the only module that knows every stage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shucang.settings import Settings
from shucang.warehouse import Warehouse

DemoProgress = Callable[[str, int, int], None]


def _after_ingest_hooks() -> list[Any]:
    hooks: list[Any] = []
    try:
        from shucang.classify.store import classify_after_ingest
    except ImportError:  # classification not installed in this build: ingest still works
        return hooks
    hooks.append(classify_after_ingest)
    return hooks


def open_warehouse(settings: Settings) -> Warehouse:
    """Open (creating on first use) the warehouse with every stage's after-ingest hooks."""
    return Warehouse.open(settings, after_ingest=_after_ingest_hooks())


def build_demo_warehouse(wh: Warehouse, *, scale: float = 1.0,
                         progress: DemoProgress | None = None) -> dict[str, Any]:
    """Generate the synthetic Cixi warehouse, then seed the plan values and demo identities."""
    from shucang.demo import build_demo

    results = build_demo(wh, scale=scale, progress=progress)
    notes: list[str] = []
    try:
        from shucang.plan.demo import seed_demo_plan
    except ImportError:
        pass
    else:
        seed_demo_plan(wh)
        notes.append("规划指标已计算 (plan indicators computed from the demo data)")
    try:
        from shucang.share.demo import seed_demo_identities
    except ImportError:
        pass
    else:
        for line in seed_demo_identities(wh) or []:
            notes.append(str(line))
    return {"datasets": len(results), "rows": sum(r.rows_loaded for r in results), "notes": notes}
