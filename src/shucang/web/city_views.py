"""Pages of the city stage (城市大脑): ``/city`` (board, town map, alerts), ``/city/alerts/ID`` (one alert,
its data and history, handling forms for stewards) and ``/city/loop`` (the 12345 event loop).

Each page computes its data with the same core calls the JSON API makes (``shucang.city``) and renders
it through ``shucang.web.render.page`` (``?format=json`` gives the data). Handling forms need a login
and carry the session's CSRF token, as the share pages do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from shucang.errors import InputError, PermissionDenied
from shucang.shell.request import get_warehouse
from shucang.web.cixi_map import build_map
from shucang.web.render import check_csrf, page
from shucang.web.share_views import _actor, _need_login

router = APIRouter(include_in_schema=False)
LEVEL_COLOURS = {"ok": "#1f8a4c", "yellow": "#c98a00", "red": "#c0392b", "stale": "#7f8c8d", "error": "#6c3483",
                 "no_data": "#95a5a6"}


def _town_map(by_group: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The schematic map with each town's open alerts (counts only)."""
    base = build_map([])
    towns = []
    for t in base.towns:
        counts = by_group.get(t.name, {"yellow": 0, "red": 0})
        level = "red" if counts.get("red") else "yellow" if counts.get("yellow") else "ok"
        towns.append({"name": t.name, "x": t.x, "y": t.y, "red": counts.get("red", 0),
                      "yellow": counts.get("yellow", 0), "level": level, "colour": LEVEL_COLOURS[level]})
    return {"width": base.width, "height": base.height, "outline": base.outline, "towns": towns}


def _sparkline(values: list[Any], width: int = 120, height: int = 28) -> str:
    """SVG polyline points of a small sparkline (empty when fewer than two numbers)."""
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    if len(numbers) < 2:
        return ""
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = width / (len(numbers) - 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in enumerate(numbers))


@router.get("/city")
def city_page(request: Request) -> Response:
    from shucang.city.alerts import list_alerts, open_counts
    from shucang.city.board import board, summary

    wh, actor = get_warehouse(request), _actor(request)
    entries = board(wh, viewer=actor)
    for e in entries:
        e["_spark"] = _sparkline(e["sparkline"])
        e["_colour"] = LEVEL_COLOURS.get(e["state"], "#95a5a6")
    counts = open_counts(wh)
    data = {"summary": summary(entries), "signs": entries, "alerts": list_alerts(wh, status="open", viewer=actor),
            "open_counts": counts, "map": _town_map(counts["by_group"])}
    return page(request, "city/board.html", data, active="city")


@router.get("/city/loop")
def loop_page(request: Request) -> Response:
    from shucang.city.hotline_loop import event_loop

    data = event_loop(get_warehouse(request), viewer=_actor(request))
    return page(request, "city/loop.html", data, active="city")


@router.get("/city/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int = Path(..., ge=1, le=2**31 - 1)) -> Response:
    from shucang.city.alerts import alert_detail

    detail = alert_detail(get_warehouse(request), alert_id, viewer=_actor(request))
    detail["_spark"] = _sparkline([p[1] for p in detail["data"]["series"]], 360, 60)
    detail["_colour"] = LEVEL_COLOURS.get(detail["level"], "#95a5a6")
    return page(request, "city/alert.html", {"alert": detail}, active="city")


@router.post("/city/alerts/{alert_id}/act")
def alert_act(request: Request, alert_id: int = Path(..., ge=1, le=2**31 - 1),
              action: str = Form(..., max_length=16), note: str = Form("", max_length=2000),
              department: str = Form("", max_length=64), hours: str = Form("", max_length=12),
              csrf_token: str = Form("")) -> Response:
    from shucang.city import alerts as lib
    from shucang.city.notify import deliver

    if (redirect := _need_login(request)) is not None:
        return redirect
    if not check_csrf(request, csrf_token):
        raise PermissionDenied("表单已过期或来源不明，请刷新后重试 (form expired or forged: reload and retry)")
    wh, actor = get_warehouse(request), _actor(request)
    if action == "ack":
        lib.acknowledge(wh, alert_id, actor, note=note)
    elif action == "dispatch":
        try:
            due = float(hours) if hours.strip() else None
        except ValueError:
            raise InputError(f"时限须为小时数 (hours must be a number): {hours!r}") from None
        lib.dispatch(wh, alert_id, actor, department=department, hours=due, note=note)
    elif action == "handle":
        lib.record_handling(wh, alert_id, actor, note=note)
    elif action == "close":
        lib.close(wh, alert_id, actor, note=note)
    else:
        raise InputError(f"未知操作 (unknown action) {action!r}", hint="ack | dispatch | handle | close")
    deliver(wh)
    return RedirectResponse(f"/city/alerts/{alert_id}", status_code=303)
