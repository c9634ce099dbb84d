"""The audit log: every read, export, grant change, login and failure, append-only and hash-chained.

Entry *n* stores ``hash_n = sha256(hash_{n-1} + canonical_json(entry_n))``; ``prev_hash`` is unique, so
two writers can never fork the chain (the loser retries on the new head). Concurrent appends in one
process share a transaction (group commit, :class:`Journal`); each still returns only once committed
(:func:`record_event` from a thread, :func:`record_event_async` from the server's event loop). :func:`verify` recomputes
the chain and names every edited, deleted or reordered entry; an anchor file ``audit.head`` outside
the catalog (seq + hash of the newest entry) also reveals a truncated tail.
Other stages call :func:`record_event`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import orjson
import sqlalchemy as sa

from shucang.share.access import Actor
from shucang.share.cache import attached

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]
from shucang.share.tables import audit, audit_anchor, ensure_tables, grants, now, requests

GENESIS = "0" * 64
LOCK_FILE = "audit.lock"
OUTCOMES = ("ok", "denied", "failed", "error")


def canonical(data: Any) -> str:
    """The one JSON spelling that is hashed: sorted keys, no spaces, UTF-8 text, ISO dates.

    What is verified is the stored text itself (``verify`` re-hashes the body, it never re-encodes
    it), so the spelling only has to be deterministic; orjson's is, and it is ~8× faster."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:  # a lone surrogate or an integer beyond 64 bits: still recorded, escaped (ASCII)
        return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _anchor_path(wh: Any) -> Path:
    return Path(wh.settings.home) / "audit.head"


def _write_anchor(home: Path, seq: int, digest: str) -> None:
    """Overwrite the anchor in place with one fixed-width write (a rename per event cost ~2 ms here)."""
    record = f"{seq:>20d} {digest}\n".encode()
    fd = os.open(home / "audit.head", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, record, 0)
    finally:
        os.close(fd)


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
        def recorder(wh: Any, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            return body(wh, fields(*args, **kwargs))

        recorder.__doc__, recorder.__name__, recorder.__qualname__ = body.__doc__, name, name
        return recorder

    return wrap


def _append(wh: Any, ev: Event) -> int:
    """Append one entry (who, when, what, outcome, details); return its sequence number once it is committed.

    Arguments: the warehouse, then those of :func:`event`. Concurrent callers are committed together
    (group commit, see :class:`Journal`); each call still returns only after its own entry is durable
    in the catalog."""
    return journal(wh).append(ev.entry, ev.with_rows, ev.work)


async def _append_async(wh: Any, ev: Event) -> int:
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

    def __init__(self, wh: Any) -> None:
        self.wh = wh
        self.pending: list[Event] = []

    def __call__(self, wh: Any, /, *args: Any, **kwargs: Any) -> None:
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


def journal(wh: Any) -> Journal:
    """The group-commit journal of this warehouse object (one per process in a server)."""
    return attached(wh, "_share_journal", lambda: Journal(wh), Journal.close)


Work = Callable[[sa.Connection], "dict[str, Any] | None"]
"""A state change committed in the audit entry's own transaction (see :func:`record_event`)."""


class _Pending:
    __slots__ = ("entry", "extra", "seq", "error", "waiter", "work")

    def __init__(self, entry: dict[str, Any], extra: list[tuple[sa.Table, dict[str, Any]]],
                 waiter: asyncio.Future[int] | None = None, work: Work | None = None) -> None:
        self.entry, self.extra, self.work = entry, extra, work
        self.seq: int | None = None
        self.error: BaseException | None = None
        self.waiter = waiter
        """Set for a caller on an event loop: resolved (on that loop) once the entry is committed."""


def _settle(batch: list[_Pending]) -> None:
    """On the waiters' event loop: hand each its sequence number or its error."""
    for one in batch:
        if one.waiter is None or one.waiter.done():
            continue
        if one.error is not None:
            one.waiter.set_exception(one.error)
        else:
            one.waiter.set_result(one.seq)  # type: ignore[arg-type]


class Journal:
    """Group commit of audit entries (and rows that must commit with them), exact and in order.

    A caller queues its entry and takes the commit lock; whoever holds it commits *every* queued
    entry in one transaction — numbering and chaining them in queue order — and the callers whose
    entries went along find them committed when their turn comes. No background thread, nothing
    buffered after a call returns, so a clean stop (or a crash) never loses an acknowledged entry.
    Under load one commit carries many reads; alone, a call costs one commit as before.
    Another process appending first makes the insert fail on the unique ``prev_hash``: the batch is
    renumbered on the new head and retried.

    Callers on an event loop (:meth:`append_async`) must not block it: their entries join the same
    queue and one committer thread (started on first use) takes turns on the same commit lock; each
    waits on a future settled once its entry is committed. While requests keep coming, every commit
    carries all entries that queued up during the previous one.
    """

    def __init__(self, wh: Any) -> None:
        self.home = Path(wh.settings.home)  # not the warehouse itself: the journal must not keep it alive
        self.engine = ensure_tables(wh.engine)
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._head: tuple[int, str] | None = None
        self._lock_fd: int | None = None
        self._insert = BulkInsert(self.engine)
        self._committer: ThreadPoolExecutor | None = None
        self._draining = False
        self.commits = 0
        """Transactions committed (with ``entries``: how well group commit batches)."""
        self.entries = 0

    def append(self, entry: dict[str, Any], extra: list[tuple[sa.Table, dict[str, Any]]],
               work: Work | None = None) -> int:
        pending = _Pending(entry, extra, work=work)
        with self._queue_lock:
            self._queue.append(pending)
        with self._commit_lock:
            if pending.seq is None and pending.error is None:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
                self._wake(batch)
        if pending.error is not None:
            raise pending.error
        assert pending.seq is not None
        return pending.seq

    async def append_async(self, entry: dict[str, Any], extra: list[tuple[sa.Table, dict[str, Any]]]) -> int:
        """:meth:`append` without blocking the event loop: the committer thread commits the entry
        (with everything queued beside it) and this returns once it is committed."""
        pending = _Pending(entry, extra, asyncio.get_running_loop().create_future())
        with self._queue_lock:
            self._queue.append(pending)
            start, self._draining = not self._draining, True
        if start:
            try:
                self._executor().submit(self._drain)
            except BaseException:
                with self._queue_lock:
                    self._draining = False
                raise
        return await pending.waiter  # type: ignore[misc]

    def _executor(self) -> ThreadPoolExecutor:
        if self._committer is None:
            with self._queue_lock:
                if self._committer is None:
                    self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shucang-audit")
        return self._committer

    def _drain(self) -> None:
        """Committer thread: commit whatever is queued, batch after batch, until the queue is empty."""
        while True:
            with self._commit_lock:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                    if not batch:
                        self._draining = False
                        return
                self._commit(batch)
            self._wake(batch)

    @staticmethod
    def _wake(batch: list[_Pending]) -> None:
        """Settle the futures of event-loop callers in ``batch`` (one wake-up per loop)."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for one in batch:
            if one.waiter is not None:
                by_loop.setdefault(one.waiter.get_loop(), []).append(one)
        for loop, waiting in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, waiting)

    @contextlib.contextmanager
    def _between_processes(self) -> Iterator[bool]:
        """Writers of one home take turns on a lock file: the kernel wakes the next one at once, where
        SQLite's busy handler would poll with sleeps of up to 100 ms (the p99 under load). Yields
        whether the lock is held (False where there is no lock file: SQLite's locking alone)."""
        if self._lock_fd is None:
            try:
                self._lock_fd = (os.open(self.home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
                                 if fcntl is not None else -1)
            except OSError:
                self._lock_fd = -1
        if self._lock_fd < 0:
            yield False
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def encode_row(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` prepared to be inserted many times (its JSON values serialised once)."""
        return self._insert.encode(table, row)

    def close(self) -> None:
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None
        if self._lock_fd is not None and self._lock_fd >= 0:
            os.close(self._lock_fd)
        self._lock_fd = None

    def _read_head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)).first()
        return (row.seq, row.hash) if row else (0, GENESIS)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._commit_batch(batch)
        except Exception as exc:  # noqa: BLE001 — handed to its caller, re-raised there
            if len(batch) == 1:
                batch[0].error = exc
                return
            for one in batch:  # one caller's entry, row or work is at fault: commit the others without it
                self._commit([one])

    def _commit_batch(self, batch: list[_Pending]) -> None:
        extra: dict[sa.Table, list[dict[str, Any]]] = {}
        for one in batch:
            for table, values in one.extra:
                extra.setdefault(table, []).append(values)
        for attempt in range(50):
            with self._between_processes() as locked:
                # The head is found under the lock every writer of this home takes, so no other process
                # can append between finding it and inserting after it (found before taking the lock, it
                # raced under load: each retry lost to the other process again). The anchor file is
                # written under that lock after every commit, so it names the newest entry; after a
                # failed insert (say a crash left the anchor behind) the catalog is asked instead.
                anchor = self._anchor() if locked and attempt == 0 else None
                if anchor is not None:
                    head = anchor
                elif attempt == 0 and self._head is not None:
                    head = self._head
                else:
                    head = self._read_head()
                seq, prev = head
                rows: list[dict[str, Any]] = []
                try:
                    with self.engine.begin() as conn:
                        for one in batch:
                            if one.work is not None:
                                one.entry["details"].update(one.work(conn) or {})
                        for one in batch:
                            seq += 1
                            body = canonical({"seq": seq, "prev": prev, **one.entry})
                            digest = chain_hash(prev, body)
                            e = one.entry
                            rows.append({"seq": seq, "at": e["at"], "actor": e["actor"], "role": e["role"],
                                         "action": e["action"], "outcome": e["outcome"], "dataset": e["dataset"],
                                         "department": e["department"], "body": body, "prev_hash": prev,
                                         "hash": digest})
                            prev = digest
                        for table, values_list in extra.items():
                            self._insert(conn, table, values_list)
                        self._insert(conn, audit, rows)
                        self._anchor_in_catalog(conn, seq, prev)
                except sa.exc.IntegrityError:
                    fresh = self._read_head()
                    self._head = None
                    if fresh == head:  # not a race with another writer: a row itself is at fault
                        raise
                    continue  # a writer that does not take the lock file appended meanwhile
                _write_anchor(self.home, seq, prev)  # under the same lock: the anchor never goes back
            self._head = (seq, prev)
            self.commits += 1
            self.entries += len(batch)
            for one, row in zip(batch, rows, strict=True):
                one.seq = row["seq"]
            return
        raise RuntimeError("audit log busy: could not append after 50 attempts")

    @staticmethod
    def _anchor_in_catalog(conn: sa.Connection, seq: int, digest: str) -> None:
        """The head in the catalog too, in the entries' own transaction: emptying the log and deleting
        ``audit.head`` is still detected (see :func:`verify`)."""
        if conn.dialect.name == "sqlite":  # a plain statement: SQLAlchemy's per-call work cost more than the write
            moved = conn.exec_driver_sql("UPDATE share_audit_anchor SET seq = ?, hash = ?, entries = ? WHERE id = 1",
                                         (seq, digest, seq))
        else:
            moved = conn.execute(audit_anchor.update().where(audit_anchor.c.id == 1)
                                 .values(seq=seq, hash=digest, entries=seq))
        if moved.rowcount == 0:
            conn.execute(audit_anchor.insert().values(id=1, seq=seq, hash=digest, entries=seq))

    def _anchor(self) -> tuple[int, str] | None:
        """The newest entry as the anchor file records it (None when missing or unreadable)."""
        try:
            seq_text, digest = (self.home / "audit.head").read_text().split()
            seq = int(seq_text)
        except (OSError, ValueError):
            return None
        return (seq, digest) if seq > 0 and len(digest) == 64 else None


class Encoded:
    """A value already put through its column's type processor (:meth:`BulkInsert.encode`): rows that
    repeat it — every answer from one remembered page carries the same registry fields — are not
    serialised again."""

    __slots__ = ("stored", "value")

    def __init__(self, value: Any, stored: Any) -> None:
        self.value, self.stored = value, stored


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.value if type(v) is Encoded else v for k, v in row.items()}


class BulkInsert:
    """``conn.execute(table.insert(), rows)`` without SQLAlchemy's per-statement work, on SQLite.

    The statement is compiled once per (table, columns) and the values go through SQLAlchemy's own
    type processors for this dialect, so what is stored is exactly what ``table.insert()`` stores;
    only the per-call compilation and parameter handling (a large part of a small commit) is saved.
    Rows that are not uniform, or leave out a column that has a default, go the ordinary way.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.dialect = engine.dialect
        self.enabled = engine.dialect.name == "sqlite"
        self._plans: dict[tuple[sa.Table, tuple[str, ...]], tuple[str, list[tuple[str, Any]]] | None] = {}

    def __call__(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        keys = tuple(rows[0]) if rows else ()
        plan = self._plan(table, keys) if self.enabled and keys else None
        if plan is None or any(row.keys() != rows[0].keys() for row in rows):
            conn.execute(table.insert(), [_plain(row) for row in rows])
            return
        sql, columns = plan
        conn.exec_driver_sql(sql, [tuple(row[name] if process is None else process(row[name])
                                         for name, process in columns) for row in rows])

    def encode(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with its JSON values serialised once, for rows that will repeat them."""
        if not self.enabled:
            return row
        out = dict(row)
        for name, value in row.items():
            column = table.columns.get(name)
            if column is not None and isinstance(column.type, sa.JSON) and type(value) is not Encoded:
                process = self._processor(column)
                if process is not None:
                    out[name] = Encoded(value, process(value))
        return out

    def _processor(self, column: sa.Column[Any]) -> Any:
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def _plan(self, table: sa.Table, keys: tuple[str, ...]) -> tuple[str, list[tuple[str, Any]]] | None:
        key = (table, keys)
        if key not in self._plans:
            given = set(keys)
            if not given <= set(table.columns.keys()) or any(
                    column.key not in given and (column.default is not None or column.server_default is not None)
                    for column in table.columns):
                self._plans[key] = None
            else:
                compiled = table.insert().compile(dialect=self.dialect, column_keys=list(keys))
                order = list(compiled.positiontup or [])
                if set(order) != given:
                    self._plans[key] = None
                else:
                    processors = [(name, _accepting_encoded(self._processor(table.columns[name]))) for name in order]
                    self._plans[key] = (str(compiled), processors)
        return self._plans[key]


def _accepting_encoded(process: Any) -> Any:
    """A column's processor that passes an :class:`Encoded` value's stored form through (only columns
    with a processor ever get one: :meth:`BulkInsert.encode`)."""
    if process is None:
        return None

    def run(value: Any) -> Any:
        return value.stored if type(value) is Encoded else process(value)

    return run


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


def search(wh: Any, *, actor: str | None = None, action: str | None = None, dataset: str | None = None,
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


@dataclass
class AuditReport:
    """Outcome of :func:`verify`: ``ok`` only when every entry and the anchor check out."""

    ok: bool
    entries: int
    head: str | None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "problems": self.problems}


def verify(wh: Any, *, batch: int = 5000) -> AuditReport:
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
