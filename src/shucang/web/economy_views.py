"""产业大脑 pages (``/economy…``): county overview, chain, town, enterprise list and portrait, 亩均.

Each page's data comes from ``shucang.economy`` (the same calls as ``/api/v1/economy``); tables are the
cockpit's :class:`Table` and download as XLSX or CSV under the cockpit's one title block
(``shucang.web.exports``: title, period, caliber, source datasets with versions, export time, who, label). Single-enterprise tables appear
only for callers allowed to see them; everyone else sees aggregates with small groups blanked.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shucang.errors import InputError, NotFound
from shucang.shell.request import get_actor, get_warehouse
from shucang.web.exports import export_response
from shucang.web.i18n import gettext, request_lang
from shucang.web.memo import memo
from shucang.web.render import page
from shucang.web.tables import Column, Table

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

router = APIRouter(include_in_schema=False)
MEMO_TTL = 300.0
"""Aggregate figures are remembered per dataset version for this long (a new version is a new key)."""


def _yoy_table(name: str, title: str, figures: dict[str, Any], lang: str, link: str | None = None) -> Table:
    _ = lambda s: gettext(lang, s)  # noqa: E731
    rows = []
    for r in [*figures["rows"], figures["total"]]:
        group: Any = r["group"]
        if link and r is not figures["total"]:
            group = {"text": r["group"], "href": link.format(quote(str(r["group"])))}
        rows.append({"group": group, "current": r["current"], "previous": r["previous"], "yoy_pct": r["yoy_pct"],
                     "enterprises": r["enterprises"]})
    return Table(name, title, [Column("group", _("Group"), "link" if link else "text"),
                               Column("current", _("Cumulative (current year)"), "number"),
                               Column("previous", _("Cumulative (last year)"), "number"),
                               Column("yoy_pct", _("YoY %"), "percent"),
                               Column("enterprises", _("Enterprises"), "count")], rows)


def _meta(data: dict[str, Any], lang: str) -> dict[str, Any]:
    _ = lambda s: gettext(lang, s)  # noqa: E731
    caliber = data.get("caliber")
    caliber_text = {"comparable": _("comparable (same enterprises both years)"),
                    "all": _("all reports")}.get(str(caliber), str(caliber or ""))
    return {"period": data.get("period"), "caliber_text": caliber_text, "sources": data.get("sources", []),
            "synthetic": any(s.get("synthetic") for s in data.get("sources", []))}


def overview_data(request: Request) -> dict[str, Any]:
    from shucang.economy.monitor import overview
    from shucang.web.cixi_map import build_map

    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    wh = get_warehouse(request)
    caliber = request.query_params.get("caliber") or "comparable"
    actor = get_actor(request)
    period = request.query_params.get("period") or None
    data = memo(request.app.state, _memo_key(wh, "overview", actor, period, caliber), MEMO_TTL,
                lambda: overview(wh, actor, period=period, caliber=caliber))
    points = data["trend"]["points"]
    trend_chart = {"kind": "line", "file": "economy-trend", "x": [p["period"] for p in points],
                   "unit": _("10k yuan"), "series": [
                       {"name": _("This year"), "values": [p["value"] for p in points]},
                       {"name": _("Same month last year"), "values": [p["previous"] for p in points]}]}
    chains = [r for r in data["by_chain"]["rows"] if r["yoy_pct"] is not None]
    chain_chart = {"kind": "bars", "file": "economy-chains", "unit": "%", "categories": [r["group"] for r in chains],
                   "series": [{"name": _("YoY %"), "values": [r["yoy_pct"] for r in chains]},
                              {"name": _("County"), "values": [data["by_chain"]["total"]["yoy_pct"]] * len(chains)}]}
    drawn = build_map([])
    by_town = {r["group"]: r for r in data["by_town"]["rows"]}
    towns = [{"name": t.name, "x": t.x, "y": t.y, "figure": by_town.get(t.name)} for t in drawn.towns]
    chain_ids = _chain_ids(wh)
    tables = [
        _yoy_table("chains", _("By industry chain"), data["by_chain"], lang, None),
        _yoy_table("towns", _("By town"), data["by_town"], lang, "/economy/towns/{}"),
        Table("trend", _("Monthly trend"), [Column("period", _("Month")), Column("value", _("This year"), "number"),
                                            Column("previous", _("Same month last year"), "number"),
                                            Column("yoy_pct", _("YoY %"), "percent"),
                                            Column("enterprises", _("Enterprises"), "count")], list(points)),
    ]
    for row in tables[0].rows:
        cid = chain_ids.get(str(row["group"]))
        if cid:
            row["group"] = {"text": row["group"], "href": f"/economy/chains/{cid}"}
    tables[0].columns[0].kind = "link"
    for t in tables:
        t.export_url = f"/economy/export/{t.name}"
    return {"page_title": _("Economic monitoring"), **_meta(data, lang), "caliber": caliber,
            "headline": data["headline"], "trend_chart": trend_chart, "chain_chart": chain_chart,
            "map": drawn, "towns": towns, "tables": tables, "measure": data["trend"]["measure"]}


def _memo_key(wh: Warehouse, what: str, actor: Any, *parts: Any) -> tuple[Any, ...]:
    """What an aggregate page depends on: the bound dataset's version, the arguments, admin or not
    (suppression), and the county's chain file (its modification time)."""
    from shucang.economy.binding import default_dataset

    name = default_dataset(wh, None)
    chains = wh.settings.home / "economy" / "chains.yaml"
    return ("economy", what, name, wh.dataset(name).current_version, actor.role == "admin",
            chains.stat().st_mtime if chains.exists() else None, *parts)


def _chain_ids(wh: Warehouse) -> dict[str, str]:
    from shucang.economy.reference import load_chains

    return {c.name: c.id for c in load_chains(wh.settings.home)}


def group_data(request: Request, by: str, group: str) -> dict[str, Any]:
    from shucang.economy.monitor import group_page

    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    wh, actor = get_warehouse(request), get_actor(request)
    period = request.query_params.get("period") or None
    data = memo(request.app.state, _memo_key(wh, by, actor, group, period), MEMO_TTL,
                lambda: group_page(wh, actor, by, group, period=period))
    rows = [{"measure": m["measure"], "current": m["group"].get("current"), "previous": m["group"].get("previous"),
             "yoy_pct": m["group"].get("yoy_pct"), "county_yoy_pct": m["county"]["yoy_pct"],
             "enterprises": m["group"].get("enterprises")} for m in data["measures"]]
    table = Table("measures", f"{data['label']} · {_('Cumulative YoY')}", [
        Column("measure", _("Measure")), Column("current", _("Cumulative (current year)"), "number"),
        Column("previous", _("Cumulative (last year)"), "number"), Column("yoy_pct", _("YoY %"), "percent"),
        Column("county_yoy_pct", _("County YoY %"), "percent"), Column("enterprises", _("Enterprises"), "count")],
        rows, export_url=f"/economy/{'chains' if by == 'chain' else 'towns'}/{quote(group)}/export/measures")
    chart = {"kind": "bars", "file": f"economy-{by}", "unit": "%", "categories": [r["measure"] for r in rows],
             "series": [{"name": data["label"], "values": [r["yoy_pct"] for r in rows]},
                        {"name": _("County"), "values": [r["county_yoy_pct"] for r in rows]}]}
    return {"page_title": data["label"], **_meta(data, lang), "by": by, "label": data["label"], "codes": data["codes"],
            "group_chart": chart, "tables": [table], "suppressed": any(m["group"].get("suppressed") for m in data["measures"])}


def enterprises_data(request: Request) -> dict[str, Any]:
    from shucang.economy.binding import default_dataset
    from shucang.economy.portrait import enterprise_list
    from shucang.economy.visibility import can_see_enterprises

    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    wh, actor = get_warehouse(request), get_actor(request)
    qp = request.query_params
    base = {"page_title": _("Enterprises"), "filters": {k: qp.get(k) or "" for k in ("town", "chain", "industry", "q")},
            "chains": [{"id": v, "name": k} for k, v in _chain_ids(wh).items()]}
    if not can_see_enterprises(wh, actor, default_dataset(wh, None)):
        return {**base, "allowed": False, "tables": []}
    industry = qp.get("industry") or None
    if industry and not re.fullmatch(r"[0-9]{1,4}", industry):
        raise InputError("行业代码应为1–4位数字 (industry code: 1–4 digits)")
    data = enterprise_list(wh, actor, period=qp.get("period") or None, town=qp.get("town") or None,
                           chain=qp.get("chain") or None, industry=industry, q=qp.get("q") or None)
    rows = [{**r, "name": {"text": r["name"] or r["enterprise"], "href": f"/economy/enterprises/{r['enterprise']}"},
             "chains": "、".join(r["chains"])} for r in data["rows"]]
    table = Table("enterprises", _("Enterprises"), [
        Column("name", _("Enterprise"), "link"), Column("enterprise", _("Credit code")), Column("town", _("Town")),
        Column("industry", _("Industry code")), Column("chains", _("Chains")),
        Column("current", _("Cumulative (current year)"), "number"), Column("yoy_pct", _("YoY %"), "percent"),
        Column("alerts", _("Alerts"), "count")], rows, export_url="/economy/enterprises/export/enterprises")
    return {**base, **_meta(data, lang), "allowed": True, "count": data["count"], "tables": [table]}


def portrait_data(request: Request, uscc: str, fmt: str = "json") -> dict[str, Any]:
    from shucang.economy.portrait import portrait

    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    data = portrait(get_warehouse(request), get_actor(request), uscc, channel="display", fmt=fmt)
    output = next((m for m in data["measures"] if "产值" in m), data["measures"][0])
    chart = {"kind": "line", "file": "enterprise-output", "x": [m["period"] for m in data["monthly"]],
             "unit": _("10k yuan"), "series": [{"name": output, "values": [m.get(output) for m in data["monthly"]]}]}
    cols = [Column("period", _("Month"))] + [Column(m, m, "number") for m in data["measures"]] + [
        Column("corrected", _("Corrected"), "bool")]
    monthly = Table("monthly", _("Monthly reports"), cols, list(reversed(data["monthly"])),
                    export_url=f"/economy/enterprises/{quote(uscc)}/export/monthly")
    parts = []
    for key, part in data["parts"].items():
        if part["available"] and part["rows"]:
            names = list(part["rows"][0])
            parts.append(Table(f"part-{key}", part["dataset"], [Column(n, n) for n in names], part["rows"],
                               note=(_("Masked") + ": " + "、".join(part["masked_columns"]))
                               if part["masked_columns"] else "",
                               export_url=f"/economy/enterprises/{quote(uscc)}/parts/export/{key}"))
    return {"page_title": data["name"] or uscc, **_meta(data, lang), "p": data, "portrait_chart": chart,
            "tables": [monthly], "parts": parts, "alerts_table": _alerts_table(data, lang)}


def mujun_data(request: Request) -> dict[str, Any]:
    from shucang.economy.mujun import visible_evaluation

    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    year = request.query_params.get("year")
    if year and not year.isdigit():
        raise InputError("年份应为数字 (year must be a number)")
    data = visible_evaluation(get_warehouse(request), get_actor(request), int(year) if year else None)
    dist_cols = [Column("group", _("Group")), Column("A", "A", "count"), Column("B", "B", "count"),
                 Column("C", "C", "count"), Column("D", "D", "count"), Column("enterprises", _("Enterprises"), "count")]
    tables = [Table("by-town", _("Classes by town"), dist_cols, data["distribution"]["town"]),
              Table("by-chain", _("Classes by chain"), dist_cols, data["distribution"]["chain"])]
    if data["evaluated"]:
        from shucang.economy.mujun import LIST_COLUMNS

        rows = [{**r, "name": {"text": r["name"], "href": f"/economy/enterprises/{r['enterprise']}"}}
                for r in data["evaluated"]]
        cols = [Column(k, label, "link" if k == "name" else ("number" if k not in ("rank", "enterprise", "town",
                "industry", "class") else "text")) for k, label in LIST_COLUMNS]
        tables.append(Table("evaluation", _("Evaluation list"), cols, rows))
        tables.append(Table("not-evaluable", _("Not evaluable"), [
            Column("enterprise", _("Credit code")), Column("name", _("Enterprise")), Column("reason", _("Reason"))],
            data["not_evaluable"] + data["not_eligible"]))
    for t in tables:
        t.export_url = f"/economy/mujun/export/{t.name}"
    indicators = [{"key": k, **v, "county": data["county"].get(k)} for k, v in data["method"]["indicators"].items()]
    return {"page_title": _("Per-mu efficiency"), "period": str(data["year"]), "year": data["year"],
            "caliber_text": data["method"].get("source", ""), "sources": data["sources"],
            "synthetic": any(s.get("version") for s in data["sources"]) and _synthetic(request, data["dataset"]),
            "indicators": indicators, "method": data["method"], "total": data["distribution"]["total"],
            "hidden": bool(data.get("enterprise_list_hidden")), "tables": tables}


def _synthetic(request: Request, dataset: str) -> bool:
    return bool(get_warehouse(request).dataset(dataset).synthetic)


def export(request: Request, data: dict[str, Any], name: str, fmt: str) -> Response:
    """One of a page's tables as XLSX or CSV under the cockpit's one title block, with the caliber line."""
    sources = [f"{s['dataset']} v{s['version']}" for s in data.get("sources") or []]
    for t in data["tables"]:
        t.period, t.caliber = str(data.get("period") or ""), str(data.get("caliber_text") or "")
        t.sources, t.synthetic = sources, bool(data.get("synthetic"))
    return export_response(data["tables"], name, fmt, request=request)


@router.get("/economy")
def overview_page(request: Request) -> Response:
    return page(request, "economy/overview.html", overview_data(request), active="economy")


@router.get("/economy/export/{table}.{fmt}")
def overview_export(request: Request, table: str, fmt: str) -> Response:
    return export(request, overview_data(request), table, fmt)


@router.get("/economy/chains/{chain_id}")
def chain_page(request: Request, chain_id: str) -> Response:
    return page(request, "economy/group.html", group_data(request, "chain", chain_id), active="economy")


@router.get("/economy/chains/{chain_id}/export/{table}.{fmt}")
def chain_export(request: Request, chain_id: str, table: str, fmt: str) -> Response:
    return export(request, group_data(request, "chain", chain_id), table, fmt)


@router.get("/economy/towns/{town}")
def town_page(request: Request, town: str) -> Response:
    return page(request, "economy/group.html", group_data(request, "town", town), active="economy")


@router.get("/economy/towns/{town}/export/{table}.{fmt}")
def town_export(request: Request, town: str, table: str, fmt: str) -> Response:
    return export(request, group_data(request, "town", town), table, fmt)


@router.get("/economy/enterprises")
def enterprises_page(request: Request) -> Response:
    return page(request, "economy/enterprises.html", enterprises_data(request), active="economy")


@router.get("/economy/enterprises/export/{table}.{fmt}")
def enterprises_export(request: Request, table: str, fmt: str) -> Response:
    return export(request, enterprises_data(request), table, fmt)


@router.get("/economy/enterprises/{uscc}")
def portrait_page(request: Request, uscc: str) -> Response:
    return page(request, "economy/portrait.html", portrait_data(request, uscc), active="economy")


@router.get("/economy/enterprises/{uscc}/export/{table}.{fmt}")
def portrait_export(request: Request, uscc: str, table: str, fmt: str) -> Response:
    return export(request, portrait_data(request, uscc), table, fmt)


@router.get("/economy/mujun")
def mujun_page(request: Request) -> Response:
    return page(request, "economy/mujun.html", mujun_data(request), active="economy")


@router.get("/economy/mujun/export/{table}.{fmt}")
def mujun_export(request: Request, table: str, fmt: str) -> Response:
    return export(request, mujun_data(request), table, fmt)


# ---- exports of the portrait's other parts, the alerts, the headline and the 亩均 method (issue 11, item 7)

def _alerts_table(data: dict[str, Any], lang: str) -> Table | None:
    """The portrait's alerts as a table (shown and exported like every other table)."""
    if not data["alerts"]:
        return None
    _ = lambda s: gettext(lang, s)  # noqa: E731
    return Table("alerts", _("Alerts"), [
        Column("period", _("Month")), Column("rule", _("Rule")), Column("severity", _("Severity")),
        Column("message", _("Message"))], [{k: a[k] for k in ("period", "rule", "severity", "message")}
                                          for a in data["alerts"]],
        export_url=f"/economy/enterprises/{quote(data['enterprise'])}/parts/export/alerts")


def portrait_part_data(request: Request, uscc: str, part: str, fmt: str) -> dict[str, Any]:
    """One part of a portrait as an exportable page: read exactly as the page reads it (same caller,
    same channel, so the same rows and masking), its reads audited as an export; the header names the
    part's own dataset and version and the columns masked for this caller."""
    from dataclasses import replace

    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    data = portrait_data(request, uscc, fmt=fmt)
    p = data["p"]
    who = f"{p['name'] or uscc}（{uscc}）"
    if part == "alerts":
        table = data["alerts_table"]
        if table is None:
            raise NotFound(f"企业 {uscc} 没有预警 (no alerts for this enterprise)")
        return {**data, "tables": [replace(table, title=f"{who} · {table.title}")],
                "caliber_text": _("Watch rules, last evaluation")}
    table = next((t for t in data["parts"] if t.name == f"part-{part}"), None)
    raw = p["parts"].get(part)
    if table is None or raw is None:
        raise NotFound(f"企业画像没有可导出的部分 {part!r} (no such part to export)")
    masked = "、".join(raw["masked_columns"])
    caliber = _("Records about this enterprise") + (f"；{_('Masked')}: {masked}" if masked else "")
    return {**data, "tables": [replace(table, name=part, title=f"{who} · {raw['dataset']}")],
            "caliber_text": caliber, "sources": [{"dataset": raw["dataset"], "version": raw["version"]}],
            "synthetic": _synthetic(request, raw["dataset"])}


@router.get("/economy/enterprises/{uscc}/parts/export/{part}.{fmt}")
def portrait_part_export(request: Request, uscc: str, part: str, fmt: str) -> Response:
    return export(request, portrait_part_data(request, uscc, part, fmt), part, fmt)


def headline_data(request: Request) -> dict[str, Any]:
    """The overview's headline cards (cumulative YoY of output, sales, exports, electricity) as a table."""
    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    data = overview_data(request)
    rows = [{k: h.get(k) for k in ("measure", "current", "previous", "yoy_pct", "enterprises")}
            for h in data["headline"]]
    table = Table("headline", _("Cumulative YoY"), [
        Column("measure", _("Measure")), Column("current", _("Cumulative (current year)"), "number"),
        Column("previous", _("Cumulative (last year)"), "number"), Column("yoy_pct", _("YoY %"), "percent"),
        Column("enterprises", _("Enterprises"), "count")], rows)
    return {**data, "tables": [table]}


@router.get("/economy/headline/export.{fmt}")
def headline_export(request: Request, fmt: str) -> Response:
    return export(request, headline_data(request), "headline", fmt)


def mujun_method_data(request: Request) -> dict[str, Any]:
    """The 亩均 method in force (indicators, weights, county figures) as a table."""
    lang = request_lang(request)
    _ = lambda s: gettext(lang, s)  # noqa: E731
    data = mujun_data(request)
    table = Table("method", _("Method"), [
        Column("label", _("Indicator")), Column("unit", _("Unit")), Column("weight", _("Weight"), "number"),
        Column("county", _("County figure"), "number")],
        [{k: i.get(k) for k in ("label", "unit", "weight", "county")} for i in data["indicators"]])
    return {**data, "tables": [table]}


@router.get("/economy/mujun/method/export.{fmt}")
def mujun_method_export(request: Request, fmt: str) -> Response:
    return export(request, mujun_method_data(request), "method", fmt)
