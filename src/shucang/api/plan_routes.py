"""Plan monitoring API (规划监测) under ``/api/v1/plans``: parse → call ``shucang.plan`` → JSON.

Reads are open to every caller (rate-limited like the rest of the API): plan targets and progress
are published figures. Writes — entering, correcting or deleting values, importing a template,
recomputing metrics — need the steward role (admin passes) and are audited under the caller's name.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FsPath
from typing import Any

from fastapi import APIRouter, Body, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from shucang import plan as planlib
from shucang.api.deps import Actor, api_actor, get_warehouse, require_role
from shucang.errors import InputError

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])
PLAN = Path(..., min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.\-]*$", description="plan id")
INDICATOR = Path(..., min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.\-]*$", description="indicator id")
PERIOD = Path(..., min_length=4, max_length=16, description="2023, 2023Q2 or 2023-06")
MAX_UPLOAD = 10 * 1024 * 1024


def _may_write(request: Request, actor: Actor, plan_id: str, indicator_id: str) -> None:
    """The indicator's department decides who writes its values (the one rule: ``plan:write``)."""
    from shucang.share.access import Resource, require

    ind = planlib.load_plan(get_warehouse(request), plan_id).indicator(indicator_id)
    require(actor, "plan:write", Resource("indicator", indicator_id, getattr(ind, "department", None)))


def _audit(request: Request, actor: Actor, action: str, **details: Any) -> None:
    """Plan value changes enter the same hash chain as every data access (issue 15)."""
    from shucang.share.audit import record_event

    record_event(get_warehouse(request), actor, action, **details)


def steward(request: Request) -> Actor:
    """Writes: steward or admin, then the API's rate limit and CSRF check."""
    require_role("steward")(request)
    return api_actor(request)


class ValueIn(BaseModel):
    value: float | str = Field(..., description="the figure, in the indicator's unit (a number, or text such "
                                                "as \"1,234.5\"; a decimal comma is refused)")
    note: str = Field("", max_length=2000)
    source: str = Field("manual", min_length=1, max_length=200, description="manual, a publication, …")
    confirm: bool = Field(False, description="accept a jump beyond the plan's factor (needs a note)")


@router.get("", summary="Plans known to this warehouse (bundled and in <home>/plans)")
def list_plans(request: Request, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.plan.monitor import current_plan_id

    wh = get_warehouse(request)
    return {"ok": True, "default": current_plan_id(wh), "plans": planlib.list_plans(wh)}


@router.get("/{plan_id}", summary="A whole plan: indicators, targets, zones, tasks, key projects, metrics")
def get_plan(request: Request, plan_id: str = PLAN, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    return {"ok": True, **planlib.plan_detail(planlib.load_plan(get_warehouse(request), plan_id))}


@router.get("/{plan_id}/indicators", summary="Indicators of a plan (main table, text targets, project targets)")
def list_indicators(request: Request, plan_id: str = PLAN,
                    scope: str = Query("all", pattern="^(main|text|project|all)$"),
                    _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    detail = planlib.plan_detail(planlib.load_plan(get_warehouse(request), plan_id))
    found = [*detail["indicators"], *detail["targets"]]
    if scope != "all":
        found = [i for i in found if i["kind"] == scope]
    return {"ok": True, "plan": plan_id, "indicators": found}


@router.get("/{plan_id}/status", summary="Status of every indicator: latest, completion, growth, projection")
def status(request: Request, plan_id: str = PLAN, scope: str = Query("main", pattern="^(main|text|project|all)$"),
           as_of: int | None = Query(None, ge=1949, le=2100, description="only values up to this year"),
           _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    rows = planlib.plan_status(get_warehouse(request), plan_id, scope=scope, as_of=as_of)
    return {"ok": True, "plan": plan_id, "scope": scope, "indicators": [r.to_dict() for r in rows]}


@router.get("/{plan_id}/rollups", summary="Status counts and mean completion by category, zone, task or project")
def rollups(request: Request, plan_id: str = PLAN,
            by: str = Query("category", pattern="^(category|zone|task|subtask|project)$"),
            as_of: int | None = Query(None, ge=1949, le=2100), _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    return {"ok": True, "plan": plan_id, "by": by,
            "groups": planlib.rollups(get_warehouse(request), plan_id, by, as_of=as_of)}


@router.get("/{plan_id}/index", summary="Composite 数字经济发展指数 (configurable method) beside the official value")
def index(request: Request, plan_id: str = PLAN, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    return {"ok": True, **planlib.composite_index(get_warehouse(request), plan_id)}


@router.get("/{plan_id}/indicators/{indicator_id}", summary="One indicator: values, status, projections")
def series(request: Request, plan_id: str = PLAN, indicator_id: str = INDICATOR,
           _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    return {"ok": True, **planlib.indicator_series(get_warehouse(request), plan_id, indicator_id)}


@router.get("/{plan_id}/indicators/{indicator_id}/series", summary="Alias of the indicator view (values over time)")
def series_alias(request: Request, plan_id: str = PLAN, indicator_id: str = INDICATOR,
                 _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    return series(request, plan_id, indicator_id, _actor)


@router.get("/{plan_id}/history", summary="Audit trail of value changes (who, when, source, note, old → new)")
def history(request: Request, plan_id: str = PLAN, indicator: str | None = Query(None, max_length=64),
            limit: int = Query(200, ge=1, le=5000), _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    entries = planlib.value_history(get_warehouse(request), plan_id, indicator, limit=limit)
    return {"ok": True, "plan": plan_id, "entries": [e.to_dict() for e in entries]}


@router.put("/{plan_id}/indicators/{indicator_id}/values/{period}", summary="Enter or correct a value (steward)")
def put_value(request: Request, plan_id: str = PLAN, indicator_id: str = INDICATOR, period: str = PERIOD,
              body: ValueIn = Body(...), actor: Actor = Depends(steward)) -> dict[str, Any]:
    _may_write(request, actor, plan_id, indicator_id)
    row = planlib.set_actual(get_warehouse(request), plan_id, indicator_id, period, body.value,
                             actor=actor.name, source=body.source, note=body.note, confirm=body.confirm,
                             editor=actor)
    _audit(request, actor, "plan.set", plan=plan_id, indicator=indicator_id, period=period, value=body.value)
    return {"ok": True, "value": row}


@router.delete("/{plan_id}/indicators/{indicator_id}/values/{period}", summary="Delete a value (steward)")
def delete_value(request: Request, plan_id: str = PLAN, indicator_id: str = INDICATOR, period: str = PERIOD,
                 note: str = Query("", max_length=2000), actor: Actor = Depends(steward)) -> dict[str, Any]:
    _may_write(request, actor, plan_id, indicator_id)
    removed = planlib.delete_actual(get_warehouse(request), plan_id, indicator_id, period, actor=actor.name,
                                    note=note, editor=actor)
    _audit(request, actor, "plan.unset", plan=plan_id, indicator=indicator_id, period=period)
    return {"ok": True, "deleted": removed}


@router.post("/{plan_id}/recompute", summary="Recompute metric values from warehouse data (steward)")
def recompute(request: Request, plan_id: str = PLAN, force: bool = Query(False),
              stale_only: bool = Query(False), actor: Actor = Depends(steward)) -> dict[str, Any]:
    report = planlib.recompute(get_warehouse(request), plan_id, actor=actor.name, force=force,
                               stale_only=stale_only)
    return {"ok": True, **report}


@router.get("/{plan_id}/template.xlsx", summary="XLSX entry template with current values")
def template(request: Request, plan_id: str = PLAN, _actor: Actor = Depends(api_actor)) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        out = planlib.export_template(get_warehouse(request), FsPath(tmp) / "template.xlsx", plan_id)
        data = out.read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{plan_id}-template.xlsx"'})


@router.post("/{plan_id}/import", summary="Import a filled-in XLSX template or YAML value file (steward)")
async def import_values(request: Request, plan_id: str = PLAN, file: UploadFile = File(...),
                        include_computed: bool = Query(False), confirm: bool = Query(False),
                        actor: Actor = Depends(steward)) -> dict[str, Any]:
    name = FsPath(file.filename or "upload.xlsx").name
    suffix = FsPath(name).suffix.lower()
    if suffix not in (".xlsx", ".yaml", ".yml"):
        raise InputError("只接受 .xlsx 或 .yaml 文件 (only .xlsx or .yaml files)")
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError("文件过大 (file larger than 10 MB)")
    with tempfile.TemporaryDirectory() as tmp:
        path = FsPath(tmp) / name
        path.write_bytes(data)
        report = planlib.import_actuals(get_warehouse(request), path, plan_id, actor=actor.name,
                                        include_computed=include_computed, confirm=confirm, editor=actor)
    return {"ok": True, **report}


class CloseIn(BaseModel):
    note: str = Field("", max_length=2000)


class RevisionIn(BaseModel):
    value: float | str = Field(..., description="the corrected figure (a decimal comma is refused)")
    reason: str = Field(..., min_length=1, max_length=2000)


@router.post("/{plan_id}/close", summary="Close a plan: freeze values, metric versions and statuses (admin)")
def close(request: Request, plan_id: str = PLAN, body: CloseIn = Body(CloseIn()),
          actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.errors import PermissionDenied
    from shucang.plan.lifecycle import close_plan

    if actor.role != "admin":
        raise PermissionDenied("只有管理员可以关闭规划 (only an admin may close a plan)")
    wh = get_warehouse(request)
    return {"ok": True, **close_plan(wh, planlib.load_plan(wh, plan_id), actor=actor.name, note=body.note)}


@router.post("/{plan_id}/indicators/{indicator_id}/revisions/{period}",
             summary="Correct a frozen figure of a closed plan (audited; admin or the department's steward)")
def revise(request: Request, plan_id: str = PLAN, indicator_id: str = INDICATOR, period: str = PERIOD,
           body: RevisionIn = Body(...), actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.plan.lifecycle import revise as revise_value
    from shucang.plan.validation import check_editor

    wh = get_warehouse(request)
    plan = planlib.load_plan(wh, plan_id)
    check_editor(actor, plan.indicator(indicator_id))
    return {"ok": True, **revise_value(wh, plan, indicator_id, period, body.value, reason=body.reason,
                                       actor=actor.name)}


@router.get("/{plan_id}/register", summary="Project register of the key projects (专栏) with derived statuses")
def register(request: Request, plan_id: str = PLAN, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.plan.register import project_register

    wh = get_warehouse(request)
    return {"ok": True, "plan": plan_id, "projects": project_register(wh, planlib.load_plan(wh, plan_id))}


@router.get("/{plan_id}/report.{fmt}", summary="The evaluation report as DOCX or XLSX")
def report(request: Request, plan_id: str = PLAN, fmt: str = Path(..., pattern="^(docx|xlsx)$"),
           _actor: Actor = Depends(api_actor)) -> Response:
    from shucang.plan.report import write_report

    with tempfile.TemporaryDirectory() as tmp:
        data = write_report(get_warehouse(request), plan_id, fmt, FsPath(tmp) / f"report.{fmt}").read_bytes()
    media = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{plan_id}-report.{fmt}"'})


class ExplanationIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=4000, description="滞后原因")
    next_steps: str = Field("", max_length=4000, description="下一步措施")


@router.put("/{plan_id}/indicators/{indicator_id}/explanation",
            summary="Why an indicator lags and what comes next (the department's steward or an admin)")
def put_explanation(request: Request, plan_id: str = PLAN, indicator_id: str = INDICATOR,
                    body: ExplanationIn = Body(...), actor: Actor = Depends(steward)) -> dict[str, Any]:
    from shucang.plan.register import explain

    wh = get_warehouse(request)
    return {"ok": True, **explain(wh, planlib.load_plan(wh, plan_id), indicator_id, reason=body.reason,
                                  next_steps=body.next_steps, actor=actor.name, editor=actor)}
