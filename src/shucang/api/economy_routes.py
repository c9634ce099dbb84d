"""Economic monitoring API (产业大脑) under ``/api/v1/economy``: parse → call ``shucang.economy`` → JSON.

Aggregates are open to every caller, with groups of fewer than five enterprises blanked for anyone but
an admin; single-enterprise figures (the enterprise list, portraits, enterprise alerts, the 亩均 list,
corrections) need the right to read the monthly report dataset — the sharing stage decides, and the
portrait's other parts are read through its door (masked per grant, audited).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from shucang.api.deps import Actor, api_actor, get_warehouse

router = APIRouter(prefix="/api/v1/economy", tags=["economy"])
DATASET = Query(None, max_length=128, description="bound monthly report dataset (default: the first bound)")
PERIOD = Query(None, max_length=16, description="month N: 2025-06, 202506 or 2025年6月 (default: the latest)")
CALIBER = Query("comparable", pattern="^(comparable|all)$")


def _dataset(request: Request, dataset: str | None) -> str:
    from shucang.economy.binding import default_dataset

    return default_dataset(get_warehouse(request), dataset)


def _can_see(request: Request, actor: Actor, dataset: str) -> bool:
    from shucang.economy.visibility import can_see_enterprises

    return can_see_enterprises(get_warehouse(request), actor, dataset)


@router.get("/bindings", summary="Bound monthly report datasets and their column roles")
def bindings(request: Request, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy import bound_datasets

    return {"ok": True, "bindings": [b.to_dict() for b in bound_datasets(get_warehouse(request))]}


@router.get("/yoy", summary="Cumulative YoY (1–N月累计同比) for one measure, by group, per caliber")
def yoy(request: Request, period: str = Query(..., max_length=16), dataset: str | None = DATASET,
        measure: str = Query("output", max_length=128),
        by: str = Query("none", pattern="^(none|town|industry|division|chain|size)$"), caliber: str = CALIBER,
        actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy import yoy as compute
    from shucang.economy.visibility import suppress_yoy

    out = compute(get_warehouse(request), _dataset(request, dataset), measure, period, by=by, caliber=caliber)
    return {"ok": True, **suppress_yoy(out, actor)}


@router.get("/overview", summary="County overview: headline YoY, 36-month trend, by chain and by town")
def overview(request: Request, dataset: str | None = DATASET, period: str | None = PERIOD, caliber: str = CALIBER,
             actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.monitor import overview as compute

    return {"ok": True, **compute(get_warehouse(request), actor, dataset=dataset, period=period, caliber=caliber)}


@router.get("/panel", summary="Big-screen panel figures (public level)")
def panel(request: Request, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.monitor import screen_panel

    return {"ok": True, **screen_panel(get_warehouse(request))}


@router.get("/chains", summary="Industry chains in force with their GB/T 4754-2017 codes and source")
def chains(request: Request, _actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.reference import chains_source, digital_core, load_chains

    home = get_warehouse(request).settings.home
    core = digital_core()
    return {"ok": True, "source": chains_source(home),
            "chains": [{"id": c.id, "name": c.name, "codes": list(c.codes), "note": c.note} for c in load_chains(home)],
            "digital_core": {"source": core.source, "categories": core.categories,
                             "codes": [{"code": c, "category": k, "name": n, "partial": p} for c, k, n, p in core.codes]}}


@router.get("/chains/{chain_id}", summary="One chain: headline YoY against the county")
def chain(request: Request, chain_id: str = Path(..., max_length=64), dataset: str | None = DATASET,
          period: str | None = PERIOD, caliber: str = CALIBER, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.monitor import group_page

    return {"ok": True, **group_page(get_warehouse(request), actor, "chain", chain_id, dataset=dataset, period=period,
                                     caliber=caliber)}


@router.get("/towns/{town}", summary="One town: headline YoY against the county")
def town(request: Request, town: str = Path(..., max_length=64), dataset: str | None = DATASET,
         period: str | None = PERIOD, caliber: str = CALIBER, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.monitor import group_page

    return {"ok": True, **group_page(get_warehouse(request), actor, "town", town, dataset=dataset, period=period,
                                     caliber=caliber)}


@router.get("/enterprises", summary="Enterprises with 1–N月 output and YoY (callers allowed to see enterprises)")
def enterprises(request: Request, dataset: str | None = DATASET, period: str | None = PERIOD,
                town: str | None = Query(None, max_length=64), chain: str | None = Query(None, max_length=64),
                industry: str | None = Query(None, max_length=4, pattern="^[0-9]{1,4}$"),
                q: str | None = Query(None, max_length=64), limit: int = Query(500, ge=1, le=5000),
                actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.portrait import enterprise_list

    return {"ok": True, **enterprise_list(get_warehouse(request), actor, dataset=dataset, period=period, town=town,
                                          chain=chain, industry=industry, q=q, limit=limit)}


@router.get("/enterprises/{uscc}", summary="企业画像: one enterprise (masked per the caller's grants)")
def enterprise(request: Request, uscc: str = Path(..., max_length=64), dataset: str | None = DATASET,
               actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.portrait import portrait

    return {"ok": True, **portrait(get_warehouse(request), actor, uscc, dataset=dataset)}


@router.get("/alerts", summary="Watch alerts of the last evaluation (enterprise alerts for callers allowed)")
def alerts(request: Request, dataset: str | None = DATASET, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.watch import stored_alerts

    name = _dataset(request, dataset)
    found = stored_alerts(get_warehouse(request), dataset=name)
    hidden = 0
    if not _can_see(request, actor, name):
        hidden = sum(1 for a in found if a["subject_kind"] == "enterprise")
        found = [a for a in found if a["subject_kind"] != "enterprise"]
    return {"ok": True, "dataset": name, "alerts": found, "enterprise_alerts_hidden": hidden}


@router.get("/corrections", summary="Enterprise-months reported more than once (callers allowed)")
def corrections(request: Request, dataset: str | None = DATASET, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy import corrections as compute
    from shucang.economy import load_binding
    from shucang.economy.visibility import require_enterprises

    wh = get_warehouse(request)
    name = _dataset(request, dataset)
    require_enterprises(wh, actor, name)
    return {"ok": True, **compute(wh, load_binding(wh, name))}


@router.get("/mujun", summary="亩均效益评价: distribution for all; the enterprise list for callers allowed")
def mujun(request: Request, year: int | None = Query(None, ge=1990, le=2100),
          actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from shucang.economy.mujun import visible_evaluation

    return {"ok": True, **visible_evaluation(get_warehouse(request), actor, year)}


@router.get("/mujun.xlsx", summary="亩均效益评价 list as XLSX (callers allowed)")
def mujun_xlsx(request: Request, year: int | None = Query(None, ge=1990, le=2100),
               actor: Actor = Depends(api_actor)) -> Response:
    from shucang.economy.mujun import evaluate, to_xlsx_file
    from shucang.economy.visibility import require_enterprises

    wh = get_warehouse(request)
    require_enterprises(wh, actor, _dataset(request, None))
    out = evaluate(wh, year)
    require_enterprises(wh, actor, out["dataset"])
    body = to_xlsx_file(wh, out, exported_by=actor.name)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="mujun-{out["year"]}.xlsx"'})
