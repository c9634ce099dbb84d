"""The plan's zone and town figures (:mod:`shucang.plan.zone_figures`), memoised per set of the
versions of the datasets they are computed from: a page costs a catalog read, not a join."""

from __future__ import annotations

from typing import Any

from shucang.plan.zone_figures import Figures, Level, sources
from shucang.plan.zone_figures import figures_by as compute
from shucang.warehouse import Warehouse
from shucang.web.memo import memo


def figures_by(wh: Warehouse, key: Level, state: Any) -> dict[str, Figures]:
    """``{zone or town: {enterprises, cloud, robots, output_yi, output_year}}`` (empty without the registry)."""
    if key not in ("zone", "town"):
        raise ValueError(key)
    versions = sources(wh)
    return memo(state, ("zone_figures", key, tuple(sorted(versions.items()))), 300.0,
                lambda: compute(wh, key, set(versions)))
