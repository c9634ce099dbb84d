"""Open-data API (公共数据开放): unauthenticated, read-only, with its own per-address rate limit.

``/api/v1/open/…`` serves the catalog, facets, rows and the live open-data rate as JSON;
``/opendata/catalog.json`` is the DCAT-style catalog for harvesters and
``/opendata/datasets/{name}/download.{csv|xlsx|json}`` the downloads. Dataset names are looked up in
the catalog, never used as file paths.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote as urlquote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from shucang.api.deps import get_warehouse, open_caller
from shucang.share import opendata
from shucang.share.access import Actor
from shucang.share.formats import csv_bytes, json_rows, xlsx_bytes
from shucang.share.query import DEFAULT_PAGE, MAX_PAGE, parse_json_param

router = APIRouter(tags=["open data"])
NAME = Path(..., min_length=1, max_length=128, description="open dataset name")


@router.get("/api/v1/open/datasets", summary="Open datasets: search and facets by department and topic")
def list_open(request: Request, q: str | None = Query(None, max_length=200),
              department: str | None = Query(None, max_length=64), topic: str | None = Query(None, max_length=100),
              _actor: Actor = Depends(open_caller)) -> dict[str, Any]:
    return {"ok": True, **opendata.open_catalog(get_warehouse(request), q=q, department=department, topic=topic)}


@router.get("/api/v1/open/rate", summary="公共数据开放率: open ÷ catalogued datasets, overall and by department")
def open_rate(request: Request, _actor: Actor = Depends(open_caller)) -> dict[str, Any]:
    return {"ok": True, **opendata.open_data_rate(get_warehouse(request))}


@router.get("/api/v1/open/datasets/{name}", summary="One open dataset: metadata and open columns")
def get_open(request: Request, name: str = NAME, _actor: Actor = Depends(open_caller)) -> dict[str, Any]:
    wh = get_warehouse(request)
    plan = opendata.open_plan(wh, name)
    found = opendata.get_release(wh, name)
    assert found is not None
    return {"ok": True, **opendata.open_entry(wh.dataset(name), found),
            "columns": [c.to_dict() for c in plan.columns.values()]}


@router.get("/api/v1/open/datasets/{name}/rows", summary="Rows of an open dataset (filters, sort, cursor pages)")
def open_rows(request: Request, name: str = NAME, columns: str | None = Query(None, max_length=4000),
              filter: str | None = Query(None, max_length=20000), sort: str | None = Query(None, max_length=1000),
              limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE), cursor: str | None = Query(None, max_length=2000),
              actor: Actor = Depends(open_caller)) -> dict[str, Any]:
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    plan, table, nxt = opendata.open_rows(get_warehouse(request), name, columns=cols,
                                          filter=parse_json_param(filter, "filter"), sort=sort, limit=limit,
                                          cursor=cursor, actor=actor)
    return {"ok": True, "dataset": name, "version": plan.version, "columns": table.column_names,
            "next_cursor": nxt, "rows": json_rows(table)}


@router.get("/opendata/catalog.json", summary="DCAT-style catalog of open datasets for harvesters",
            response_class=JSONResponse, responses={200: {"content": {"application/ld+json": {}}}})
def dcat(request: Request, _actor: Actor = Depends(open_caller)) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(opendata.dcat_catalog(get_warehouse(request), base),
                        media_type="application/ld+json")


@router.get("/opendata/datasets/{name}/download.{fmt}", summary="Download an open dataset (CSV, XLSX or JSON)",
            responses={200: {"content": {"text/csv": {}, "application/json": {}, "application/vnd.openxmlformats-"
                                                                                   "officedocument.spreadsheetml.sheet": {}}}})
def download(request: Request, name: str = NAME, fmt: Literal["csv", "xlsx", "json"] = Path(...),
             actor: Actor = Depends(open_caller)) -> Response:
    plan, table = opendata.open_download(get_warehouse(request), name, fmt=fmt, actor=actor)
    filename = f"{name}-v{plan.version}.{fmt}"
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{urlquote(filename)}",
               "X-Shucang-Dataset-Version": str(plan.version)}
    if fmt == "csv":
        return Response(csv_bytes(table), media_type="text/csv; charset=utf-8", headers=headers)
    if fmt == "xlsx":
        return Response(xlsx_bytes(table, note=f"shucang open data {name} v{plan.version}"), headers=headers,
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return JSONResponse({"dataset": name, "version": plan.version, "columns": table.column_names,
                         "rows": json_rows(table)}, headers=headers)
