"""大屏 (``/screen``): the command-centre wall display.

The page is one fixed 1920×1080 canvas (DataV style) that ``cockpit.js`` scales to fit any wall with a
CSS transform, so a 4K wall shows exactly the same layout at twice the size. Every text is at least
18 px on the design canvas (readable from about 5 m). The page refreshes itself every 30 s by fetching
its own JSON twin (``/screen?format=json``) and updating figures and charts in place.

Layout: KPI row; left column (plan charts); centre a tile map of Cixi's towns coloured by a chosen
measure; right column (composite index, lagging indicators). Further panels (the economy and city
stages) go into ``panels`` — a list of *panel slots* under the map, filled by
:func:`shucang.web.screen_panels.screen_panels`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shucang.errors import NotFound, ShucangError
from shucang.shell.request import get_warehouse
from shucang.warehouse import Warehouse
from shucang.web import numbers
from shucang.web.cixi_map import tile_layout
from shucang.web.i18n import N_, gettext, request_lang
from shucang.web.overview_views import overview_data
from shucang.web.render import page
from shucang.web.screen_panels import screen_panels

log = logging.getLogger("shucang.web")
router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 30
LAGGING_ROWS = {"zh": 7, "en": 5}
"""Lagging indicators listed on the wall (English names take more lines); more are counted in a note
linking to the full list."""
MAX_PANELS = 3
MEASURES = (
    ("enterprises", N_("Enterprises"), "家"),
    ("cloud", N_("Cloud-enabled enterprises"), "家"),
    ("robots", N_("Industrial robots"), "台"),
    ("output_yi", N_("Industrial output"), "亿元"),
)
"""Town measures the map can be coloured by (keys of ``shucang.plan.zone_figures.Figures``)."""
TILE = 100
"""Tile size of the town map in design pixels."""


def town_map(wh: Warehouse, lang: str, state: Any) -> dict[str, Any]:
    """Tiles of the 20 towns with each measure's value and a colour class 0–4 (quantiles of the values)."""
    figures: Mapping[str, Mapping[str, Any]] = {}
    try:
        from shucang.web.zone_figures import figures_by

        figures = figures_by(wh, "town", state) if state is not None else {}
    except ShucangError:
        pass
    tiles = tile_layout()
    measures = []
    tops: dict[str, float] = {}
    for key, label, unit in MEASURES:
        values = [v for t in tiles if (v := numbers.as_float((figures.get(t.name) or {}).get(key))) is not None]
        if not values:
            continue
        tops[key] = max(values) or 1.0
        measures.append({"key": key, "label": gettext(lang, label), "unit": numbers.unit_label(unit, lang),
                         "max": numbers.fmt_decimal(tops[key], lang)})
    out = []
    for t in tiles:
        row = figures.get(t.name) or {}
        vals: dict[str, Any] = {}
        for m in measures:
            v = row.get(m["key"])
            number = numbers.as_float(v)
            level = min(4, int(4.999 * number / tops[m["key"]])) if number is not None else -1
            vals[m["key"]] = {"text": numbers.fmt_decimal(v, lang, 1 if m["key"] == "output_yi" else 0), "level": level}
        out.append({"name": t.name, "short": t.name.removesuffix("街道").removesuffix("镇"),
                    "x": t.col * TILE, "y": t.row * TILE, "values": vals})
    width = (max((t.col for t in tiles), default=0) + 1) * TILE
    height = (max((t.row for t in tiles), default=0) + 1) * TILE
    return {"tiles": out, "measures": measures, "width": width, "height": height, "tile": TILE - 8,
            "default": measures[0]["key"] if measures else None}


def screen_data(wh: Warehouse, lang: str, state: Any = None) -> dict[str, Any]:
    """Figures (pre-formatted for in-place updates), chart specs, the town map and extra panels."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    base = overview_data(wh, lang, state)
    counts = base.get("counts") or {}
    index = base.get("index") or {}
    cats = base.get("categories") or []
    cards = [c for cat in cats for c in cat["cards"]]
    completion = {"kind": "bars", "file": "completion-by-category", "unit": "%", "max": 100, "horizontal": True,
                  "title": _("Mean completion by category"), "href": "/indicators", "filter_by_category": True,
                  "categories": [c["name"] for c in cats],
                  "series": [{"name": _("Mean completion"), "values": [
                      round(100 * sum(min(1.0, max(0.0, k["completion"])) for k in cat["cards"] if k["completion"] is not None)
                            / max(1, sum(1 for k in cat["cards"] if k["completion"] is not None)), 1)
                      for cat in cats]}]}
    index_points = index.get("points") or []
    index_line = {"kind": "line", "file": "index-by-year", "x": [str(p["year"]) for p in index_points],
                  "series": [{"name": index.get("name") or _("Composite index"), "values": [
                      round(p["value"], 1) if p["value"] is not None else None for p in index_points]}]}
    lagging_all = [c for c in cards if c["status"] == "lagging"]
    lagging = [{"id": c["id"], "name": c["name"], "latest": numbers.fmt_value(c["latest"], c["unit"], lang),
                "target": numbers.fmt_value(c["target"], c["unit"], lang),
                "completion": numbers.fmt_ratio(c["completion"], lang)} for c in lagging_all[:LAGGING_ROWS.get(lang, 5)]]
    open_rate = None
    try:
        from shucang.web.security_sources import open_data_rate

        rate = open_data_rate(wh)
        open_rate = numbers.fmt_percent(rate["percent"], lang) if rate else None
    except NotFound:
        open_rate = None
    status_chart = base.get("status_chart")
    gauge = base.get("index_chart")
    return {
        "page_title": _("Big screen"),
        "plan": base.get("plan"),
        "plan_unavailable": base.get("plan_unavailable"),
        "kpis": {
            "met": counts.get("met", 0), "largely_met": counts.get("largely_met", 0),
            "lagging": counts.get("lagging", 0), "no_data": counts.get("no_data", 0),
            "index": numbers.fmt_decimal(index.get("value"), lang, 1),
            "index_year": index.get("year"),
            "refresh": numbers.fmt_when(base.get("latest_refresh"), lang),
            "datasets": base["warehouse"]["datasets"], "rows": numbers.fmt_count(base["warehouse"]["rows"], lang),
            "open_rate": open_rate or "–",
        },
        "charts": {"status": status_chart, "index": gauge,
                   "completion": completion if cats else None, "index_line": index_line if index_points else None},
        "lagging": lagging,
        "lagging_more": max(0, len(lagging_all) - LAGGING_ROWS.get(lang, 5)),
        "town_map": town_map(wh, lang, state),
        "panels": screen_panels(wh, lang, state)[:MAX_PANELS],
        "refresh_seconds": REFRESH_SECONDS,
        "synthetic_note": base.get("synthetic_note"),
    }


@router.get("/screen")
def screen_page(request: Request) -> Response:
    data = screen_data(get_warehouse(request), request_lang(request), request.app.state)
    response = page(request, "screen.html", data, active="screen")
    response.headers["Cache-Control"] = "no-store"
    return response
