"""数据仓 page: the catalog's datasets by department with freshness and check results.

This is also issue 2's "page listing the datasets": it needs only the warehouse stage, so it works
before the plan engine exists, and it labels synthetic datasets as such. Checks come from
``shucang.warehouse.checks.run_checks`` (memoised per set of dataset versions for a minute; the key and
not-null results, which scan whole tables, are kept per dataset version for the app's life).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shucang.shell.request import get_warehouse
from shucang.warehouse import Warehouse
from shucang.web.dictionary import column_label
from shucang.web.exports import export_response
from shucang.web.i18n import gettext, request_lang
from shucang.web.labels import code_label, fmt_age
from shucang.web.memo import memo
from shucang.web.render import page
from shucang.web.tables import Column, Table

router = APIRouter(include_in_schema=False)

CHECK_RANK = {"ok": 0, "repaired": 0, "warn": 1, "fail": 2}


def _versions_key(wh: Warehouse) -> tuple[tuple[str, int | None], ...]:
    return tuple((d.name, d.current_version) for d in wh.list_datasets())


def check_results(wh: Warehouse, state: Any) -> dict[str, list[dict[str, Any]]]:
    """Check results by dataset name (freshness, keys, not-null, storage)."""
    from shucang.warehouse.checks import run_checks

    constraints = getattr(state, "check_constraints", None)
    if constraints is None:
        constraints = state.check_constraints = {}

    def compute() -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for result in run_checks(wh, memo=constraints):
            out.setdefault(result.dataset, []).append(result.to_dict())
        return out

    return memo(state, ("checks", _versions_key(wh)), 60.0, compute)


def latest_refresh(wh: Warehouse) -> datetime | None:
    """When the newest dataset version landed (the overview's 最近数据更新)."""
    stamps = [d.updated_at for d in wh.list_datasets() if d.current_version is not None]
    if not stamps:
        return None
    newest = max(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps)
    return newest.astimezone()


def _check_summary(results: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(worst status, freshness message, other problems) for one dataset's check results."""
    worst = max((CHECK_RANK.get(r["status"], 1) for r in results), default=0)
    status = {0: "ok", 1: "warn", 2: "fail"}[worst]
    fresh = next((r for r in results if r["check"] == "freshness"), None)
    problems = "; ".join(r["message"] for r in results if r["check"] != "freshness" and r["status"] not in ("ok", "repaired"))
    return status, (fresh["message"] if fresh else ""), problems


def warehouse_data(wh: Warehouse, lang: str, state: Any) -> dict[str, Any]:
    """The page's data: summary figures and one table of datasets per department."""
    _ = lambda s: gettext(lang, s)  # noqa: E731
    datasets = wh.list_datasets()
    checks = check_results(wh, state)
    columns = [
        Column("dataset", _("Dataset"), "link"), Column("name", _("Table name")),
        Column("rows", _("Rows"), "count"), Column("version", _("Version"), "number"),
        Column("cadence", _("Cadence")), Column("updated_at", _("Updated"), "when"),
        Column("freshness", _("Freshness")), Column("check", _("Checks")), Column("problems", _("Problems")),
        Column("synthetic", _("Synthetic"), "bool"), Column("is_open", _("Open data"), "bool"),
    ]
    by_department: dict[str, dict[str, Any]] = {}
    stale = failing = 0
    for info in datasets:
        results = checks.get(info.name, [])
        status, fresh, problems = _check_summary(results)
        is_stale = any(r["check"] == "freshness" and r["status"] == "fail" for r in results)
        stale += is_stale
        failing += any(r["check"] != "freshness" and r["status"] == "fail" for r in results)
        code = info.department or "-"
        group = by_department.setdefault(code, {"code": info.department, "name": info.department_name or
                                                 (info.department or _("No department")), "rows": []})
        group["rows"].append({
            "dataset": {"text": info.title, "href": f"/warehouse/{info.name}"},
            "name": info.name, "rows": info.row_count, "version": info.current_version,
            "cadence": code_label(info.cadence, lang) if info.cadence else "–",
            "updated_at": info.updated_at,
            "freshness": (_("Stale") if is_stale else _("Fresh")) + (f" · {fmt_age(info.updated_at, lang)}" if fresh else ""),
            "check": {"ok": _("Passed"), "warn": _("Warning"), "fail": _("Failed")}[status],
            "problems": problems, "synthetic": info.synthetic, "is_open": info.is_open,
        })
    from shucang.web.collect_views import source_alerts  # 数据汇聚: failed or late sources first

    alerts = source_alerts(wh, lang)
    tables = [alerts] if alerts is not None else []
    for code, group in sorted(by_department.items(), key=lambda kv: kv[1]["name"]):
        table = Table(f"datasets-{code}", f"{group['name']}（{len(group['rows'])}）", columns, group["rows"],
                      export_url=f"/warehouse/export/datasets-{code}")
        tables.append(table)
    return {
        "page_title": _("Warehouse"),
        "summary": {
            "datasets": len(datasets), "departments": len(by_department),
            "rows": sum(d.row_count for d in datasets), "stale": stale, "failing_checks": failing,
            "synthetic": sum(d.synthetic for d in datasets), "open": sum(d.is_open for d in datasets),
            "latest_refresh": latest_refresh(wh), "source_alerts": len(alerts.rows) if alerts is not None else 0,
        },
        "tables": tables,
        "synthetic_note": any(d.synthetic for d in datasets),
    }


def example_ceiling(wh: Warehouse, info: Any, actor: Any) -> tuple[bool, int]:
    """(may the caller see the column list, highest column level whose example values it may see).

    Admins see everything. Nobody else sees examples of a version that is not classified yet (its
    grades are unknown), nor of a dataset it may not read — the public sees nothing of a non-open
    dataset beyond its catalog entry, and of an open one the examples of level-1 columns only."""
    from shucang.share.access import allowed
    from shucang.share.reads import dataset_resource

    if actor.role == "admin":
        return True, 4
    may_read = actor.is_authenticated and allowed(actor, "dataset:read", dataset_resource(wh, actor, info))
    if may_read:
        ceiling = actor.clearance if actor.role == "steward" else 1
    else:
        ceiling = 1 if info.is_open else 0
    return actor.is_authenticated or info.is_open, ceiling


def _column_levels(wh: Warehouse, name: str, version: int | None) -> dict[str, int] | None:
    """Stored levels of this exact version (None: not classified — never classified on a page view)."""
    if version is None:
        return None
    from shucang.classify.store import stored_classification

    found = stored_classification(wh, name, version)
    if found is None:
        return None
    return {str(c["name"]): int(c["level"]) for c in found.columns}


def dataset_data(wh: Warehouse, name: str, lang: str, actor: Any = None) -> dict[str, Any]:
    """One dataset: catalog facts, versions and columns (examples only where the caller may see them)."""
    from shucang.share.access import PUBLIC

    _ = lambda s: gettext(lang, s)  # noqa: E731
    actor = actor or PUBLIC
    info = wh.dataset(name)  # the catalog entry is public (the cockpit lists every dataset)
    listed, ceiling = example_ceiling(wh, info, actor)
    levels = _column_levels(wh, name, info.current_version) if ceiling < 4 else {}
    cols = wh.columns(name) if listed else []

    def examples(column: Any) -> str:
        level = 0 if levels is None else levels.get(column.name, 4)
        return "、".join(map(str, column.examples[:3])) if ceiling >= 4 or 0 < level <= ceiling else ""
    col_table = Table("columns", _("Columns"), [
        Column("name", _("Column")), Column("label", _("Meaning")), Column("logical_type", _("Type")), Column("storage_type", _("Storage type")),
        Column("null_share", _("Blank share"), "ratio"), Column("distinct", _("Distinct (estimate)"), "count"),
        Column("examples", _("Examples")),
    ], [{"name": c.name, "label": column_label(c.name, lang) if column_label(c.name, lang) != c.name else "–",
         "logical_type": c.logical_type, "storage_type": c.storage_type, "null_share": c.null_share,
         "distinct": c.distinct_estimate, "examples": examples(c)} for c in cols],
        export_url=f"/warehouse/{name}/export/columns")
    versions = wh.versions(name)
    ver_table = Table("versions", _("Versions"), [
        Column("version", _("Version"), "number"), Column("mode", _("Mode")), Column("rows_loaded", _("Rows loaded"), "count"),
        Column("rows_rejected", _("Rows rejected"), "count"), Column("row_count", _("Rows after"), "count"),
        Column("created_at", _("Time"), "when"), Column("source", _("Source")),
    ], [{"version": v.version, "mode": code_label(v.mode, lang), "rows_loaded": v.rows_loaded, "rows_rejected": v.rows_rejected,
         "row_count": v.row_count, "created_at": v.created_at, "source": code_label(v.source_format, lang) if v.source_format else ""}
        for v in sorted(versions, key=lambda v: -v.version)],
        export_url=f"/warehouse/{name}/export/versions")
    return {"page_title": info.title, "dataset": info.to_dict(), "tables": [col_table, ver_table],
            "synthetic_note": info.synthetic}


def _lang(request: Request) -> str:
    return request_lang(request)


@router.get("/warehouse")
def warehouse_page(request: Request) -> Response:
    wh = get_warehouse(request)
    data = warehouse_data(wh, _lang(request), request.app.state)
    return page(request, "warehouse.html", data, active="warehouse")


@router.get("/datasets")
def datasets_alias(request: Request) -> Response:
    """Issue 2's dataset list under its plain name (same page)."""
    return warehouse_page(request)


@router.get("/warehouse/export/{table}.{fmt}")
def warehouse_export(request: Request, table: str, fmt: str) -> Response:
    data = warehouse_data(get_warehouse(request), _lang(request), request.app.state)
    return export_response(data["tables"], table, fmt, request=request)


def _caller(request: Request) -> Any:
    from shucang.errors import ShucangError
    from shucang.share.access import PUBLIC
    from shucang.shell.request import get_actor

    try:
        return get_actor(request)
    except ShucangError:
        return PUBLIC


@router.get("/warehouse/{name}")
def dataset_page(request: Request, name: str) -> Response:
    data = dataset_data(get_warehouse(request), name, _lang(request), _caller(request))
    return page(request, "dataset.html", data, active="warehouse")


@router.get("/warehouse/{name}/export/{table}.{fmt}")
def dataset_export(request: Request, name: str, table: str, fmt: str) -> Response:
    data = dataset_data(get_warehouse(request), name, _lang(request), _caller(request))
    return export_response(data["tables"], table, fmt, request=request)
