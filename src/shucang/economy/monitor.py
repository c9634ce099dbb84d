"""The county's monthly picture for pages, the API and the big screen: cumulative YoY of the headline
measures, a 3-year monthly trend, figures by chain and by town — all aggregates, suppressed per caller.

Everything for one page is read over one warehouse connection. ``screen_panel(wh)`` is the JSON-able
panel another engineer's ``/screen`` can show (public level: aggregates only, small groups suppressed).
"""

from __future__ import annotations

from typing import Any

from shucang.economy.binding import Binding, default_dataset, load_binding
from shucang.economy.monthly import Month, Source, month_range, parse_month, reader
from shucang.economy.visibility import suppress, suppress_yoy
from shucang.economy.yoy import totals_query, yoy_query
from shucang.share.access import PUBLIC, Actor
from shucang.warehouse import Warehouse

HEADLINE = ("output", "sales", "export", "electricity")


def sources(wh: Warehouse, *names: str) -> list[dict[str, Any]]:
    out = []
    for name in names:
        info = wh.dataset(name)
        out.append({"dataset": name, "title": info.title, "version": info.current_version, "synthetic": info.synthetic})
    return out


def latest(src: Source) -> Month:
    months = src.months()
    if not months:
        from shucang.errors import NotFound

        raise NotFound(f"数据集 {src.binding.dataset} 没有可识别的月份 (no readable months)")
    return Month(months[-1] // 100, months[-1] % 100)


def monthly_totals(src: Source, measure_column: str, first: Month, last: Month) -> dict[int, dict[str, Any]]:
    """ym → {value, enterprises}: 全口径 monthly sums (corrections applied)."""
    sql = (f"SELECT ym, sum(m0), count(*) FROM ({src.monthly([measure_column], month_range(first, last))}) "
           "GROUP BY ym ORDER BY ym")
    return {int(ym): {"value": v, "enterprises": int(n)} for ym, v, n in src.run(sql)}


def trend(src: Source, measure_column: str, last: Month, months: int = 36) -> dict[str, Any]:
    """The last ``months`` monthly totals with the same month a year earlier and the monthly YoY."""
    first = last.minus_months(months - 1)
    totals = monthly_totals(src, measure_column, first.minus_months(12), last)
    points = []
    for ym in month_range(first, last):
        cur, prev = totals.get(ym, {}), totals.get(ym - 100, {})
        c, p = cur.get("value"), prev.get("value")
        points.append({"period": f"{ym // 100}-{ym % 100:02d}", "value": None if c is None else round(c, 2),
                       "previous": None if p is None else round(p, 2),
                       "yoy_pct": round((c / p - 1) * 100, 2) if c is not None and p else None,
                       "enterprises": cur.get("enterprises", 0)})
    return {"measure": measure_column, "caliber": "all", "points": points}


def _headline(src: Source, b: Binding, month: Month, actor: Actor | None, caliber: str) -> list[dict[str, Any]]:
    """Cumulative YoY of the headline measures present (one query for all of them)."""
    keys = [k for k in HEADLINE if b.has_measure(k)]
    columns = [b.measure_column(k) for k in keys]
    totals = totals_query(src, columns, month, caliber=caliber)
    return [{"key": k, "measure": c, **suppress([totals[c]], actor)[0]} for k, c in zip(keys, columns, strict=True)]


def overview(wh: Warehouse, actor: Actor | None, *, dataset: str | None = None, period: str | None = None,
             caliber: str = "comparable") -> dict[str, Any]:
    """The /economy page's data: headline YoY, 36-month trend, by chain, by town (aggregates only)."""
    name = default_dataset(wh, dataset)
    b = load_binding(wh, name)
    home = wh.settings.home
    with reader(wh) as con:
        src = Source(wh, con, b)
        month = parse_month(period) if period else latest(src)
        output = b.measure_column("output") if b.has_measure("output") else b.measures[0].column
        data = {
            "dataset": name, "period": str(month), "caliber": caliber, "sources": sources(wh, name),
            "headline": _headline(src, b, month, actor, caliber),
            "trend": trend(Source(wh, con, b), output, month),
            "by_chain": suppress_yoy(yoy_query(Source(wh, con, b), output, month, by="chain", caliber=caliber,
                                               home=home), actor),
            "by_town": suppress_yoy(yoy_query(Source(wh, con, b), output, month, by="town", caliber=caliber,
                                              home=home), actor),
        }
    return data


def group_page(wh: Warehouse, actor: Actor | None, by: str, group: str, *, dataset: str | None = None,
               period: str | None = None, caliber: str = "comparable") -> dict[str, Any]:
    """One chain's or town's page: its headline measures against the county, and its split the other way
    (a chain by town, a town by chain)."""
    from shucang.economy.reference import load_chains
    from shucang.errors import NotFound

    name = default_dataset(wh, dataset)
    b = load_binding(wh, name)
    home = wh.settings.home
    chains = {c.id: c for c in load_chains(home)}
    if by == "chain" and group not in chains:
        raise NotFound(f"没有产业链 {group!r} (no such chain)", hint="chains: " + ", ".join(chains))
    with reader(wh) as con:
        month = parse_month(period) if period else latest(Source(wh, con, b))
        measures = []
        for key in HEADLINE:
            if not b.has_measure(key):
                continue
            column = b.measure_column(key)
            split = yoy_query(Source(wh, con, b), column, month, by=by, caliber=caliber, home=home)
            label = chains[group].name if by == "chain" else group
            mine = next((r for r in split["rows"] if r["group"] == label), None)
            if mine is None and by == "town":
                raise NotFound(f"没有镇街 {group!r} 的报表 (no reports for this town)")
            measures.append({"key": key, "measure": column, "group": suppress_yoy(
                {"rows": [mine or {"group": label, "enterprises": 0}], "total": split["total"]}, actor)["rows"][0],
                "county": split["total"]})
    return {"dataset": name, "period": str(month), "caliber": caliber, "by": by, "group": group,
            "label": chains[group].name if by == "chain" else group,
            "codes": list(chains[group].codes) if by == "chain" else None, "measures": measures,
            "sources": sources(wh, name)}


def screen_panel(wh: Warehouse, *, actor: Actor = PUBLIC) -> dict[str, Any]:
    """Figures for a big-screen panel (JSON-able): headline YoY, 13-month trend, chains, alert counts.

    Public by default: aggregates only, groups under the suppression threshold blanked. Returns
    ``{"available": false}`` when no monthly report is bound yet.
    """
    from shucang.economy.binding import bound_datasets
    from shucang.economy.watch import stored_alerts

    if not bound_datasets(wh):
        return {"available": False, "title": "工业经济运行", "reason": "尚未绑定经济月报数据集"}
    data = overview(wh, actor)
    alerts = stored_alerts(wh, dataset=data["dataset"])
    by_rule: dict[str, int] = {}
    for a in alerts:
        by_rule[a["rule"]] = by_rule.get(a["rule"], 0) + 1
    return {"available": True, "title": "工业经济运行", "period": data["period"], "caliber": data["caliber"],
            "kpis": [{"key": h["key"], "label": h["measure"], "current": h["current"], "yoy_pct": h["yoy_pct"]}
                     for h in data["headline"]],
            "trend": {"periods": [p["period"] for p in data["trend"]["points"][-13:]],
                      "values": [p["value"] for p in data["trend"]["points"][-13:]],
                      "yoy_pct": [p["yoy_pct"] for p in data["trend"]["points"][-13:]]},
            "chains": [{"name": r["group"], "yoy_pct": r["yoy_pct"], "current": r["current"]}
                       for r in data["by_chain"]["rows"]],
            "alerts": {"total": len(alerts), "by_rule": by_rule},
            "sources": data["sources"]}
