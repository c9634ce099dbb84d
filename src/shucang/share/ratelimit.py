"""Per-caller rate limits (token buckets held in the server process, or shared by its forked workers).

Each API token (or session user) has a bucket refilled at its requests-per-minute rate with a burst
of a few seconds' worth; the anonymous open-data API has its own buckets per client address. An empty
bucket answers ``RateLimited`` → HTTP 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import math
import mmap
import multiprocessing
import os
import struct
import threading
import time
from dataclasses import dataclass

from shucang.errors import RateLimited

DEFAULT_PER_MINUTE = int(os.environ.get("SHUCANG_API_RATE", "600"))
"""Default requests per minute for a token or logged-in user (``$SHUCANG_API_RATE``)."""
OPEN_PER_MINUTE = int(os.environ.get("SHUCANG_OPEN_RATE", "120"))
"""Requests per minute per client address on the anonymous open-data API (``$SHUCANG_OPEN_RATE``)."""
BURST_SECONDS = 10.0


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by caller; thread-safe; old buckets are pruned."""

    def __init__(self, per_minute: int, *, burst_seconds: float = BURST_SECONDS, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self.burst_seconds = burst_seconds
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str, per_minute: int | None = None, *, clock: float | None = None) -> None:
        """Take one request from ``key``'s bucket or raise ``RateLimited`` with the wait in seconds."""
        rate = (per_minute or self.per_minute) / 60.0
        capacity = max(1.0, rate * self.burst_seconds)
        stamp = time.monotonic() if clock is None else clock
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._prune(stamp)
                bucket = self._buckets[key] = _Bucket(capacity, stamp)
            bucket.tokens = min(capacity, bucket.tokens + (stamp - bucket.stamp) * rate)
            bucket.stamp = stamp
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
        raise RateLimited(f"请求过于频繁，请 {wait} 秒后重试 (rate limit exceeded; retry in {wait} s)",
                          retry_after=wait, hint=f"limit {per_minute or self.per_minute} requests per minute")

    def _prune(self, stamp: float) -> None:
        idle = [k for k, b in self._buckets.items() if stamp - b.stamp > 3600]
        for key in idle or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]


_SLOT = struct.Struct("<Qdd")  # key hash, tokens, stamp
_PROBE = 16


class SharedRateLimiter(RateLimiter):
    """The same buckets, held in memory shared by forked server workers (``shucang serve --workers N``).

    Made in the parent before the workers fork: an anonymous shared mapping of fixed slots (key hash,
    tokens, stamp) and one process-shared lock, so a token gets its limit once across all workers,
    not once per worker. Slots are found by open addressing; a slot idle for an hour is reused; when
    every probed slot is busy, the key shares its home slot (stricter, never looser).
    """

    def __init__(self, per_minute: int, *, burst_seconds: float = BURST_SECONDS, slots: int = 65_536) -> None:
        super().__init__(per_minute, burst_seconds=burst_seconds, max_keys=slots)
        self.slots = slots
        self._memory = mmap.mmap(-1, slots * _SLOT.size)  # MAP_SHARED | MAP_ANONYMOUS: survives fork shared
        self._shared_lock = multiprocessing.get_context("fork").Lock()

    def _slot(self, digest: int, stamp: float) -> tuple[int, bool]:
        """The key's slot, and whether the key owns it (else it shares a busy one's bucket)."""
        home = digest % self.slots
        probe = [(home + i) % self.slots for i in range(min(_PROBE, self.slots))]
        slots = [(index, *_SLOT.unpack_from(self._memory, index * _SLOT.size)) for index in probe]
        for index, found, _tokens, _seen in slots:  # its own slot first: an idle one earlier in the
            if found == digest:                      # probe must not hand it a fresh bucket
                return index, True
        for index, found, _tokens, seen in slots:
            if found == 0 or stamp - seen > 3600:
                return index, True
        return home, False

    def check(self, key: str, per_minute: int | None = None, *, clock: float | None = None) -> None:
        rate = (per_minute or self.per_minute) / 60.0
        capacity = max(1.0, rate * self.burst_seconds)
        stamp = time.monotonic() if clock is None else clock  # CLOCK_MONOTONIC is one clock for all processes
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1
        with self._shared_lock:
            index, owned = self._slot(digest, stamp)
            offset = index * _SLOT.size
            found, tokens, seen = _SLOT.unpack_from(self._memory, offset)
            if owned and found != digest:  # a free or long-idle slot: a full bucket for this key
                found, tokens, seen = digest, capacity, stamp
            tokens = min(capacity, tokens + max(0.0, stamp - seen) * rate)
            ok = tokens >= 1.0
            if ok:
                tokens -= 1.0
            _SLOT.pack_into(self._memory, offset, found, tokens, stamp)
        if ok:
            return
        wait = max(1, math.ceil((1.0 - tokens) / rate))
        raise RateLimited(f"请求过于频繁，请 {wait} 秒后重试 (rate limit exceeded; retry in {wait} s)",
                          retry_after=wait, hint=f"limit {per_minute or self.per_minute} requests per minute")
