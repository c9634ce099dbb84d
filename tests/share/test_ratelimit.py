"""Token buckets: burst, refill, Retry-After."""

from __future__ import annotations

import pytest

from shucang.errors import RateLimited
from shucang.share.ratelimit import RateLimiter


def test_burst_then_refusal_then_refill() -> None:
    limiter = RateLimiter(60, burst_seconds=5)  # 1 per second, burst 5
    for _ in range(5):
        limiter.check("a", clock=100.0)
    with pytest.raises(RateLimited) as info:
        limiter.check("a", clock=100.0)
    assert info.value.retry_after >= 1
    limiter.check("b", clock=100.0)  # buckets are per key
    limiter.check("a", clock=101.01)  # one second later one more request is allowed


def test_per_key_rate_overrides_default() -> None:
    limiter = RateLimiter(60, burst_seconds=1)
    limiter.check("t", 6000, clock=0.0)
    for _ in range(99):
        limiter.check("t", 6000, clock=0.0)
    with pytest.raises(RateLimited):
        limiter.check("t", 6000, clock=0.0)
