"""Token buckets: burst, refill, Retry-After; one set of buckets for all forked workers."""

from __future__ import annotations

from typing import Any

import pytest

from shucang.errors import RateLimited
from shucang.share.ratelimit import RateLimiter, SharedRateLimiter


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


def _spend(limiter: SharedRateLimiter, key: str, n: int, out: Any) -> None:
    taken = 0
    for _ in range(n):
        try:
            limiter.check(key, clock=500.0)
            taken += 1
        except RateLimited:
            pass
    out.put(taken)


def test_shared_buckets_hold_across_forked_workers() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    limiter = SharedRateLimiter(60, burst_seconds=10, slots=64)  # capacity 10
    queue = ctx.Queue()
    workers = [ctx.Process(target=_spend, args=(limiter, "token:1", 6, queue)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    taken = sum(queue.get(timeout=10) for _ in workers)
    assert taken == 10  # one bucket for all workers (per-process buckets would allow 18)
    with pytest.raises(RateLimited):
        limiter.check("token:1", clock=500.0)
    limiter.check("token:2", clock=500.0)  # other keys have their own bucket
    limiter.check("token:1", clock=501.1)  # and it refills


def test_a_full_table_makes_limits_stricter_never_looser() -> None:
    limiter = SharedRateLimiter(60, burst_seconds=1, slots=8)  # capacity 1, a tiny table
    for i in range(8):
        limiter.check(f"k{i}", clock=10.0)  # every slot taken, every bucket empty
    with pytest.raises(RateLimited):  # a ninth key shares a busy bucket …
        limiter.check("k8", clock=10.0)
    for i in range(8):  # … and resets nobody's
        with pytest.raises(RateLimited):
            limiter.check(f"k{i}", clock=10.0)
    limiter.check("k8", clock=4000.0)  # an hour later idle slots are reused with a full bucket
