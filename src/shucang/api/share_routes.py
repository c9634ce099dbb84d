"""Sharing API (/api/v1): datasets the caller may see, governed row reads and aggregates, the
request/approval workflow, grants and the audit log. Parse → one core call (``shucang.share``) → JSON.
"""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from shucang.api.deps import caller, get_warehouse
from shucang.api.rows import NAME_MAX, TEXT_MAX, RowsQuery, add_rows_route, encode_read, respond_validated
from shucang.share import audit as audit_log
from shucang.share import grants as workflow
from shucang.share.access import Actor, allowed, audit_scope, require
from shucang.share.formats import json_rows
from shucang.share.query import DEFAULT_PAGE, MAX_PAGE, parse_json_param
from shucang.share.reads import ReadResult, aggregate, dataset_resource, describe, read_rows

router = APIRouter(prefix="/api/v1", tags=["sharing"])
NAME = Path(..., min_length=1, max_length=NAME_MAX, description="dataset name")
Format = Literal["json", "csv", "xlsx"]


class QueryBody(BaseModel):
    columns: list[str] | None = Field(None, description="columns to return (default: every granted column)")
    filter: dict[str, Any] | list[Any] | None = Field(
        None, description='e.g. {"and": [{"column": "town", "op": "=", "value": "周巷镇"}, '
                          '{"column": "month", "op": ">=", "value": "2024-01-01"}]}; ops =, !=, <, <=, >, >=, '
                          'in, not in, like, not like, is null, is not null')
    sort: list[str] | None = Field(None, description='e.g. ["-month", "town"]')
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1)
    format: Format = "json"


class Measure(BaseModel):
    fn: Literal["count", "count_distinct", "sum", "avg", "min", "max"]
    column: str | None = None
    as_: str | None = Field(None, alias="as")


class AggregateBody(BaseModel):
    group_by: list[str] = Field(default_factory=list)
    aggregates: list[Measure] = Field(default_factory=lambda: [Measure.model_validate({"fn": "count"})])
    filter: dict[str, Any] | list[Any] | None = None
    sort: list[str] | None = None
    limit: int = Field(1000, ge=1, le=MAX_PAGE)
    version: int | None = Field(None, ge=1)
    format: Format = "json"


class RequestBody(BaseModel):
    dataset: str = Field(..., min_length=1, max_length=128)
    purpose: str = Field(..., min_length=4, max_length=2000)
    columns: list[str] | None = None
    row_filter: dict[str, Any] | list[Any] | None = None
    duration_days: int = Field(30, ge=1, le=366)
    max_level: int | None = Field(None, ge=1, le=4)


class DecisionBody(BaseModel):
    reason: str | None = Field(None, max_length=2000)
    columns: list[str] | None = None
    row_filter: dict[str, Any] | list[Any] | None = None
    max_level: int | None = Field(None, ge=1, le=4)
    duration_days: int | None = Field(None, ge=1, le=366)


class ReasonBody(BaseModel):
    reason: str = Field(..., min_length=2, max_length=2000)


def respond(result: ReadResult, fmt: str, *, extra: dict[str, Any] | None = None) -> Response:
    """JSON (rows + metadata) or a CSV/XLSX attachment with the metadata in headers."""
    body, headers = encode_read(result, fmt, extra)
    return Response(body, media_type=headers.pop("content-type"), headers=headers)


def _columns_param(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [c.strip() for c in text.split(",") if c.strip()] or None


# ---------------------------------------------------------------------------------------------- datasets
@router.get("/datasets", summary="List/search datasets the caller may see")
def list_datasets(request: Request, q: str | None = Query(None, max_length=200),
                  department: str | None = Query(None, max_length=64), topic: str | None = Query(None, max_length=100),
                  readable: bool = Query(False, description="only datasets the caller may read rows of"),
                  actor: Actor = Depends(caller)) -> dict[str, Any]:
    wh = get_warehouse(request)
    out = []
    needle = (q or "").strip().lower()
    for info in wh.list_datasets():
        resource = dataset_resource(wh, actor, info)
        if not allowed(actor, "dataset:view", resource):
            continue
        if department and info.department != department or topic and info.topic != topic:
            continue
        text = " ".join([info.name, info.title or "", info.description or "", info.department_name or ""]).lower()
        if needle and needle not in text:
            continue
        can_read = allowed(actor, "dataset:read", resource)
        if readable and not can_read:
            continue
        out.append({**info.to_dict(), "can_read": can_read, "has_grant": resource.has_grant})
    return {"ok": True, "datasets": out, "total": len(out)}


@router.get("/datasets/{name}", summary="Dataset metadata, columns with types and levels, and your access")
def get_dataset(request: Request, name: str = NAME, actor: Actor = Depends(caller)) -> dict[str, Any]:
    return {"ok": True, **describe(get_warehouse(request), actor, name)}


# The page route: its class (shucang.api.rows.RowsRoute) answers plainly valid requests itself with
# the same body (shucang.api.rows.answer); FastAPI validates the rest from the parameters declared
# here, which are also what the OpenAPI document says.
async def get_rows(request: Request, name: str = NAME,
                   columns: str | None = Query(None, max_length=TEXT_MAX["columns"],
                                               description="comma-separated column names"),
                   filter: str | None = Query(None, max_length=TEXT_MAX["filter"],
                                              description="JSON filter (see POST /query)"),
                   sort: str | None = Query(None, max_length=TEXT_MAX["sort"],
                                            description="comma-separated, '-' for descending"),
                   limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE),
                   cursor: str | None = Query(None, max_length=TEXT_MAX["cursor"]),
                   version: int | None = Query(None, ge=1), format: Format = Query("json"),
                   actor: Actor = Depends(caller)) -> Response:
    return await respond_validated(request, actor, RowsQuery(name, columns, filter, sort, limit, cursor, version,
                                                             format))


ROWS_ROUTE = add_rows_route(router, "/datasets/{name}/rows", get_rows,
                            summary="Read rows (masked per your grant, fingerprinted, audited)",
                            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-"
                                                         "officedocument.spreadsheetml.sheet": {}}}})


@router.post("/datasets/{name}/query", summary="Read rows with a JSON body (same rules as GET /rows)")
def post_query(request: Request, body: QueryBody, name: str = NAME, actor: Actor = Depends(caller)) -> Response:
    result = read_rows(get_warehouse(request), actor, name, columns=body.columns, filter=body.filter,
                       sort=body.sort, limit=body.limit, cursor=body.cursor, version=body.version, fmt=body.format)
    return respond(result, body.format)


def _measures(text: str | None) -> list[dict[str, Any]]:
    """``count,sum:revenue,avg:revenue`` → measures."""
    out = []
    for part in (text or "count").split(","):
        fn, _, column = part.strip().partition(":")
        if fn:
            out.append({"fn": fn, "column": column or None})
    return out


@router.get("/datasets/{name}/aggregate", summary="count/sum/avg/min/max with group-by over columns you see in clear")
def get_aggregate(request: Request, name: str = NAME,
                  group_by: str | None = Query(None, max_length=1000, description="comma-separated columns"),
                  agg: str | None = Query("count", max_length=2000, description="e.g. count,sum:revenue,max:month"),
                  filter: str | None = Query(None, max_length=20000), sort: str | None = Query(None, max_length=1000),
                  limit: int = Query(1000, ge=1, le=MAX_PAGE), version: int | None = Query(None, ge=1),
                  format: Format = Query("json"), actor: Actor = Depends(caller)) -> Response:
    result = aggregate(get_warehouse(request), actor, name, group_by=_columns_param(group_by),
                       measures=_measures(agg), filter=parse_json_param(filter, "filter"), sort=sort, limit=limit,
                       version=version, fmt=format)
    return respond(result, format)


@router.post("/datasets/{name}/aggregate", summary="Aggregates with a JSON body")
def post_aggregate(request: Request, body: AggregateBody, name: str = NAME,
                   actor: Actor = Depends(caller)) -> Response:
    measures = [{"fn": m.fn, "column": m.column, "as": m.as_} for m in body.aggregates]
    result = aggregate(get_warehouse(request), actor, name, group_by=body.group_by, measures=measures,
                       filter=body.filter, sort=body.sort, limit=body.limit, version=body.version, fmt=body.format)
    return respond(result, body.format)


class SqlBody(BaseModel):
    sql: str = Field(..., min_length=1, max_length=20000)
    params: list[str | int | float | bool | None] = Field(default_factory=list)
    limit: int = Field(1000, ge=1, le=MAX_PAGE)


@router.post("/sql", summary="Raw read-only SQL (admins only; audited)")
def post_sql(request: Request, body: SqlBody, actor: Actor = Depends(caller)) -> dict[str, Any]:
    wh = get_warehouse(request)
    try:
        require(actor, "sql:raw")
    except Exception:
        audit_log.record_event(wh, actor, "sql", outcome="denied", sql=body.sql[:2000])
        raise
    table: pa.Table = wh.sql(body.sql, body.params or None)
    table = table.slice(0, body.limit)
    audit_log.record_event(wh, actor, "sql", rows=table.num_rows, sql=body.sql[:2000])
    return {"ok": True, "columns": table.column_names, "rows": json_rows(table)}


# ---------------------------------------------------------------------------------------------- workflow
@router.get("/requests", summary="Access requests you filed or (stewards) your department must decide")
def list_requests(request: Request, status: Literal["pending", "approved", "rejected", "withdrawn"] | None = None,
                  dataset: str | None = Query(None, max_length=128), actor: Actor = Depends(caller)) -> dict[str, Any]:
    found = workflow.list_requests(get_warehouse(request), actor, status=status, dataset=dataset)
    return {"ok": True, "requests": [r.to_dict() for r in found]}


@router.post("/requests", status_code=201, summary="File an access request (申请)")
def create_request(request: Request, body: RequestBody, actor: Actor = Depends(caller)) -> dict[str, Any]:
    found = workflow.create_request(get_warehouse(request), actor, body.dataset, purpose=body.purpose,
                                    columns=body.columns, row_filter=body.row_filter,
                                    duration_days=body.duration_days, max_level=body.max_level)
    return {"ok": True, "request": found.to_dict()}


@router.get("/requests/{request_id}", summary="One request")
def get_request(request: Request, request_id: int = Path(..., ge=1, le=2**62),
                actor: Actor = Depends(caller)) -> dict[str, Any]:
    return {"ok": True, "request": workflow.get_request(get_warehouse(request), actor, request_id).to_dict()}


@router.post("/requests/{request_id}/approve", summary="Approve (possibly narrowing) — stewards of the owning department")
def approve_request(request: Request, body: DecisionBody, request_id: int = Path(..., ge=1, le=2**62),
                    actor: Actor = Depends(caller)) -> dict[str, Any]:
    found, grant = workflow.decide_request(get_warehouse(request), actor, request_id, approve=True, reason=body.reason,
                                           columns=body.columns, row_filter=body.row_filter, max_level=body.max_level,
                                           duration_days=body.duration_days)
    return {"ok": True, "request": found.to_dict(), "grant": grant.to_dict() if grant else None}


@router.post("/requests/{request_id}/reject", summary="Reject with a reason")
def reject_request(request: Request, body: ReasonBody, request_id: int = Path(..., ge=1, le=2**62),
                   actor: Actor = Depends(caller)) -> dict[str, Any]:
    found, _grant = workflow.decide_request(get_warehouse(request), actor, request_id, approve=False,
                                            reason=body.reason)
    return {"ok": True, "request": found.to_dict()}


@router.post("/requests/{request_id}/withdraw", summary="Withdraw your own pending request")
def withdraw_request(request: Request, request_id: int = Path(..., ge=1, le=2**62),
                     actor: Actor = Depends(caller)) -> dict[str, Any]:
    return {"ok": True, "request": workflow.withdraw_request(get_warehouse(request), actor, request_id).to_dict()}


@router.get("/grants", summary="Grants you hold or (stewards) your department issued")
def list_grants(request: Request, state: Literal["active", "expired", "revoked"] | None = None,
                dataset: str | None = Query(None, max_length=128), actor: Actor = Depends(caller)) -> dict[str, Any]:
    found = workflow.list_grants(get_warehouse(request), actor, state=state, dataset=dataset)
    return {"ok": True, "grants": [g.to_dict() for g in found]}


@router.get("/grants/{grant_id}", summary="One grant")
def get_grant(request: Request, grant_id: int = Path(..., ge=1, le=2**62),
              actor: Actor = Depends(caller)) -> dict[str, Any]:
    return {"ok": True, "grant": workflow.get_grant(get_warehouse(request), actor, grant_id).to_dict()}


@router.post("/grants/{grant_id}/revoke", summary="Revoke a grant (stops at once)")
def revoke_grant(request: Request, body: ReasonBody, grant_id: int = Path(..., ge=1, le=2**62),
                 actor: Actor = Depends(caller)) -> dict[str, Any]:
    found = workflow.revoke_grant(get_warehouse(request), actor, grant_id, reason=body.reason)
    return {"ok": True, "grant": found.to_dict()}


# ---------------------------------------------------------------------------------------------- audit
@router.get("/audit", summary="Search the audit log (stewards: their department's datasets)")
def search_audit(request: Request, actor_name: str | None = Query(None, alias="actor", max_length=64),
                 action: str | None = Query(None, max_length=64), dataset: str | None = Query(None, max_length=128),
                 outcome: Literal["ok", "denied", "failed", "error"] | None = None,
                 since: str | None = Query(None, max_length=40), until: str | None = Query(None, max_length=40),
                 limit: int = Query(100, ge=1, le=1000), before: int | None = Query(None, ge=1),
                 actor: Actor = Depends(caller)) -> dict[str, Any]:
    scope = audit_scope(actor)
    entries = audit_log.search(get_warehouse(request), actor=actor_name, action=action, dataset=dataset,
                               outcome=outcome, since=since, until=until, limit=limit, before_seq=before,
                               visible_to_department=scope)
    return {"ok": True, "entries": [e.to_dict() for e in entries]}


@router.get("/audit/verify", summary="Verify the hash chain (admins)")
def verify_audit(request: Request, actor: Actor = Depends(caller)) -> dict[str, Any]:
    require(actor, "audit:verify")
    report = audit_log.verify(get_warehouse(request))
    return {"ok": True, "report": report.to_dict()}
