"""The audit log: every read, export, grant change, login and failure, append-only and hash-chained.

Entry *n* stores ``hash_n = sha256(hash_{n-1} + canonical_json(entry_n))``; ``prev_hash`` is unique, so
two writers can never fork the chain (the loser retries on the new head). Concurrent appends in one
process share a transaction (group commit, :class:`Journal`); each still returns only once committed
(:func:`record_event` from a thread, :func:`record_event_async` from the server's event loop). :func:`verify` recomputes
the chain and names every edited, deleted or reordered entry; an anchor file ``audit.head`` outside
the catalog (seq + hash of the newest entry) also reveals a truncated tail.
Other stages call :func:`record_event`. The hash chain's spelling and the group commit live in
:mod:`shucang.share.audit_journal`, the catalog's bulk-insert shortcut in :mod:`shucang.share.bulk_insert`;
this module is what callers use: the event's one signature, search and verify.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa

from shucang.share.access import Actor
from shucang.share.audit_journal import GENESIS, Work, chain_hash, journal
from shucang.share.tables import audit, audit_anchor, ensure_tables, grants, now, requests

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

OUTCOMES = ("ok", "denied", "failed", "error")


def _anchor_path(wh: Warehouse) -> Path:
    return Path(wh.settings.home) / "audit.head"


@dataclass(frozen=True)
class Event:
    """One audit event as asked for: the entry to hash, the rows committed with it, the state change."""

    entry: dict[str, Any]
    with_rows: list[tuple[sa.Table, dict[str, Any]]]
    work: Work | None = None


def event(actor: Actor | str | None, action: str, *, outcome: str = "ok", dataset: str | None = None,
          department: str | None = None, columns: list[str] | None = None, filter: Any = None,
          rows: int | None = None, with_rows: Sequence[tuple[sa.Table, dict[str, Any]]] = (),
          work: Work | None = None, **details: Any) -> Event:
    """The one signature of an audit event (who, what, outcome, details), shared by :func:`record_event`,
    :func:`record_event_async` and :class:`AuditBuffer` — each takes the warehouse, then these arguments.

    ``with_rows`` are (table, values) rows committed in the same transaction as the entry (the read's
    extract-registry row), so a release is never recorded without its audit entry or the reverse.
    ``work(conn)`` is a state change run in that same transaction before the entry is written (a
    request filed, a grant made): it commits with its entry or not at all; what it returns is added
    to the entry's details (the new row's id). Its errors reach this caller alone (threads only).
    """
    entry = make_entry(actor, action, outcome=outcome, dataset=dataset, department=department, columns=columns,
                       filter=filter, rows=rows, details=details)
    return Event(entry, list(with_rows), work)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _taking(fields: Callable[_P, Event], name: str) -> Callable[[Callable[[Any, Event], _R]],
                                                                Callable[Concatenate[Any, _P], _R]]:
    """``body(wh, event)`` made callable as ``name(wh, <the arguments of fields>)``: one signature, typed once."""

    def wrap(body: Callable[[Any, Event], _R]) -> Callable[Concatenate[Any, _P], _R]:
        def recorder(wh: Warehouse, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            return body(wh, fields(*args, **kwargs))

        recorder.__doc__, recorder.__name__, recorder.__qualname__ = body.__doc__, name, name
        return recorder

    return wrap


def _append(wh: Warehouse, ev: Event) -> int:
    """Append one entry (who, when, what, outcome, details); return its sequence number once it is committed.

    Arguments: the warehouse, then those of :func:`event`. Concurrent callers are committed together
    (group commit, see :class:`Journal`); each call still returns only after its own entry is durable
    in the catalog."""
    return journal(wh).append(ev.entry, ev.with_rows, ev.work)


async def _append_async(wh: Warehouse, ev: Event) -> int:
    """:func:`record_event` for code running on an event loop: the loop is never blocked, and the call
    still completes only once the entry is committed (see :meth:`Journal.append_async`)."""
    if ev.work is not None:
        raise ValueError("work is not run from the event loop: use record_event in a thread")
    return await journal(wh).append_async(ev.entry, ev.with_rows)


record_event = _taking(event, "record_event")(_append)
record_event_async = _taking(event, "record_event_async")(_append_async)


class AuditBuffer:
    """Stands in for :func:`record_event` where blocking is not allowed (an event loop): the entries
    are kept, in order, and :meth:`flush` commits them — the caller answers only after that."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        self.pending: list[Event] = []

    def __call__(self, wh: Warehouse, /, *args: Any, **kwargs: Any) -> None:
        """Keep one event (the arguments of :func:`record_event`)."""
        if wh is not self.wh:
            raise ValueError("audit buffer used for another warehouse")
        ev = event(*args, **kwargs)
        if ev.work is not None:
            raise ValueError("an audit buffer does not run state changes")
        self.pending.append(ev)

    async def flush(self) -> None:
        """Commit the kept entries, in order (each once; a failure is raised after the earlier ones)."""
        pending, self.pending = self.pending, []
        for ev in pending:
            await journal(self.wh).append_async(ev.entry, ev.with_rows)


def make_entry(actor: Actor | str | None, action: str, *, outcome: str, dataset: str | None,
               department: str | None, columns: list[str] | None, filter: Any, rows: int | None,
               details: dict[str, Any]) -> dict[str, Any]:
    """The entry as it will be hashed (without its number and link, added when it is committed)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    if isinstance(actor, Actor):
        who, role = actor.name, actor.role
        details.setdefault("via", actor.via)
    else:
        who, role = (actor or "system"), "system"
    return {"at": now().isoformat(timespec="microseconds"), "actor": who, "role": role, "action": action,
            "outcome": outcome, "dataset": dataset, "department": department, "columns": columns,
            "filter": filter, "rows": rows, "details": details}


@dataclass
class AuditEntry:
    seq: int
    at: str
    actor: str
    role: str
    action: str
    outcome: str
    dataset: str | None
    department: str | None
    columns: list[str] | None
    filter: Any
    rows: int | None
    details: dict[str, Any]
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _entry(row: Any) -> AuditEntry:
    try:
        body = json.loads(row.body)
    except ValueError:
        body = {}
    return AuditEntry(row.seq, row.at, row.actor, row.role, row.action, row.outcome, row.dataset, row.department,
                      body.get("columns"), body.get("filter"), body.get("rows"), body.get("details") or {}, row.hash)


def search(wh: Warehouse, *, actor: str | None = None, action: str | None = None, dataset: str | None = None,
           department: str | None = None, outcome: str | None = None, since: datetime | str | None = None,
           until: datetime | str | None = None, visible_to_department: str | None = None,
           limit: int = 100, before_seq: int | None = None) -> list[AuditEntry]:
    """Newest first. ``visible_to_department`` limits a steward to its department's datasets and its own acts."""
    a = audit.c
    stmt = sa.select(audit).order_by(a.seq.desc()).limit(max(1, min(int(limit), 10_000)))
    for column, value in ((a.actor, actor), (a.dataset, dataset), (a.department, department), (a.outcome, outcome)):
        if value:
            stmt = stmt.where(column == value)
    if action:
        stmt = stmt.where(a.action.like(action.replace("*", "%")) if "*" in action else a.action == action)
    if since:
        stmt = stmt.where(a.at >= (since.isoformat() if isinstance(since, datetime) else str(since)))
    if until:
        stmt = stmt.where(a.at < (until.isoformat() if isinstance(until, datetime) else str(until)))
    if before_seq:
        stmt = stmt.where(a.seq < before_seq)
    if visible_to_department is not None:
        stmt = stmt.where(a.department == visible_to_department)
    with ensure_tables(wh.engine).connect() as conn:
        return [_entry(r) for r in conn.execute(stmt)]


@dataclass(frozen=True)
class ActionCount:
    """How many entries of one action were written on one day (UTC)."""

    day: str
    """``YYYY-MM-DD``"""
    action: str
    count: int


def counts_by_day(wh: Warehouse, since: datetime | str) -> list[ActionCount]:
    """Entries per day and action since ``since`` (one grouped query; the security page's activity chart)."""
    day = sa.func.substr(audit.c.at, 1, 10)
    stmt = (sa.select(day.label("day"), audit.c.action, sa.func.count().label("n"))
            .where(audit.c.at >= (since.isoformat() if isinstance(since, datetime) else str(since)))
            .group_by(day, audit.c.action).order_by(day, audit.c.action))
    with ensure_tables(wh.engine).connect() as conn:
        return [ActionCount(str(r.day), str(r.action), int(r.n)) for r in conn.execute(stmt)]


@dataclass
class AuditReport:
    """Outcome of :func:`verify`: ``ok`` only when every entry and the anchor check out."""

    ok: bool
    entries: int
    head: str | None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "problems": self.problems}


def verify(wh: Warehouse, *, batch: int = 5000) -> AuditReport:
    """Recompute the chain: edited bodies, broken links (deletion, reordering) and a cut tail are reported."""
    engine = ensure_tables(wh.engine)
    problems: list[dict[str, Any]] = []
    prev, expected_seq, count, last_seq = GENESIS, 1, 0, 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(sa.select(audit).order_by(audit.c.seq))
        for row in result.yield_per(batch):
            count += 1
            if row.seq != expected_seq:
                problems.append({"seq": row.seq, "problem": "gap",
                                 "message": f"条目 {expected_seq}–{row.seq - 1} 缺失 (entries deleted)"})
            try:
                body = json.loads(row.body)
            except ValueError:
                body = {}
            fields_match = (body.get("seq") == row.seq and body.get("prev") == row.prev_hash
                            and all(body.get(k) == getattr(row, k) for k in
                                    ("at", "actor", "role", "action", "outcome", "dataset", "department")))
            if chain_hash(row.prev_hash, row.body) != row.hash or not fields_match:
                problems.append({"seq": row.seq, "problem": "edited",
                                 "message": f"条目 {row.seq} 内容与哈希不符 (entry altered)"})
            if row.prev_hash != prev:
                problems.append({"seq": row.seq, "problem": "broken_link",
                                 "message": f"条目 {row.seq} 未接在前一条之后 (deleted or reordered before it)"})
            prev, expected_seq, last_seq = row.hash, row.seq + 1, row.seq
    anchor = _anchor_path(wh)
    if anchor.exists():
        try:
            seq_text, digest = anchor.read_text().split()
            anchor_seq = int(seq_text)
        except ValueError:
            problems.append({"seq": None, "problem": "anchor", "message": "锚点文件损坏 (audit.head unreadable)"})
        else:
            with engine.connect() as conn:
                stored = conn.execute(sa.select(audit.c.hash).where(audit.c.seq == anchor_seq)).scalar()
            if anchor_seq > last_seq or stored != digest:
                problems.append({"seq": anchor_seq, "problem": "truncated",
                                 "message": f"锚点记录了第 {anchor_seq} 条，但日志不符 (tail deleted or replaced)"})
    elif count:
        problems.append({"seq": None, "problem": "anchor", "message": "锚点文件缺失 (audit.head missing)"})
    problems.extend(_catalog_anchor_problems(engine, count, last_seq))
    return AuditReport(ok=not problems, entries=count, head=prev if count else None, problems=problems)


def _catalog_anchor_problems(engine: sa.Engine, count: int, last_seq: int) -> list[dict[str, Any]]:
    """The head kept in the catalog must match the log; an empty log beside workflow rows that were
    written with entries (requests, grants) was emptied."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(audit_anchor).where(audit_anchor.c.id == 1)).first()
        stored = (conn.execute(sa.select(audit.c.hash).where(audit.c.seq == row.seq)).scalar()
                  if row is not None else None)
        activity = 0 if count or row is not None else sum(
            int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()) for t in (requests, grants))
    if row is not None and (row.seq > last_seq or stored != row.hash):
        return [{"seq": row.seq, "problem": "anchor_catalog",
                 "message": f"目录中的锚点记录了第 {row.seq} 条，但日志不符 (log emptied, cut or rewritten)"}]
    if activity:
        return [{"seq": None, "problem": "emptied",
                 "message": "审计日志为空，但存在申请或授权记录 (audit log emptied)"}]
    return []
