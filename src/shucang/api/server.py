"""``shucang serve``: the app under uvicorn, in one process or N forked workers over one socket.

Why not uvicorn's own ``--workers``: it hands the listening socket to its workers with ``proto=0``,
so asyncio does not set ``TCP_NODELAY`` on accepted connections and every answer waits ~40 ms for
Nagle + delayed ACK. Here each worker listens on its own ``IPPROTO_TCP`` socket bound to the same
port with ``SO_REUSEPORT`` (the kernel spreads connections evenly; with one shared socket a single
worker tends to accept a whole burst of keep-alive connections), the workers fork from a parent that
has not opened the warehouse (no SQLite or DuckDB handle crosses a fork), and the rate-limit buckets
live in memory the workers share, so a token's limit holds across workers. The parent restarts a worker that dies and stops them all on
SIGINT/SIGTERM; each worker finishes its requests (uvicorn's graceful shutdown) — audit entries are
committed before each answer, so there is nothing left to flush.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from shucang.settings import Settings

log = logging.getLogger("shucang.serve")
THREADS = int(os.environ.get("SHUCANG_SERVE_THREADS", "8"))
"""Request threads per worker for the (synchronous) route handlers; a few keep the GIL calm."""


def listen(host: str, port: int, backlog: int = 2048, *, reuse_port: bool = False) -> socket.socket:
    """A TCP listening socket (IPPROTO_TCP, so accepted connections get TCP_NODELAY)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def prepare_home(settings: Settings) -> None:
    """Create or migrate every stage's catalog tables (and the master key) once, in the parent, before
    the workers fork: workers starting together would otherwise race to make them. Nothing stays open."""
    from shucang.platform import prepare_stage_tables

    prepare_stage_tables(settings)


def _shared_limiters(workers: int) -> dict[str, Any]:
    if workers <= 1:
        return {}
    from shucang.share.ratelimit import DEFAULT_PER_MINUTE, OPEN_PER_MINUTE, SharedRateLimiter

    return {"api_rate_limiter": SharedRateLimiter(DEFAULT_PER_MINUTE),
            "open_rate_limiter": SharedRateLimiter(OPEN_PER_MINUTE)}


def _threaded(app: Any, threads: int) -> Any:
    """The app, with the worker's thread pool sized on its first request (it lives in the event loop)."""
    state = {"set": False}

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not state["set"]:
            import anyio.to_thread

            anyio.to_thread.current_default_thread_limiter().total_tokens = max(1, threads)
            state["set"] = True
        await app(scope, receive, send)

    return wrapped


def _exit_with_parent(parent: int) -> None:
    """Stop this worker gracefully should the parent die without stopping it (e.g. SIGKILL)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="shucang-parent-watch", daemon=True).start()


def run_worker(settings: Settings, sock: socket.socket, *, limiters: dict[str, Any] | None = None,
               threads: int = THREADS, log_level: str = "warning", on_ready: Any = None) -> None:
    """Open the warehouse and serve on ``sock`` until told to stop (one process); ``on_ready`` is
    called once the app (and so every stage's catalog tables) exists."""
    import uvicorn

    from shucang.api.app import create_app

    app = create_app(settings)
    if on_ready is not None:
        on_ready()
    # Objects made while starting up live as long as the worker: keep them out of the cyclic collector,
    # and let it run less often (a page builds thousands of short-lived rows; measured: 7 % less CPU
    # per page and a lower p99).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    for name, limiter in (limiters or {}).items():
        setattr(app.state, name, limiter)
    # proxy_headers off: X-Forwarded-For is believed only from SHUCANG_TRUSTED_PROXIES (shucang.api.guard),
    # not — as uvicorn does by default — from any local process.
    config = uvicorn.Config(_threaded(app, threads), log_level=log_level, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=10, proxy_headers=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        app.state.warehouse.close()


SIGNS_EVERY = 300
"""Seconds between background evaluations of the city signs in ``serve`` (0: none)."""


def start_scheduler(settings: Settings, signs_every: float = SIGNS_EVERY) -> Any:
    """The background runner of due sources (``shucang sources``), unless SHUCANG_SCHEDULER=0; the same
    runner evaluates the city signs every ``signs_every`` seconds (0: never; the cron ``signs evaluate``
    then does it).

    It lives in the serving process (the parent when there are workers): one loop, so one run at a
    time per source here, and the catalog lease keeps a cron ``sources run --due`` from overlapping.
    """
    if os.environ.get("SHUCANG_SCHEDULER", "1") == "0":
        return None
    from shucang.collect import Scheduler
    from shucang.collect.schedule import Periodic
    from shucang.platform import open_warehouse

    tasks = []
    if signs_every > 0:
        from shucang.city.hooks import scheduled_round

        tasks.append(Periodic("city signs", signs_every, scheduled_round))
    poll = float(os.environ.get("SHUCANG_SCHEDULER_POLL", "30"))
    return Scheduler(lambda: open_warehouse(settings), poll_seconds=poll, tasks=tasks).start()


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          threads: int = THREADS, log_level: str = "warning", signs_every: float = SIGNS_EVERY) -> None:
    """Serve the app; with ``workers`` > 1 fork that many worker processes over one socket."""
    workers = max(1, int(workers))
    started: list[Any] = []
    try:
        _serve(settings, host=host, port=port, workers=workers, threads=threads, log_level=log_level,
               on_forked=lambda: start_scheduler(settings, signs_every),
               on_ready=lambda: started.append(start_scheduler(settings, signs_every)))
    finally:
        for scheduler in started:
            if scheduler is not None:
                scheduler.stop()


def _serve(settings: Settings, *, host: str, port: int, workers: int, threads: int, log_level: str,
           on_forked: Any, on_ready: Any) -> None:
    cores = os.cpu_count() or 1
    # DuckDB threads per worker: the cores shared out, so busy workers do not oversubscribe them.
    os.environ.setdefault("SHUCANG_SHARE_THREADS", str(max(1, cores // workers)))
    if workers == 1:
        run_worker(settings, listen(host, port), threads=threads, log_level=log_level, on_ready=on_ready)
        return
    socks = _worker_sockets(host, port, workers)
    prepare_home(settings)
    limiters = _shared_limiters(workers)
    parent = os.getpid()
    children: dict[int, int] = {}  # pid → slot
    stopping = {"flag": False}

    def spawn(slot: int) -> None:
        sock = socks[slot % len(socks)]
        pid = os.fork()
        if pid == 0:  # worker
            code = 0
            for other in socks:
                if other is not sock:
                    other.close()
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.setpgid(0, 0)  # Ctrl-C reaches the parent only; it stops each worker once, gracefully
                _exit_with_parent(parent)
                run_worker(settings, sock, limiters=limiters, threads=threads, log_level=log_level)
            except BaseException:  # noqa: BLE001 — a worker reports and exits; the parent restarts it
                log.exception("worker %s failed", slot)
                code = 1
            finally:
                os._exit(code)
        children[pid] = slot

    def stop(_signum: int, _frame: Any) -> None:
        stopping["flag"] = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(workers):
        spawn(slot)
    scheduler = on_forked()  # after the first fork: its thread and connections stay in the parent
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        gone = children.pop(pid) if pid in children else None
        if gone is not None and not stopping["flag"]:
            print(f"worker {gone} (pid {pid}) exited with status {status}; restarting", file=sys.stderr)
            time.sleep(0.5)
            spawn(gone)
    if scheduler is not None:
        scheduler.stop()
    for sock in socks:
        sock.close()


def _worker_sockets(host: str, port: int, workers: int) -> list[socket.socket]:
    """One listening socket per worker on the same port (SO_REUSEPORT): the kernel spreads new
    connections over them. One shared socket lets a single worker accept a whole burst of connections
    (keep-alive clients then stay on it while the other worker idles). Without SO_REUSEPORT: shared."""
    if not hasattr(socket, "SO_REUSEPORT"):
        return [listen(host, port)]
    first = listen(host, port, reuse_port=True)
    actual = int(first.getsockname()[1])
    return [first] + [listen(host, actual, reuse_port=True) for _ in range(workers - 1)]
