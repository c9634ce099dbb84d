"""Authorised reads: decide what a caller may see, run the structured query, release through protection.

Every row that leaves through the API, the CLI or the web passes here: the caller's permission and
grant are checked on each call (so revocation and expiry bite at once), filters/sorts/groups may only
touch columns the caller sees in clear, the result goes through ``protect_for_recipient`` (masking
above the caller's level, fingerprinting for the caller), and an audit entry records who read what.
A page already released to the same caller under the same grant, policy and keys is reused as
protection made it (``shucang.share.pages``); it still gets its own extract id and audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

from shucang.classify.graded import UNGRADED, grades_of
from shucang.classify.store import column_grades
from shucang.errors import InputError, NotFound, PermissionDenied, ShucangError
from shucang.share.access import Actor, Resource, allowed, owns, require
from shucang.share.audit import record_event
from shucang.share.audit_journal import journal
from shucang.share.cache import MISSING, caches
from shucang.share.grants import GrantInfo, active_grant
from shucang.share.pages import CACHED_CHANNELS, ProtectedPage, page_cache, setup_signature, typed
from shucang.share.query import (
    Compiled,
    Snapshot,
    aggregate_rows,
    compile_filter,
    parse_sort,
    query_fingerprint,
    select_rows,
    snapshots,
)
from shucang.share.tables import now

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse


@dataclass(frozen=True)
class ColumnAccess:
    name: str
    dtype: str
    sensitive_type: str | None
    level: int
    granted: bool
    clear: bool
    """Seen as stored (level ≤ the caller's effective level, and granted)."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.dtype, "sensitive_type": self.sensitive_type, "level": self.level,
                "granted": self.granted, "clear": self.clear}


@dataclass
class AccessPlan:
    """What one actor may do with one dataset version, resolved once per call (and reused while none of
    the facts it was made from changes; treat it as read-only)."""

    dataset: str
    department: str | None
    version: int
    basis: str  # admin | steward | grant | open
    max_level: int
    grant: GrantInfo | None
    columns: dict[str, ColumnAccess]
    row_filter: Any
    grades: Any = None
    queries: dict[Hashable, PreparedQuery] = field(default_factory=dict, repr=False, compare=False)
    """Queries already checked and compiled against this plan (see :func:`prepare_query`)."""

    @property
    def granted(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.granted]

    @cached_property
    def clear(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns.values() if c.clear)

    @cached_property
    def protection_grades(self) -> dict[str, tuple[str | None, int]]:
        """A grade for every column, so an ungraded one counts as ``UNGRADED_LEVEL``
        (:mod:`shucang.classify.graded`) in protection too."""
        return {c.name: (c.sensitive_type, c.level) for c in self.columns.values()}

    @cached_property
    def key(self) -> str:
        """A digest of everything in this plan that shapes a released page (basis, grant, ceiling, every
        column's grade and visibility, the grant's row filter)."""
        described = [self.dataset, self.version, self.basis, self.max_level, self.grant.id if self.grant else None,
                     self.row_filter, [c.__dict__ for c in self.columns.values()]]
        return hashlib.sha256(orjson.dumps(described, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


@dataclass(frozen=True, eq=False)
class PreparedQuery:
    """A page query checked against a plan: the columns, the WHERE (caller's filter AND the grant's row
    filter), the sort keys and the fingerprint that binds cursors to it."""

    wanted: tuple[str, ...]
    where: Compiled
    keys: tuple[tuple[str, bool], ...]
    fingerprint: str

    @cached_property
    def identity(self) -> tuple[Any, ...]:
        """What the page depends on, hashable (parameters with their types: 1, 1.0 and True differ)."""
        return (self.wanted, self.where.sql, typed(self.where.params), self.keys, self.fingerprint)


@dataclass
class ReadResult:
    table: pa.Table
    dataset: str
    version: int
    columns: list[ColumnAccess]
    next_cursor: str | None = None
    extract_id: str | None = None
    masked_columns: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    basis: str = ""
    remembered: ProtectedPage | None = None
    """The remembered page this answer came from (a front end may keep its serialised form there)."""

    def meta(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "basis": self.basis,
                "columns": [c.to_dict() for c in self.columns], "rows_returned": self.table.num_rows,
                "next_cursor": self.next_cursor, "extract_id": self.extract_id,
                "masked_columns": self.masked_columns, "dropped_columns": self.dropped_columns}


def column_levels(wh: Warehouse, dataset: str, version: int | None) -> tuple[dict[str, tuple[str | None, int]], Any]:
    """``{column: (sensitive type, level)}`` plus the raw grades to hand on to protection.

    Remembered per (dataset, version) for at most :func:`~shucang.share.cache.default_ttl` (a review in the
    classify stage takes effect within that time)."""
    return caches(wh).grades.fetch((dataset, version), lambda: _column_levels(wh, dataset, version))


def _column_levels(wh: Warehouse, dataset: str, version: int | None) -> tuple[dict[str, tuple[str | None, int]], Any]:
    grades = column_grades(wh, dataset, version)
    return grades_of(grades), grades


def dataset_info(wh: Warehouse, dataset: str) -> Any:
    """``wh.dataset(name)`` remembered briefly (owner, open flag and current version; NotFound is not kept)."""
    return caches(wh).datasets.fetch(dataset, lambda: wh.dataset(dataset))


def unseen(dataset: str) -> NotFound:
    """What a caller who may not see a dataset is told — word for word what it is told about one that
    does not exist (and no list of the names that do)."""
    return NotFound(f"没有名为 '{dataset}' 的数据集 (no dataset named '{dataset}')")


def visible_info(wh: Warehouse, actor: Actor, dataset: str) -> Any:
    """The dataset's catalog entry, or :func:`unseen` — for a missing dataset and, for the public, a
    dataset that is not open alike (logged-in users may list the catalog, so they are told which)."""
    try:
        info = dataset_info(wh, dataset)
    except NotFound:
        if actor.is_authenticated:
            raise
        raise unseen(dataset) from None
    if not actor.is_authenticated and not info.is_open:
        raise unseen(dataset)
    return info


def current_grant(wh: Warehouse, user: str, dataset: str) -> GrantInfo | None:
    """:func:`active_grant`, remembered until the generation stamp moves (any grant change, in any
    process), the TTL passes or the grant's own expiry time comes."""
    memo = caches(wh).grants
    stamp = memo.generation.current()
    found = memo.get((user, dataset), stamp)
    if found is MISSING or (found is not None and found.expires_at <= now()):
        found = active_grant(wh, user, dataset)
        memo.put((user, dataset), stamp, found)
    return found


def dataset_resource(wh: Warehouse, actor: Actor, info: Any) -> Resource:
    grant = current_grant(wh, actor.name, info.name) if actor.is_authenticated else None
    return Resource("dataset", info.name, info.department, is_open=info.is_open, has_grant=grant is not None)


def plan_access(wh: Warehouse, actor: Actor, dataset: str, *, version: int | None = None, action: str = "read",
                snap: Snapshot | None = None, audit: Callable[..., Any] = record_event) -> AccessPlan:
    """Resolve the caller's basis (admin, own department, grant) and per-column visibility; audit refusals
    (through ``audit``: :func:`record_event`, or a buffer committed later from an event loop)."""
    try:
        info = visible_info(wh, actor, dataset)
    except NotFound as exc:
        audit(wh, actor, action, outcome="denied", dataset=dataset[:128], department=None, error=exc.message[:200])
        raise
    own = owns(actor, info.department)
    grant = current_grant(wh, actor.name, dataset) if actor.is_authenticated and not own else None
    resource = Resource("dataset", dataset, info.department, is_open=info.is_open, has_grant=grant is not None)
    try:
        require(actor, "dataset:read", resource)
    except ShucangError as exc:
        audit(wh, actor, action, outcome="denied", dataset=dataset, department=info.department, error=exc.message)
        raise
    if actor.role == "admin":
        basis, grant = "admin", None
    elif own:
        basis, grant = "steward", None
    else:
        basis = "grant"
    wanted = info.current_version if version is None else int(version)
    cache = snapshots(wh)
    snap = snap or cache.find(dataset, wanted) or cache.get(wh, dataset, _checked_version(wh, dataset, wanted))
    graded = column_levels(wh, dataset, snap.version)
    # The plan is a function of the actor, these facts and the snapshot: made again only when one of
    # them is (each is re-read on its own terms: generation stamp, TTL, expiry).
    memo = caches(wh).plans
    memo_key = (actor.name, actor.role, actor.department, actor.clearance, dataset, snap.version, basis)
    stamp = memo.generation.current()
    found = memo.get(memo_key, stamp)
    if found is not MISSING and found[0] is info and found[1] is grant and found[2] is graded and found[3] is snap:
        return found[4]
    levels, grades = graded
    max_level = min(actor.clearance, grant.max_level) if grant else actor.clearance
    granted = set(grant.columns) if grant else set(snap.types)
    columns = {}
    for name, dtype in snap.types.items():
        kind, level = levels.get(name, UNGRADED)
        columns[name] = ColumnAccess(name, dtype, kind, level, name in granted, name in granted and level <= max_level)
    plan = AccessPlan(dataset, info.department, snap.version, basis, max_level, grant, columns,
                      grant.row_filter if grant else None, grades)
    memo.put(memo_key, stamp, (info, grant, graded, snap, plan))
    return plan


def _checked_version(wh: Warehouse, dataset: str, version: int | None) -> int:
    if version is None:
        raise InputError(f"数据集 {dataset} 还没有数据 (dataset has no data yet)")
    if version < 1:
        raise InputError("版本号从 1 开始 (versions start at 1)")
    wh.columns(dataset, version)  # raises NotFound for a version that does not exist
    return version


def _where(plan: AccessPlan, snap: Snapshot, user_filter: Any) -> Compiled:
    """The caller's filter (clear columns only) AND the grant's row filter (any column)."""
    mine = compile_filter(user_filter, snap.types, filterable=plan.clear)
    theirs = compile_filter(plan.row_filter, snap.types)
    return Compiled(f"{mine.sql} AND {theirs.sql}", mine.params + theirs.params, mine.columns)


@dataclass
class Released:
    """What :func:`release` hands back: the protected rows and the registry row to commit with the audit entry."""

    table: pa.Table
    extract_id: str | None
    masked: list[str]
    dropped: list[str]
    registry: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)


def _policy(wh: Warehouse) -> Any:
    """The masking policy in force, re-read at most every TTL (≤ 1 s)."""
    from shucang.protect.policy import load_policy

    return caches(wh).releases.fetch("policy", lambda: load_policy(wh))


def _release_setup(wh: Warehouse, recipient: str, plan: AccessPlan, channel: str) -> tuple[Any, str]:
    """Protection's lookups for this (recipient, dataset version, channel, ceiling, grades), made once per
    TTL (≤ 1 s) and dropped at once when a user, token or grant changes (the generation stamp) — with
    the signature of what they contain (the key of remembered pages, see ``shucang.share.pages``)."""
    from shucang.protect.release import prepare_release

    def prepare() -> tuple[Any, str]:
        setup = prepare_release(wh, plan.dataset, recipient, channel=channel, version=plan.version,
                                max_level=plan.max_level, grades=plan.protection_grades, policy=_policy(wh))
        return setup, setup_signature(setup)

    return caches(wh).releases.fetch((recipient, channel, plan.key), prepare)


def release(wh: Warehouse, actor: Actor, plan: AccessPlan, table: pa.Table, *, channel: str,
            prepared: tuple[Any, str] | None = None) -> Released:
    """The one exit: ``protect_for_recipient`` masks above the caller's level and fingerprints for them.

    Protection runs on every call (with its lookups prepared once, :func:`_release_setup`). Its
    extract-registry row is not committed on its own: protection hands it back (``record=`` a
    callable) and it is committed in the same transaction as the read's audit entry — one group
    commit instead of two commits per read, and never one row without the other.
    """
    from shucang.protect.release import ReleaseRequest, protect_for_recipient
    from shucang.protect.tables import ensure_tables as ensure_protect_tables
    from shucang.protect.tables import extracts

    grades = plan.protection_grades
    setup = (prepared or _release_setup(wh, actor.name, plan, channel))[0]
    rows: list[dict[str, Any]] = []
    request = ReleaseRequest(plan.dataset, actor.name, channel, version=plan.version, max_level=plan.max_level,
                             grades=grades, created_by=actor.name, setup=setup)
    out = protect_for_recipient(wh, request, table, record=rows.append)
    ensure_protect_tables(wh.engine)
    registry = [(extracts, {**row, "created_at": now()}) for row in rows]
    return Released(out.table, out.extract_id, list(out.masked_columns), list(out.dropped_columns), registry)


MAX_PREPARED = 512
"""Checked queries kept per plan (a plan lives while the facts it was made from do, ≤ 1 s unchanged)."""


def prepare_query(plan: AccessPlan, snap: Snapshot, columns: list[str] | None, filter: Any,
                  sort: list[str] | str | None) -> PreparedQuery:
    """Check the requested columns against the plan and compile filter and sort (raises as the read
    should). The outcome depends only on the plan and the request, so a success is kept with the plan."""
    try:  # the filter's exact JSON spelling: 1, 1.0, true, NaN and null all stay apart
        key: Hashable = (json.dumps(filter, sort_keys=True, separators=(",", ":")),
                         tuple(columns) if columns else None, sort if isinstance(sort, str) else tuple(sort or ()))
        hash(key)
    except (TypeError, ValueError):  # not JSON, or a column list of odd things: checked afresh each time
        key = None
    found = plan.queries.get(key) if key is not None else None
    if found is not None:
        return found
    dataset = plan.dataset
    wanted = list(dict.fromkeys(columns)) if columns else plan.granted
    unknown = [c for c in wanted if c not in plan.columns]
    if unknown:
        raise InputError(f"数据集 {dataset} 没有列 {', '.join(unknown)} (no such column)",
                         hint="columns: " + ", ".join(list(plan.columns)[:40]))
    refused = [c for c in wanted if not plan.columns[c].granted]
    if refused:
        raise PermissionDenied(f"未授权的列 (columns not granted): {', '.join(refused)}",
                               hint="file a request that includes them")
    if not wanted:
        raise PermissionDenied("授权中没有可读的列 (the grant covers no column)")
    where = _where(plan, snap, filter)
    keys = parse_sort(sort, plan.clear, snap.types)
    prepared = PreparedQuery(tuple(wanted), where, tuple(keys),
                             query_fingerprint(dataset, wanted, filter, keys, plan.row_filter))
    if key is not None:
        if len(plan.queries) >= MAX_PREPARED:
            plan.queries.clear()
        plan.queries[key] = prepared
    return prepared


def serve_page(wh: Warehouse, actor: Actor, plan: AccessPlan, snap: Snapshot, query: PreparedQuery, *, limit: int,
               cursor: str | None, channel: str,
               remembered_only: bool = False) -> tuple[Released, str | None, ProtectedPage | None] | None:
    """The page released for the caller (rows, next cursor, and the remembered page when there is one).

    An answer already given to this caller for this exact release and query is reused (see
    ``shucang.share.pages`` for why that is exact and cannot outlive a grant); it still gets a new
    extract id and its own registry row. Otherwise the engine runs and protection releases the rows —
    unless ``remembered_only``: then None.
    """
    prepared = _release_setup(wh, actor.name, plan, channel)
    cache = page_cache(wh)
    key: tuple[Any, ...] | None = None
    if channel in CACHED_CHANNELS and cache.budget > 0:
        key = (prepared[1], actor.name, plan.key, query.identity, int(limit), cursor, channel)
        found = cache.get(key)
        if found is not None:
            from shucang.protect.registry import new_extract_id
            from shucang.protect.tables import extracts

            extract_id = new_extract_id()
            registry = [(extracts, {**found.registry, "id": extract_id, "created_at": now()})]
            return Released(found.table, extract_id, found.masked, found.dropped, registry), found.next_cursor, found
    if remembered_only:
        return None
    page = select_rows(snap, list(query.wanted), query.where, list(query.keys), limit=int(limit), cursor=cursor,
                       fingerprint=query.fingerprint)
    released = release(wh, actor, plan, page.table, channel=channel, prepared=prepared)
    if key is None or len(released.registry) != 1:
        return released, page.next_cursor, None
    table_, row = released.registry[0]
    template = journal(wh).encode_row(table_, {k: v for k, v in row.items() if k not in ("id", "created_at")})
    stored = ProtectedPage(released.table, page.next_cursor, released.masked, released.dropped, template)
    return released, page.next_cursor, stored if cache.put(key, stored) else None


def read_rows(wh: Warehouse, actor: Actor, dataset: str, *, columns: list[str] | None = None, filter: Any = None,
              sort: list[str] | str | None = None, limit: int = 100, cursor: str | None = None,
              version: int | None = None, channel: str = "api", fmt: str = "json") -> ReadResult:
    """One page of rows the caller may see, masked and fingerprinted for them, and audited."""
    result = _read(wh, actor, dataset, columns=columns, filter=filter, sort=sort, limit=limit, cursor=cursor,
                   version=version, channel=channel, fmt=fmt, audit=record_event, remembered_only=False)
    assert result is not None
    return result


def read_remembered(wh: Warehouse, actor: Actor, dataset: str, *, columns: list[str] | None = None, filter: Any = None,
                    sort: list[str] | str | None = None, limit: int = 100, cursor: str | None = None,
                    version: int | None = None, channel: str = "api", fmt: str = "json",
                    audit: Callable[..., Any]) -> ReadResult | None:
    """:func:`read_rows` for an event loop: answered only from memory, or None.

    The same checks run in the same order, and the audit entries go to ``audit`` (a buffer the caller
    commits before it answers). None — with nothing recorded — when the answer needs work that may
    block: the dataset version is not materialised yet or this page was not released to this caller
    before; the caller then runs :func:`read_rows` in a thread.
    """
    return _read(wh, actor, dataset, columns=columns, filter=filter, sort=sort, limit=limit, cursor=cursor,
                 version=version, channel=channel, fmt=fmt, audit=audit, remembered_only=True)


def _read(wh: Warehouse, actor: Actor, dataset: str, *, columns: list[str] | None, filter: Any,
          sort: list[str] | str | None, limit: int, cursor: str | None, version: int | None, channel: str, fmt: str,
          audit: Callable[..., Any], remembered_only: bool) -> ReadResult | None:
    action = "read" if fmt == "json" else "export"
    info_version = version
    if cursor and version is None:  # a cursor pins the version its first page came from
        from shucang.share.query import decode_cursor_version

        info_version = decode_cursor_version(cursor)
    built: Snapshot | None = None
    if remembered_only:
        try:
            found = visible_info(wh, actor, dataset)
        except NotFound:
            return None  # answered (and audited) by the full path
        wanted_version = found.current_version if info_version is None else info_version
        built = snapshots(wh).find(dataset, wanted_version)
        if built is None:
            return None
    plan = plan_access(wh, actor, dataset, version=info_version, action=action, audit=audit, snap=built)
    snap = snapshots(wh).get(wh, dataset, plan.version)
    try:
        query = prepare_query(plan, snap, columns, filter, sort)
        served = serve_page(wh, actor, plan, snap, query, limit=int(limit), cursor=cursor, channel=channel,
                            remembered_only=remembered_only)
    except ShucangError as exc:
        audit(wh, actor, action, outcome="failed", dataset=dataset, department=plan.department,
              columns=columns, filter=filter, error=exc.message, format=fmt)
        raise
    if served is None:
        return None
    released, next_cursor, remembered = served
    table = released.table
    audit(wh, actor, action, dataset=dataset, department=plan.department, columns=table.column_names,
          filter=filter, rows=table.num_rows, version=plan.version, basis=plan.basis, format=fmt,
          grant_id=plan.grant.id if plan.grant else None, extract_id=released.extract_id,
          masked=released.masked, dropped=released.dropped, sort=[("-" if d else "") + n for n, d in query.keys],
          channel=channel, with_rows=released.registry)
    shown = [plan.columns[c] for c in table.column_names if c in plan.columns]
    return ReadResult(table, dataset, plan.version, shown, next_cursor, released.extract_id, released.masked,
                      released.dropped, plan.basis, remembered)


def aggregate(wh: Warehouse, actor: Actor, dataset: str, *, group_by: list[str] | None = None,
              measures: list[dict[str, Any]] | None = None, filter: Any = None, sort: list[str] | str | None = None,
              limit: int = 1000, version: int | None = None, fmt: str = "json") -> ReadResult:
    """Grouped count/sum/avg/min/max over columns the caller sees in clear (nothing masked goes in)."""
    plan = plan_access(wh, actor, dataset, version=version, action="aggregate")
    snap = snapshots(wh).get(wh, dataset, plan.version)
    group_by = list(group_by or [])
    try:
        where = _where(plan, snap, filter)
        table = aggregate_rows(snap, group_by, list(measures or []), where, usable=plan.clear, sort=sort,
                               limit=int(limit), min_group=0 if actor.role == "admin" else _policy(wh).small_cell_k)
    except ShucangError as exc:
        record_event(wh, actor, "aggregate", outcome="failed", dataset=dataset, department=plan.department,
                     columns=group_by, filter=filter, error=exc.message)
        raise
    record_event(wh, actor, "aggregate", dataset=dataset, department=plan.department, columns=table.column_names,
                 filter=filter, rows=table.num_rows, version=plan.version, basis=plan.basis, format=fmt,
                 group_by=group_by, measures=measures or [{"fn": "count"}],
                 grant_id=plan.grant.id if plan.grant else None)
    shown = [plan.columns[c] for c in group_by]
    return ReadResult(table, dataset, plan.version, shown, basis=plan.basis)


def describe(wh: Warehouse, actor: Actor, dataset: str) -> dict[str, Any]:
    """Catalog entry + columns (type, sensitive type, level) + what this caller may do with it."""
    visible_info(wh, actor, dataset)
    info = wh.dataset(dataset)
    resource = dataset_resource(wh, actor, info)
    require(actor, "dataset:view", resource)
    levels, _grades = column_levels(wh, dataset, info.current_version)
    grant = current_grant(wh, actor.name, dataset) if actor.is_authenticated else None
    can_read = allowed(actor, "dataset:read", resource)
    if owns(actor, info.department):
        max_level, granted = actor.clearance, None
    elif grant:
        max_level, granted = min(actor.clearance, grant.max_level), set(grant.columns)
    else:
        max_level, granted = (1 if not actor.is_authenticated else actor.clearance), set()
    cols = []
    for col in wh.columns(dataset):
        kind, level = levels.get(col.name, UNGRADED)
        if not actor.is_authenticated and level > 1:
            continue  # the public never learns what non-open columns exist
        ok = can_read and (granted is None or col.name in granted)
        cols.append({"name": col.name, "type": col.logical_type, "storage_type": col.storage_type,
                     "sensitive_type": kind, "level": level, "granted": ok, "clear": ok and level <= max_level})
    data = info.to_dict()
    data.update(columns=cols, can_read=can_read, max_level=max_level if can_read else None,
                grant=grant.to_dict() if grant else None)
    return data
