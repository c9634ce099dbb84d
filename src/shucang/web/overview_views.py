"""总览 page (``/``): plan progress at a glance, by category, with the composite index and the
latest data refresh. Works without a plan (it then lists the warehouse's datasets), so issue 2's
minimal dataset page is this page on a warehouse without plan values.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from shucang.errors import NotFound
from shucang.shell.request import get_warehouse
from shucang.warehouse import Warehouse
from shucang.web import plan_data
from shucang.web.exports import export_response
from shucang.web.i18n import gettext, request_lang
from shucang.web.labels import code_label
from shucang.web.memo import memo
from shucang.web.render import STATUS_MSGIDS, page
from shucang.web.tables import Column, Table
from shucang.web.warehouse_views import latest_refresh

router = APIRouter(include_in_schema=False)

STATUS_COLOURS = {"met": "#1f8a4c", "largely_met": "#d69a00", "lagging": "#c0392b", "no_data": "#8a96a8"}


def indicator_table(cards: list[dict[str, Any]], lang: str, name: str = "indicators",
                    export_url: str = "/export/indicators", base: str = "") -> Table:
    """All indicators as one table (the overview's export and the indicator list)."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    return Table(name, _("Indicators"), [
        Column("indicator", _("Indicator"), "link"), Column("category", _("Category")), Column("unit", _("Unit")),
        Column("baseline", _("Baseline"), "number"), Column("latest", _("Latest"), "number"),
        Column("latest_year", _("Year")), Column("target", _("Target"), "number"),
        Column("target_year", _("Target year")), Column("completion", _("Completion"), "ratio"),
        Column("status", _("Status"), "status"), Column("source", _("Source")),
    ], [{"indicator": {"text": c["full_name"], "href": f"{base}/indicators/{c['id']}"}, "category": c["category_name"],
         "unit": c["unit"], "baseline": c["baseline"], "latest": c["latest"], "latest_year": c["latest_year"],
         "target": c["target"], "target_year": c["target_year"], "completion": c["completion"],
         "status": c["status"],
         "source": (_("Computed from data") if c["computed"] else code_label(c["source"], lang))} for c in cards],
        export_url=export_url)


def status_chart(cats: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """Stacked bars: indicators per category by status."""
    return {"kind": "bars", "stack": True, "file": "status-by-category", "horizontal": True,
            "href": "/indicators", "series_codes": list(plan_data.STATUS_ORDER), "filter_by_category": True,
            "categories": [c["name"] for c in cats],
            "series": [{"name": gettext(lang, STATUS_MSGIDS[code]), "color": STATUS_COLOURS[code],
                        "values": [c["counts"].get(code, 0) for c in cats]} for code in plan_data.STATUS_ORDER]}


def data_state(wh: Warehouse, datasets: list[Any]) -> tuple[Any, ...]:
    """What the overview depends on: dataset versions and the plans' stamp
    (:func:`shucang.plan.stamp.plan_stamp`: values, plan files, closures, revisions)."""
    from shucang.plan.stamp import plan_stamp

    return tuple((d.name, d.current_version, d.updated_at) for d in datasets), plan_stamp(wh)


def overview_data(wh: Warehouse, lang: str, state: Any = None, *, plan_id: str | None = None) -> dict[str, Any]:
    """The overview's data (memoised on ``state`` per data state, see :func:`data_state`); ``plan_id``
    None is the default plan at the old address ``/``, else the page ``/plans/PLAN_ID/``."""
    if state is None:
        return _overview_data(wh, lang, wh.list_datasets(), plan_id)
    datasets = wh.list_datasets()
    key = ("overview", lang, plan_id, data_state(wh, datasets))
    return memo(state, key, 30.0, lambda: _overview_data(wh, lang, datasets, plan_id))


def _overview_data(wh: Warehouse, lang: str, datasets: list[Any], plan_id: str | None = None) -> dict[str, Any]:
    """The overview's data: plan cards by category (when a plan is available) and warehouse facts."""
    data: dict[str, Any] = {
        "page_title": gettext(lang, "Overview"),
        "latest_refresh": latest_refresh(wh),
        "warehouse": {"datasets": len(datasets), "rows": sum(d.row_count for d in datasets),
                      "departments": len({d.department for d in datasets if d.department})},
        "synthetic_note": any(d.synthetic for d in datasets),
        "plan": None, "tables": [],
    }
    base = plan_data.plan_base(plan_id)
    try:
        plan, cards = plan_data.plan_cards(wh, plan_id)
    except NotFound as exc:
        if plan_id is not None:
            raise
        data["plan_unavailable"] = getattr(exc, "message", None) or gettext(lang, "plan monitoring")
        data["dataset_table"] = _dataset_table(datasets, lang)
        data["tables"] = [data["dataset_table"]]
        return data
    cards = plan_data.with_links(cards, base)
    cats = plan_data.categories(plan, cards)
    index = plan_data.latest_index(wh, plan.id)
    data.update({
        "plan_nav": plan_data.plan_nav(wh, plan, base),
        "plan": {"id": plan.id, "title": plan.title, "start_year": plan.start_year, "end_year": plan.end_year},
        "as_of_year": max((c["latest_year"] for c in cards if c["latest_year"]), default=None),
        "counts": plan_data.status_counts(cards),
        "categories": cats,
        "index": index,
        "status_chart": status_chart(cats, lang),
        "index_chart": ({"kind": "gauge", "file": "composite-index", "value": round(index["value"], 1),
                         "max": index.get("scale") or 100, "name": str(index["year"])}
                        if index and index.get("value") is not None else None),
        "tables": [indicator_table(cards, lang, export_url=f"{base}/export/indicators", base=base)],
    })
    data["tables"][0].period = f"{plan.start_year}–{plan.end_year}"
    return data


def _dataset_table(datasets: list[Any], lang: str) -> Table:
    _ = lambda s: gettext(lang, s)  # noqa: E731
    return Table("datasets", _("Datasets"), [
        Column("dataset", _("Dataset"), "link"), Column("department", _("Department")),
        Column("rows", _("Rows"), "count"), Column("updated_at", _("Updated"), "when"),
        Column("synthetic", _("Synthetic"), "bool")],
        [{"dataset": {"text": d.title, "href": f"/warehouse/{d.name}"}, "department": d.department_name or d.department,
          "rows": d.row_count, "updated_at": d.updated_at, "synthetic": d.synthetic} for d in datasets],
        export_url="/export/datasets")


@router.get("/")
def overview_page(request: Request) -> Response:
    wanted = request.query_params.get("plan")
    if wanted:  # /?plan=ID: that plan's own page
        return RedirectResponse(f"/plans/{quote(wanted)}/", status_code=303)
    data = overview_data(get_warehouse(request), request_lang(request), request.app.state)
    return page(request, "overview.html", data, active="overview")


@router.get("/export/{table}.{fmt}")
def overview_export(request: Request, table: str, fmt: str) -> Response:
    data = overview_data(get_warehouse(request), request_lang(request))
    return export_response(data["tables"], table, fmt, request=request)


@router.get("/plans")
@router.get("/plans/")
def plans_index(request: Request) -> Response:
    """The plan pages start at the default plan's overview."""
    from shucang.plan.monitor import current_plan_id

    return RedirectResponse(f"/plans/{quote(current_plan_id(get_warehouse(request)))}/", status_code=303)


@router.get("/plans/go")
def plans_go(request: Request, plan: str = "", page: str = "") -> Response:
    """The plan selector's target: the same page of the chosen plan (a form, so it works without script)."""
    from shucang.plan.monitor import load_plan

    chosen = load_plan(get_warehouse(request), plan or None)
    tail = page if page in PLAN_PAGES else ""
    return RedirectResponse(f"/plans/{quote(chosen.id)}/{tail}", status_code=303)


PLAN_PAGES = ("", "indicators", "tasks", "zones")


@router.get("/plans/{plan_id}")
def plan_overview_redirect(plan_id: str) -> Response:
    return RedirectResponse(f"/plans/{quote(plan_id)}/", status_code=307)


@router.get("/plans/{plan_id}/")
def plan_overview_page(request: Request, plan_id: str) -> Response:
    data = overview_data(get_warehouse(request), request_lang(request), request.app.state, plan_id=plan_id)
    return page(request, "overview.html", data, active="overview")


@router.get("/plans/{plan_id}/export/{table}.{fmt}")
def plan_overview_export(request: Request, plan_id: str, table: str, fmt: str) -> Response:
    data = overview_data(get_warehouse(request), request_lang(request), plan_id=plan_id)
    return export_response(data["tables"], table, fmt, request=request)
