"""大屏 (``/screen``): the command-centre view — dark, full-screen, refreshing itself every 30 s by
fetching its own JSON twin (``/screen?format=json``) and updating figures and charts in place,
without reloading the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shucang.api.deps import get_warehouse
from shucang.errors import NotFound
from shucang.warehouse import Warehouse
from shucang.web import numbers
from shucang.web.i18n import gettext, request_lang
from shucang.web.overview_views import overview_data
from shucang.web.render import page

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 30


def screen_data(wh: Warehouse, lang: str, state: Any = None) -> dict[str, Any]:
    """Figures (pre-formatted for in-place updates) and chart specs of the big screen."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    base = overview_data(wh, lang, state)
    counts = base.get("counts") or {}
    index = base.get("index") or {}
    cats = base.get("categories") or []
    cards = [c for cat in cats for c in cat["cards"]]
    completion = {"kind": "bars", "file": "completion-by-category", "unit": "%", "max": 100,
                  "categories": [c["name"] for c in cats],
                  "series": [{"name": _("Mean completion"), "values": [
                      round(100 * sum(min(1.0, max(0.0, k["completion"])) for k in cat["cards"] if k["completion"] is not None)
                            / max(1, sum(1 for k in cat["cards"] if k["completion"] is not None)), 1)
                      for cat in cats]}]}
    index_points = index.get("points") or []
    index_line = {"kind": "line", "file": "index-by-year", "x": [str(p["year"]) for p in index_points],
                  "series": [{"name": index.get("name") or _("Composite index"), "values": [
                      round(p["value"], 1) if p["value"] is not None else None for p in index_points]}]}
    lagging = [{"id": c["id"], "name": c["name"], "latest": numbers.fmt_value(c["latest"], c["unit"], lang),
                "target": numbers.fmt_value(c["target"], c["unit"], lang),
                "completion": numbers.fmt_ratio(c["completion"], lang)} for c in cards if c["status"] == "lagging"]
    open_rate = None
    try:
        from shucang.web.security_sources import open_data_rate

        rate = open_data_rate(wh)
        open_rate = numbers.fmt_percent(rate["percent"], lang) if rate else None
    except (ImportError, NotFound):
        open_rate = None
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
        "charts": {"status": base.get("status_chart"), "index": base.get("index_chart"),
                   "completion": completion if cats else None, "index_line": index_line if index_points else None},
        "lagging": lagging,
        "refresh_seconds": REFRESH_SECONDS,
        "synthetic_note": base.get("synthetic_note"),
    }


@router.get("/screen")
def screen_page(request: Request) -> Response:
    data = screen_data(get_warehouse(request), request_lang(request), request.app.state)
    response = page(request, "screen.html", data, active="screen")
    response.headers["Cache-Control"] = "no-store"
    return response
