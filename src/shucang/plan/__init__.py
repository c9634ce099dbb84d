"""Plan stage: plans as data, actual values (entered or computed with lineage), analytics.

The library API other stages and front ends call (documented in docs/plan.md)::

    list_plans(wh) -> list[dict]
    load_plan(wh, plan_id=None) -> Plan
    plan_status(wh, plan_id=None, *, scope="main", as_of=None) -> list[IndicatorStatus]
    indicator_series(wh, plan_id, indicator_id) -> dict
    rollups(wh, plan_id=None, by="category"|"zone"|"task"|"subtask"|"project") -> list[dict]
    composite_index(wh, plan_id=None) -> dict
    set_actual(wh, plan_id, indicator_id, year, value, *, actor, source="manual", note="", period=None)
    delete_actual(wh, plan_id, indicator_id, year, *, actor, note="", period=None)
    value_history(wh, plan_id=None, indicator_id=None) -> list[AuditEntry]
    recompute(wh, plan_id=None, *, actor, force=False, stale_only=False, versions=None) -> dict
    export_template(wh, path, plan_id=None) / import_actuals(wh, path, plan_id=None, *, actor)
    seed_demo_plan(wh)                       # shucang demo
    plan_after_ingest(wh, result)            # after-ingest hook: recompute metrics reading that dataset
"""

from __future__ import annotations

from shucang.reexports import lazy_exports

# Names are imported on first use (PEP 562) so the pure modules (model, loader, analytics) load
# without the warehouse machinery.
_EXPORTS = {
    "LAGGING": "analytics", "LARGELY_MET": "analytics", "MET": "analytics", "NO_DATA": "analytics",
    "STATUSES": "analytics", "seed_demo_plan": "demo", "DEFAULT_PLAN_ID": "loader", "parse_plan": "loader",
    "plan_after_ingest": "metrics", "Indicator": "model", "Plan": "model",
    "IndicatorStatus": "monitor", "composite_index": "monitor", "delete_actual": "monitor",
    "indicator_series": "monitor", "list_plans": "monitor", "load_plan": "monitor", "plan_detail": "monitor",
    "plan_status": "monitor", "recompute": "monitor", "rollups": "monitor", "set_actual": "monitor",
    "value_history": "monitor", "export_template": "workbook", "import_actuals": "workbook",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "DEFAULT_PLAN_ID",
    "LAGGING",
    "LARGELY_MET",
    "MET",
    "NO_DATA",
    "STATUSES",
    "Indicator",
    "IndicatorStatus",
    "Plan",
    "composite_index",
    "delete_actual",
    "export_template",
    "import_actuals",
    "indicator_series",
    "list_plans",
    "load_plan",
    "parse_plan",
    "plan_after_ingest",
    "plan_detail",
    "plan_status",
    "recompute",
    "rollups",
    "seed_demo_plan",
    "set_actual",
    "value_history",
]
