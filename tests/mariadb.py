"""A throwaway MariaDB server for the MySQL database-source test (Debian's ``mariadb-server``).

Started by hand in a temporary directory (``mariadb-install-db`` then ``mariadbd`` with no grant tables,
so anyone on loopback connects as root without a password), with durability off, on a free loopback
port; stopped and deleted afterwards. Nothing is read from /etc/mysql (``--no-defaults``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port


def mariadb_bin() -> tuple[str, str] | None:
    """``(mariadb-install-db, mariadbd)`` when the server is installed (mariadbd lives in /usr/sbin)."""
    install = shutil.which("mariadb-install-db")
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
    return (install, server) if install and server else None


@contextmanager
def mariadb_server() -> Iterator[str]:
    """Start a server; yield its base URL (``mysql+pymysql://root@127.0.0.1:PORT``)."""
    import pymysql

    found = mariadb_bin()
    if found is None:
        raise RuntimeError("MariaDB is not installed (apt-get install mariadb-server)")
    install, server = found
    work = Path(tempfile.mkdtemp(prefix="shucang-mariadb-"))
    data, port = work / "data", free_port()
    as_user = ["--user=root"] if os.geteuid() == 0 else []  # as root the server must be told to stay root
    subprocess.run([install, "--no-defaults", f"--datadir={data}", *as_user, "--skip-test-db",
                    "--skip-name-resolve", "--auth-root-authentication-method=normal"],
                   check=True, capture_output=True, text=True)
    log = (work / "log").open("wb")
    proc = subprocess.Popen([server, "--no-defaults", f"--datadir={data}", f"--socket={work / 'sock'}",
                             f"--port={port}", "--bind-address=127.0.0.1", *as_user, "--skip-grant-tables",
                             "--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
                             "--innodb-buffer-pool-size=32M", "--performance-schema=OFF",
                             "--character-set-server=utf8mb4",
                             f"--pid-file={work / 'pid'}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                pymysql.connect(host="127.0.0.1", port=port, user="root").close()
                break
            except pymysql.err.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("MariaDB did not start: " + (work / "log").read_text()[-2000:]) from None
                time.sleep(0.1)
        yield f"mysql+pymysql://root@127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
