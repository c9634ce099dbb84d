"""The open-data portal's core (公共数据开放): publish, serve and measure open datasets.

Publishing a dataset releases only its level-1 columns, and only after the protection stage's
k-anonymity check over the chosen quasi-identifiers passes; the release pins the checked version,
so what the public downloads is exactly what was checked. Serving goes through the same
``protect_for_recipient`` exit as every other read (recipient ``public``) and is audited. The
open-data rate (open ÷ catalogued datasets, overall and by department) is computed live from the
catalog; the plan's 公共数据开放率 indicator calls :func:`open_data_rate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlalchemy as sa

from shucang.classify import types as ST
from shucang.classify.graded import UNGRADED
from shucang.errors import InputError, NotFound
from shucang.share.access import PUBLIC, Actor, Resource, require
from shucang.share.audit import record_event
from shucang.share.cache import attached, changed
from shucang.share.query import Page, compile_filter, parse_sort, query_fingerprint, select_rows, snapshots
from shucang.share.reads import AccessPlan, ColumnAccess, column_levels, release
from shucang.share.tables import aware, ensure_tables, now, open_releases

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

PUBLIC_RECIPIENT = "public"
QUASI_TYPES = ST.in_group("k_anon")
"""Sensitive types treated as quasi-identifiers when the publisher names none."""


@dataclass(frozen=True)
class OpenRelease:
    dataset: str
    version: int
    columns: list[str]
    quasi_identifiers: list[str]
    k: int
    k_min: int | None
    published_by: str
    published_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        return data


def _ensure_public_recipient(wh: Warehouse) -> None:
    """The open-data portal's recipient exists (checked once per warehouse object)."""
    from shucang.protect.recipients import upsert_recipient

    def make() -> bool:
        upsert_recipient(wh, PUBLIC_RECIPIENT, department=None, clearance=1)
        return True

    attached(wh, "_share_public_recipient", make)


def get_release(wh: Warehouse, dataset: str) -> OpenRelease | None:
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(sa.select(open_releases).where(open_releases.c.dataset == dataset)).first()
    if row is None:
        return None
    return OpenRelease(row.dataset, int(row.version), list(row.columns), list(row.quasi_identifiers), int(row.k),
                       row.k_min, row.published_by, aware(row.published_at))


def publish(wh: Warehouse, actor: Actor, dataset: str, *, quasi_identifiers: list[str] | None = None,
            k: int = 5) -> OpenRelease:
    """Open ``dataset``: level-1 columns only, after a k-anonymity check over the quasi-identifiers."""
    info = wh.dataset(dataset)
    require(actor, "dataset:publish", Resource("dataset", dataset, info.department, is_open=info.is_open))
    if not 2 <= int(k) <= 1000:
        raise InputError("k 必须在 2–1000 之间 (k must be 2–1000)")
    if info.current_version is None:
        raise InputError(f"数据集 {dataset} 还没有数据 (has no data yet)")
    version = int(info.current_version)
    levels, _grades = column_levels(wh, dataset, version)
    names = [c.name for c in wh.columns(dataset, version)]
    open_cols = [c for c in names if levels.get(c, UNGRADED)[1] <= 1]
    if not open_cols:
        raise InputError(f"数据集 {dataset} 没有 1 级（不敏感）列，不能开放 (no level-1 column to open)",
                         hint="review the classification (`shucang classify …`) first")
    if quasi_identifiers is None:
        quasi = [c for c in open_cols if levels.get(c, (None, 0))[0] in QUASI_TYPES]
    else:
        quasi = list(dict.fromkeys(quasi_identifiers))
        closed = [c for c in quasi if c not in open_cols]
        if closed:
            raise InputError(f"准标识符必须是开放列 (quasi-identifiers must be open columns): {', '.join(closed)}",
                             hint="open columns: " + ", ".join(open_cols))
    k_min = None
    if quasi:
        from shucang.protect.kanon import check_k_anonymity

        report = check_k_anonymity(wh.read_arrow(dataset, version, columns=quasi), quasi, k=int(k))
        k_min = int(report.k_min) if report.k_min is not None else None
        if not report.ok:
            record_event(wh, actor, "open.publish", outcome="denied", dataset=dataset, department=info.department,
                         columns=open_cols, quasi=quasi, k=int(k), k_min=k_min)
            tips = "; ".join(str(s) for s in list(report.suggestions)[:3])
            raise InputError(f"k-匿名检查未通过：最小组 {k_min} < k={k} (k-anonymity check failed: smallest "
                             f"group {k_min} < {k})", hint=tips or "generalise or drop a quasi-identifier")
    stamp = now()
    values = {"version": version, "columns": open_cols, "quasi_identifiers": quasi, "k": int(k), "k_min": k_min,
              "published_by": actor.name, "published_at": stamp}
    with ensure_tables(wh.engine).begin() as conn:
        conn.execute(open_releases.delete().where(open_releases.c.dataset == dataset))
        conn.execute(open_releases.insert().values(dataset=dataset, **values))
    wh.update_dataset(dataset, is_open=True)
    changed(wh)
    _ensure_public_recipient(wh)
    record_event(wh, actor, "open.publish", dataset=dataset, department=info.department, columns=open_cols,
                 version=version, quasi=quasi, k=int(k), k_min=k_min)
    release_info = get_release(wh, dataset)
    assert release_info is not None
    return release_info


def unpublish(wh: Warehouse, actor: Actor, dataset: str) -> None:
    info = wh.dataset(dataset)
    require(actor, "dataset:publish", Resource("dataset", dataset, info.department, is_open=info.is_open))
    with ensure_tables(wh.engine).begin() as conn:
        conn.execute(open_releases.delete().where(open_releases.c.dataset == dataset))
    wh.update_dataset(dataset, is_open=False)
    changed(wh)
    record_event(wh, actor, "open.unpublish", dataset=dataset, department=info.department)


def _open_release(wh: Warehouse, dataset: str) -> tuple[Any, OpenRelease]:
    """The open dataset and its release; anything else is 404 to the public (no hint it exists)."""
    try:
        info = wh.dataset(dataset)
    except NotFound:
        info = None
    found = get_release(wh, dataset) if info is not None and info.is_open else None
    if info is None or found is None:
        raise NotFound(f"没有名为 {dataset!r} 的开放数据集 (no open dataset named {dataset!r})",
                       hint="GET /api/v1/open/datasets lists them")
    return info, found


def open_plan(wh: Warehouse, dataset: str) -> AccessPlan:
    """An access plan for the public: the release's columns that are still level 1 now."""
    info, found = _open_release(wh, dataset)
    snap = snapshots(wh).get(wh, dataset, found.version)
    levels, grades = column_levels(wh, dataset, found.version)
    columns = {}
    for name in found.columns:
        kind, level = levels.get(name, UNGRADED)
        if name in snap.types and level <= 1:  # a column regraded upwards since publishing is withheld
            columns[name] = ColumnAccess(name, snap.types[name], kind, level, True, True)
    return AccessPlan(dataset, info.department, found.version, "open", 1, None, columns, None, grades)


def open_rows(wh: Warehouse, dataset: str, *, columns: list[str] | None = None, filter: Any = None,
              sort: list[str] | str | None = None, limit: int = 100, cursor: str | None = None,
              fmt: str = "json", actor: Actor = PUBLIC) -> tuple[AccessPlan, pa.Table, str | None]:
    """A page (or, with ``limit=None`` semantics via :func:`open_download`, everything) of open rows."""
    plan = open_plan(wh, dataset)
    snap = snapshots(wh).get(wh, dataset, plan.version)
    wanted = list(dict.fromkeys(columns)) if columns else list(plan.columns)
    missing = [c for c in wanted if c not in plan.columns]
    if missing:
        raise NotFound(f"开放数据集 {dataset} 没有列 {', '.join(missing)} (no such open column)",
                       hint="open columns: " + ", ".join(plan.columns))
    where = compile_filter(filter, {c: snap.types[c] for c in plan.columns}, filterable=set(plan.columns))
    keys = parse_sort(sort, set(plan.columns), {c: snap.types[c] for c in plan.columns})
    page: Page = select_rows(snap, wanted, where, keys, limit=int(limit), cursor=cursor,
                             fingerprint=query_fingerprint("open", dataset, wanted, filter, keys))
    _ensure_public_recipient(wh)
    released = release(wh, _public_actor(actor), plan, page.table, channel="opendata")
    table = released.table
    record_event(wh, actor, "open.read" if fmt == "json" else "open.download", dataset=dataset,
                 department=plan.department, columns=table.column_names, filter=filter, rows=table.num_rows,
                 version=plan.version, format=fmt, extract_id=released.extract_id, with_rows=released.registry)
    return plan, table, page.next_cursor


def _public_actor(actor: Actor) -> Actor:
    """Open data is released to the public recipient whoever asks (it is the same for everyone)."""
    return Actor(name=PUBLIC_RECIPIENT, role="public", clearance=1, via=actor.via)


def open_download(wh: Warehouse, dataset: str, *, fmt: str, actor: Actor = PUBLIC) -> tuple[AccessPlan, pa.Table]:
    """The whole open release (its open columns), released and audited once."""
    plan = open_plan(wh, dataset)
    snap = snapshots(wh).get(wh, dataset, plan.version)
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in plan.columns)
    table = snap.run(f"SELECT {cols} FROM __sc_snap ORDER BY rowid", [])
    _ensure_public_recipient(wh)
    released = release(wh, _public_actor(actor), plan, table, channel="opendata")
    table = released.table
    record_event(wh, actor, "open.download", dataset=dataset, department=plan.department,
                 columns=table.column_names, rows=table.num_rows, version=plan.version, format=fmt,
                 extract_id=released.extract_id, with_rows=released.registry)
    return plan, table


# ---------------------------------------------------------------------------------------------- catalog
def open_catalog(wh: Warehouse, *, q: str | None = None, department: str | None = None,
                 topic: str | None = None) -> dict[str, Any]:
    """Open datasets matching a partial-word search, with facets by department and topic."""
    releases = {r.dataset: r for r in _all_releases(wh)}
    items = [d for d in wh.list_datasets() if d.is_open and d.name in releases]
    needle = (q or "").strip().lower()
    if needle:
        items = [d for d in items if needle in " ".join(
            [d.name, d.title or "", d.description or "", d.department_name or "", d.topic or "",
             " ".join(releases[d.name].columns)]).lower()]
    facets: dict[str, dict[str, dict[str, Any]]] = {"department": {}, "topic": {}}
    for d in items:
        dep = facets["department"].setdefault(d.department or "", {"value": d.department,
                                                                   "label": d.department_name, "count": 0})
        dep["count"] += 1
        top = facets["topic"].setdefault(d.topic or "", {"value": d.topic, "label": d.topic, "count": 0})
        top["count"] += 1
    if department:
        items = [d for d in items if d.department == department]
    if topic:
        items = [d for d in items if d.topic == topic]
    return {"datasets": [open_entry(d, releases[d.name]) for d in items],
            "facets": {k: sorted(v.values(), key=lambda f: (-f["count"], str(f["value"]))) for k, v in facets.items()},
            "total": len(items)}


def open_entry(info: Any, found: OpenRelease) -> dict[str, Any]:
    return {"name": info.name, "title": info.title, "description": info.description,
            "department": info.department, "department_name": info.department_name, "topic": info.topic,
            "cadence": info.cadence, "synthetic": info.synthetic, "version": found.version,
            "columns": found.columns, "k": found.k, "k_min": found.k_min, "quasi_identifiers": found.quasi_identifiers,
            "published_at": found.published_at.isoformat(), "updated_at": info.updated_at.isoformat()}


def _all_releases(wh: Warehouse) -> list[OpenRelease]:
    with ensure_tables(wh.engine).connect() as conn:
        rows = conn.execute(sa.select(open_releases).order_by(open_releases.c.dataset)).all()
    return [OpenRelease(r.dataset, int(r.version), list(r.columns), list(r.quasi_identifiers), int(r.k), r.k_min,
                        r.published_by, aware(r.published_at)) for r in rows]


def open_data_rate(wh: Warehouse) -> dict[str, Any]:
    """公共数据开放率 now: open datasets ÷ catalogued datasets, overall and per department."""
    datasets = wh.list_datasets()
    by: dict[str | None, dict[str, Any]] = {}
    for d in datasets:
        entry = by.setdefault(d.department, {"department": d.department, "department_name": d.department_name,
                                             "open": 0, "total": 0})
        entry["total"] += 1
        entry["open"] += int(bool(d.is_open))
    for entry in by.values():
        entry["rate"] = round(entry["open"] / entry["total"], 4) if entry["total"] else 0.0
    total = len(datasets)
    opened = sum(1 for d in datasets if d.is_open)
    return {"rate": round(opened / total, 4) if total else 0.0, "open": opened, "total": total,
            "by_department": sorted(by.values(), key=lambda e: str(e["department"] or "")),
            "computed_at": now().isoformat()}


def dcat_catalog(wh: Warehouse, base_url: str) -> dict[str, Any]:
    """A DCAT-style JSON-LD catalog for harvesters (one dataset per open release, three distributions)."""
    base = base_url.rstrip("/")
    listing = open_catalog(wh)["datasets"]
    media = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "json": "application/json"}
    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/"},
        "@type": "dcat:Catalog",
        "dct:title": "慈溪市公共数据开放目录 (Cixi open data catalog)",
        "dct:language": "zh-CN",
        "dct:modified": now().isoformat(),
        "foaf:homepage": f"{base}/opendata",
        "dcat:dataset": [{
            "@id": f"{base}/opendata/datasets/{d['name']}",
            "@type": "dcat:Dataset",
            "dct:identifier": d["name"],
            "dct:title": d["title"],
            "dct:description": d["description"] or d["title"],
            "dct:publisher": {"@type": "foaf:Organization", "foaf:name": d["department_name"] or d["department"]},
            "dcat:theme": d["topic"],
            "dct:accrualPeriodicity": d["cadence"],
            "dct:issued": d["published_at"],
            "dct:modified": d["updated_at"],
            "dcat:keyword": ["合成演示数据"] if d["synthetic"] else [],
            "dcat:distribution": [{
                "@type": "dcat:Distribution", "dct:format": fmt.upper(), "dcat:mediaType": mt,
                "dcat:downloadURL": f"{base}/opendata/datasets/{d['name']}/download.{fmt}"}
                for fmt, mt in media.items()],
        } for d in listing],
    }
