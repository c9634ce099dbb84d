"""Authorised reads: decide what a caller may see, run the structured query, release through protection.

Every row that leaves through the API, the CLI or the web passes here: the caller's permission and
grant are checked on each call (so revocation and expiry bite at once), filters/sorts/groups may only
touch columns the caller sees in clear, the result goes through ``protect_for_recipient`` (masking
above the caller's level, fingerprinting for the caller), and an audit entry records who read what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from shucang.errors import InputError, PermissionDenied, ShucangError
from shucang.share.access import Actor, Resource, allowed, require
from shucang.share.audit import record_event
from shucang.share.cache import MISSING, caches
from shucang.share.grants import GrantInfo, active_grant
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

UNGRADED_LEVEL = 4
"""Level assumed for a column the classify stage has not graded (就高从严: the strictest)."""


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
    """What one actor may do with one dataset version, resolved once per call."""

    dataset: str
    department: str | None
    version: int
    basis: str  # admin | steward | grant | open
    max_level: int
    grant: GrantInfo | None
    columns: dict[str, ColumnAccess]
    row_filter: Any
    grades: Any = None

    @property
    def granted(self) -> list[str]:
        return [c.name for c in self.columns.values() if c.granted]

    @property
    def clear(self) -> set[str]:
        return {c.name for c in self.columns.values() if c.clear}


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

    def meta(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "basis": self.basis,
                "columns": [c.to_dict() for c in self.columns], "rows_returned": self.table.num_rows,
                "next_cursor": self.next_cursor, "extract_id": self.extract_id,
                "masked_columns": self.masked_columns, "dropped_columns": self.dropped_columns}


def column_grades(wh: Any, dataset: str, version: int | None) -> Any:
    """The classify stage's grades for the dataset version, or None while that stage is absent."""
    try:
        from shucang.classify.store import column_grades as grades_of
    except ImportError:
        return None
    return grades_of(wh, dataset, version)


def column_levels(wh: Any, dataset: str, version: int | None) -> tuple[dict[str, tuple[str | None, int]], Any]:
    """``{column: (sensitive type, level)}`` plus the raw grades to hand on to protection.

    Remembered per (dataset, version) for at most :data:`~shucang.share.cache.TTL` (a review in the
    classify stage takes effect within that time)."""
    return caches(wh).grades.fetch((dataset, version), lambda: _column_levels(wh, dataset, version))


def _column_levels(wh: Any, dataset: str, version: int | None) -> tuple[dict[str, tuple[str | None, int]], Any]:
    grades = column_grades(wh, dataset, version)
    levels: dict[str, tuple[str | None, int]] = {}
    for name, grade in (grades or {}).items():
        if isinstance(grade, tuple):
            levels[name] = (grade[0], int(grade[1]))
        else:
            levels[name] = (getattr(grade, "type", None), int(getattr(grade, "level", UNGRADED_LEVEL) or UNGRADED_LEVEL))
    return levels, grades


def dataset_info(wh: Any, dataset: str) -> Any:
    """``wh.dataset(name)`` remembered briefly (owner, open flag and current version; NotFound is not kept)."""
    return caches(wh).datasets.fetch(dataset, lambda: wh.dataset(dataset))


def current_grant(wh: Any, user: str, dataset: str) -> GrantInfo | None:
    """:func:`active_grant`, remembered until the generation stamp moves (any grant change, in any
    process), the TTL passes or the grant's own expiry time comes."""
    memo = caches(wh).grants
    stamp = memo.generation.current()
    found = memo.get((user, dataset), stamp)
    if found is MISSING or (found is not None and found.expires_at <= now()):
        found = active_grant(wh, user, dataset)
        memo.put((user, dataset), stamp, found)
    return found  # type: ignore[no-any-return]


def dataset_resource(wh: Any, actor: Actor, info: Any) -> Resource:
    grant = current_grant(wh, actor.name, info.name) if actor.is_authenticated else None
    return Resource("dataset", info.name, info.department, is_open=info.is_open, has_grant=grant is not None)


def plan_access(wh: Any, actor: Actor, dataset: str, *, version: int | None = None, action: str = "read",
                snap: Snapshot | None = None) -> AccessPlan:
    """Resolve the caller's basis (admin, own department, grant) and per-column visibility; audit refusals."""
    info = dataset_info(wh, dataset)
    own = actor.role == "admin" or (actor.role == "steward" and actor.department == info.department)
    grant = current_grant(wh, actor.name, dataset) if actor.is_authenticated and not own else None
    resource = Resource("dataset", dataset, info.department, is_open=info.is_open, has_grant=grant is not None)
    try:
        require(actor, "dataset:read", resource)
    except ShucangError as exc:
        record_event(wh, actor, action, outcome="denied", dataset=dataset, department=info.department,
                     error=exc.message)
        raise
    if actor.role == "admin":
        basis, grant = "admin", None
    elif actor.role == "steward" and actor.department == info.department:
        basis, grant = "steward", None
    else:
        basis = "grant"
    wanted = info.current_version if version is None else int(version)
    cache = snapshots(wh)
    snap = snap or cache.find(dataset, wanted) or cache.get(wh, dataset, _checked_version(wh, dataset, wanted))
    levels, grades = column_levels(wh, dataset, snap.version)
    max_level = min(actor.clearance, grant.max_level) if grant else actor.clearance
    granted = set(grant.columns) if grant else set(snap.types)
    columns = {}
    for name, dtype in snap.types.items():
        kind, level = levels.get(name, (None, UNGRADED_LEVEL))
        columns[name] = ColumnAccess(name, dtype, kind, level, name in granted, name in granted and level <= max_level)
    return AccessPlan(dataset, info.department, snap.version, basis, max_level, grant, columns,
                      grant.row_filter if grant else None, grades)


def _checked_version(wh: Any, dataset: str, version: int | None) -> int:
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


def _policy(wh: Any) -> Any:
    """The masking policy in force, re-read at most every TTL (≤ 1 s)."""
    from shucang.protect.policy import load_policy

    return caches(wh).releases.fetch("policy", lambda: load_policy(wh))


def _release_setup(wh: Any, recipient: str, plan: AccessPlan, channel: str, grades: dict[str, Any]) -> Any:
    """Protection's lookups for this (recipient, dataset version, channel, ceiling, grades), made once per
    TTL (≤ 1 s) and dropped at once when a user, token or grant changes (the generation stamp)."""
    from shucang.protect.release import prepare_release

    key = (recipient, plan.dataset, plan.version, channel, plan.max_level, tuple(grades.items()))
    return caches(wh).releases.fetch(key, lambda: prepare_release(
        wh, plan.dataset, recipient, channel=channel, version=plan.version, max_level=plan.max_level,
        grades=grades, policy=_policy(wh)))


def release(wh: Any, actor: Actor, plan: AccessPlan, table: pa.Table, *, channel: str) -> Released:
    """The one exit: ``protect_for_recipient`` masks above the caller's level and fingerprints for them.

    Protection runs on every call (with its lookups prepared once, :func:`_release_setup`). Its
    extract-registry row is not committed on its own: protection hands it back (``record=`` a
    callable) and it is committed in the same transaction as the read's audit entry — one group
    commit instead of two commits per read, and never one row without the other.
    """
    try:
        from shucang.protect.release import protect_for_recipient
        from shucang.protect.tables import ensure_tables as ensure_protect_tables
        from shucang.protect.tables import extracts
    except ImportError:
        # The protection stage is absent: never release what it would have masked — drop those columns.
        hidden = [c for c in table.column_names if c not in plan.clear]
        return Released(table.drop_columns(hidden), None, [], hidden)
    # Hand over a grade for every column, so an ungraded one counts as UNGRADED_LEVEL there too.
    grades = {c.name: (c.sensitive_type, c.level) for c in plan.columns.values()}
    setup = _release_setup(wh, actor.name, plan, channel, grades)
    rows: list[dict[str, Any]] = []
    out = protect_for_recipient(wh, plan.dataset, table, actor.name, channel=channel, version=plan.version,
                                max_level=plan.max_level, grades=grades, created_by=actor.name, setup=setup,
                                record=rows.append)
    ensure_protect_tables(wh.engine)
    registry = [(extracts, {**row, "created_at": now()}) for row in rows]
    return Released(out.table, out.extract_id, list(out.masked_columns), list(out.dropped_columns), registry)


def read_rows(wh: Any, actor: Actor, dataset: str, *, columns: list[str] | None = None, filter: Any = None,
              sort: list[str] | str | None = None, limit: int = 100, cursor: str | None = None,
              version: int | None = None, channel: str = "api", fmt: str = "json") -> ReadResult:
    """One page of rows the caller may see, masked and fingerprinted for them, and audited."""
    action = "read" if fmt == "json" else "export"
    info_version = version
    if cursor and version is None:  # a cursor pins the version its first page came from
        from shucang.share.query import decode_cursor_version

        info_version = decode_cursor_version(cursor)
    plan = plan_access(wh, actor, dataset, version=info_version, action=action)
    snap = snapshots(wh).get(wh, dataset, plan.version)
    try:
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
        fingerprint = query_fingerprint(dataset, wanted, filter, keys, plan.row_filter)
        page = select_rows(snap, wanted, where, keys, limit=int(limit), cursor=cursor, fingerprint=fingerprint)
        released = release(wh, actor, plan, page.table, channel=channel)
    except ShucangError as exc:
        record_event(wh, actor, action, outcome="failed", dataset=dataset, department=plan.department,
                     columns=columns, filter=filter, error=exc.message, format=fmt)
        raise
    table = released.table
    record_event(wh, actor, action, dataset=dataset, department=plan.department, columns=table.column_names,
                 filter=filter, rows=table.num_rows, version=plan.version, basis=plan.basis, format=fmt,
                 grant_id=plan.grant.id if plan.grant else None, extract_id=released.extract_id,
                 masked=released.masked, dropped=released.dropped, sort=[("-" if d else "") + n for n, d in keys],
                 channel=channel, with_rows=released.registry)
    shown = [plan.columns[c] for c in table.column_names if c in plan.columns]
    return ReadResult(table, dataset, plan.version, shown, page.next_cursor, released.extract_id, released.masked,
                      released.dropped, plan.basis)


def aggregate(wh: Any, actor: Actor, dataset: str, *, group_by: list[str] | None = None,
              measures: list[dict[str, Any]] | None = None, filter: Any = None, sort: list[str] | str | None = None,
              limit: int = 1000, version: int | None = None, fmt: str = "json") -> ReadResult:
    """Grouped count/sum/avg/min/max over columns the caller sees in clear (nothing masked goes in)."""
    plan = plan_access(wh, actor, dataset, version=version, action="aggregate")
    snap = snapshots(wh).get(wh, dataset, plan.version)
    group_by = list(group_by or [])
    try:
        where = _where(plan, snap, filter)
        table = aggregate_rows(snap, group_by, list(measures or []), where, usable=plan.clear, sort=sort,
                               limit=int(limit))
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


def describe(wh: Any, actor: Actor, dataset: str) -> dict[str, Any]:
    """Catalog entry + columns (type, sensitive type, level) + what this caller may do with it."""
    info = wh.dataset(dataset)
    resource = dataset_resource(wh, actor, info)
    require(actor, "dataset:view", resource)
    levels, _grades = column_levels(wh, dataset, info.current_version)
    grant = current_grant(wh, actor.name, dataset) if actor.is_authenticated else None
    can_read = allowed(actor, "dataset:read", resource)
    if actor.role == "admin" or (actor.role == "steward" and actor.department == info.department):
        max_level, granted = actor.clearance, None
    elif grant:
        max_level, granted = min(actor.clearance, grant.max_level), set(grant.columns)
    else:
        max_level, granted = (1 if not actor.is_authenticated else actor.clearance), set()
    cols = []
    for col in wh.columns(dataset):
        kind, level = levels.get(col.name, (None, UNGRADED_LEVEL))
        if not actor.is_authenticated and level > 1:
            continue  # the public never learns what non-open columns exist
        ok = can_read and (granted is None or col.name in granted)
        cols.append({"name": col.name, "type": col.logical_type, "storage_type": col.storage_type,
                     "sensitive_type": kind, "level": level, "granted": ok, "clear": ok and level <= max_level})
    data = info.to_dict()
    data.update(columns=cols, can_read=can_read, max_level=max_level if can_read else None,
                grant=grant.to_dict() if grant else None)
    return data
