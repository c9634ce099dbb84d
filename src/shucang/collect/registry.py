"""Source definitions: add, list, show, remove — the catalog side of a source, without running it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.collect import catalog as cat
from shucang.collect.secrets import delete_secret, env_name, key_file, save_secret
from shucang.errors import Conflict, InputError, NotFound
from shucang.warehouse.catalog import as_utc, utc_now
from shucang.warehouse.migrations import Schema
from shucang.warehouse.models import check_dataset_name

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

KINDS = ("database", "http", "folder")
SOURCE_CADENCES = ("hourly", "daily", "weekly", "monthly")
SOURCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


now = utc_now
aware = as_utc


SCHEMA = Schema(cat.COMPONENT, cat.MIGRATIONS)


def ensure_tables(wh: Warehouse) -> None:
    """Create or migrate the collection tables (once per engine and process)."""
    SCHEMA.ensure(wh.engine)


@dataclass
class Source:
    """A stored source; ``config`` never holds a password or token."""

    name: str
    kind: str
    dataset: str | None
    department: str | None
    config: dict[str, Any]
    cadence: str | None
    watermark: dict[str, Any] | None
    created_at: datetime
    secret_from: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def _row_to_source(wh: Warehouse, row: Any) -> Source:
    return Source(name=row.name, kind=row.kind, dataset=row.dataset, department=row.department,
                  config=dict(row.config or {}), cadence=row.cadence, watermark=row.watermark,
                  created_at=aware(row.created_at) or now(),
                  secret_from=[f"${env_name(row.name)}", str(key_file(wh.settings, row.name))])


def add_source(wh: Warehouse, name: str, kind: str, *, dataset: str | None, config: dict[str, Any],
               department: str | None = None, cadence: str | None = None, secret: str | None = None,
               replace: bool = False) -> Source:
    """Store a source definition (a secret goes to the 0600 key file, never to the catalog)."""
    ensure_tables(wh)
    if not SOURCE_NAME.match(name or ""):
        raise InputError(f"数据源名称无效 (invalid source name): {name!r}",
                         hint="letters, digits, - and _, starting with a letter")
    if kind not in KINDS:
        raise InputError(f"未知数据源类型 (unknown source kind) {kind!r}", hint="one of " + ", ".join(KINDS))
    if cadence is not None and cadence not in SOURCE_CADENCES:
        raise InputError(f"未知更新周期 (unknown cadence) {cadence!r}", hint="one of " + ", ".join(SOURCE_CADENCES))
    if dataset is not None:
        check_dataset_name(dataset)
    stamp = now()
    with wh.engine.begin() as conn:
        existing = conn.execute(sa.select(cat.sources.c.id).where(cat.sources.c.name == name)).first()
        values = dict(kind=kind, dataset=dataset, department=department, config=config, cadence=cadence,
                      updated_at=stamp)
        if existing is not None:
            if not replace:
                raise Conflict(f"数据源 {name} 已存在 (source exists)", hint="use --replace to change it")
            conn.execute(cat.sources.update().where(cat.sources.c.id == existing.id).values(**values))
        else:
            conn.execute(cat.sources.insert().values(name=name, watermark=None, created_at=stamp, **values))
    if secret:
        save_secret(wh.settings, name, secret)
    return get_source(wh, name)


def get_source(wh: Warehouse, name: str) -> Source:
    ensure_tables(wh)
    with wh.engine.connect() as conn:
        row = conn.execute(sa.select(cat.sources).where(cat.sources.c.name == name)).first()
    if row is None:
        known = ", ".join(s.name for s in list_sources(wh)[:20]) or "none yet"
        raise NotFound(f"没有名为 {name!r} 的数据源 (no source named {name!r})", hint=f"known sources: {known}")
    return _row_to_source(wh, row)


def list_sources(wh: Warehouse) -> list[Source]:
    ensure_tables(wh)
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.select(cat.sources).order_by(cat.sources.c.name)).all()
    return [_row_to_source(wh, r) for r in rows]


def remove_source(wh: Warehouse, name: str) -> None:
    """Forget the source and its secret; its datasets and run history stay."""
    get_source(wh, name)
    with wh.engine.begin() as conn:
        conn.execute(cat.sources.delete().where(cat.sources.c.name == name))
    delete_secret(wh.settings, name)


def runs(wh: Warehouse, name: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Run history, newest first."""
    ensure_tables(wh)
    r = cat.runs
    stmt = sa.select(r).order_by(r.c.id.desc()).limit(limit)
    if name is not None:
        stmt = stmt.where(r.c.source == name)
    with wh.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = []
    for row in rows:
        item = dict(row._mapping)
        for k in ("started_at", "finished_at"):
            value = aware(item[k])
            item[k] = value.isoformat() if value else None
        out.append(item)
    return out
