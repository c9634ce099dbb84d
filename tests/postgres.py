"""A throwaway PostgreSQL server for running tests with the catalog on PostgreSQL (``--catalog postgres``).

The warehouse promises that the catalog moves to PostgreSQL by URL alone; these helpers let the same
tests prove it. The server is Debian's PostgreSQL started by hand in a temporary directory (as the
``postgres`` user when the tests run as root: ``initdb`` refuses root), with fsync off, on a free
loopback port; ``SHUCANG_CATALOG_URL=…/{home_id}`` gives every home a database of its own.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port


def postgres_bin() -> Path | None:
    """The directory of ``initdb``/``pg_ctl`` (on PATH or Debian's /usr/lib/postgresql/N/bin)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its base URL (``postgresql+psycopg://postgres@127.0.0.1:PORT``)."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    work = Path(tempfile.mkdtemp(prefix="shucang-pg-"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
    data, port = work / "data", free_port()
    run = {"check": True, "capture_output": True, "text": True}
    try:
        subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres",
                                        "-E", "UTF8", "--locale=C.UTF-8"]), **run)
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(work / "log"), "-w",
                                        "-o", f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off "
                                              "-c synchronous_commit=off -c full_page_writes=off "
                                              "-c max_connections=200", "start"]), **run)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def copy_catalog(source_home: Path, target_home: Path) -> None:
    """After copying a home directory, copy its catalog too when it lives on PostgreSQL."""
    from shucang.settings import Settings

    source = Settings.load(source_home).catalog_sqlalchemy_url()
    if not source.startswith("postgresql"):
        return  # SQLite: the catalog file came with the directory
    import psycopg

    base, _, source_db = source.rpartition("/")
    target_db = Settings.load(target_home).catalog_sqlalchemy_url().rpartition("/")[2]
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                         autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND "
                     "pid <> pg_backend_pid()", (source_db,))
        conn.execute(f'CREATE DATABASE "{target_db}" TEMPLATE "{source_db}"')
