"""What the economy stage does after every ingest (registered in ``shucang.platform``).

A dataset whose headers are the standard monthly-report headers is bound on its first ingest; a bound
dataset is re-bound on each new version (a column renamed by the department shows up at once) and its
watch rules are evaluated, so alerts always describe the current data.
"""

from __future__ import annotations

import logging
from typing import Any

from shucang.economy.binding import bind_dataset, propose_binding
from shucang.economy.tables import bindings, ensure_tables
from shucang.errors import ShucangError
from shucang.warehouse import Warehouse

log = logging.getLogger("shucang.economy")


def _bound_overrides(wh: Warehouse, dataset: str) -> dict[str, str] | None:
    """The ``--map`` overrides of a bound dataset (None when it is not bound)."""
    import sqlalchemy as sa

    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(bindings).where(bindings.c.dataset == dataset)).all()
    if not rows:
        return None
    return {r.column: f"{r.role}:{r.measure}" if r.role == "measure" and r.measure else r.role
            for r in rows if r.origin == "map"}


def economy_after_ingest(wh: Warehouse, result: Any) -> None:
    """Bind (or re-bind) the dataset when it is a monthly report, then run the watch rules on it."""
    dataset = result.dataset
    overrides = _bound_overrides(wh, dataset)
    if overrides is None:
        try:
            found = propose_binding(wh, dataset)
        except ShucangError:
            return  # not a monthly report
        if found.column("report_time") is None and found.column("industry") is None:
            return  # too little to be sure: bind by hand with `shucang economy bind`
    try:
        bind_dataset(wh, dataset, overrides)
    except ShucangError as exc:
        log.warning("economy binding of %s no longer fits: %s", dataset, exc.message)
        return
    from shucang.economy.watch import evaluate_and_store

    evaluate_and_store(wh, dataset)
