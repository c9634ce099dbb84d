"""Access requests and grants: the 申请-审批 workflow.

A consumer asks for a dataset with a purpose, columns, an optional row filter and a duration; a
steward of the owning department approves — possibly narrowing columns, level, rows or duration —
or rejects with a reason. Approval creates a *grant*: dataset × columns × max level × row filter ×
expiry, superseding the holder's older grant on that dataset. A grant is checked on every read, so
expiry and revocation take effect at once. Every step is written to the audit chain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.errors import Conflict, InputError, NotFound
from shucang.share.access import Actor, Resource, allowed, require
from shucang.share.audit import record_event
from shucang.share.cache import changed
from shucang.share.identity import get_user
from shucang.share.query import compile_filter
from shucang.share.tables import aware, ensure_tables, grants, now, requests, users
from shucang.warehouse.catalog import inserted_id

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_DAYS = 366


@dataclass(frozen=True)
class RequestInfo:
    id: int
    user: str
    dataset: str
    department: str | None
    purpose: str
    columns: list[str]
    row_filter: Any
    max_level: int
    duration_days: int
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    created_at: datetime
    grant_id: int | None = None

    def resource(self, department: str | None = None) -> Resource:
        return Resource("request", str(self.id), department or self.department, owner=self.user)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["decided_at"] = self.decided_at.isoformat() if self.decided_at else None
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True)
class GrantInfo:
    id: int
    request_id: int | None
    user: str
    dataset: str
    department: str | None
    columns: list[str]
    max_level: int
    row_filter: Any
    expires_at: datetime
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > now() else "expired"

    def resource(self) -> Resource:
        return Resource("grant", str(self.id), self.department, owner=self.user)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("expires_at", "created_at", "revoked_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["state"] = self.state
        return data


def _request(row: Any) -> RequestInfo:
    return RequestInfo(row.id, row.user_name, row.dataset, row.department, row.purpose, list(row.columns or []),
                       row.row_filter, int(row.max_level), int(row.duration_days), row.status, row.decided_by,
                       aware(row.decided_at), row.reason, aware(row.created_at), getattr(row, "grant_id", None))


def _grant(row: Any) -> GrantInfo:
    return GrantInfo(row.id, row.request_id, row.user_name, row.dataset, row.department, list(row.columns or []),
                     int(row.max_level), row.row_filter, aware(row.expires_at), row.created_by,
                     aware(row.created_at), aware(row.revoked_at), row.revoked_by, row.revoke_reason)


def _request_query() -> sa.Select[Any]:
    g = sa.select(sa.func.max(grants.c.id)).where(grants.c.request_id == requests.c.id).scalar_subquery()
    return (sa.select(requests, users.c.name.label("user_name"), g.label("grant_id"))
            .select_from(requests.join(users, requests.c.user_id == users.c.id)))


def _grant_query() -> sa.Select[Any]:
    return (sa.select(grants, users.c.name.label("user_name"))
            .select_from(grants.join(users, grants.c.user_id == users.c.id)))


def _column_names(wh: Warehouse, dataset: str) -> list[str]:
    return [c.name for c in wh.columns(dataset)]


def _check_filter(wh: Warehouse, dataset: str, row_filter: Any) -> Any:
    """Validate a row filter's shape and columns now, so a bad one fails at request time."""
    if row_filter in (None, {}, []):
        return None
    compile_filter(row_filter, {c: "VARCHAR" for c in _column_names(wh, dataset)})
    return row_filter


def _check_columns(wh: Warehouse, dataset: str, columns: list[str] | None) -> list[str]:
    known = _column_names(wh, dataset)
    if not columns:
        return known
    missing = [c for c in columns if c not in known]
    if missing:
        raise InputError(f"数据集 {dataset} 没有列 {', '.join(missing)} (no such column)",
                         hint="columns: " + ", ".join(known[:40]))
    return list(dict.fromkeys(columns))


def _check_days(days: int) -> int:
    if not 1 <= int(days) <= MAX_DAYS:
        raise InputError(f"期限必须在 1–{MAX_DAYS} 天 (duration must be 1–{MAX_DAYS} days)")
    return int(days)


def _check_level(level: int) -> int:
    if not 1 <= int(level) <= 4:
        raise InputError("最高级别必须在 1–4 之间 (max level must be 1–4)")
    return int(level)


# ---------------------------------------------------------------------------------------------- requests
def create_request(wh: Warehouse, actor: Actor, dataset: str, *, purpose: str, columns: list[str] | None = None,
                   row_filter: Any = None, duration_days: int = 30, max_level: int | None = None) -> RequestInfo:
    """File a request (申请) for ``dataset``; the owning department's stewards see it."""
    require(actor, "request:create")
    info = wh.dataset(dataset)
    if len((purpose or "").strip()) < 4:
        raise InputError("请说明用途（至少 4 个字） (state the purpose, at least 4 characters)")
    cols = _check_columns(wh, dataset, columns)
    row_filter = _check_filter(wh, dataset, row_filter)
    level = _check_level(max_level if max_level is not None else actor.clearance)
    user = get_user(wh, actor.name)
    days = _check_days(duration_days)
    ensure_tables(wh.engine)

    def insert(conn: sa.Connection) -> dict[str, Any]:
        return {"request_id": inserted_id(conn.execute(requests.insert().values(
            user_id=user.id, dataset=dataset, department=info.department, purpose=purpose.strip(), columns=cols,
            row_filter=row_filter, max_level=level, duration_days=days, status="pending",
            created_at=now())))}

    entry: dict[str, Any] = {}
    record_event(wh, actor, "request.create", dataset=dataset, department=info.department, columns=cols,
                 filter=row_filter, purpose=purpose.strip(), max_level=level, duration_days=days,
                 work=_kept(insert, entry))
    return _load_request(wh, entry["request_id"])


def _kept(work: Any, into: dict[str, Any]) -> Any:
    """``work`` whose returned details are also kept in ``into`` for the caller (the new row's id)."""

    def run(conn: sa.Connection) -> dict[str, Any]:
        found = work(conn) or {}
        into.update(found)
        return found

    return run


def _transition(conn: sa.Connection, request_id: int, **values: Any) -> None:
    """Move a *pending* request on, in one conditional UPDATE: whoever comes second (approve racing
    withdraw) finds nothing to update and gets a Conflict, so the two can never both happen."""
    updated = conn.execute(requests.update().where((requests.c.id == request_id) & (requests.c.status == "pending"))
                           .values(**values))
    if updated.rowcount != 1:
        raise Conflict(f"申请 #{request_id} 已被处理 (request already decided)")


def _load_request(wh: Warehouse, request_id: int) -> RequestInfo:
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(_request_query().where(requests.c.id == request_id)).first()
    if row is None:
        raise NotFound(f"没有申请 #{request_id} (no such request)")
    return _request(row)


def get_request(wh: Warehouse, actor: Actor, request_id: int) -> RequestInfo:
    """A request the actor may see; others' requests answer 404 (no hint that they exist)."""
    found = _load_request(wh, request_id)
    if not allowed(actor, "request:view", found.resource()):
        raise NotFound(f"没有申请 #{request_id} (no such request)")
    return found


def list_requests(wh: Warehouse, actor: Actor, *, status: str | None = None, dataset: str | None = None,
                  limit: int = 500) -> list[RequestInfo]:
    """Requests visible to the actor: its own, and (stewards) its department's; admins see all."""
    stmt = _request_query().order_by(requests.c.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(requests.c.status == status)
    if dataset:
        stmt = stmt.where(requests.c.dataset == dataset)
    if actor.role != "admin":
        if not actor.is_authenticated:
            return []
        mine = users.c.name == actor.name
        stmt = stmt.where(mine | (requests.c.department == actor.department) if actor.role == "steward" else mine)
    with ensure_tables(wh.engine).connect() as conn:
        return [_request(r) for r in conn.execute(stmt)]


def decide_request(wh: Warehouse, actor: Actor, request_id: int, *, approve: bool, reason: str | None = None,
                   columns: list[str] | None = None, row_filter: Any = None, max_level: int | None = None,
                   duration_days: int | None = None) -> tuple[RequestInfo, GrantInfo | None]:
    """Approve (possibly narrowing) or reject a pending request; approval creates a grant."""
    found = get_request(wh, actor, request_id)
    department = wh.dataset(found.dataset).department
    try:
        require(actor, "request:decide", found.resource(department))
    except Exception:
        record_event(wh, actor, "request.decide", outcome="denied", dataset=found.dataset, department=department,
                     request_id=request_id)
        raise
    if found.status != "pending":
        raise Conflict(f"申请 #{request_id} 已是 {found.status} 状态 (request already {found.status})")
    stamp = now()
    if not approve:
        if len((reason or "").strip()) < 2:
            raise InputError("驳回须说明理由 (a rejection needs a reason)")
        record_event(wh, actor, "request.reject", dataset=found.dataset, department=department,
                     request_id=request_id, reason=(reason or "").strip(),
                     work=lambda conn: _transition(conn, request_id, status="rejected", decided_by=actor.name,
                                                   decided_at=stamp, reason=(reason or "").strip()))
        return _load_request(wh, request_id), None
    cols = found.columns if not columns else [c for c in _check_columns(wh, found.dataset, columns)]
    wider = [c for c in cols if c not in found.columns]
    if wider:
        raise InputError(f"审批只能收窄，不能增加列 (approval can only narrow): {', '.join(wider)}")
    level = found.max_level if max_level is None else _check_level(max_level)
    if level > found.max_level:
        raise InputError(f"审批级别不能高于申请的 {found.max_level} (cannot exceed the requested level)")
    days = found.duration_days if duration_days is None else _check_days(duration_days)
    if days > found.duration_days:
        raise InputError(f"期限不能长于申请的 {found.duration_days} 天 (cannot exceed the requested duration)")
    extra = _check_filter(wh, found.dataset, row_filter)
    combined = found.row_filter if extra is None else (extra if found.row_filter is None
                                                       else {"and": [found.row_filter, extra]})
    holder = get_user(wh, found.user)

    def approve_and_grant(conn: sa.Connection) -> dict[str, Any]:
        _transition(conn, request_id, status="approved", decided_by=actor.name, decided_at=stamp,
                    reason=(reason or "").strip() or None)
        superseded = [r.id for r in conn.execute(sa.select(grants.c.id).where(
            (grants.c.user_id == holder.id) & (grants.c.dataset == found.dataset) & grants.c.revoked_at.is_(None)))]
        grant_id = inserted_id(conn.execute(grants.insert().values(
            request_id=request_id, user_id=holder.id, dataset=found.dataset, department=department, columns=cols,
            max_level=level, row_filter=combined, expires_at=stamp + timedelta(days=days), created_by=actor.name,
            created_at=stamp)))
        if superseded:
            conn.execute(grants.update().where(grants.c.id.in_(superseded)).values(
                revoked_at=stamp, revoked_by=actor.name, revoke_reason=f"superseded by grant #{grant_id}"))
        return {"grant_id": grant_id, "superseded": superseded}

    made: dict[str, Any] = {}
    try:
        record_event(wh, actor, "request.approve", dataset=found.dataset, department=department, columns=cols,
                     filter=combined, request_id=request_id, max_level=level, duration_days=days,
                     holder=found.user, narrowed=(cols != found.columns or level != found.max_level
                                                  or days != found.duration_days or extra is not None),
                     work=_kept(approve_and_grant, made))
    finally:
        changed(wh)  # cached grants in every process are stale from now on
    return _load_request(wh, request_id), get_grant(wh, actor, made["grant_id"])


def withdraw_request(wh: Warehouse, actor: Actor, request_id: int) -> RequestInfo:
    found = get_request(wh, actor, request_id)
    require(actor, "request:withdraw", found.resource())
    if found.status != "pending":
        raise Conflict(f"申请 #{request_id} 已是 {found.status} 状态 (request already {found.status})")
    stamp = now()
    record_event(wh, actor, "request.withdraw", dataset=found.dataset, department=found.department,
                 request_id=request_id,
                 work=lambda conn: _transition(conn, request_id, status="withdrawn", decided_by=actor.name,
                                               decided_at=stamp))
    return _load_request(wh, request_id)


# ---------------------------------------------------------------------------------------------- grants
def _load_grant(wh: Warehouse, grant_id: int) -> GrantInfo:
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(_grant_query().where(grants.c.id == grant_id)).first()
    if row is None:
        raise NotFound(f"没有授权 #{grant_id} (no such grant)")
    return _grant(row)


def get_grant(wh: Warehouse, actor: Actor, grant_id: int) -> GrantInfo:
    found = _load_grant(wh, grant_id)
    if not allowed(actor, "grant:view", found.resource()):
        raise NotFound(f"没有授权 #{grant_id} (no such grant)")
    return found


def list_grants(wh: Warehouse, actor: Actor, *, dataset: str | None = None, user: str | None = None,
                state: str | None = None, limit: int = 500) -> list[GrantInfo]:
    stmt = _grant_query().order_by(grants.c.id.desc()).limit(limit)
    if dataset:
        stmt = stmt.where(grants.c.dataset == dataset)
    if user:
        stmt = stmt.where(users.c.name == user)
    if actor.role != "admin":
        if not actor.is_authenticated:
            return []
        mine = users.c.name == actor.name
        stmt = stmt.where(mine | (grants.c.department == actor.department) if actor.role == "steward" else mine)
    with ensure_tables(wh.engine).connect() as conn:
        found = [_grant(r) for r in conn.execute(stmt)]
    return [g for g in found if state is None or g.state == state]


def revoke_grant(wh: Warehouse, actor: Actor, grant_id: int, *, reason: str) -> GrantInfo:
    """Revoke a grant; the next read under it is refused."""
    found = get_grant(wh, actor, grant_id)
    require(actor, "grant:revoke", found.resource())
    if len((reason or "").strip()) < 2:
        raise InputError("撤销须说明理由 (a revocation needs a reason)")
    if found.revoked_at is not None:
        raise Conflict(f"授权 #{grant_id} 已撤销 (grant already revoked)")
    def revoke(conn: sa.Connection) -> None:
        done = conn.execute(grants.update().where((grants.c.id == grant_id) & grants.c.revoked_at.is_(None))
                            .values(revoked_at=now(), revoked_by=actor.name, revoke_reason=reason.strip()))
        if done.rowcount != 1:
            raise Conflict(f"授权 #{grant_id} 已撤销 (grant already revoked)")

    try:
        record_event(wh, actor, "grant.revoke", dataset=found.dataset, department=found.department,
                     grant_id=grant_id, holder=found.user, reason=reason.strip(), work=revoke)
    finally:
        changed(wh)  # the next read, in any process, goes back to the catalog and is refused
    return _load_grant(wh, grant_id)


def active_grant(wh: Warehouse, user_name: str, dataset: str) -> GrantInfo | None:
    """The user's current grant on ``dataset`` (unrevoked and unexpired), checked on every read."""
    stamp = now()
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(_grant_query().where((users.c.name == user_name) & (grants.c.dataset == dataset)
                                                & users.c.disabled.is_(False)
                                                & grants.c.revoked_at.is_(None) & (grants.c.expires_at > stamp))
                           .order_by(grants.c.id.desc()).limit(1)).first()
    return _grant(row) if row is not None else None


def expire_grant_now(wh: Warehouse, grant_id: int) -> None:
    """Move a grant's expiry to now (tests and emergency stops use it; revocation is the normal path)."""
    with ensure_tables(wh.engine).begin() as conn:
        conn.execute(grants.update().where(grants.c.id == grant_id).values(expires_at=now() - timedelta(seconds=1)))
    changed(wh)
