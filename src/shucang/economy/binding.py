"""Role bindings of monthly report datasets, kept in the catalog (``economy_bindings``).

``bind_dataset`` reads a dataset's headers, recognises the standard ones (:mod:`.roles`), applies the
caller's ``--map`` overrides and stores the result; every figure of this stage starts from
:func:`load_binding`, so a dataset is interpreted the same way on every page and command.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from shucang.economy.roles import (
    MEASURE_LABELS,
    MEASURES,
    ColumnRole,
    bind_columns,
    check_complete,
    normalise_header,
)
from shucang.economy.tables import bindings, ensure_tables
from shucang.errors import InputError, NotFound
from shucang.warehouse import Warehouse


@dataclass(frozen=True)
class Binding:
    """A dataset's columns by role."""

    dataset: str
    version: int | None
    columns: tuple[ColumnRole, ...]

    def column(self, role: str) -> str | None:
        return next((c.column for c in self.columns if c.role == role), None)

    @property
    def measures(self) -> list[ColumnRole]:
        return [c for c in self.columns if c.role == "measure"]

    def measure_column(self, measure: str) -> str:
        """The column of ``measure``: its column name, canonical key (output) or label (工业总产值)."""
        wanted = normalise_header(measure)
        for c in self.measures:
            if normalise_header(c.column) == wanted or c.measure == measure:
                return c.column
        for c in self.measures:
            if c.measure and MEASURE_LABELS.get(c.measure) == wanted:
                return c.column
        raise InputError(f"数据集 {self.dataset} 没有指标 {measure!r} (no such measure)",
                         hint="measures: " + ", ".join(c.column for c in self.measures))

    def measure_key(self, column: str) -> str | None:
        return next((c.measure for c in self.measures if c.column == column), None)

    def has_measure(self, key: str) -> bool:
        return any(c.measure == key for c in self.measures)

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version,
                "roles": {c.role: c.column for c in self.columns if c.role != "measure"},
                "measures": [{"column": c.column, "measure": c.measure, "label": MEASURE_LABELS.get(c.measure or ""),
                              "origin": c.origin} for c in self.measures],
                "columns": [{"column": c.column, "role": c.role, "measure": c.measure, "origin": c.origin}
                            for c in self.columns]}


def propose_binding(wh: Warehouse, dataset: str, overrides: dict[str, str] | None = None) -> Binding:
    """The binding the headers (and overrides) give, without storing it."""
    info = wh.dataset(dataset)
    headers = [c.name for c in wh.columns(dataset)]
    roles = bind_columns(headers, overrides)
    check_complete(roles, dataset)
    return Binding(dataset, info.current_version, tuple(roles))


def bind_dataset(wh: Warehouse, dataset: str, overrides: dict[str, str] | None = None) -> Binding:
    """Recognise and store the roles of ``dataset``'s columns (replacing an earlier binding)."""
    found = propose_binding(wh, dataset, overrides)
    ensure_tables(wh.engine)
    now = datetime.now(UTC)
    with wh.engine.begin() as conn:
        conn.execute(bindings.delete().where(bindings.c.dataset == dataset))
        conn.execute(bindings.insert(), [dict(dataset=dataset, column=c.column, role=c.role, measure=c.measure,
                                              origin=c.origin, version=found.version, updated_at=now)
                                         for c in found.columns])
    return found


def unbind_dataset(wh: Warehouse, dataset: str) -> bool:
    ensure_tables(wh.engine)
    with wh.engine.begin() as conn:
        return bool(conn.execute(bindings.delete().where(bindings.c.dataset == dataset)).rowcount)


def load_binding(wh: Warehouse, dataset: str) -> Binding:
    """The stored binding of ``dataset``; NotFound with the way out when it was never bound."""
    found = _stored(wh).get(dataset)
    if found is None:
        wh.dataset(dataset)  # NotFound for an unknown dataset first
        raise NotFound(f"数据集 {dataset} 尚未绑定为经济月报 (dataset is not bound as a monthly report)",
                       hint=f"run `shucang economy bind {dataset}` (add --map COLUMN=ROLE where headers differ)")
    return found


def bound_datasets(wh: Warehouse) -> list[Binding]:
    """Every bound dataset that still exists in the catalog."""
    known = {d.name for d in wh.list_datasets()}
    return [b for name, b in sorted(_stored(wh).items()) if name in known]


def _stored(wh: Warehouse) -> dict[str, Binding]:
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(bindings)).all()
    grouped: dict[str, list[Any]] = {}
    for r in rows:
        grouped.setdefault(r.dataset, []).append(r)
    return {name: Binding(name, rs[0].version, tuple(ColumnRole(r.column, r.role, r.measure, r.origin) for r in rs))
            for name, rs in grouped.items()}


def default_dataset(wh: Warehouse, dataset: str | None) -> str:
    """``dataset`` or, when omitted, the only/first bound dataset with an output measure."""
    if dataset:
        return dataset
    found = bound_datasets(wh)
    if not found:
        raise NotFound("还没有绑定的经济月报数据集 (no monthly report dataset is bound yet)",
                       hint="run `shucang economy bind DATASET`, or `shucang demo`")
    with_output = [b for b in found if b.has_measure("output")]
    return (with_output or found)[0].dataset


__all__ = ["MEASURES", "Binding", "bind_dataset", "bound_datasets", "default_dataset", "load_binding",
           "propose_binding", "unbind_dataset"]
