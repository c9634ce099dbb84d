"""The indicator page's chart spec (drawn by ``indicatorOption`` in static/cockpit.js).

The target is always on the chart with the value axis stretched to include it; the gap between the
values and the target is shaded (a band stacked on the values); the path still needed runs from the
latest value to the target; the projection and an earlier plan's values (when the indicator continues
one) are extra series. Everything is computed here from the plan engine's answers: the script only
draws what it is given.
"""

from __future__ import annotations

from typing import Any

from shucang.web.i18n import gettext


def _axis(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    lo = low - pad
    if low >= 0 > lo:
        lo = 0.0
    return round(lo, 6), round(high + pad, 6)


def indicator_chart(series: dict[str, Any], lang: str, earlier: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """ECharts spec: actuals by year, baseline and target lines, the gap, the path needed, the projection."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    ind, status = series["indicator"], series["status"]
    yearly = {v["year"]: v["value"] for v in series["values"] if v["period_kind"] == "year"}
    base = series.get("baseline") or {}
    if base.get("value") is not None:
        yearly.setdefault(base["year"], base["value"])
    before = {p["year"]: p["value"] for p in (earlier or []) if p["year"] not in yearly}
    target = series["target"]
    start = min([*yearly, *before, *([base["year"]] if base else []), target["year"]])
    years = list(range(start, max([target["year"], *yearly]) + 1))
    method = status.get("projection_method")
    path = {p["year"]: p.get(method) for p in series.get("projection_path", [])} if method in ("cagr", "linear") else {}
    projection = [path.get(y) for y in years] if any(v is not None for v in path.values()) else []
    actual = [yearly.get(y) for y in years]
    extra: list[dict[str, Any]] = []
    if before:
        extra.append({"name": _("Previous plan"), "type": "line", "data": [before.get(y) for y in years],
                      "lineStyle": {"color": "#9aa5b1", "width": 2}, "itemStyle": {"color": "#9aa5b1"},
                      "connectNulls": True})
    goal = target["value"]
    known = sorted(y for y in yearly if y <= target["year"])
    if known:
        last_year = known[-1]
        last = yearly[last_year]
        filled, carry = [], None
        for y in years:
            carry = yearly.get(y, carry) if y <= last_year else last
            filled.append(carry if y >= known[0] and y <= target["year"] else None)
        higher = ind.get("direction", "higher") != "lower"
        gap = [None if f is None else round(max(goal - f, 0.0) if higher else max(f - goal, 0.0), 6) for f in filled]
        lower_edge = filled if higher else [None if f is None else goal for f in filled]
        if any(g for g in gap if g):
            # the band's invisible lower edge shares the actuals' name: one legend entry, toggled together
            extra.append({"name": _("Actual"), "type": "line", "stack": "gap", "data": lower_edge, "symbol": "none",
                          "lineStyle": {"opacity": 0}, "tooltip": {"show": False}, "silent": True,
                          "connectNulls": True})
            extra.append({"name": _("Gap to target"), "type": "line", "stack": "gap", "data": gap, "symbol": "none",
                          "lineStyle": {"opacity": 0}, "areaStyle": {"color": "#c0392b", "opacity": 0.12},
                          "itemStyle": {"color": "#e8a59d"}, "connectNulls": True})
        if last_year < target["year"]:
            needed = [last if y == last_year else goal if y == target["year"] else None for y in years]
            extra.append({"name": _("Path needed"), "type": "line", "data": needed, "connectNulls": True,
                          "lineStyle": {"type": "dotted", "color": "#c0392b", "width": 2},
                          "itemStyle": {"color": "#c0392b"}, "symbol": "triangle"})
    numbers = [v for v in [*actual, *before.values(), *projection, goal, target.get("upper")] if v is not None]
    y_min, y_max = _axis(numbers)
    return {
        "kind": "indicator", "file": ind["id"], "unit": ind["unit"], "years": years,
        "actual": actual, "projection": projection, "baseline": base.get("value"), "target": goal,
        "y_min": y_min, "y_max": y_max, "extra": extra,
        "names": {"actual": _("Actual"), "projection": _("Projection") + (f"（{method.upper()}）" if method else ""),
                  "baseline": _("Baseline"), "target": _("Target")},
    }
