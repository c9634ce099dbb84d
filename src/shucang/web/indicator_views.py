"""指标 pages: the list of every indicator, one indicator's detail (chart with baseline, target line
and projection; values with source and lineage; edit history) and the edit form for authorised users.

Values, status and projections come from ``shucang.plan.monitor``; an edit calls
``monitor.set_actual`` (which audits who/when/source/note/old → new). Who may edit: an admin, or a
steward of the indicator's responsible department (any steward when it names none). The form carries
a CSRF token (the login session's own).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from shucang.api.deps import get_actor, get_warehouse
from shucang.errors import AuthenticationRequired, InputError, PermissionDenied
from shucang.warehouse import Warehouse
from shucang.web import plan_data
from shucang.web.exports import export_response
from shucang.web.i18n import N_, gettext, request_lang
from shucang.web.memo import forget
from shucang.web.overview_views import indicator_table
from shucang.web.render import check_csrf, page
from shucang.web.tables import Column, Table

router = APIRouter(include_in_schema=False)

SCOPE_MSGIDS = {"main": N_("Main targets"), "text": N_("Targets in the text"), "project": N_("Key project targets")}


def may_edit(actor: Any, department: str | None) -> bool:
    """Admins, and stewards of the indicator's department (any steward when it has none)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    from shucang.share.access import Resource, allowed

    return allowed(actor, "plan:write", Resource("indicator", department=department))


def source_label(source: str | None, lang: str) -> str:
    """manual → 手工填报, metric:x → 由数据计算（x）, synthetic → 合成演示, import:f → 导入（f）."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    if not source:
        return "–"
    computed, imported = _("Computed from data"), _("Imported")
    if source.startswith("metric:"):
        return f"{computed}（{source.split(':', 1)[1]}）"
    if source.startswith("import:"):
        return f"{imported}（{source.split(':', 1)[1]}）"
    return {"manual": _("Entered"), "synthetic": _("Synthetic entry")}.get(source, source)


def indicators_data(wh: Warehouse, lang: str) -> dict[str, Any]:
    """Every quantified target of the plan, as one table per scope (main table, text, projects)."""
    tables = []
    plan = None
    for scope in ("main", "text", "project"):
        plan, cards = plan_data.plan_cards(wh, scope=scope)
        table = indicator_table(cards, lang, name=f"indicators-{scope}", export_url=f"/indicators/export/indicators-{scope}")
        table.title = gettext(lang, SCOPE_MSGIDS[scope])
        tables.append(table)
    return {"page_title": gettext(lang, "Indicators"), "plan": {"id": plan.id, "title": plan.title} if plan else None,
            "tables": tables}


def _chart(series: dict[str, Any], lang: str) -> dict[str, Any]:
    """ECharts spec: actuals by year, baseline and target lines, projection to the target year."""
    ind, status = series["indicator"], series["status"]
    yearly = {v["year"]: v["value"] for v in series["values"] if v["period_kind"] == "year"}
    base = series.get("baseline") or {}
    if base.get("value") is not None:
        yearly.setdefault(base["year"], base["value"])
    target = series["target"]
    start = min([*yearly, *( [base["year"]] if base else [] ), target["year"]])
    years = list(range(start, max([target["year"], *yearly]) + 1))
    method = status.get("projection_method")
    path = {p["year"]: p.get(method) for p in series.get("projection_path", [])} if method in ("cagr", "linear") else {}
    _ = lambda s: gettext(lang, s)  # noqa: E731
    return {
        "kind": "indicator", "file": ind["id"], "unit": ind["unit"], "years": years,
        "actual": [yearly.get(y) for y in years],
        "projection": [path.get(y) for y in years] if any(v is not None for v in path.values()) else [],
        "baseline": base.get("value"), "target": target["value"],
        "names": {"actual": _("Actual"), "projection": _("Projection") + (f"（{method.upper()}）" if method else ""),
                  "baseline": _("Baseline"), "target": _("Target")},
    }


def indicator_data(wh: Warehouse, indicator_id: str, lang: str) -> dict[str, Any]:
    """One indicator: facts, status, chart, values (with source and lineage) and edit history."""
    from shucang.plan import monitor

    _ = lambda s: gettext(lang, s)  # noqa: E731
    series = monitor.indicator_series(wh, None, indicator_id)
    ind, status = series["indicator"], series["status"]
    values = sorted(series["values"], key=lambda v: (v["year"], v["period"]), reverse=True)
    value_rows = []
    for v in values:
        lineage = v.get("lineage") or {}
        value_rows.append({
            "period": v["period"], "value": v["value"], "source": source_label(v["source"], lang),
            "lineage": "、".join(f"{name}@v{ver}" for name, ver in lineage.items()) or "–",
            "note": v.get("note") or "", "updated_by": v.get("updated_by"), "updated_at": v.get("updated_at")})
    values_table = Table("values", _("Values"), [
        Column("period", _("Period")), Column("value", _("Value") + f"（{ind['unit']}）", "number"),
        Column("source", _("Source")), Column("lineage", _("Lineage (dataset@version)")), Column("note", _("Note")),
        Column("updated_by", _("By")), Column("updated_at", _("Updated"), "when")], value_rows,
        export_url=f"/indicators/{ind['id']}/export/values")
    history = monitor.value_history(wh, None, ind["id"], limit=200)
    history_table = Table("history", _("Edit history"), [
        Column("at", _("Time"), "when"), Column("period", _("Period")), Column("action", _("Action")),
        Column("old", _("Old value"), "number"), Column("new", _("New value"), "number"),
        Column("source", _("Source")), Column("actor", _("By")), Column("note", _("Note"))],
        [{"at": h.at, "period": h.period, "action": h.action, "old": h.old_value, "new": h.new_value,
          "source": source_label(h.source, lang), "actor": h.actor, "note": h.note} for h in history],
        export_url=f"/indicators/{ind['id']}/export/history")
    lineage_links = sorted({(name, ver) for v in values for name, ver in (v.get("lineage") or {}).items()
                            if isinstance(ver, int)})
    return {
        "page_title": ind["name"], "indicator": ind, "status": status,
        "chart_spec": _chart(series, lang), "tables": [values_table, history_table],
        "lineage": [{"dataset": n, "version": ver} for n, ver in lineage_links],
        "projection_path": series.get("projection_path", []),
    }


@router.get("/indicators")
def indicators_page(request: Request) -> Response:
    data = indicators_data(get_warehouse(request), request_lang(request))
    return page(request, "indicators.html", data, active="indicators")


@router.get("/indicators/export/{table}.{fmt}")
def indicators_export(request: Request, table: str, fmt: str) -> Response:
    data = indicators_data(get_warehouse(request), request_lang(request))
    return export_response(data["tables"], table, fmt)


def _detail(request: Request, indicator_id: str, *, status: int = 200, form: dict[str, Any] | None = None) -> Response:
    lang = request_lang(request)
    data = indicator_data(get_warehouse(request), indicator_id, lang)
    actor = get_actor(request)
    context = {"can_edit": may_edit(actor, data["indicator"].get("department")), "form": form or {},
               "saved": request.query_params.get("saved")}
    return page(request, "indicator.html", data, status=status, context=context, active="indicators")


@router.get("/indicators/{indicator_id}")
def indicator_page(request: Request, indicator_id: str) -> Response:
    return _detail(request, indicator_id)


@router.get("/indicators/{indicator_id}/export/{table}.{fmt}")
def indicator_export(request: Request, indicator_id: str, table: str, fmt: str) -> Response:
    data = indicator_data(get_warehouse(request), indicator_id, request_lang(request))
    return export_response(data["tables"], table, fmt)


@router.post("/indicators/{indicator_id}/actuals")
def indicator_edit(request: Request, indicator_id: str, year: str = Form(""), value: str = Form(""),
                   note: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Enter or correct one yearly value (authorised users, CSRF-checked, audited by the plan engine)."""
    from shucang.plan import monitor

    lang = request_lang(request)
    wh = get_warehouse(request)
    actor = get_actor(request)
    if not actor.is_authenticated:
        raise AuthenticationRequired(gettext(lang, "Please log in to edit values."), hint="/login")
    if not check_csrf(request, csrf_token):
        raise PermissionDenied(gettext(lang, "The form has expired (CSRF check failed). Reload the page and try again."))
    ind = monitor.load_plan(wh).indicator(indicator_id)
    if not may_edit(actor, ind.department):
        raise PermissionDenied(gettext(lang, "You may not edit this indicator's values."),
                               hint=gettext(lang, "Ask a steward of the responsible department or an admin."))
    try:
        number = float(value.replace(",", "").replace("，", "").strip())
        if not year.strip():
            raise InputError(gettext(lang, "Enter a year."))
        monitor.set_actual(wh, None, ind.id, year.strip(), number, actor=actor.name, source="manual", note=note.strip())
    except ValueError:
        return _detail(request, indicator_id, status=400,
                       form={"year": year, "value": value, "note": note,
                             "error": gettext(lang, "Enter a number for the value.")})
    except InputError as exc:
        return _detail(request, indicator_id, status=400,
                       form={"year": year, "value": value, "note": note, "error": exc.message})
    forget(request.app.state)
    return RedirectResponse(f"/indicators/{quote(ind.id)}?saved={quote(year.strip())}", status_code=303)
