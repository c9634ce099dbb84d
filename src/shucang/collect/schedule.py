"""When a source is due, late or failing, and the background loop ``shucang serve`` runs.

A source with a cadence is due when its last good run started a cadence ago (or it never ran). After
a failure it is retried with exponential backoff (1 min, 2, 4 … at most an hour or the cadence), so a
department database that is down is not hammered. A source is *late* when its last good run is more
than 1.5 cadences old — that is what the warehouse page shows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.collect import catalog as cat
from shucang.collect.registry import Source, aware, ensure_tables, list_sources, now
from shucang.collect.runner import run_source
from shucang.errors import Conflict, ShucangError

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

log = logging.getLogger("shucang.collect")
CADENCE_SECONDS = {"hourly": 3600, "daily": 86_400, "weekly": 7 * 86_400, "monthly": 30 * 86_400}
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
LATE_FACTOR = 1.5


def _history(wh: Warehouse, name: str, limit: int = 20) -> list[Any]:
    r = cat.runs
    with wh.engine.connect() as conn:
        return list(conn.execute(sa.select(r).where(r.c.source == name).order_by(r.c.id.desc()).limit(limit)))


def status(wh: Warehouse, source: Source, at: datetime | None = None) -> dict[str, Any]:
    """The schedule state of one source: last runs, next due time, late/failing flags."""
    at = at or now()
    history = _history(wh, source.name)
    finished = [h for h in history if h.status != "running"]
    last = history[0] if history else None
    last_ok = next((h for h in history if h.status == "ok"), None)
    failures = 0
    for h in finished:
        if h.status == "ok":
            break
        failures += 1
    interval = CADENCE_SECONDS.get(source.cadence or "")
    next_due: datetime | None = None
    if interval:
        if failures and finished:
            backoff = min(RETRY_BASE_SECONDS * 2 ** (failures - 1), RETRY_MAX_SECONDS, interval)
            next_due = (aware(finished[0].finished_at) or at) + timedelta(seconds=backoff)
        elif last_ok is not None:
            next_due = (aware(last_ok.started_at) or at) + timedelta(seconds=interval)
        else:
            next_due = source.created_at
    since = aware(last_ok.started_at) if last_ok is not None else source.created_at
    late = bool(interval and since is not None and (at - since).total_seconds() > interval * LATE_FACTOR)
    return {
        "name": source.name, "kind": source.kind, "dataset": source.dataset, "cadence": source.cadence,
        "running": bool(last is not None and last.status == "running"),
        "last_status": last.status if last is not None else None,
        "last_run_at": (aware(last.started_at) or at).isoformat() if last is not None else None,
        "last_ok_at": aware(last_ok.started_at).isoformat() if last_ok is not None else None,
        "last_error": next((h.error for h in finished if h.status != "ok"), None) if failures else None,
        "failures": failures, "failing": failures > 0, "late": late,
        "next_due": next_due.isoformat() if next_due else None,
        "due": bool(next_due is not None and next_due <= at),
    }


def statuses(wh: Warehouse) -> list[dict[str, Any]]:
    ensure_tables(wh)
    at = now()
    return [status(wh, s, at) for s in list_sources(wh)]


def run_due(wh: Warehouse, *, trigger: str = "due") -> list[dict[str, Any]]:
    """Run every due source once, one after the other; a failure is recorded and the next one runs."""
    outcomes: list[dict[str, Any]] = []
    at = now()
    for source in list_sources(wh):
        state = status(wh, source, at)
        if not state["due"] or state["running"]:
            continue
        try:
            outcomes.append({"ok": True, **run_source(wh, source.name, trigger=trigger)})
        except Conflict:
            continue  # another process runs it right now
        except ShucangError as exc:
            outcomes.append({"ok": False, "source": source.name, "dataset": source.dataset, "error": str(exc)})
    return outcomes


@dataclass(frozen=True)
class Periodic:
    """Other background work the same runner does every ``every_seconds`` (the shell passes it in, e.g.
    the city stage's sign evaluation): one loop in the serving process, not a second scheduler."""

    name: str
    every_seconds: float
    run: Callable[[Warehouse], Any]


class Scheduler:
    """A background thread that runs due sources every ``poll_seconds`` (used by ``shucang serve``),
    and each of ``tasks`` every its own interval (first at start-up).

    It opens its own warehouse for each round (``open_warehouse`` is passed in by the shell, with every
    stage's after-ingest hooks) so it shares no connection with request handlers. A failing source or
    task is logged, never raised: the loop outlives it.
    """

    def __init__(self, open_warehouse: Callable[[], Warehouse], poll_seconds: float = 30.0,
                 tasks: Sequence[Periodic] = ()) -> None:
        self._open = open_warehouse
        self._poll = poll_seconds
        self.tasks = tuple(t for t in tasks if t.every_seconds > 0)
        self._next = {t.name: 0.0 for t in self.tasks}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shucang-collect-scheduler", daemon=True)
        self.rounds = 0
        self.task_runs = {t.name: 0 for t in self.tasks}

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wh = self._open()
                try:
                    for outcome in run_due(wh, trigger="serve"):
                        if not outcome.get("ok"):
                            log.warning("source %s failed: %s", outcome.get("source"), outcome.get("error"))
                    self._run_tasks(wh)
                finally:
                    wh.close()
            except Exception:  # noqa: BLE001 — the loop must outlive one bad round
                log.exception("scheduler round failed")
            self.rounds += 1
            self._stop.wait(self._wait())

    def _run_tasks(self, wh: Warehouse) -> None:
        for task in self.tasks:
            if time.monotonic() < self._next[task.name] or self._stop.is_set():
                continue
            try:
                task.run(wh)
            except Exception:  # noqa: BLE001 — one task's failure is logged; the others and the loop go on
                log.exception("background task %s failed", task.name)
            self._next[task.name] = time.monotonic() + task.every_seconds
            self.task_runs[task.name] += 1

    def _wait(self) -> float:
        """Until the next poll, or sooner when a task falls due before it."""
        due = [self._next[t.name] - time.monotonic() for t in self.tasks]
        return max(0.0, min([self._poll, *due]))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)
