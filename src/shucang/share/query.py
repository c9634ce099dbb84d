"""Structured, injection-proof reads: column selection, AND/OR filters, sort, cursor pages, aggregates.

Callers never send SQL. A filter is JSON — ``{"and": [{"column": "town", "op": "=", "value": "周巷镇"},
{"or": [...]}]}`` — compiled here against the dataset's known columns (quoted) with every value a
``?`` parameter cast to the column's own DuckDB type. Each (dataset, version) is materialised once
into an in-memory DuckDB table over the warehouse's typed view, so a page is a short indexed scan
(``rowid`` keyset) instead of a pass over Delta files; a new version gets a new snapshot, and a
cursor pins the version it started on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from shucang.errors import InputError, PermissionDenied
from shucang.share.validate import loads

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_PAGE = 10_000
DEFAULT_PAGE = 100
MAX_DEPTH = 8
MAX_LEAVES = 64
MAX_IN = 1_000
MAX_SORT = 5
ROWID = "__sc_rowid"
_SCALARS = (str, int, float, bool, type(None))
_COMPARE = {"=": "=", "==": "=", "eq": "=", "!=": "<>", "<>": "<>", "ne": "<>", "<": "<", "lt": "<",
            "<=": "<=", "le": "<=", ">": ">", "gt": ">", ">=": ">=", "ge": ">="}
_OTHER = {"in", "not in", "like", "not like", "is null", "is not null"}
AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max")
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scalar_type(dtype: str) -> bool:
    """Types a filter value can be cast to (not lists, structs or maps)."""
    return not any(mark in dtype for mark in ("[", "STRUCT", "MAP", "UNION"))


@dataclass
class Compiled:
    """A SQL fragment and its parameters, built only from known column names and bound values."""

    sql: str = "TRUE"
    params: list[Any] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)


def compile_filter(spec: Any, types: dict[str, str], *, filterable: Collection[str] | None = None) -> Compiled:
    """Compile a JSON filter; ``types`` maps every column to its DuckDB type, ``filterable`` limits use."""
    out = Compiled()
    if spec in (None, {}, []):
        return out
    leaves = [0]

    def column(name: Any) -> str:
        if not isinstance(name, str) or name not in types:
            raise InputError(f"筛选条件中的列不存在 (unknown column in filter): {name!r}",
                             hint="columns: " + ", ".join(list(types)[:40]))
        if filterable is not None and name not in filterable:
            raise PermissionDenied(f"列 {name} 对您脱敏或未授权，不能用于筛选/排序 (column {name} is masked or "
                                   "not granted to you: it cannot be filtered or sorted on)")
        out.columns.add(name)
        return name

    def value(v: Any, dtype: str) -> str:
        if not isinstance(v, _SCALARS):
            raise InputError(f"筛选值必须是文本、数字或布尔值 (filter values must be scalars), got {type(v).__name__}")
        if not _scalar_type(dtype):
            raise InputError(f"此类型的列不能筛选 (cannot filter on a {dtype} column)")
        out.params.append(v)
        return f"CAST(? AS {dtype})"

    def walk(node: Any, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise InputError(f"筛选条件嵌套过深 (filter nested deeper than {MAX_DEPTH})")
        if isinstance(node, list):
            node = {"and": node}
        if not isinstance(node, dict):
            raise InputError("筛选条件必须是 JSON 对象或数组 (a filter is a JSON object or array)")
        groups = [k for k in ("and", "or", "not") if k in node]
        if groups:
            if len(node) != 1:
                raise InputError("'and'/'or'/'not' 必须单独出现 (a group has exactly one key)")
            key = groups[0]
            if key == "not":
                return f"(NOT {walk(node['not'], depth + 1)})"
            items = node[key]
            if not isinstance(items, list) or not items:
                raise InputError(f"'{key}' 需要非空数组 ('{key}' needs a non-empty array)")
            return "(" + f" {key.upper()} ".join(walk(item, depth + 1) for item in items) + ")"
        leaves[0] += 1
        if leaves[0] > MAX_LEAVES:
            raise InputError(f"筛选条件过多 (more than {MAX_LEAVES} conditions)")
        unknown = set(node) - {"column", "col", "op", "value"}
        if unknown:
            raise InputError(f"筛选条件含未知键 (unknown keys in condition): {sorted(unknown)}",
                             hint='use {"column": ..., "op": ..., "value": ...}')
        name = column(node.get("column", node.get("col")))
        dtype = types[name]
        op = str(node.get("op", "=")).strip().lower()
        target = quote(name)
        if op in _COMPARE:
            if node.get("value") is None:
                raise InputError(f"'{op}' 需要一个值；空值请用 'is null' ('{op}' needs a value; use 'is null')")
            return f"({target} {_COMPARE[op]} {value(node['value'], dtype)})"
        if op in ("in", "not in"):
            items = node.get("value")
            if not isinstance(items, list) or not items or len(items) > MAX_IN:
                raise InputError(f"'{op}' 需要 1–{MAX_IN} 个值的数组 ('{op}' needs an array of 1–{MAX_IN} values)")
            marks = ", ".join(value(v, dtype) for v in items)
            return f"({target} {op.upper()} ({marks}))"
        if op in ("like", "not like"):
            text = node.get("value")
            if not isinstance(text, str):
                raise InputError(f"'{op}' 需要文本模式 ('{op}' needs a text pattern such as '周巷%')")
            out.params.append(text)
            return f"(CAST({target} AS VARCHAR) {op.upper()} ?)"
        if op in ("is null", "is not null"):
            return f"({target} {op.upper()})"
        raise InputError(f"未知运算符 (unknown operator) {op!r}",
                         hint="=, !=, <, <=, >, >=, in, not in, like, not like, is null, is not null")

    out.sql = walk(spec, 0)
    return out


def parse_json_param(text: str | None, what: str) -> Any:
    """A filter given as a JSON string (query parameter); a clear error when it is not JSON."""
    if text in (None, ""):
        return None
    return loads(text, what)


def parse_sort(sort: Sequence[str] | str | None, sortable: Collection[str], types: dict[str, str]) -> list[tuple[str, bool]]:
    """``["-month", "town"]`` → [(month, desc), (town, asc)], only over known, sortable columns."""
    if not sort:
        return []
    items = [s for s in (sort.split(",") if isinstance(sort, str) else sort) if s and s.strip()]
    if len(items) > MAX_SORT:
        raise InputError(f"最多按 {MAX_SORT} 列排序 (at most {MAX_SORT} sort keys)")
    keys = []
    for item in items:
        text = item.strip()
        desc = text.startswith("-")
        name = text[1:] if desc or text.startswith("+") else text
        if name not in types and name not in sortable:
            raise InputError(f"排序列不存在 (unknown sort column): {name!r}")
        if name not in sortable:
            raise PermissionDenied(f"列 {name} 对您脱敏或未授权，不能排序 (column {name} cannot be sorted on)")
        keys.append((name, desc))
    return keys


def _order_sql(keys: list[tuple[str, bool]]) -> str:
    return ", ".join(f"{quote(n)} {'DESC' if d else 'ASC'} NULLS LAST" for n, d in keys)


# ---------------------------------------------------------------------------------------------- cursors
def query_fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), "cursor")
        ok = (isinstance(data, dict) and isinstance(data.get("v"), int) and data.get("q") == fingerprint
              and isinstance(data.get("r", 0), int) and isinstance(data.get("o", 0), int)
              and data.get("r", 0) >= -1 and data.get("o", 0) >= 0)
    except (ValueError, TypeError, InputError):
        ok = False
    if not ok:
        raise InputError("分页游标无效或不属于此查询 (cursor is invalid or belongs to another query)",
                         hint="start again without a cursor")
    return data


def decode_cursor_version(cursor: str) -> int:
    """The dataset version a cursor was issued for (checked fully by :func:`decode_cursor`)."""
    try:
        data = loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), "cursor")
        version = data["v"]
    except (ValueError, TypeError, KeyError, InputError):
        version = None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError("分页游标无效 (cursor is invalid)", hint="start again without a cursor")
    return version


# ---------------------------------------------------------------------------------------------- snapshots
# Settings from the environment are read when used, not at import (a warm server's child has its caller's).

def snapshot_threads() -> int:
    """DuckDB threads per snapshot connection (``$SHUCANG_SHARE_THREADS``; ``shucang serve --workers N``
    sets cores ÷ N, so N busy workers do not oversubscribe the machine)."""
    return int(os.environ.get("SHUCANG_SHARE_THREADS", "0") or 0) or (os.cpu_count() or 1)


def result_cache_mb() -> float:
    """Memory for remembered query results per process (``$SHUCANG_SHARE_RESULT_CACHE_MB``, 0 = off)."""
    return float(os.environ.get("SHUCANG_SHARE_RESULT_CACHE_MB", "64"))


ResultKey = tuple[Any, ...]
"""(dataset, version, SQL, typed parameters) of a remembered result."""


class ResultCache:
    """Raw (not yet protected) results of queries over immutable snapshots, least recently used out.

    A (dataset, version) never changes, so the same SQL with the same typed parameters always gives
    the same rows: remembering them is exact. What leaves still goes through protection and audit on
    every call — only the engine's work is saved.
    """

    def __init__(self, budget_mb: float | None = None) -> None:
        self.budget = int((result_cache_mb() if budget_mb is None else budget_mb) * 1024 * 1024)
        self.max_item = self.budget // 16
        self._items: OrderedDict[ResultKey, pa.Table] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[ResultKey, list[Any]] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(*parts: Any, params: Sequence[Any] = ()) -> ResultKey:
        # typed: 1, 1.0 and True bind differently (CAST(? AS VARCHAR) gives '1', '1.0', 'true')
        return (*parts, tuple((type(v).__name__, v) for v in params))

    def get(self, key: ResultKey, *, count: bool = True) -> pa.Table | None:
        if self.budget <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += count
                return None
            self._items.move_to_end(key)
            self.hits += count
            return found

    @contextlib.contextmanager
    def computing(self, key: ResultKey) -> Iterator[None]:
        """Hold the key's computation lock: concurrent misses of one query run it once (a burst of
        identical grouped counts would otherwise each scan the whole table)."""
        with self._lock:
            entry = self._computing.get(key)
            if entry is None:
                entry = self._computing[key] = [threading.Lock(), 0]
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    self._computing.pop(key, None)

    def put(self, key: ResultKey, table: pa.Table) -> None:
        size = table.nbytes
        if self.budget <= 0 or size > self.max_item:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = table
            self._bytes += size
            while self._bytes > self.budget and self._items:
                _key, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def forget(self, name: str, version: int) -> None:
        with self._lock:
            for key in [k for k in self._items if k[:2] == (name, version)]:
                self._bytes -= self._items.pop(key).nbytes


class Snapshot:
    """One dataset version materialised in DuckDB memory, with its column types."""

    def __init__(self, wh: Warehouse, name: str, version: int, *, results: ResultCache | None = None,
                 threads: int | None = None) -> None:
        self.name, self.version = name, version
        self.results = results
        # The typed view comes from the warehouse; its rows are streamed into a connection of our own
        # (the warehouse's is configuration-locked, and the thread count is ours to choose).
        source = wh.connect({name: version})
        try:
            reader = source.sql(f"SELECT * FROM {quote(name)}").to_arrow_reader()
            self.con = duckdb.connect(":memory:", config={"threads": max(1, int(threads or snapshot_threads()))})
            self.con.register("__sc_source", reader)
            self.con.execute("CREATE TABLE __sc_snap AS SELECT * FROM __sc_source")
            self.con.unregister("__sc_source")
        finally:
            source.close()
        self.con.execute("SET enable_external_access=false")
        self.con.execute("SET lock_configuration=true")
        described = self.con.execute("DESCRIBE __sc_snap").fetchall()
        self.types: dict[str, str] = {row[0]: str(row[1]) for row in described}
        counted = self.con.execute("SELECT count(*) FROM __sc_snap").fetchone()
        self.rows = int(counted[0]) if counted else 0
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """One DuckDB cursor per thread (a connection is not safe to share across threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.con.cursor()
        return cur

    def run(self, sql: str, params: list[Any]) -> pa.Table:
        if self.results is None or self.results.budget <= 0:
            return self._execute(sql, params)
        key = ResultCache.key(self.name, self.version, sql, params=params)
        found = self.results.get(key)
        if found is not None:
            return found
        with self.results.computing(key):  # one computation per key; the others wait and reuse it
            found = self.results.get(key, count=False)
            if found is None:
                found = self._execute(sql, params)
                self.results.put(key, found)
        return found

    def _execute(self, sql: str, params: list[Any]) -> pa.Table:
        try:
            return self.cursor().sql(sql, params=params).to_arrow_table()
        except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.BinderException) as exc:
            raise InputError(f"查询参数无效 (invalid query value): {str(exc).splitlines()[0]}") from exc

    def close(self) -> None:
        if self.results is not None:
            self.results.forget(self.name, self.version)
        self.con.close()


class SnapshotCache:
    """Least-recently-used snapshots of dataset versions (bounded by count), and their query results."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self.results = ResultCache()
        self._items: OrderedDict[tuple[str, int], Snapshot] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[str, int], threading.Lock] = {}

    def find(self, name: str, version: int | None) -> Snapshot | None:
        """An already built snapshot (no catalog access), else None."""
        with self._lock:
            return self._items.get((name, version)) if version is not None else None

    def get(self, wh: Warehouse, name: str, version: int) -> Snapshot:
        key = (name, version)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:  # one build per key; other threads wait for it
            with self._lock:
                found = self._items.get(key)
            if found is None:
                found = Snapshot(wh, name, version, results=self.results)
                with self._lock:
                    self._items[key] = found
                    while len(self._items) > self.capacity:
                        _old_key, old = self._items.popitem(last=False)
                        old.close()
                    self._building.pop(key, None)
        return found


def snapshots(wh: Warehouse) -> SnapshotCache:
    """The snapshot cache that lives with this warehouse object (its DuckDB connections go with it)."""
    from shucang.share.cache import attached

    return attached(wh, "_share_snapshots", SnapshotCache)


# ---------------------------------------------------------------------------------------------- reads
@dataclass
class Page:
    table: pa.Table
    next_cursor: str | None
    version: int


def select_rows(snap: Snapshot, columns: list[str], where: Compiled, sort: list[tuple[str, bool]], *,
                limit: int = DEFAULT_PAGE, cursor: str | None = None, fingerprint: str = "") -> Page:
    """One page of rows; ``where`` is already compiled (caller's filter AND the grant's row filter)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"每页行数必须在 1–{MAX_PAGE} 之间 (limit must be 1–{MAX_PAGE})")
    state = decode_cursor(cursor, fingerprint)
    if state is not None and state["v"] != snap.version:
        raise InputError("游标属于另一个版本 (cursor belongs to another version)")
    select = ", ".join(quote(c) for c in columns)
    params = list(where.params)
    if sort:
        offset = int(state.get("o", 0)) if state else 0
        sql = (f"SELECT {select} FROM __sc_snap WHERE {where.sql} ORDER BY {_order_sql(sort)}, rowid "
               f"LIMIT {limit + 1} OFFSET {offset}")
        table = snap.run(sql, params)
        more = table.num_rows > limit
        table = table.slice(0, limit)
        nxt = {"v": snap.version, "q": fingerprint, "o": offset + limit} if more else None
    else:
        after = int(state.get("r", -1)) if state else -1
        # DuckDB keeps insertion (= rowid) order without ORDER BY and can then stop at the limit; the
        # page is checked and, should the order ever differ, asked for again with an explicit sort.
        sql = f"SELECT rowid AS {ROWID}, {select} FROM __sc_snap WHERE rowid > ? AND {where.sql}"
        table = snap.run(f"{sql} LIMIT {limit + 1}", [after, *params])
        ids = table.column(ROWID).to_numpy()
        if len(ids) > 1 and not bool((ids[1:] > ids[:-1]).all()):
            table = snap.run(f"{sql} ORDER BY rowid LIMIT {limit + 1}", [after, *params])
        more = table.num_rows > limit
        table = table.slice(0, limit)
        nxt = None
        if more:
            nxt = {"v": snap.version, "q": fingerprint, "r": int(table.column(ROWID)[-1].as_py())}
        table = table.drop_columns([ROWID])
    return Page(table, encode_cursor(nxt) if nxt else None, snap.version)


def aggregate_rows(snap: Snapshot, group_by: list[str], measures: list[dict[str, Any]], where: Compiled, *,
                   usable: Collection[str], sort: Sequence[str] | str | None = None, limit: int = 1000,
                   min_group: int = 0) -> pa.Table:
    """count/count_distinct/sum/avg/min/max over ``usable`` columns, grouped by ``group_by``.

    ``min_group``: groups of fewer rows are left out (small-cell suppression), so an aggregate never
    describes one person or a handful; without ``group_by`` the whole filtered set is the group."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"结果行数必须在 1–{MAX_PAGE} 之间 (limit must be 1–{MAX_PAGE})")
    for name in group_by:
        if name not in snap.types:
            raise InputError(f"分组列不存在 (unknown group-by column): {name!r}")
        if name not in usable:
            raise PermissionDenied(f"列 {name} 对您脱敏或未授权，不能分组 (column {name} cannot be grouped by)")
    if len(group_by) > 8:
        raise InputError("最多按 8 列分组 (at most 8 group-by columns)")
    measures = measures or [{"fn": "count"}]
    if len(measures) > 20:
        raise InputError("最多 20 个聚合 (at most 20 aggregates)")
    parts, aliases = [quote(g) for g in group_by], list(group_by)
    for m in measures:
        if not isinstance(m, dict):
            raise InputError('聚合写法 (aggregate form): {"fn": "sum", "column": "x"}')
        fn, col = str(m.get("fn", "")).lower(), m.get("column")
        if fn not in AGGREGATES:
            raise InputError(f"未知聚合函数 (unknown aggregate) {fn!r}", hint=", ".join(AGGREGATES))
        if fn == "count" and col in (None, "*"):
            expr, alias = "count(*)", "count"
        else:
            if not isinstance(col, str) or col not in snap.types:
                raise InputError(f"聚合列不存在 (unknown aggregate column): {col!r}")
            if col not in usable:
                raise PermissionDenied(f"列 {col} 对您脱敏或未授权，不能聚合 (column {col} cannot be aggregated)")
            if fn in ("sum", "avg") and not snap.types[col].upper().startswith(_NUMERIC):
                raise InputError(f"列 {col} 不是数值，不能 {fn} (column {col} is {snap.types[col]}, not numeric)")
            expr = f"count(DISTINCT {quote(col)})" if fn == "count_distinct" else f"{fn}({quote(col)})"
            alias = f"{fn}_{col}"
        alias = str(m.get("as") or alias)
        if len(alias) > 64 or any(ord(ch) < 32 for ch in alias):
            raise InputError("输出列名须为 1–64 个可打印字符 (an output name is 1–64 printable characters)")
        if alias in aliases:
            raise InputError(f"重复的输出列名 (duplicate output name) {alias!r}", hint='give one an "as" name')
        aliases.append(alias)
        parts.append(f"{expr} AS {quote(alias)}")
    keys = parse_sort(sort, set(aliases), {a: "" for a in aliases}) if sort else [(g, False) for g in group_by]
    group_sql = f" GROUP BY {', '.join(quote(g) for g in group_by)}" if group_by else ""
    order_sql = f" ORDER BY {_order_sql(keys)}" if keys else ""
    having_sql, params = "", list(where.params)
    if min_group > 1:
        having_sql, params = " HAVING count(*) >= ?", [*params, int(min_group)]
    sql = f"SELECT {', '.join(parts)} FROM __sc_snap WHERE {where.sql}{group_sql}{having_sql}{order_sql} LIMIT {limit}"
    return snap.run(sql, params)
