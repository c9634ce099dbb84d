"""Evaluating signs: run each sign's query through the warehouse's read-only path (restricted to its
dataset), turn the result into a reading, and move the alert lifecycle — one catalog transaction per
sign, keyed by the data version, so evaluating the same data again is a no-op, also after a kill -9.

The key is ``dataset@version#definition-digest`` (``#stale`` appended when the data is older than its
cadence): a new ingest or an edited sign is evaluated afresh; anything else was done already. Signs of
one dataset share one locked DuckDB connection per round.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shucang.city.connections import connections
from shucang.city.definitions import load_signs
from shucang.city.lifecycle import STALE_GROUP, SignLedger
from shucang.city.model import Sign
from shucang.city.readings import Reading, read_result
from shucang.city.tables import aware, ensure_tables, evaluations, now
from shucang.errors import ShucangError
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


def evaluate_signs(wh: Warehouse, signs: Iterable[Sign], *, at: datetime | None = None) -> list[Outcome]:
    """Evaluate ``signs`` (see the module docstring); never raises for one sign's failure."""
    ensure_tables(wh.engine)
    at = at or now()
    infos = {d.name: d for d in wh.list_datasets()}
    by_dataset: dict[str, list[Sign]] = {}
    for sign in signs:
        by_dataset.setdefault(sign.dataset, []).append(sign)
    keys = {}
    for dataset, group in by_dataset.items():
        for sign in group:
            info = infos.get(dataset)
            keys[sign.id] = data_key(sign, info, is_stale(sign, info, at)[0] if info else False)
    done = _done_keys(wh, keys)
    outcomes: list[Outcome] = []
    for dataset, group in by_dataset.items():
        info = infos.get(dataset)
        for sign in group:
            started = time.perf_counter()
            stale, age = is_stale(sign, info, at) if info else (False, 0.0)
            key = data_key(sign, info, stale)
            previous = done.get((sign.id, key))
            if previous is not None:
                outcomes.append(Outcome(sign.id, previous, key, skipped=True))
                continue
            reading, error = None, None
            if info is None or info.current_version is None:
                error = f"数据集 {dataset} 不存在或尚无数据 (dataset {dataset} does not exist yet)"
            else:
                try:
                    con, lock = connections(wh).get(wh, dataset, info.current_version)
                    with lock:
                        table = wh.select_on(con, sign.sql)
                    reading = read_result(sign, table)
                except ShucangError as exc:
                    error = exc.message
            outcome = _record(wh, sign, key, reading, error, stale, age)
            outcome.seconds = time.perf_counter() - started
            outcomes.append(outcome)
    return outcomes


def _done_keys(wh: Warehouse, keys: dict[str, str]) -> dict[tuple[str, str], str]:
    """(sign, data key) → state, for the evaluations of this round's keys made already (one query per 400)."""
    out: dict[tuple[str, str], str] = {}
    items = list(keys.items())
    with wh.engine.connect() as conn:
        for start in range(0, len(items), 400):
            chunk = items[start:start + 400]
            for r in conn.execute(sa.select(evaluations.c.sign, evaluations.c.data_key, evaluations.c.state)
                                  .where(evaluations.c.sign.in_([s for s, _ in chunk])
                                         & evaluations.c.data_key.in_({k for _, k in chunk}))):
                out[(r.sign, r.data_key)] = r.state
    return out


def _record(wh: Warehouse, sign: Sign, key: str, reading: Reading | None, error: str | None, stale: bool,
            age: float) -> Outcome:
    """The one transaction of a sign's evaluation: the evaluation row, the readings, the alerts."""
    if error is not None:
        state = "error"
    elif stale:
        state = "stale"
    elif reading is None or not reading.groups:
        state = "no_data"
    else:
        state = reading.level
    outcome = Outcome(sign.id, state, key, error=error)
    result = reading.to_dict() if reading else {}
    result["age_days"] = round(age, 3)
    try:
        with wh.engine.begin() as conn:
            conn.execute(evaluations.insert().values(sign=sign.id, data_key=key, evaluated_at=now(), state=state,
                                                     as_of=reading.as_of if reading else None, error=error,
                                                     result=result))
            ledger = SignLedger(conn, sign, key)
            if stale:
                outcome.events += ledger.apply(STALE_GROUP, round(age, 2), "yellow", consecutive=1)
            elif error is None and reading is not None:
                if STALE_GROUP in ledger.open:
                    outcome.events += ledger.apply(STALE_GROUP, None, "ok", consecutive=1)
                for g in reading.groups:
                    outcome.events += ledger.apply(g.grp, g.value, g.level)
            ledger.flush()
    except sa.exc.IntegrityError:
        # Another process evaluated the same data meanwhile: its transaction stands, ours is void.
        outcome.skipped, outcome.events = True, []
    return outcome


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
