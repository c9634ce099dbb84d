"""Evaluating signs: run each sign's query through the warehouse's read-only path (restricted to its
dataset), turn the result into a reading, and move the alert lifecycle — one catalog transaction per
evaluation round (every sign's evaluation row, group states, alerts, events and outbox rows commit
together), keyed by the data version, so evaluating the same data again is a no-op, also after a kill -9.

The key is ``dataset@version#definition-digest`` (``#stale`` appended when the data is older than its
cadence): a new ingest or an edited sign is evaluated afresh; anything else was done already. Signs of
one dataset share one locked DuckDB connection, looked up once per round (it is kept between rounds
until the dataset's version changes). The queries all run before the transaction opens, so it holds
the catalog's write lock only for the few batched writes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shucang.city.connections import connections
from shucang.city.definitions import load_signs
from shucang.city.lifecycle import STALE_GROUP, Ledger
from shucang.city.model import Sign
from shucang.city.readings import Reading, read_result
from shucang.city.tables import aware, ensure_tables, evaluations, now
from shucang.errors import Conflict, ShucangError
from shucang.warehouse import DatasetInfo, Warehouse
from shucang.warehouse.models import CADENCE_DAYS


@dataclass
class Outcome:
    """What one sign's evaluation did (``skipped``: this data was evaluated before)."""

    sign: str
    state: str
    data_key: str
    skipped: bool = False
    events: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"sign": self.sign, "state": self.state, "data_key": self.data_key, "skipped": self.skipped,
                "events": self.events, "error": self.error, "seconds": round(self.seconds, 4)}


def is_stale(sign: Sign, info: DatasetInfo, at: datetime) -> tuple[bool, float]:
    """Whether the dataset was last updated longer ago than its cadence allows; and its age in days."""
    age = (at - aware(info.updated_at)).total_seconds() / 86400
    cadence = sign.cadence or info.cadence
    if cadence is None:
        return False, age
    return age > CADENCE_DAYS[cadence], age


def data_key(sign: Sign, info: DatasetInfo | None, stale: bool) -> str:
    version = info.current_version if info else "missing"
    return f"{sign.dataset}@{version}#{sign.digest()}" + ("#stale" if stale else "")


@dataclass
class _Pending:
    """A sign whose query ran this round, waiting for the round's one catalog transaction."""

    sign: Sign
    key: str
    reading: Reading | None
    error: str | None
    stale: bool
    age: float
    seconds: float


ROUND_ATTEMPTS = 3
"""Tries of the round's transaction when another process committed some of the same work meanwhile."""


@contextmanager
def _round_without_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for one round (restored after, also on error).

    Why: a round turns each result into Python objects (readings, series, row dicts) that live until
    the round's transaction. With the collector on they outlive young collections, are promoted, and
    push a full collection of the whole process heap (~0.1 s) every other round; paused, they are freed
    by reference counting when the round ends, before any collection sees them. A round makes no
    reference cycles of note, and any it makes are collected by the next collection after it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def evaluate_signs(wh: Warehouse, signs: Iterable[Sign], *, at: datetime | None = None) -> list[Outcome]:
    """Evaluate ``signs`` (see the module docstring); never raises for one sign's failure."""
    with _round_without_cyclic_gc():
        return _evaluate_round(wh, signs, at)


def _evaluate_round(wh: Warehouse, signs: Iterable[Sign], at: datetime | None) -> list[Outcome]:
    ensure_tables(wh.engine)
    at = at or now()
    infos = {d.name: d for d in wh.list_datasets()}
    by_dataset: dict[str, list[Sign]] = {}
    for sign in {s.id: s for s in signs}.values():  # one evaluation per sign id (the last one given)
        by_dataset.setdefault(sign.dataset, []).append(sign)
    keys: dict[str, str] = {}
    freshness: dict[str, tuple[bool, float]] = {}
    for dataset, group in by_dataset.items():
        info = infos.get(dataset)
        for sign in group:
            freshness[sign.id] = is_stale(sign, info, at) if info else (False, 0.0)
            keys[sign.id] = data_key(sign, info, freshness[sign.id][0])
    done = _done_keys(wh, keys)
    outcomes: dict[str, Outcome] = {}
    pending: list[_Pending] = []
    for dataset, group in by_dataset.items():
        todo = [s for s in group if (s.id, keys[s.id]) not in done]
        for sign in group:
            if (sign.id, keys[sign.id]) in done:
                outcomes[sign.id] = Outcome(sign.id, done[(sign.id, keys[sign.id])], keys[sign.id], skipped=True)
        if todo:
            pending += _run_queries(wh, infos.get(dataset), dataset, todo, keys, freshness)
    for outcome in _record_round(wh, pending):
        outcomes[outcome.sign] = outcome
    order = [s.id for group in by_dataset.values() for s in group]
    return [outcomes[i] for i in order if i in outcomes]


def _run_queries(wh: Warehouse, info: DatasetInfo | None, dataset: str, signs: list[Sign], keys: dict[str, str],
                 freshness: dict[str, tuple[bool, float]]) -> list[_Pending]:
    """Run the queries of one dataset's signs on its one locked connection (set up once per version)."""
    out: list[_Pending] = []
    con, lock, failed = None, None, None
    if info is None or info.current_version is None:
        failed = f"数据集 {dataset} 不存在或尚无数据 (dataset {dataset} does not exist yet)"
    else:
        try:
            con, lock = connections(wh).get(wh, dataset, info.current_version, rows=info.row_count)
        except ShucangError as exc:
            failed = exc.message
    for sign in signs:
        started = time.perf_counter()
        reading, error = None, failed
        if con is not None and lock is not None:
            try:
                with lock:
                    table = wh.select_on(con, sign.sql)
                reading = read_result(sign, table)
            except ShucangError as exc:
                error = exc.message
        stale, age = freshness[sign.id]
        out.append(_Pending(sign, keys[sign.id], reading, error, stale, age, time.perf_counter() - started))
    return out


def _done_keys(wh: Warehouse, keys: dict[str, str], conn: sa.Connection | None = None) -> dict[tuple[str, str], str]:
    """(sign, data key) → state, for the evaluations of this round's keys made already (one query per 400)."""
    if conn is None:
        with wh.engine.connect() as own:
            return _done_keys(wh, keys, own)
    out: dict[tuple[str, str], str] = {}
    items = list(keys.items())
    for start in range(0, len(items), 400):
        chunk = items[start:start + 400]
        for r in conn.execute(sa.select(evaluations.c.sign, evaluations.c.data_key, evaluations.c.state)
                              .where(evaluations.c.sign.in_([s for s, _ in chunk])
                                     & evaluations.c.data_key.in_({k for _, k in chunk}))):
            out[(r.sign, r.data_key)] = r.state
    return out


def _state(p: _Pending) -> str:
    if p.error is not None:
        return "error"
    if p.stale:
        return "stale"
    if p.reading is None or not p.reading.groups:
        return "no_data"
    return p.reading.level


def _record_round(wh: Warehouse, pending: list[_Pending]) -> list[Outcome]:
    """The one catalog transaction of a round: evaluation rows, group states, alerts, events, outbox.

    All or nothing — a kill -9 half way leaves no trace, and the next run does the whole round. When
    another process committed some of the same (sign, data key) meanwhile, the unique key stops us:
    the transaction is retried without those signs (their outcome is ``skipped``)."""
    if not pending:
        return []  # nothing new this round: no transaction at all
    for attempt in range(ROUND_ATTEMPTS):
        try:
            with wh.engine.begin() as conn:
                done = _done_keys(wh, {p.sign.id: p.key for p in pending}, conn) if attempt else {}
                return _record_in(conn, pending, done)
        except sa.exc.IntegrityError:
            continue
    raise Conflict("其他进程正在同时评估这些体征 (another process keeps evaluating the same signs)",
                   hint="run `shucang signs evaluate` again in a moment")


def _record_in(conn: sa.Connection, pending: list[_Pending], done: dict[tuple[str, str], str]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    todo: list[_Pending] = []
    for p in pending:
        if (p.sign.id, p.key) in done:
            outcomes.append(Outcome(p.sign.id, done[(p.sign.id, p.key)], p.key, skipped=True, seconds=p.seconds))
        else:
            todo.append(p)
    if not todo:
        return outcomes
    at = now()
    rows: list[dict[str, Any]] = []
    states = [_state(p) for p in todo]
    for p, state in zip(todo, states, strict=True):
        result = p.reading.to_dict() if p.reading else {}
        result["age_days"] = round(p.age, 3)
        rows.append(dict(sign=p.sign.id, data_key=p.key, evaluated_at=at, state=state,
                         as_of=p.reading.as_of if p.reading else None, error=p.error, result=result))
    conn.execute(evaluations.insert(), rows)
    ledger = Ledger(conn, [p.sign for p in todo])
    for p, state in zip(todo, states, strict=True):
        outcome = Outcome(p.sign.id, state, p.key, error=p.error, seconds=p.seconds)
        if p.stale:
            outcome.events += ledger.apply(p.sign, p.key, STALE_GROUP, round(p.age, 2), "yellow", consecutive=1)
        elif p.error is None and p.reading is not None:
            if ledger.has_open(p.sign.id, STALE_GROUP):
                outcome.events += ledger.apply(p.sign, p.key, STALE_GROUP, None, "ok", consecutive=1)
            for g in p.reading.groups:
                outcome.events += ledger.apply(p.sign, p.key, g.grp, g.value, g.level)
        outcomes.append(outcome)
    ledger.flush()
    return outcomes


def evaluate(wh: Warehouse, *, dataset: str | None = None, sign_ids: Iterable[str] | None = None,
             at: datetime | None = None) -> list[Outcome]:
    """Evaluate every sign (of ``dataset``, or the named ones) over the current data."""
    signs = list(load_signs(wh.settings.home).values())
    if dataset is not None:
        signs = [s for s in signs if s.dataset == dataset]
    if sign_ids is not None:
        wanted = set(sign_ids)
        signs = [s for s in signs if s.id in wanted]
    return evaluate_signs(wh, signs, at=at)


def stale_after(sign: Sign, info: DatasetInfo) -> datetime | None:
    """When the sign's data turns stale (None: no cadence)."""
    cadence = sign.cadence or info.cadence
    return aware(info.updated_at) + timedelta(days=CADENCE_DAYS[cadence]) if cadence else None
