"""The audit journal's machinery: the hash chain's one spelling and the group commit of entries.

Entry *n* stores ``hash_n = sha256(hash_{n-1} + canonical_json(entry_n))``. :class:`Journal` numbers,
chains and commits entries — many callers' entries in one transaction (group commit), writers of one
home taking turns on a lock file, the head anchored in ``audit.head`` and in the catalog. Callers use
:mod:`shucang.share.audit` (``record_event``), not this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa

from shucang.share.bulk_insert import BulkInsert
from shucang.share.cache import attached
from shucang.share.tables import audit, audit_anchor, ensure_tables

if sys.platform == "win32":  # not POSIX: SQLite's own locking alone
    fcntl = None
else:
    import fcntl

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

GENESIS = "0" * 64
LOCK_FILE = "audit.lock"


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


def _write_anchor(home: Path, seq: int, digest: str) -> None:
    """Overwrite the anchor in place with one fixed-width write (a rename per event cost ~2 ms here)."""
    record = f"{seq:>20d} {digest}\n".encode()
    fd = os.open(home / "audit.head", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, record, 0)
    finally:
        os.close(fd)


Work = Callable[[sa.Connection], "dict[str, Any] | None"]
"""A state change committed in the audit entry's own transaction (see :func:`record_event`)."""


def journal(wh: Warehouse) -> Journal:
    """The group-commit journal of this warehouse object (one per process in a server)."""
    return attached(wh, "_share_journal", lambda: Journal(wh), Journal.close)




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
        elif one.seq is None:  # cannot happen: a settled batch has a number or an error for each
            one.waiter.set_exception(RuntimeError("audit entry neither committed nor refused"))
        else:
            one.waiter.set_result(one.seq)


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

    def __init__(self, wh: Warehouse) -> None:
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
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        pending = _Pending(entry, extra, waiter)
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
        return await waiter

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
