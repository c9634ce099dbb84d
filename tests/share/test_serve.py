"""``shucang serve --workers 2``: forked workers over one socket, shared rate limits, exact audit, clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import wait_for_server

from shucang.settings import Settings

from .conftest import TOKENS

SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(share_home: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes], str]]:
    """Two workers over the share home, plus a token limited to 6 requests a minute (a burst of 1)."""
    from shucang.platform import open_warehouse
    from shucang.share.identity import create_token

    wh = open_warehouse(Settings.load(share_home))
    try:
        slow = create_token(wh, "bob", label="slow", rate_per_minute=6)[1]
    finally:
        wh.close()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "shucang", "--home", str(share_home), "serve", "--port", str(port),
                             "--workers", "2"], env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, seconds=30)
        yield base, share_home, proc, slow
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _fresh(base: str, path: str, token: str) -> int:
    """One request on a new connection (the kernel spreads new connections over the workers)."""
    with httpx.Client(base_url=base, timeout=10) as c:
        return c.get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def test_workers_share_limits_see_revocations_and_stop_cleanly(served: tuple[str, Path, Any, str]) -> None:
    from shucang.platform import open_warehouse
    from shucang.share import audit, identity

    base, home, proc, slow = served
    statuses = [_fresh(base, "/api/v1/datasets/people/rows?limit=3", TOKENS["st_gaj"]) for _ in range(12)]
    assert statuses == [200] * 12
    # one bucket for both workers: a burst of 1, whichever worker answers
    limited = [_fresh(base, "/api/v1/auth/me", slow) for _ in range(8)]
    assert limited.count(200) == 1 and limited.count(429) == 7
    # a token revoked elsewhere (here: this test process) is refused by every worker at once
    wh = open_warehouse(Settings.load(home))
    try:
        identity.revoke_token(wh, identity.resolve_token(wh, TOKENS["st_gaj"]).token_id)
    finally:
        wh.close()
    assert {_fresh(base, "/api/v1/auth/me", TOKENS["st_gaj"]) for _ in range(8)} == {401}
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    wh = open_warehouse(Settings.load(home))
    try:
        reads = audit.search(wh, action="read", actor="st_gaj", limit=100)
        assert len(reads) == 12 and all(e.rows == 3 for e in reads)  # every answered read is in the chain
        assert audit.verify(wh).ok
    finally:
        wh.close()


def test_listening_socket_is_tcp() -> None:
    from shucang.api.server import listen

    sock = listen("127.0.0.1", 0)
    try:  # proto IPPROTO_TCP is what makes the event loop set TCP_NODELAY on accepted connections
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
