"""Protected pages remembered per caller: the masked, fingerprinted answer to one (caller, release, query).

Why remembering them is exact: protection is a pure function of the recipient's keys, the ceiling,
the grades, the policy, the key id and the rows — an API or display page carries one mark key per
recipient and dataset (not per extract), and a dataset version's rows never change. The same caller
asking for the same page again therefore gets the same released rows; only the extract id (new for
every answer, with its own registry row) and the audit entry differ, and both are still made on every
request. So are the token check, the rate limit, the permission and grant check.

Why an entry can never serve a caller more than their grant allows now: the lookup happens only
after :func:`shucang.share.reads.plan_access` has authorised this request, and the key holds
everything the released bytes depend on — the effective grant (id, basis, ceiling, every requested
column's grade and visibility, the row filter inside the compiled WHERE), the dataset version, the
query, and the *setup signature* (recipient, clearance, grades, masking policy, key id), which is
recomputed whenever protection's lookups are (the generation stamp moves, or ≤ 1 s). A narrowed
grant or a changed policy is a new key; a revoked grant never gets past the check.

File extracts (channel ``extract``) are never remembered: their mark key is per extract.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse


def page_cache_mb() -> float:
    """Memory for remembered protected pages per process (``$SHUCANG_SHARE_PAGE_CACHE_MB``, 0 = off); read
    when a cache is made, not at import (a warm server's child has its caller's environment)."""
    return float(os.environ.get("SHUCANG_SHARE_PAGE_CACHE_MB", "32"))


CACHED_CHANNELS = ("api", "display")
"""Channels whose fingerprint key does not depend on the extract id (see ``mark_context``)."""


def setup_signature(setup: Any) -> str:
    """A digest of everything in protection's release setup that shapes the released rows."""
    recipient = setup.recipient
    described = {
        "dataset": setup.dataset, "channel": setup.channel, "limit": setup.limit,
        "recipient": asdict(recipient) if hasattr(recipient, "__dataclass_fields__") else repr(recipient),
        "graded": sorted([name, list(grade)] for name, grade in setup.graded.items()),
        "policy": setup.policy.to_dict(), "key_id": setup.ring.current_id, "key_columns": sorted(setup.key_columns),
    }
    text = orjson.dumps(described, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(text).hexdigest()


def typed(params: Sequence[Any]) -> tuple[tuple[str, Any], ...]:
    """Parameters with their types: 1, 1.0 and True bind differently."""
    return tuple((type(v).__name__, v) for v in params)


@dataclass
class ProtectedPage:
    """One released page as protection made it, minus what is new on every answer (extract id, time)."""

    table: pa.Table
    next_cursor: str | None
    masked: list[str]
    dropped: list[str]
    registry: dict[str, Any]
    """The extract-registry row's fields except ``id`` and ``created_at``."""
    encoded: dict[str, Any] = field(default_factory=dict)
    """Serialised forms of the answer (by format), filled in by the front end that sends it."""
    size: int = 0
    key: Hashable = None
    owner: PageCache | None = None

    def remember_encoded(self, fmt: str, value: Any, nbytes: int) -> None:
        """Keep a serialised form of this page (counted against its cache's memory budget)."""
        if self.owner is not None:
            self.owner.attach(self, fmt, value, nbytes)


class PageCache:
    """Least-recently-used protected pages, bounded by (approximate) bytes; thread-safe."""

    def __init__(self, budget_mb: float | None = None) -> None:
        self.budget = int((page_cache_mb() if budget_mb is None else budget_mb) * 1024 * 1024)
        self.max_item = self.budget // 16
        self._items: OrderedDict[Hashable, ProtectedPage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> ProtectedPage | None:
        if self.budget <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, page: ProtectedPage) -> bool:
        """Remember ``page`` (False when it does not fit the budget)."""
        page.key, page.size = key, page.table.nbytes + 2048
        if self.budget <= 0 or page.size > self.max_item:
            return False
        page.owner = self
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = page
            self._bytes += page.size
            self._trim()
        return True

    def attach(self, page: ProtectedPage, fmt: str, value: Any, nbytes: int) -> None:
        """Remember a serialised form of ``page`` (counted against the budget)."""
        with self._lock:
            if fmt in page.encoded:
                return
            page.encoded[fmt] = value
            page.size += nbytes
            if self._items.get(page.key) is page:  # still held: count it (a dropped page is simply garbage)
                self._bytes += nbytes
                self._trim()

    def _trim(self) -> None:
        while self._bytes > self.budget and self._items:
            _key, dropped = self._items.popitem(last=False)
            self._bytes -= dropped.size


def page_cache(wh: Warehouse) -> PageCache:
    """The page cache that lives with this warehouse object (one per process in a server)."""
    from shucang.share.cache import attached

    return attached(wh, "_share_pages", PageCache)
