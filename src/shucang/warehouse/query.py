"""Read-only SQL over the warehouse with DuckDB.

Each dataset's Delta version is registered as an Arrow dataset ``NAME__raw`` (DuckDB extensions
cannot be downloaded here, so no ``delta_scan``) and exposed as a view ``NAME`` in which columns
whose text is in canonical form are cast losslessly (identifiers always stay text). Macros
``sc_number``, ``sc_date`` and ``sc_bool`` parse Chinese formats on demand. After set-up the
connection is locked: no file access, no configuration changes; only one SELECT runs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from shucang.errors import InputError, NotFound, ShucangError
from shucang.ingest.infer import ColumnProfile, duckdb_macros, typed_sql

if TYPE_CHECKING:
    from shucang.warehouse.store import Warehouse

_READ_ONLY = {duckdb.StatementType.SELECT}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _view_sql(name: str, columns: list[Any]) -> str:
    parts = []
    for col in columns:
        profile = ColumnProfile(name=col.name, storage_type=col.storage_type, logical_type=col.logical_type,
                                null_share=col.null_share, distinct_estimate=col.distinct_estimate,
                                examples=list(col.examples), canonical=col.canonical, note=col.note)
        quoted = quote_identifier(col.name)
        parts.append(f"{typed_sql(quoted, profile)} AS {quoted}")
    select = ", ".join(parts) if parts else "*"
    return f"CREATE OR REPLACE VIEW {quote_identifier(name)} AS SELECT {select} FROM {quote_identifier(name + '__raw')}"


def view_sql(name: str, columns: list[Any]) -> str:
    """The typed view ``name`` over ``NAME__raw`` exactly as :func:`connect` makes it (``columns``: the
    catalog's, or some of them), for a DuckDB elsewhere — a Spark executor running the same SQL on its batches."""
    return _view_sql(name, columns)


def connect(wh: Warehouse, versions: dict[str, int],
            only: Collection[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A locked, in-memory connection with every dataset (at ``versions`` or current) as a view;
    with ``only``, just those datasets (a query may then read nothing else)."""
    con = duckdb.connect(":memory:", config={"threads": 2})
    for macro in duckdb_macros():
        con.execute(macro)
    known = {d.name for d in wh.list_datasets()}
    for name in versions:
        if name not in known:
            raise NotFound(f"没有名为 {name!r} 的数据集 (no dataset named {name!r})")
    if only is not None:
        missing = sorted(set(only) - known)
        if missing:
            raise NotFound(f"没有名为 {missing[0]!r} 的数据集 (no dataset named {missing[0]!r})")
        known = set(only)
    for name in sorted(known):
        version = versions.get(name)
        try:
            con.register(name + "__raw", wh.arrow_dataset(name, version))
            con.execute(_view_sql(name, wh.columns(name, version)))
        except (duckdb.Error, pa.ArrowException, OSError, ShucangError):
            if name in versions:
                raise
            continue  # one unreadable dataset must not break SQL over all the others
    con.execute("SET enable_external_access=false")
    con.execute("SET lock_configuration=true")
    return con


def repoint(con: duckdb.DuckDBPyConnection, wh: Warehouse, name: str, version: int) -> None:
    """Point a connection from :func:`connect` (``only=[name]``) at another version of ``name``: its
    Arrow dataset registered anew and its typed view re-created; the lock stays as it was. Cheaper than
    a new connection (a new DuckDB database costs tens of milliseconds) for a caller that keeps one
    connection per dataset across versions."""
    try:
        con.register(name + "__raw", wh.arrow_dataset(name, version))
        con.execute(_view_sql(name, wh.columns(name, version)))
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise InputError(f"数据集 {name} 第 {version} 版无法读取 (version {version} of {name} cannot be read): "
                         f"{str(exc).splitlines()[0]}") from exc


@lru_cache(maxsize=4096)
def check_read_only(sql_text: str) -> None:
    """Exactly one SELECT (or WITH … SELECT) statement, else a clear error (a text that passed is
    remembered: signs and metrics run the same few queries again and again)."""
    try:
        statements = duckdb.extract_statements(sql_text)
    except duckdb.Error as exc:
        raise InputError(f"SQL 语法错误 (SQL syntax error): {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise InputError("只能执行一条 SELECT 语句 (exactly one SELECT statement is allowed)")
    if statements[0].type not in _READ_ONLY:
        raise InputError(f"只读查询：不允许 {statements[0].type.name} (read-only: only SELECT is allowed)")


def run_select(wh: Warehouse, sql_text: str, params: Sequence[Any] | dict[str, Any] | None,
               versions: dict[str, int], only: Collection[str] | None = None) -> pa.Table:
    check_read_only(sql_text)
    con = connect(wh, versions, only)
    try:
        return select_on(con, sql_text, params)
    finally:
        con.close()


def select_on(con: duckdb.DuckDBPyConnection, sql_text: str,
              params: Sequence[Any] | dict[str, Any] | None = None) -> pa.Table:
    """One checked read-only SELECT on a connection made by :func:`connect` (reused for many queries)."""
    check_read_only(sql_text)
    try:
        return con.sql(sql_text, params=params).to_arrow_table()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"查询失败 (query failed): {first}") from exc
