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

from shucang.errors import AuthenticationRequired, Conflict, InputError, PermissionDenied
from shucang.plan.report import STATUS_RULE
from shucang.plan.validation import may_edit
from shucang.shell.request import get_actor, get_warehouse
from shucang.warehouse import Warehouse
from shucang.web import plan_data
from shucang.web.exports import export_response
from shucang.web.i18n import N_, gettext, request_lang
from shucang.web.indicator_chart import indicator_chart
from shucang.web.labels import actor_label, code_label, display_name, display_names
from shucang.web.memo import forget
from shucang.web.overview_views import indicator_table
from shucang.web.render import check_csrf, page
from shucang.web.tables import Column, Table

__all__ = ["may_edit", "router"]
router = APIRouter(include_in_schema=False)

SCOPE_MSGIDS = {"main": N_("Main targets"), "text": N_("Targets in the text"), "project": N_("Key project targets")}


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


def indicators_data(wh: Warehouse, lang: str, plan_id: str | None = None) -> dict[str, Any]:
    """Every quantified target of the plan, as one table per scope (main table, text, projects)."""
    base = plan_data.plan_base(plan_id)
    tables = []
    plan = None
    for scope in ("main", "text", "project"):
        plan, cards = plan_data.plan_cards(wh, plan_id, scope=scope)
        table = indicator_table(cards, lang, name=f"indicators-{scope}",
                                export_url=f"{base}/indicators/export/indicators-{scope}", base=base)
        table.title = gettext(lang, SCOPE_MSGIDS[scope])
        tables.append(table)
    return {"page_title": gettext(lang, "Indicators"), "plan": {"id": plan.id, "title": plan.title} if plan else None,
            "plan_nav": plan_data.plan_nav(wh, plan, base, "indicators") if plan else None, "tables": tables}


def indicator_data(wh: Warehouse, indicator_id: str, lang: str, plan_id: str | None = None) -> dict[str, Any]:
    """One indicator: facts, status, chart, values (with source and lineage) and edit history."""
    from shucang.plan import monitor
    from shucang.plan.nextplan import continued_series
    from shucang.plan.register import lag_notes

    _ = lambda s: gettext(lang, s)  # noqa: E731
    plan = monitor.load_plan(wh, plan_id)
    base = plan_data.plan_base(plan_id)
    series = monitor.indicator_series(wh, plan.id, indicator_id)
    ind, status = series["indicator"], series["status"]
    values = sorted(series["values"], key=lambda v: (v["year"], v["period"]), reverse=True)
    value_rows = []
    for v in values:
        lineage = v.get("lineage") or {}
        value_rows.append({
            "period": v["period"], "value": v["value"], "source": source_label(v["source"], lang),
            "lineage": "、".join(f"{name}@v{ver}" for name, ver in lineage.items()) or "–",
            "note": v.get("note") or "", "updated_by": actor_label(v.get("updated_by"), lang), "updated_at": v.get("updated_at")})
    values_table = Table("values", _("Values"), [
        Column("period", _("Period")), Column("value", _("Value") + f"（{ind['unit']}）", "number"),
        Column("source", _("Source")), Column("lineage", _("Lineage (dataset@version)")), Column("note", _("Note")),
        Column("updated_by", _("By")), Column("updated_at", _("Updated"), "when")], value_rows,
        export_url=f"{base}/indicators/{ind['id']}/export/values")
    history = monitor.value_history(wh, plan.id, ind["id"], limit=200)
    names = display_names(wh)
    history_table = Table("history", _("Edit history"), [
        Column("at", _("Time"), "when"), Column("period", _("Period")), Column("action", _("Action")),
        Column("old", _("Old value"), "number"), Column("new", _("New value"), "number"),
        Column("source", _("Source")), Column("actor", _("By"), "person"), Column("note", _("Note"))],
        [{"at": h.at, "period": h.period, "action": code_label(h.action, lang),
          "old": h.old_value, "new": h.new_value, "source": source_label(h.source, lang),
          "actor": actor_label(h.actor, lang) if str(h.actor).startswith("system:")
          else display_name(h.actor, names), "note": h.note}
         for h in history],
        export_url=f"{base}/indicators/{ind['id']}/export/history")
    lineage_links = sorted({(name, ver) for v in values for name, ver in (v.get("lineage") or {}).items()
                            if isinstance(ver, int)})
    earlier = continued_series(wh, plan, plan.indicator(ind["id"]))
    return {
        "page_title": ind["name"], "indicator": ind, "status": status, "base": base,
        "plan_nav": plan_data.plan_nav(wh, plan, base, "indicators"),
        "chart_spec": indicator_chart(series, lang, earlier), "tables": [values_table, history_table],
        "lineage": [{"dataset": n, "version": ver} for n, ver in lineage_links],
        "projection_path": series.get("projection_path", []),
        "status_rule": STATUS_RULE, "lag_note": lag_notes(wh, plan.id).get(ind["id"]),
    }




@router.get("/indicators")
def indicators_page(request: Request) -> Response:
    data = indicators_data(get_warehouse(request), request_lang(request))
    return page(request, "indicators.html", data, active="indicators")


@router.get("/plans/{plan_id}/indicators")
def plan_indicators_page(request: Request, plan_id: str) -> Response:
    data = indicators_data(get_warehouse(request), request_lang(request), plan_id)
    return page(request, "indicators.html", data, active="indicators")


@router.get("/indicators/export/{table}.{fmt}")
def indicators_export(request: Request, table: str, fmt: str) -> Response:
    data = indicators_data(get_warehouse(request), request_lang(request))
    return export_response(data["tables"], table, fmt, request=request)


@router.get("/plans/{plan_id}/indicators/export/{table}.{fmt}")
def plan_indicators_export(request: Request, plan_id: str, table: str, fmt: str) -> Response:
    data = indicators_data(get_warehouse(request), request_lang(request), plan_id)
    return export_response(data["tables"], table, fmt, request=request)


def _detail(request: Request, indicator_id: str, plan_id: str | None = None, *, status: int = 200,
            form: dict[str, Any] | None = None) -> Response:
    lang = request_lang(request)
    data = indicator_data(get_warehouse(request), indicator_id, lang, plan_id)
    actor = get_actor(request)
    context = {"can_edit": may_edit(actor, data["indicator"].get("department")) and not data["status"]["closed"],
               "form": form or {}, "saved": request.query_params.get("saved")}
    return page(request, "indicator.html", data, status=status, context=context, active="indicators")


@router.get("/indicators/{indicator_id}")
def indicator_page(request: Request, indicator_id: str) -> Response:
    return _detail(request, indicator_id)


@router.get("/plans/{plan_id}/indicators/{indicator_id}")
def plan_indicator_page(request: Request, plan_id: str, indicator_id: str) -> Response:
    return _detail(request, indicator_id, plan_id)


@router.get("/indicators/{indicator_id}/export/{table}.{fmt}")
def indicator_export(request: Request, indicator_id: str, table: str, fmt: str) -> Response:
    data = indicator_data(get_warehouse(request), indicator_id, request_lang(request))
    return export_response(data["tables"], table, fmt, request=request)


@router.get("/plans/{plan_id}/indicators/{indicator_id}/export/{table}.{fmt}")
def plan_indicator_export(request: Request, plan_id: str, indicator_id: str, table: str, fmt: str) -> Response:
    data = indicator_data(get_warehouse(request), indicator_id, request_lang(request), plan_id)
    return export_response(data["tables"], table, fmt, request=request)


@router.post("/indicators/{indicator_id}/actuals")
def indicator_edit(request: Request, indicator_id: str, year: str = Form(""), value: str = Form(""),
                   note: str = Form(""), csrf_token: str = Form(""), confirm: str = Form("")) -> Response:
    """Enter or correct one yearly value of the default plan (see :func:`_edit`)."""
    return _edit(request, None, indicator_id, year, value, note, csrf_token, confirm)


@router.post("/plans/{plan_id}/indicators/{indicator_id}/actuals")
def plan_indicator_edit(request: Request, plan_id: str, indicator_id: str, year: str = Form(""),
                        value: str = Form(""), note: str = Form(""), csrf_token: str = Form(""),
                        confirm: str = Form("")) -> Response:
    return _edit(request, plan_id, indicator_id, year, value, note, csrf_token, confirm)


def _form_guard(request: Request, csrf_token: str) -> Any:
    lang = request_lang(request)
    actor = get_actor(request)
    if not actor.is_authenticated:
        raise AuthenticationRequired(gettext(lang, "Please log in to edit values."), hint="/login")
    if not check_csrf(request, csrf_token):
        raise PermissionDenied(gettext(lang, "The form has expired (CSRF check failed). Reload the page and try again."))
    return actor


def _edit(request: Request, plan_id: str | None, indicator_id: str, year: str, value: str, note: str,
          csrf_token: str, confirm: str) -> Response:
    """Enter or correct one yearly value (authorised users, CSRF-checked; checked and audited by the plan engine)."""
    from shucang.plan import monitor

    lang = request_lang(request)
    wh = get_warehouse(request)
    actor = _form_guard(request, csrf_token)
    ind = monitor.load_plan(wh, plan_id).indicator(indicator_id)
    if not may_edit(actor, ind.department):
        raise PermissionDenied(gettext(lang, "You may not edit this indicator's values."),
                               hint=gettext(lang, "Ask a steward of the responsible department or an admin."))
    form = {"year": year, "value": value, "note": note, "confirm": confirm == "1"}
    try:
        if not year.strip():
            raise InputError(gettext(lang, "Enter a year."))
        if not value.strip():
            raise InputError(gettext(lang, "Enter a number for the value."))
        monitor.set_actual(wh, plan_id, ind.id, year.strip(), value, actor=actor.name, source="manual",
                           note=note.strip(), confirm=confirm == "1", editor=actor)
    except (InputError, Conflict) as exc:
        return _detail(request, indicator_id, plan_id, status=exc.status, form={**form, "error": exc.message})
    forget(request.app.state)
    base = plan_data.plan_base(plan_id)
    return RedirectResponse(f"{base}/indicators/{quote(ind.id)}?saved={quote(year.strip())}", status_code=303)


@router.post("/plans/{plan_id}/indicators/{indicator_id}/explanation")
def plan_indicator_explain(request: Request, plan_id: str, indicator_id: str, reason: str = Form(""),
                           next_steps: str = Form(""), csrf_token: str = Form("")) -> Response:
    """滞后原因与下一步措施, written by the responsible department (same rule as values)."""
    from shucang.plan import monitor
    from shucang.plan.register import explain

    wh = get_warehouse(request)
    actor = _form_guard(request, csrf_token)
    plan = monitor.load_plan(wh, plan_id)
    try:
        explain(wh, plan, indicator_id, reason=reason, next_steps=next_steps, actor=actor.name, editor=actor)
    except InputError as exc:
        return _detail(request, indicator_id, plan_id, status=400, form={"explain_error": exc.message,
                                                                         "reason": reason, "next_steps": next_steps})
    forget(request.app.state)
    return RedirectResponse(f"/plans/{quote(plan.id)}/indicators/{quote(indicator_id)}?explained=1", status_code=303)
