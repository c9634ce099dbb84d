"""The real app served from a subprocess on a free loopback port — for browser tests and the cockpit bench."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


CHROMIUM = Path(os.environ.get("SHUCANG_CHROMIUM", "/usr/bin/chromium"))
"""Debian's chromium: the browser tests never download one."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
"""How every browser test starts it (the background-networking flags: this machine has no network)."""
NO_CHROMIUM = f"browser tests skipped: {CHROMIUM} not found (apt-get install chromium)"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
"""Mark of a module or test that needs the browser: skipped with a plain message where it is missing."""


@contextmanager
def chromium() -> Iterator[Any]:
    """Chromium under Playwright, closed afterwards (the test is skipped where chromium is missing)."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base: str, path: str, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``base + path`` until it answers; RuntimeError when the server exits or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + path, timeout=1)  # noqa: S310 — a local server of ours
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the server for {base} exited with {proc.returncode}") from None
            time.sleep(0.1)
    raise RuntimeError(f"the server at {base} did not answer {path} within {seconds:.0f} s")


@contextmanager
def serve_home(home: Path, *, ready_path: str = "/static/cockpit.css", seconds: float = 60.0) -> Iterator[str]:
    """``create_app`` over ``home`` under uvicorn in a subprocess; yields its base URL."""
    port = free_port()
    code = ("import uvicorn; from shucang.api.app import create_app; from shucang.settings import Settings; "
            f"uvicorn.run(create_app(Settings.load({str(home)!r})), host='127.0.0.1', port={port}, "
            "log_level='warning')")
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, ready_path, seconds, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
