"""Per-process memory of what a governed read needs, kept exact by a shared generation stamp.

Resolving a token, the caller's grant, the dataset's owner and the column grades costs several
catalog round trips; a read repeats them for every page. Entries here remember them, but never
longer than is safe:

- every entry records the *generation stamp* it was built under; this stage changes the stamp
  (``bump``) whenever it revokes, approves, expires or disables something (grants, tokens, users,
  sessions, open-data releases) — in the same call, after the catalog commit and before returning —
  so the NEXT read in ANY process sees a new stamp and goes back to the catalog;
- facts owned by other stages (grades after a review, a dataset's department, the masking policy)
  cannot bump the stamp, so every entry also expires after ``default_ttl()`` (≤ 1 s);
- expiry times (token, session, grant) are compared with the clock on every use.

The stamp is 32 bytes in ``HOME/share.generation``, read through a shared memory mapping (a memory
read, no system call) and rewritten in place with one ``pwrite``, which every mapping sees at once;
a torn read can only look like a change (one extra catalog trip), never like an older stamp. When
the file cannot be used, nothing is cached.
"""

from __future__ import annotations

import mmap
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

GENERATION_FILE = "share.generation"
STAMP_BYTES = 32


def default_ttl() -> float:
    """Seconds an entry may live without the stamp moving (``$SHUCANG_SHARE_CACHE_TTL``, at most 1, 0 = off);
    read when a memo is made, not at import (a warm server's child has its caller's environment)."""
    return min(1.0, max(0.0, float(os.environ.get("SHUCANG_SHARE_CACHE_TTL", "1.0"))))


MAX_ENTRIES = 20_000
T = TypeVar("T")
_lock = threading.Lock()


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Generation:
    """The shared stamp of one warehouse home (see the module docstring)."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / GENERATION_FILE
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._lock = threading.Lock()

    def _open(self) -> mmap.mmap | None:
        if self._map is None:
            with self._lock:
                if self._map is None:
                    try:
                        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                    except OSError:
                        return None
                    try:
                        if os.fstat(fd).st_size < STAMP_BYTES:
                            os.pwrite(fd, secrets.token_hex(STAMP_BYTES // 2).encode(), 0)
                        # A shared read-only mapping of the page cache: reading the stamp is a memory
                        # read (no system call, so no trip through the GIL) that sees every pwrite at once.
                        self._map = mmap.mmap(fd, STAMP_BYTES, prot=mmap.PROT_READ)
                    except (OSError, ValueError):
                        os.close(fd)
                        return None
                    self._fd = fd
        return self._map

    def current(self) -> bytes | None:
        """The stamp now, or None when it cannot be read (then nothing may be cached)."""
        found = self._open()
        return None if found is None else found[:STAMP_BYTES]

    def bump(self) -> None:
        """Make every cached entry in every process stale (call after the catalog commit)."""
        if self._open() is not None and self._fd is not None:
            os.pwrite(self._fd, secrets.token_hex(STAMP_BYTES // 2).encode(), 0)

    def close(self) -> None:
        with self._lock:
            if self._map is not None:
                self._map.close()
                self._map = None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class Memo:
    """A dict of entries tagged with (stamp, time); stale ones count as absent. Thread-safe under the GIL."""

    def __init__(self, generation: Generation, ttl: float | None = None, max_entries: int = MAX_ENTRIES) -> None:
        self.generation = generation
        self.ttl = default_ttl() if ttl is None else ttl
        self.max_entries = max_entries
        self._items: dict[Hashable, tuple[bytes, float, Any]] = {}

    def get(self, key: Hashable, stamp: bytes | None) -> Any:
        """The value, or ``MISSING`` when absent, built under another stamp, or older than the ttl."""
        found = self._items.get(key)
        if found is None or stamp is None or found[0] != stamp or time.monotonic() - found[1] > self.ttl:
            return MISSING
        return found[2]

    def put(self, key: Hashable, stamp: bytes | None, value: Any) -> None:
        if stamp is None or self.ttl <= 0:
            return
        if len(self._items) >= self.max_entries:
            self._items.clear()
        self._items[key] = (stamp, time.monotonic(), value)

    def fetch(self, key: Hashable, load: Callable[[], T]) -> T:
        """Cached value of ``key`` or ``load()`` (the stamp is read BEFORE loading, so a change that
        commits while loading leaves the entry already stale)."""
        stamp = self.generation.current()
        value = self.get(key, stamp)
        if value is MISSING:
            value = load()
            self.put(key, stamp, value)
        return value

    def clear(self) -> None:
        self._items.clear()


class ShareCaches:
    """The caches of one warehouse object (one per process in a server)."""

    def __init__(self, home: Path) -> None:
        self.generation = Generation(home)
        self.tokens = Memo(self.generation)
        self.sessions = Memo(self.generation)
        self.datasets = Memo(self.generation)
        self.grants = Memo(self.generation)
        self.grades = Memo(self.generation)
        self.releases = Memo(self.generation)
        self.plans = Memo(self.generation)

    def close(self) -> None:
        self.generation.close()


C = TypeVar("C")


def attached(wh: Warehouse, attribute: str, make: Callable[[], C], close: Callable[[C], None] | None = None) -> C:
    """The object kept on this warehouse object under ``attribute``, made once (thread-safe) and
    closed (when ``close`` is given) when the warehouse object goes — per-process state without a
    module-level global. The one way the sharing stage keeps state with a warehouse."""
    found = getattr(wh, attribute, None)
    if found is None:
        with _lock:
            found = getattr(wh, attribute, None)
            if found is None:
                found = make()
                setattr(wh, attribute, found)
                if close is not None:
                    weakref.finalize(wh, close, found)
    return found


def caches(wh: Warehouse) -> ShareCaches:
    """The caches that live with this warehouse object (the descriptor and mapping go with it)."""
    return attached(wh, "_share_caches", lambda: ShareCaches(Path(wh.settings.home)), ShareCaches.close)


def changed(wh: Warehouse) -> None:
    """Call after committing a change to grants, tokens, users, sessions or releases."""
    caches(wh).generation.bump()
