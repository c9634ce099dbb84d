"""A small per-app memo for figures that are costly to compute and change only with new data.

Entries are keyed by what they depend on (e.g. the current version of every dataset) and also
expire after ``ttl`` seconds, so a page never shows a figure older than the data or the clock allows.
The memo lives on ``app.state`` — no module-level state shared between apps or tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_LOCK = threading.Lock()


def memo(state: Any, key: Hashable, ttl: float, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``key`` and ``ttl`` on this app's state; errors are never cached."""
    with _LOCK:
        hit = _store(state).get(key)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
    value = compute()
    with _LOCK:
        store = _store(state)  # again: compute() may have memoised (an empty store was once replaced)
        if len(store) > 256:
            store.clear()
        store[key] = (time.monotonic(), value)
    return value


def _store(state: Any) -> dict[Hashable, tuple[float, Any]]:
    store: dict[Hashable, tuple[float, Any]] | None = getattr(state, "web_memo", None)
    if store is None:
        store = {}
        state.web_memo = store
    return store


def forget(state: Any) -> None:
    """Drop every memo entry (after an edit, so the next page shows it at once)."""
    with _LOCK:
        state.web_memo = {}
