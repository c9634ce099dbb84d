"""Wire the demo warehouse into the bundled Cixi plan: computed values plus labelled synthetic entries.

``shucang demo`` calls :func:`seed_demo_plan` after generating the demo datasets. Indicators with a
metric are computed from the (synthetic) datasets with lineage; the rest come from the labelled
file ``plans/cixi-14th-demo-actuals.yaml`` (source "synthetic"). Running it again changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shucang.plan.loader import BUNDLED_DIR, DEFAULT_PLAN_ID
from shucang.plan.monitor import recompute
from shucang.plan.workbook import import_actuals

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

log = logging.getLogger("shucang.plan")
DEMO_ACTUALS = BUNDLED_DIR / "cixi-14th-demo-actuals.yaml"
DEMO_ACTOR = "system:demo"


def seed_demo_plan(wh: Warehouse) -> None:
    """Compute every metric of the Cixi plan and load the synthetic values for the others."""
    report = recompute(wh, DEFAULT_PLAN_ID, actor=DEMO_ACTOR)
    for problem in report["errors"]:
        log.warning("plan metric %s not computed: %s", problem["metric"], problem["error"])
    import_actuals(wh, DEMO_ACTUALS, DEFAULT_PLAN_ID, actor=DEMO_ACTOR, source="synthetic")
