"""数据汇聚 on the cockpit: sources that failed or are late, shown on the warehouse page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shucang.warehouse import Warehouse
from shucang.web.i18n import gettext
from shucang.web.tables import Column, Table

CADENCE_ZH = {"hourly": "每小时", "daily": "每日", "weekly": "每周", "monthly": "每月"}


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def source_alerts(wh: Warehouse, lang: str) -> Table | None:
    """A table of the sources whose last run failed or whose last good run is too old (None if none)."""
    from shucang.collect import statuses

    _ = lambda s: gettext(lang, s)  # noqa: E731
    rows: list[dict[str, Any]] = []
    for state in statuses(wh):
        if not (state["failing"] or state["late"]):
            continue
        problem = [_("Failed") for _x in [0] if state["failing"]] + [_("Late") for _x in [0] if state["late"]]
        dataset = state["dataset"]
        rows.append({
            "source": state["name"], "kind": state["kind"],
            "dataset": {"text": dataset, "href": f"/warehouse/{dataset}"} if dataset else "–",
            "cadence": (CADENCE_ZH.get(state["cadence"] or "", state["cadence"]) if lang == "zh"
                        else state["cadence"]) or "–",
            "state": " · ".join(problem), "last_ok": _when(state["last_ok_at"]),
            "last_run": _when(state["last_run_at"]), "error": (state["last_error"] or "")[:200],
        })
    if not rows:
        return None
    return Table("source-alerts", _("Sources needing attention"), [
        Column("source", _("Source")), Column("kind", _("Kind")), Column("dataset", _("Dataset"), "link"),
        Column("cadence", _("Cadence")), Column("state", _("State")), Column("last_ok", _("Last good run"), "when"),
        Column("last_run", _("Last run"), "when"), Column("error", _("Error")),
    ], rows, export_url="/warehouse/export/source-alerts")
