"""安全 page: sensitive columns by type and level, extracts and API reads over time, the open-data
rate, and audit alerts (denied/failed events and the audit chain's verification).

Each part comes from the stage that owns it — classification (``shucang.classify.store``), the
protection extract registry (``shucang.protect``), the sharing audit log and open-data rate
(``shucang.share``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shucang.classify.grade import LEVEL_NAMES_DB33
from shucang.shell.request import get_warehouse
from shucang.warehouse import Warehouse
from shucang.web import security_sources as sources
from shucang.web.exports import export_response
from shucang.web.i18n import gettext, request_lang
from shucang.web.memo import memo
from shucang.web.render import page
from shucang.web.tables import Column, Table

router = APIRouter(include_in_schema=False)

DAYS = 30
"""How far back the activity chart and the alerts look."""
LEVEL_NAMES_EN = {1: "L1 not sensitive", 2: "L2 low", 3: "L3 moderate", 4: "L4 sensitive"}


def activity_by_day(wh: Warehouse, days: int = DAYS) -> dict[str, dict[str, int]]:
    """Audit events per day and kind (read / export / login / other) over the last ``days`` days."""
    from shucang.share.audit import counts_by_day

    since = (datetime.now(UTC) - timedelta(days=days)).date().isoformat()
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts_by_day(wh, since):
        out[row.day][action_kind(row.action)] += row.count
    return {d: dict(v) for d, v in out.items()}


def action_kind(action: str) -> str:
    """Group audit actions for the chart: reads, exports/extracts, logins, everything else."""
    name = action.lower()
    if "export" in name or "extract" in name or "download" in name:
        return "export"
    if "read" in name or "query" in name or "aggregate" in name or "rows" in name:
        return "read"
    if "login" in name or "logout" in name or "session" in name:
        return "login"
    return "other"


def _viewer(request: Request) -> str:
    """What the caller may see here: ``admin`` everything, ``user`` the catalog-level detail, ``public``
    aggregates and open datasets only (who failed to log in is for admins alone)."""
    from shucang.errors import ShucangError
    from shucang.shell.request import get_actor

    try:
        actor = get_actor(request)
    except ShucangError:
        return "public"
    return "admin" if actor.role == "admin" else ("user" if actor.is_authenticated else "public")


def security_view(wh: Warehouse, lang: str, state: Any, viewer: str) -> dict[str, Any]:
    """:func:`security_data` for one kind of viewer, computed at most every 30 s per (language, viewer):
    an anonymous page costs a dictionary lookup, not a scan of the audit log."""
    return memo(state, ("security-page", lang, viewer), 30.0, lambda: security_data(wh, lang, state, viewer))


def security_data(wh: Warehouse, lang: str, state: Any, viewer: str = "admin") -> dict[str, Any]:
    """The page's data; each part says when its stage is not available."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    levels = LEVEL_NAMES_DB33 if lang == "zh" else LEVEL_NAMES_EN
    versions = tuple(sorted((d.name, d.current_version or 0) for d in wh.list_datasets()))

    sensitive = memo(state, ("sensitive", versions), 60.0, lambda: sources.sensitive_columns(wh))
    if sensitive is not None and viewer == "public":  # the public learns nothing of non-open datasets' columns
        opened = {d.name for d in wh.list_datasets() if d.is_open}
        sensitive = [c for c in sensitive if c.get("dataset") in opened]
    sens_table = by_type_chart = by_level_chart = None
    if sensitive is not None:
        by_type: dict[str, int] = defaultdict(int)
        by_level: dict[int, int] = defaultdict(int)
        for col in sensitive:
            by_type[col["type_name"] or col["type"] or "?"] += 1
            by_level[int(col["level"] or 1)] += 1
        sens_table = Table("sensitive-columns", _("Sensitive columns"), [
            Column("dataset", _("Dataset")), Column("column", _("Column")), Column("type_name", _("Type")),
            Column("level", _("Level")), Column("confidence", _("Confidence"), "ratio"),
            Column("reviewed", _("Reviewed"), "bool")],
            [{**c, "level": levels.get(int(c["level"] or 1), c["level"])} for c in sensitive],
            export_url="/security/export/sensitive-columns")
        by_type_chart = {"kind": "bars", "horizontal": True, "file": "sensitive-by-type", "unit": _("columns"),
                         "categories": list(by_type), "series": [{"name": _("Columns"), "values": list(by_type.values())}]}
        by_level_chart = {"kind": "pie", "file": "sensitive-by-level",
                          "data": [{"name": levels.get(k, str(k)), "value": v} for k, v in sorted(by_level.items())]}

    activity = activity_by_day(wh)
    extracts = sources.extracts_by_day(wh)
    days = sorted(set(activity) | set(extracts or {}))
    activity_chart = None
    if days:
        activity_chart = {"kind": "line", "file": "reads-and-extracts", "x": days, "unit": _("events"), "series": [
            {"name": _("API reads"), "values": [activity.get(d, {}).get("read", 0) for d in days]},
            {"name": _("Exports and extracts"), "values": [activity.get(d, {}).get("export", 0) +
                                                           (extracts or {}).get(d, 0) for d in days]},
            {"name": _("Logins"), "values": [activity.get(d, {}).get("login", 0) for d in days]}]}

    alerts = sources.audit_alerts(wh, DAYS)
    if alerts is not None and viewer != "admin":
        # who failed (a user name — sometimes a password typed into the wrong field) is for admins only;
        # the public does not see which datasets were asked for either
        alerts = [] if viewer == "public" else [{**a, "actor": "—"} for a in alerts]
    alert_table = None
    if alerts is not None:
        from shucang.web.labels import display_name, display_names

        names = display_names(wh)
        alerts = [{**a, "actor": display_name(a["actor"], names)} for a in alerts]
        alert_table = Table("audit-alerts", _("Audit alerts"), [
            Column("at", _("Time"), "when"), Column("actor", _("Who"), "person"), Column("action", _("Action"), "code"),
            Column("outcome", _("Outcome"), "code"), Column("dataset", _("Dataset")), Column("seq", _("Entry"), "number")],
            alerts, export_url="/security/export/audit-alerts")
    chain = memo(state, ("audit-verify",), 30.0, lambda: sources.audit_chain(wh))
    open_rate = sources.open_data_rate(wh)
    open_table = None
    if open_rate is not None and open_rate.get("by_department"):
        open_table = Table("open-data-rate", _("Open-data rate by department"), [
            Column("department", _("Department")), Column("open", _("Open datasets"), "number"),
            Column("total", _("Datasets"), "number"), Column("rate", _("Open-data rate"), "percent")],
            open_rate["by_department"], export_url="/security/export/open-data-rate")
    tables = [t for t in (sens_table, alert_table, open_table) if t is not None]
    return {
        "page_title": _("Security"),
        "sensitive_available": sensitive is not None,
        "sensitive_count": len(sensitive or []),
        "charts": {"by_type": by_type_chart, "by_level": by_level_chart, "activity": activity_chart},
        "extracts_available": extracts is not None,
        "open_rate": open_rate,
        "audit_chain": chain,
        "alerts_available": alerts is not None,
        "tables": tables,
        "_tables": {t.name: t for t in tables},
    }


@router.get("/security")
def security_page(request: Request) -> Response:
    data = security_view(get_warehouse(request), request_lang(request), request.app.state, _viewer(request))
    return page(request, "security.html", data, active="security")


@router.get("/security/export/{table}.{fmt}")
def security_export(request: Request, table: str, fmt: str) -> Response:
    data = security_view(get_warehouse(request), request_lang(request), request.app.state, _viewer(request))
    return export_response(data["tables"], table, fmt, request=request)
