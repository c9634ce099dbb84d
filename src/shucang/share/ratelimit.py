"""Per-caller rate limits (token buckets held in the server process).

Each API token (or session user) has a bucket refilled at its requests-per-minute rate with a burst
of a few seconds' worth; the anonymous open-data API has its own buckets per client address. An empty
bucket answers ``RateLimited`` → HTTP 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import os
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
