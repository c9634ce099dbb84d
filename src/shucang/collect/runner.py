"""Running a source: one run at a time per source, every run kept in the history.

A run first takes the source's lease in the catalog (an UPDATE that succeeds for one process only;
a lease whose holder died on this host, or that was not renewed for ``LEASE_SECONDS``, is taken
over). The data then goes through the warehouse's ordinary version commit with its after-ingest
hooks (classification …); an incremental source's watermark rides in that same catalog transaction,
so a run killed at any moment and run again loads each row exactly once.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.collect import catalog as cat
from shucang.collect.database import decode_watermark, public_url, read_table
from shucang.collect.registry import Source, ensure_tables, get_source, now
from shucang.collect.secrets import read_secret
from shucang.errors import Conflict, InputError, ShucangError
from shucang.warehouse.models import CADENCES, IngestOptions, IngestResult, ingest_mode

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

LEASE_SECONDS = 300
RunFunction = Callable[["Warehouse", Source], dict[str, Any]]


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_dead(holder: str | None) -> bool:
    """True when the lease holder was a process on this host that no longer exists."""
    if not holder:
        return True
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _claim(wh: Warehouse, name: str, owner: str) -> None:
    s = cat.sources
    stamp = now()
    until = stamp + timedelta(seconds=LEASE_SECONDS)
    with wh.engine.begin() as conn:
        free = (s.c.lease_owner.is_(None)) | (s.c.lease_until < stamp)
        taken = conn.execute(s.update().where((s.c.name == name) & free)
                             .values(lease_owner=owner, lease_until=until)).rowcount
        if not taken:
            holder = conn.execute(sa.select(s.c.lease_owner).where(s.c.name == name)).scalar()
            if _holder_dead(holder):
                taken = conn.execute(s.update().where((s.c.name == name) & (s.c.lease_owner == holder))
                                     .values(lease_owner=owner, lease_until=until)).rowcount
        if not taken:
            raise Conflict(f"数据源 {name} 正在运行 (source is running)",
                           hint="one run at a time per source; try again when it has finished")
        # Runs left 'running' by a process that died are over: say so in the history.
        conn.execute(cat.runs.update().where((cat.runs.c.source == name) & (cat.runs.c.status == "running"))
                     .values(status="interrupted", finished_at=stamp,
                             error="进程中断 (the run's process stopped before it finished)"))


def _release(wh: Warehouse, name: str, owner: str) -> None:
    s = cat.sources
    with wh.engine.begin() as conn:
        conn.execute(s.update().where((s.c.name == name) & (s.c.lease_owner == owner))
                     .values(lease_owner=None, lease_until=None))


class _Heartbeat:
    """Renews the lease while a long run goes on."""

    def __init__(self, wh: Warehouse, name: str, owner: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(wh, name, owner), daemon=True,
                                        name=f"shucang-lease-{name}")
        self._thread.start()

    def _run(self, wh: Warehouse, name: str, owner: str) -> None:
        s = cat.sources
        while not self._stop.wait(LEASE_SECONDS / 4):
            try:
                with wh.engine.begin() as conn:
                    conn.execute(s.update().where((s.c.name == name) & (s.c.lease_owner == owner))
                                 .values(lease_until=now() + timedelta(seconds=LEASE_SECONDS)))
            except sa.exc.SQLAlchemyError:
                continue  # the next beat tries again; the lease is long

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_source(wh: Warehouse, name: str, *, trigger: str = "manual") -> dict[str, Any]:
    """Run one source now; return the ingest accounting plus ``source`` and ``run_id``."""
    ensure_tables(wh)
    source = get_source(wh, name)
    owner = _owner()
    _claim(wh, name, owner)
    beat = _Heartbeat(wh, name, owner)
    r = cat.runs
    try:
        with wh.engine.begin() as conn:
            inserted = conn.execute(r.insert().values(
                source=name, trigger=trigger, status="running", started_at=now(), dataset=source.dataset,
                rows_read=0, rows_loaded=0, rows_rejected=0, files=0, owner=owner)).inserted_primary_key
            assert inserted is not None
            run_id = int(inserted[0])
        try:
            result = _RUNNERS[source.kind](wh, source)
        except Exception as exc:
            message = str(exc) if isinstance(exc, ShucangError) else f"{type(exc).__name__}: {exc}"
            with wh.engine.begin() as conn:
                conn.execute(r.update().where(r.c.id == run_id).values(status="failed", finished_at=now(),
                                                                       error=message[:4000]))
            if isinstance(exc, ShucangError):
                raise
            raise InputError(f"数据源 {name} 运行失败 (source run failed): {message.splitlines()[0][:500]}",
                             hint=f"`shucang sources history {name}` keeps every run") from exc
        errors = list(result.get("errors") or [])  # a drop folder's files that could not be loaded
        with wh.engine.begin() as conn:
            conn.execute(r.update().where(r.c.id == run_id).values(
                status="failed" if errors else "ok", finished_at=now(), dataset=result.get("dataset"), version=result.get("version"),
                rows_read=result.get("rows_read", 0), rows_loaded=result.get("rows_loaded", 0),
                rows_rejected=result.get("rows_rejected", 0), files=len(result.get("files", [])),
                error="; ".join(errors or result.get("warnings", []))[:4000] or None))
    finally:
        beat.stop()
        _release(wh, name, owner)
    return {"source": name, "run_id": run_id, **result}


def _options(source: Source, mode: str, key: list[str]) -> IngestOptions:
    assert source.dataset is not None
    return IngestOptions(dataset=source.dataset, mode=ingest_mode(mode), department=source.department,
                         key=tuple(key), cadence=source.cadence if source.cadence in CADENCES else None,
                         created_by=f"source:{source.name}")


def _unchanged(wh: Warehouse, source: Source, mode: str, fmt: str, where: str) -> dict[str, Any]:
    """The accounting of a run that found nothing new (no new version is written)."""
    assert source.dataset is not None
    try:
        info = wh.dataset(source.dataset)
        version, rows = info.current_version or 0, info.row_count
    except ShucangError:
        version, rows = 0, 0
    result = IngestResult(dataset=source.dataset, version=version, rows_read=0, rows_loaded=0, rows_rejected=0,
                          encoding=None, format=fmt, mode=mode, path=where, row_count=rows)
    return result.to_dict() | {"unchanged": True}


def run_database(wh: Warehouse, source: Source) -> dict[str, Any]:
    """A full snapshot (replace), the rows past the watermark (append), or either merged by key."""
    cfg = source.config
    incremental = cfg.get("incremental_column") or None
    key = list(cfg.get("key") or [])
    mode = "merge" if key else ("append" if incremental else "replace")
    url = sa.engine.make_url(cfg["url"])
    secret = read_secret(wh.settings, source.name)
    if secret:
        url = url.set(password=secret)
    shown = public_url(cfg["url"])[0] + "#" + cfg["table"]
    watermark = decode_watermark(source.watermark) if incremental else None
    read, engine = read_table(url.render_as_string(hide_password=False), cfg["table"],
                              incremental_column=incremental, watermark=watermark,
                              batch_rows=int(cfg.get("batch_rows") or 50_000))
    try:
        first = next(read.batches, None)
        if first is None and incremental:
            return _unchanged(wh, source, mode, "database", shown)
        batches = itertools.chain([first], read.batches) if first is not None else iter(())

        def keep_watermark(conn: sa.Connection, _result: IngestResult) -> None:
            if incremental and read.watermark is not None:
                conn.execute(cat.sources.update().where(cat.sources.c.name == source.name)
                             .values(watermark=read.watermark, updated_at=now()))

        result = wh.ingest_batches(read.schema, batches, _options(source, mode, key), source=shown,
                                   fmt="database", in_commit=keep_watermark)
    finally:
        engine.dispose()
    return result.to_dict() | {"watermark": read.watermark if incremental else None}


def _run_http(wh: Warehouse, source: Source) -> dict[str, Any]:
    from shucang.collect.http import run_http

    return run_http(wh, source, _options(source, "merge" if source.config.get("key") else "replace",
                                         list(source.config.get("key") or [])))


def _run_folder(wh: Warehouse, source: Source) -> dict[str, Any]:
    from shucang.collect.folder import run_folder

    return run_folder(wh, source)


_RUNNERS: dict[str, RunFunction] = {"database": run_database, "http": _run_http, "folder": _run_folder}
