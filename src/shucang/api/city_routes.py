"""City brain API (城市大脑) under ``/api/v1/signs``, ``/api/v1/alerts`` and ``/api/v1/city``: parse → call
``shucang.city`` → JSON.

Reads are open to every caller (rate-limited like the rest of the API), with values only for callers who
may see them (``shucang.city.alerts.sees_values``: anonymous callers get levels and counts). Handling an
alert — acknowledge, dispatch, record, close — needs the steward role (admin passes; stewards of the
owning or dispatched department) and is audited under the caller's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from shucang.api.deps import Actor, api_actor, get_warehouse, require_role
from shucang.errors import NotFound

router = APIRouter(tags=["city"])
ALERT = Path(..., ge=1, le=2**31 - 1, description="alert id")
SIGN = Path(..., min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_\-]*$", description="sign id")


def steward(request: Request) -> Actor:
    """Writes: steward or admin, then the API's rate limit and CSRF check."""
    require_role("steward")(request)
    return api_actor(request)


class NoteIn(BaseModel):
    note: str = Field("", max_length=2000)


class DispatchIn(BaseModel):
    department: str = Field(..., min_length=1, max_length=64, description="department code to handle it")
    hours: float | None = Field(None, gt=0, le=24 * 365, description="deadline in hours from now (default 24)")
    deadline: datetime | None = Field(None, description="deadline as ISO date-time (instead of hours)")
    note: str = Field("", max_length=2000)


class HandleIn(BaseModel):
    note: str = Field(..., min_length=1, max_length=2000, description="what was done")


@router.get("/api/v1/signs", summary="Every city vital sign with its latest reading, band and freshness")
def list_signs(request: Request, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.city.board import board, summary

    entries = board(get_warehouse(request), viewer=actor)
    return {"ok": True, "summary": summary(entries), "signs": entries}


@router.get("/api/v1/signs/{sign_id}", summary="One city vital sign: definition and the latest reading of every group")
def get_sign(request: Request, sign_id: str = SIGN, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.city.board import board

    entry = next((e for e in board(get_warehouse(request), viewer=actor) if e["id"] == sign_id), None)
    if entry is None:
        raise NotFound(f"没有编号为 {sign_id!r} 的体征 (no such sign)")
    return {"ok": True, "sign": entry}


@router.get("/api/v1/alerts", summary="Alerts, newest first (values only for callers who may see them)")
def list_alerts(request: Request, status: str = Query("open", pattern="^(open|recovered|closed|all)$"),
                sign: str | None = Query(None, max_length=64), limit: int = Query(500, ge=1, le=10_000),
                actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.city.alerts import list_alerts as find

    return {"ok": True, "alerts": find(get_warehouse(request), status=status, viewer=actor, sign=sign, limit=limit)}


@router.get("/api/v1/alerts/{alert_id}", summary="One alert with its history and the data behind it")
def get_alert(request: Request, alert_id: int = ALERT, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.city.alerts import alert_detail

    return {"ok": True, "alert": alert_detail(get_warehouse(request), alert_id, viewer=actor)}


@router.post("/api/v1/alerts/{alert_id}/ack", summary="Acknowledge (签收) an alert — steward, audited")
def ack_alert(request: Request, alert_id: int = ALERT, body: NoteIn | None = Body(None),
              actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.city.alerts import acknowledge

    return _done(request, acknowledge(get_warehouse(request), alert_id, actor, note=body.note if body else ""))


@router.post("/api/v1/alerts/{alert_id}/dispatch", summary="Dispatch (派单) an alert to a department with a deadline")
def dispatch_alert(request: Request, body: DispatchIn, alert_id: int = ALERT,
                   actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.city.alerts import dispatch

    return _done(request, dispatch(get_warehouse(request), alert_id, actor, department=body.department,
                                   deadline=body.deadline, hours=body.hours, note=body.note))


@router.post("/api/v1/alerts/{alert_id}/handle", summary="Record the handling (处置) of an alert")
def handle_alert(request: Request, body: HandleIn, alert_id: int = ALERT,
                 actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.city.alerts import record_handling

    return _done(request, record_handling(get_warehouse(request), alert_id, actor, note=body.note))


@router.post("/api/v1/alerts/{alert_id}/close", summary="Close (闭环) an alert")
def close_alert(request: Request, alert_id: int = ALERT, body: NoteIn | None = Body(None),
                actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.city.alerts import close

    return _done(request, close(get_warehouse(request), alert_id, actor, note=body.note if body else ""))


@router.get("/api/v1/city/loop", summary="The 12345 event loop (全畅通): stages, timeliness, overdue, hot topics")
def event_loop(request: Request, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.city.hotline_loop import event_loop as loop

    return {"ok": True, **loop(get_warehouse(request), viewer=actor)}


def _done(request: Request, alert: dict[str, Any]) -> dict[str, Any]:
    """Send what the step queued (briefly), then answer with the alert as it is now."""
    from shucang.city.notify import deliver

    deliver(get_warehouse(request))
    return {"ok": True, "alert": alert}
