"""数据更新校核: freshness against the declared cadence, declared constraints, and storage health.

``run_checks`` only reads; with ``repair=True`` it also undoes what a killed ingest left behind
(a Delta commit the catalog never recorded, a pending version row, a table with no visible version).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.warehouse import catalog as cat
from shucang.warehouse import tables
from shucang.warehouse.models import CADENCE_DAYS
from shucang.warehouse.query import quote_identifier

if TYPE_CHECKING:
    import duckdb

    from shucang.warehouse.store import Warehouse

GRACE = 1.5
"""A dataset is stale when its last version is older than cadence × GRACE."""


@dataclass(frozen=True)
class CheckResult:
    dataset: str
    check: str  # freshness | primary_key | not_null | storage
    status: str  # ok | warn | fail | repaired
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _freshness(name: str, cadence: str | None, updated_at: datetime, now: datetime) -> CheckResult:
    if not cadence:
        return CheckResult(name, "freshness", "ok", "未声明更新周期 (no cadence declared)")
    age = now - (updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=UTC))
    limit = timedelta(days=CADENCE_DAYS[cadence] * GRACE)
    days = age.total_seconds() / 86400
    if age > limit:
        return CheckResult(name, "freshness", "fail",
                           f"数据过期：{days:.0f} 天未更新，周期 {cadence} (stale: {days:.0f} days, cadence {cadence})")
    return CheckResult(name, "freshness", "ok", f"{days:.1f} 天前更新 (updated {days:.1f} days ago)")


def _constraints(wh: Warehouse, con: duckdb.DuckDBPyConnection, name: str, key: list[str], not_null: list[str]) -> list[CheckResult]:
    results: list[CheckResult] = []
    names = {c.name for c in wh.columns(name)}
    if key:
        missing = [k for k in key if k not in names]
        if missing:
            results.append(CheckResult(name, "primary_key", "fail", f"主键列缺失 (key column missing): {missing}"))
        else:
            cols = ", ".join(quote_identifier(k) for k in key)
            dupes = (con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {quote_identifier(name)} "
                                f"GROUP BY {cols} HAVING count(*) > 1)").fetchone() or (0,))[0]
            status = "fail" if dupes else "ok"
            results.append(CheckResult(name, "primary_key", status,
                                       f"{dupes} 个重复主键 (duplicate keys) on {', '.join(key)}"))
    for column in not_null:
        if column not in names:
            results.append(CheckResult(name, "not_null", "fail", f"列缺失 (column missing): {column}"))
            continue
        q = quote_identifier(column)
        blanks = (con.execute(f"SELECT count(*) FROM {quote_identifier(name)} WHERE {q} IS NULL "
                             f"OR trim(CAST({q} AS VARCHAR)) = ''").fetchone() or (0,))[0]
        results.append(CheckResult(name, "not_null", "fail" if blanks else "ok",
                                   f"{blanks} 行为空 (blank rows) in {column}"))
    return results


def _storage(wh: Warehouse, repair: bool) -> list[CheckResult]:
    d, v = cat.datasets, cat.dataset_versions
    results: list[CheckResult] = []
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(d.c.id, d.c.name, d.c.current_version)).all()
        current = {r.id: conn.execute(sa.select(v.c.delta_version).where(
            (v.c.dataset_id == r.id) & (v.c.version == r.current_version))).scalar() for r in rows}
        pending = conn.execute(sa.select(v.c.dataset_id, v.c.version).where(v.c.status != "committed")).all()
    by_id = {r.id: r for r in rows}
    for row in rows:
        path = wh.table_location(row.name)
        expected = current[row.id] if row.current_version is not None else None
        newest = tables.latest_version(path)
        if row.current_version is not None and newest is None:
            results.append(CheckResult(row.name, "storage", "fail", f"数据表文件缺失 (table files missing): {path}"))
        elif newest is not None and (expected is None or newest > expected):
            # Either an unrecorded commit, or a restore already made newest equal in content: compare files.
            if expected is not None and _same_content(path, expected, newest):
                continue
            if repair:
                tables.rollback_to(path, expected)
                results.append(CheckResult(row.name, "storage", "repaired",
                                           "已回滚未登记的写入 (rolled back an unrecorded write)"))
            else:
                results.append(CheckResult(row.name, "storage", "warn",
                                           "存在未登记的写入（中断的导入）(leftover of an interrupted ingest); "
                                           "run `shucang check --repair`"))
    for p in pending:
        name = by_id[p.dataset_id].name if p.dataset_id in by_id else str(p.dataset_id)
        if repair:
            with wh.engine.begin() as conn:
                conn.execute(v.delete().where((v.c.dataset_id == p.dataset_id) & (v.c.version == p.version)
                                              & (v.c.status != "committed")))
            results.append(CheckResult(name, "storage", "repaired",
                                       f"已清除中断的版本 {p.version} (removed interrupted version {p.version})"))
        else:
            results.append(CheckResult(name, "storage", "warn",
                                       f"版本 {p.version} 导入中断 (version {p.version} was interrupted)"))
    return results


def _same_content(path: Any, old: int, new: int) -> bool:
    a = set(tables.open_table(path, old).file_uris())
    b = set(tables.open_table(path, new).file_uris())
    return a == b


ConstraintMemo = dict[tuple[str, int | None, tuple[str, ...], tuple[str, ...]], list[CheckResult]]
"""Key and not-null results by (dataset, version, key, not-null columns): a version never changes, so
a long-lived caller (the cockpit) keeps them and re-scans only new versions."""


def run_checks(wh: Warehouse, *, dataset: str | None = None, repair: bool = False,
               now: datetime | None = None, memo: ConstraintMemo | None = None) -> list[CheckResult]:
    """Every check over every dataset (or one); storage repairs only with ``repair``. ``memo``: the
    caller's store of constraint results (read and filled), so unchanged versions are not re-scanned."""
    now = now or datetime.now(UTC)
    from shucang.warehouse.orphans import orphan_checks

    results = [r for r in _storage(wh, repair) + orphan_checks(wh, repair=repair)
               if dataset is None or r.dataset == dataset]
    infos = [wh.dataset(dataset)] if dataset else wh.list_datasets()
    memo = {} if memo is None else memo
    keys = {info.name: (info.name, info.current_version, tuple(info.primary_key), tuple(info.not_null))
            for info in infos}
    missing = [info for info in infos if keys[info.name] not in memo]
    if missing:
        con = wh.connect()  # one connection for every dataset's key and not-null counts (opening one per dataset cost most)
        try:
            for info in missing:
                memo[keys[info.name]] = _constraints(wh, con, info.name, info.primary_key, info.not_null)
        finally:
            con.close()
    for info in infos:
        results.append(_freshness(info.name, info.cadence, info.updated_at, now))
        results.extend(memo[keys[info.name]])
    if dataset is None:  # results of versions no longer current are never asked again
        for old in set(memo) - set(keys.values()):
            memo.pop(old, None)
    return results
