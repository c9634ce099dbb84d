"""``conn.execute(table.insert(), rows)`` without SQLAlchemy's per-statement work, for the hot commits.

The audit journal commits a read's entry and its extract-registry row on every API answer; compiling
the INSERT each time was a large part of that commit. Nothing here knows about auditing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


class Encoded:
    """A value already put through its column's type processor (:meth:`BulkInsert.encode`): rows that
    repeat it — every answer from one remembered page carries the same registry fields — are not
    serialised again."""

    __slots__ = ("stored", "value")

    def __init__(self, value: Any, stored: Any) -> None:
        self.value, self.stored = value, stored


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.value if type(v) is Encoded else v for k, v in row.items()}


class BulkInsert:
    """``conn.execute(table.insert(), rows)`` without SQLAlchemy's per-statement work, on SQLite.

    The statement is compiled once per (table, columns) and the values go through SQLAlchemy's own
    type processors for this dialect, so what is stored is exactly what ``table.insert()`` stores;
    only the per-call compilation and parameter handling (a large part of a small commit) is saved.
    Rows that are not uniform, or leave out a column that has a default, go the ordinary way.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.dialect = engine.dialect
        self.enabled = engine.dialect.name == "sqlite"
        self._plans: dict[tuple[sa.Table, tuple[str, ...]], tuple[str, list[tuple[str, Any]]] | None] = {}

    def __call__(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        keys = tuple(rows[0]) if rows else ()
        plan = self._plan(table, keys) if self.enabled and keys else None
        if plan is None or any(row.keys() != rows[0].keys() for row in rows):
            conn.execute(table.insert(), [_plain(row) for row in rows])
            return
        sql, columns = plan
        conn.exec_driver_sql(sql, [tuple(row[name] if process is None else process(row[name])
                                         for name, process in columns) for row in rows])

    def encode(self, table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with its JSON values serialised once, for rows that will repeat them."""
        if not self.enabled:
            return row
        out = dict(row)
        for name, value in row.items():
            column = table.columns.get(name)
            if column is not None and isinstance(column.type, sa.JSON) and type(value) is not Encoded:
                process = self._processor(column)
                if process is not None:
                    out[name] = Encoded(value, process(value))
        return out

    def _processor(self, column: sa.Column[Any]) -> Any:
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def _plan(self, table: sa.Table, keys: tuple[str, ...]) -> tuple[str, list[tuple[str, Any]]] | None:
        key = (table, keys)
        if key not in self._plans:
            given = set(keys)
            if not given <= set(table.columns.keys()) or any(
                    column.key not in given and (column.default is not None or column.server_default is not None)
                    for column in table.columns):
                self._plans[key] = None
            else:
                compiled = table.insert().compile(dialect=self.dialect, column_keys=list(keys))
                order = list(compiled.positiontup or [])
                if set(order) != given:
                    self._plans[key] = None
                else:
                    processors = [(name, _accepting_encoded(self._processor(table.columns[name]))) for name in order]
                    self._plans[key] = (str(compiled), processors)
        return self._plans[key]


def _accepting_encoded(process: Any) -> Any:
    """A column's processor that passes an :class:`Encoded` value's stored form through (only columns
    with a processor ever get one: :meth:`BulkInsert.encode`)."""
    if process is None:
        return None

    def run(value: Any) -> Any:
        return value.stored if type(value) is Encoded else process(value)

    return run
