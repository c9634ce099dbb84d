"""The plan engine's answers shaped for the cockpit: cards, categories, counts, the index, sparklines.

Everything numeric comes from ``shucang.plan.monitor`` (status, series, roll-ups, index); this module
only arranges it for display — it computes no completion, status or projection of its own. Without a
plan (or its engine) the functions raise ``NotFound``/``ImportError`` and pages say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shucang.warehouse import Warehouse
from shucang.web.numbers import is_number

STATUS_ORDER = ("met", "largely_met", "lagging", "no_data")
SPARK_W, SPARK_H, SPARK_PAD = 120, 32, 3


@dataclass
class Sparkline:
    """An inline SVG polyline of yearly values (server-drawn: no script, no layout shift)."""

    points: str
    last_x: float
    last_y: float
    target_y: float | None
    label: str
    width: int = SPARK_W
    height: int = SPARK_H

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label}


def sparkline(series: list[tuple[int, float]], target: float | None, label: str) -> Sparkline | None:
    """Scale yearly ``(year, value)`` pairs (and the target line) into the sparkline box."""
    pts = [(y, v) for y, v in sorted(series) if is_number(v)]
    if not pts:
        return None
    values: list[float] = [v for _, v in pts] + ([target] if target is not None and is_number(target) else [])
    low, high = min(values), max(values)
    span = (high - low) or abs(high) or 1.0
    y0, y1 = pts[0][0], pts[-1][0]
    years = (y1 - y0) or 1

    def sx(year: int) -> float:
        return round(SPARK_PAD + (year - y0) / years * (SPARK_W - 2 * SPARK_PAD), 1) if y1 != y0 else SPARK_W / 2

    def sy(value: float) -> float:
        return round(SPARK_H - SPARK_PAD - (value - low) / span * (SPARK_H - 2 * SPARK_PAD), 1)

    coords = [(sx(y), sy(v)) for y, v in pts]
    if len(coords) == 1:  # one value: a short flat stroke so it is visible
        coords = [(coords[0][0] - 4, coords[0][1]), coords[0]]
    return Sparkline(" ".join(f"{x},{y}" for x, y in coords), coords[-1][0], coords[-1][1],
                     sy(target) if target is not None and is_number(target) else None, label)


def yearly_series(wh: Warehouse, plan_id: str) -> dict[str, list[tuple[int, float]]]:
    """Every indicator's yearly values (one catalog query)."""
    from shucang.plan.store import read_values

    out: dict[str, list[tuple[int, float]]] = {}
    for row in read_values(wh.engine, plan_id):
        if row.period_kind == "year":
            out.setdefault(row.indicator_id, []).append((row.year, row.value))
    return out


def card(status: dict[str, Any], series: list[tuple[int, float]]) -> dict[str, Any]:
    """One indicator card from a ``plan_status`` row (its ``to_dict()``) and its yearly values."""
    full = list(series)
    if is_number(status.get("baseline")) and status.get("baseline_year") not in {y for y, _ in full}:
        full.append((int(status["baseline_year"]), float(status["baseline"])))
    source = status.get("latest_source") or ""
    return {
        "id": status["id"], "name": status.get("short_name") or status["name"], "full_name": status["name"],
        "category": status.get("category"), "category_name": status.get("category_name"),
        "unit": status.get("unit"), "latest": status.get("latest"), "latest_year": status.get("latest_year"),
        "target": status.get("target"), "target_year": status.get("target_year"),
        "target_text": status.get("target_text"), "baseline": status.get("baseline"),
        "baseline_year": status.get("baseline_year"), "baseline_text": status.get("baseline_text"),
        "completion": status.get("completion"), "status": status.get("status_code") or "no_data",
        "status_text": status.get("status"), "computed": source.startswith("metric:"), "source": source or None,
        "department_name": status.get("department_name"),
        "spark": sparkline(full, status.get("target"), status["name"]),
        "series": [{"year": y, "value": v} for y, v in sorted(full)],
    }


def status_counts(cards: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for c in cards:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    return counts


def plan_cards(wh: Warehouse, plan_id: str | None = None, scope: str = "main") -> tuple[Any, list[dict[str, Any]]]:
    """(plan, cards of every indicator in ``scope``) from the plan engine."""
    from shucang.plan import monitor

    plan = monitor.load_plan(wh, plan_id)
    statuses = monitor.plan_status(wh, plan.id, scope=scope)
    series = yearly_series(wh, plan.id)
    return plan, [card(s.to_dict(), series.get(s.info["id"], [])) for s in statuses]


def categories(plan: Any, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cards grouped by the plan's categories, in plan order, with status counts."""
    out = []
    for cat in plan.categories:
        own = [c for c in cards if c["category"] == cat.id]
        if own:
            out.append({"id": cat.id, "name": cat.name, "cards": own, "counts": status_counts(own)})
    return out


def latest_index(wh: Warehouse, plan_id: str) -> dict[str, Any] | None:
    """The newest year of the composite index with a value, with the official figure beside it."""
    from shucang.errors import NotFound
    from shucang.plan import monitor

    try:
        data = monitor.composite_index(wh, plan_id)
    except NotFound:
        return None
    points = [p for p in data["points"] if p.get("value") is not None]
    dims = data["method"]["dimensions"]
    method = "；".join(f"{d['name']} × {d['weight']:g}" for d in dims)
    if not points:
        return {"name": data["name"], "value": None, "year": None, "official": None, "method": method,
                "scale": data.get("scale"), "points": []}
    last = points[-1]
    return {"name": data["name"], "value": last["value"], "year": last["year"], "official": last.get("official"),
            "coverage": last.get("coverage"), "method": method, "scale": data.get("scale") or 100,
            "dimensions": [{"name": d["name"], "score": d.get("score")} for d in last.get("dimensions", [])],
            "points": [{"year": p["year"], "value": p["value"], "official": p.get("official")} for p in points]}


def plan_base(plan_id: str | None) -> str:
    """URL prefix of a plan's pages: ``/plans/ID`` — or "" for the old addresses of the default plan."""
    return f"/plans/{plan_id}" if plan_id else ""


def with_links(cards: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """Point every card at its indicator page under ``base``."""
    for c in cards:
        c["href"] = f"{base}/indicators/{c['id']}"
    return cards


def plan_nav(wh: Warehouse, plan: Any, base: str, page: str = "") -> dict[str, Any]:
    """The plan selector (every plan, the current one marked, each linking to the same page) and the
    report buttons — shown on every plan page."""
    from shucang.plan import monitor

    default = monitor.current_plan_id(wh)
    choices = [{"id": p["id"], "title": p["title"], "period": f"{p['period'][0]}–{p['period'][1]}",
                "href": f"/plans/{p['id']}/{page}", "current": p["id"] == plan.id, "default": p["id"] == default}
               for p in monitor.list_plans(wh)]
    from shucang.plan.lifecycle import closure

    info = closure(wh, plan.id)
    return {"id": plan.id, "title": plan.title, "choices": choices, "page": page, "base": base or f"/plans/{plan.id}",
            "report_docx": f"/plans/{plan.id}/report.docx", "report_xlsx": f"/plans/{plan.id}/report.xlsx",
            "closed": ({"at": info["closed_at"][:10], "by": info["closed_by"]} if info else None)}
