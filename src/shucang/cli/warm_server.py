"""The warm server: a process that has imported the CLI's stack and forks a child per command line.

Run by ``shucang serve`` (for as long as it serves) or ``shucang warm start`` (until idle); the client
side and the protocol are in :mod:`shucang.cli.warm`. The server itself opens nothing — no catalog,
no table, no DuckDB — and starts no thread, so each fork begins as a cold process would after its
imports. The child takes the caller's arguments, directory, environment, umask, locale and standard
streams, waits for the caller's "go", and runs :func:`shucang.cli.root.main`.

The server never logs a command line or an environment (they may hold credentials): its log says
when it started and stopped, and which command ran with which exit status.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import select
import signal
import socket
import sys
import threading
import time
from typing import Any, NoReturn

from shucang.cli import warm

PRELOAD_PACKAGES = ("shucang.ingest", "shucang.warehouse", "shucang.classify", "shucang.plan", "shucang.economy",
                    "shucang.city", "shucang.collect")
"""Stages an ingest or a source run may reach (its after-ingest hooks included): every module imported."""

PRELOAD = (
    "shucang.cli.root", "shucang.cli.audited", "shucang.cli.warehouse_cmds", "shucang.cli.sources_cmds",
    "shucang.platform", "shucang.share.audit", "shucang.share.audit_journal",
    "sqlite3", "sqlalchemy.dialects.sqlite", "pyarrow.parquet", "pyarrow.csv", "pyarrow.compute", "deltalake",
    "deltalake.fs", "duckdb", "yaml", "python_calamine", "orjson", "dateutil.relativedelta", "numpy.ma", "secrets", "hmac",
    "getpass", "rich.console", "rich.progress", "rich.table", "typer._click.decorators",
)
"""Further modules a command line of :data:`shucang.cli.warm.HANDED` commonly imports
(tests/test_cli_warm.py checks that after the preload an ingest imports nothing heavy any more)."""

IMPORT_ENV_PREFIXES = ("PYTHON", "OPENBLAS_", "OMP_", "MKL_", "ARROW_", "JE_", "MALLOC_", "LD_", "RUST_")
"""Environment variables read while the libraries load: a caller whose values differ is refused (its
command then runs cold), since the child's libraries were loaded with the server's."""

IDLE_DEFAULT = 1800.0


def import_env(env: dict[str, str]) -> dict[str, str]:
    """The variables of ``env`` that libraries read at import, with the CLI's own default applied."""
    chosen = {k: v for k, v in env.items() if k.startswith(IMPORT_ENV_PREFIXES)}
    chosen.setdefault("OPENBLAS_NUM_THREADS", "1")  # as shucang.cli.root.main sets it
    return chosen


def preload() -> list[str]:
    """Import :data:`PRELOAD` and :data:`PRELOAD_PACKAGES`; the names that could not be imported (optional extras)."""
    import pkgutil

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    names = list(PRELOAD)
    for package in PRELOAD_PACKAGES:
        names.append(package)
        path = importlib.import_module(package).__path__
        names += [info.name for info in pkgutil.walk_packages(path, package + ".")]
    missing = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


class WarmServer:
    """Accept command lines on this installation's socket and fork a child for each."""

    def __init__(self, directory: str | None = None, *, idle_timeout: float | None = IDLE_DEFAULT,
                 parent: int | None = None, log: Any = None) -> None:
        self.directory = directory or warm.warm_dir()
        self.path = warm.socket_path(self.directory)
        self.idle_timeout = idle_timeout
        self.parent = parent
        self.log = log or sys.stderr
        self.stamp = warm.code_stamp()
        self.env = import_env(dict(os.environ))
        self.started = time.time()
        self.served = 0
        self.children: set[int] = set()
        self.last_active = time.monotonic()
        self.stopping = False
        self._listener: socket.socket | None = None
        self._inode = 0

    # ------------------------------------------------------------------ lifecycle

    def bind(self) -> bool:
        """Listen on the socket; False when a live server of this installation already does."""
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        warm.check_private_dir(self.directory)
        if os.path.exists(self.path):
            try:
                warm.ask("status", self.directory, timeout=2.0)
                return False
            except warm.WarmUnavailable:
                os.unlink(self.path)  # left by a server that died
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        temporary = f"{self.path}.{os.getpid()}"
        old_mask = os.umask(0o177)
        try:
            listener.bind(temporary)
        finally:
            os.umask(old_mask)
        os.chmod(temporary, 0o600)
        listener.listen(64)
        os.replace(temporary, self.path)
        self._inode = os.stat(self.path).st_ino
        self._listener = listener
        return True

    def close(self) -> None:
        """Stop listening and remove the socket if it is still this server's."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            try:
                if os.stat(self.path).st_ino == self._inode:
                    os.unlink(self.path)
            except OSError:
                pass

    def serve_forever(self) -> None:
        """Accept until stopped, idle for ``idle_timeout`` seconds, or orphaned by ``parent``."""
        assert self._listener is not None, "bind() first"
        while not self.stopping:
            self._reap()
            try:
                ready, _, _ = select.select([self._listener], [], [], 1.0)
            except InterruptedError:
                continue
            if ready:
                try:
                    conn, _ = self._listener.accept()
                except OSError:
                    continue
                self._handle(conn)
                self.last_active = time.monotonic()
            if self._should_stop():  # also when busy: a steady stream of callers must not keep an orphan alive
                break

    def _should_stop(self) -> bool:
        if self.parent is not None and os.getppid() != self.parent:
            self.say("the serving process is gone; stopping")
            return True
        if self.idle_timeout and not self.children and time.monotonic() - self.last_active > self.idle_timeout:
            self.say(f"idle for {self.idle_timeout:.0f} s; stopping")
            return True
        return False

    def _reap(self) -> None:
        for pid in list(self.children):
            try:
                done, _status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def say(self, text: str) -> None:
        """One line in the server's log (never a command line or an environment)."""
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} warm[{os.getpid()}] {text}", file=self.log, flush=True)

    # ------------------------------------------------------------------ one connection

    def _handle(self, conn: socket.socket) -> None:
        fds: list[int] = []
        try:
            conn.settimeout(5.0)
            warm.check_peer(conn)
            message, fds = warm.receive_message(conn, max_fds=3)
            if message is None:
                return
            op = message.get("op")
            if op == "run":
                refusal = self._refusal(message, fds)
                if refusal is None:
                    self._fork(conn, message, fds)
                    return
                warm.send_message(conn, {"refused": refusal})
                self.say(f"refused a command: {refusal}")
                if refusal == "stale" and warm.code_stamp() != self.stamp:  # the code on disk changed
                    self.say("the code on disk changed; stopping")
                    self.stopping = True
            elif op == "status":
                warm.send_message(conn, self.status())
            elif op == "stop":
                warm.send_message(conn, {"stopping": True, "pid": os.getpid()})
                self.say("asked to stop")
                self.stopping = True
        except Exception as exc:  # noqa: BLE001 — one caller's bad message never ends the server
            self.say(f"dropped a connection: {type(exc).__name__}: {exc}")
        finally:
            for fd in fds:
                os.close(fd)
            conn.close()

    def _refusal(self, message: dict[str, Any], fds: list[int]) -> str | None:
        if message.get("stamp") != self.stamp:
            return "stale"
        if len(fds) != 3:
            return "three standard streams expected"
        if import_env(message.get("env") or {}) != self.env:
            return "the caller's library settings (PYTHON*, OPENBLAS_* …) differ from the server's"
        if message.get("groups") != warm.groups():
            return "the caller's groups differ from the server's"
        return None

    def status(self) -> dict[str, Any]:
        """What ``shucang warm status`` shows."""
        return {"running": True, "pid": os.getpid(), "socket": self.path, "served": self.served,
                "running_now": len(self.children), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z",
                                                                         time.localtime(self.started)),
                "idle_timeout": self.idle_timeout}

    def _fork(self, conn: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            listener, self._listener = self._listener, None
            if listener is not None:
                listener.close()
            run_child(conn, message, fds)
        self.children.add(pid)
        self.served += 1
        command = warm.command_of(list(message.get("argv") or [])[1:])
        self.say(f"pid {pid} runs `shucang {command}`")


# ------------------------------------------------------------------------------------------- child

def run_child(conn: socket.socket, message: dict[str, Any], fds: list[int]) -> NoReturn:
    """Become the caller's process, run its command line once the caller says "go", report, exit."""
    code = 1
    try:
        os.setsid()  # a Ctrl-C meant for the server's terminal is not this command's
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        conn.settimeout(warm.START_TIMEOUT)
        warm.send_message(conn, {"pid": os.getpid()})
        go, _ = warm.receive_message(conn)
        if not go or go.get("op") != "go":
            os._exit(0)  # the caller gave up and runs the command itself
        conn.settimeout(None)
        _adopt(message, fds)
        done = threading.Event()
        threading.Thread(target=_watch_caller, args=(conn, done), name="shucang-warm-caller", daemon=True).start()
        code = _run_command(list(message["argv"]))
        done.set()
        warm.send_message(conn, {"exit": code})
    except BaseException:  # noqa: BLE001 — a child never returns into the server's loop
        code = code or 1
    finally:
        os._exit(code)


def _adopt(message: dict[str, Any], fds: list[int]) -> None:
    """The caller's umask, resource limits, niceness, directory, environment, locale, time zone and
    standard streams."""
    import fcntl
    import locale
    import resource

    os.umask(int(message["umask"]))
    for name, (soft, hard) in (message.get("limits") or {}).items():
        try:  # lowering a limit is always allowed; the caller's cannot be above the server's anyway
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (AttributeError, ValueError, OSError):
            continue
    try:
        os.setpriority(os.PRIO_PROCESS, 0, max(int(message.get("nice", 0)), os.getpriority(os.PRIO_PROCESS, 0)))
    except OSError:
        pass
    os.chdir(message["cwd"])
    os.environ.clear()
    os.environ.update(message["env"])
    time.tzset()
    try:
        locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        locale.setlocale(locale.LC_CTYPE, "C")
    # Out of the way first (a received descriptor may itself be 0, 1 or 2 where the server had one
    # closed), then onto 0, 1, 2, which are inheritable as a cold process's are.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]
    for fd in fds:
        os.close(fd)
    for target, fd in enumerate(high):
        os.dup2(fd, target)
        os.close(fd)
    specs = message["streams"]
    sys.stdin = _text_stream(0, "r", specs[0])
    sys.stdout = _text_stream(1, "w", specs[1])
    sys.stderr = _text_stream(2, "w", specs[2])
    sys.argv = list(message["argv"])


def _text_stream(fd: int, mode: str, spec: dict[str, Any]) -> io.TextIOWrapper:
    raw = open(fd, mode + "b", closefd=False)  # noqa: SIM115 — lives as long as the process
    return io.TextIOWrapper(raw, encoding=spec["encoding"], errors=spec["errors"],
                            line_buffering=bool(spec["line_buffering"]))


def _watch_caller(conn: socket.socket, done: threading.Event) -> None:
    """The caller gone (killed, its terminal closed) ends the command as it would have ended a cold run."""
    try:
        while conn.recv(64):
            pass
    except OSError:
        pass
    if not done.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


def _run_command(argv: list[str]) -> int:
    """Run the command line as ``shucang.cli.root.main`` would in a process of its own; its exit status."""
    from shucang.cli.root import main

    try:
        main(argv[1:])
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    import atexit

    atexit._run_exitfuncs()  # what the interpreter would run at exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return int(code)


# ------------------------------------------------------------------------------------------ starting

LOG_NAME = "warm.log"


def spawn(*, idle_timeout: float | None, parent: int | None = None, detach: bool = True,
          directory: str | None = None) -> Any:
    """Start a warm server as a process of its own (``subprocess.Popen``); its log goes to ``warm.log``
    in the socket directory. ``parent``: stop with that process (``shucang serve``)."""
    import subprocess

    directory = directory or warm.warm_dir()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    warm.check_private_dir(directory)
    command = [sys.executable, "-m", "shucang.cli.warm_server", "--dir", directory,
               "--idle-timeout", str(idle_timeout or 0)]
    if parent is not None:
        command += ["--parent", str(parent)]
    log_path = os.path.join(directory, LOG_NAME)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        # cwd "/": the server's sys.path must not pick up modules from wherever it was started
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, cwd="/",
                                start_new_session=detach)
    finally:
        os.close(fd)


class Keeper:
    """A warm server beside ``shucang serve``: started with it, started again when it stops (at most
    once a minute) — it stops by itself when the code on disk changed (an upgrade, a ``pip install``),
    and the new one then runs the new code — and stopped with it."""

    def __init__(self, parent: int, *, restart_after: float = 60.0, check_every: float = 5.0) -> None:
        self.parent = parent
        self.restart_after = restart_after
        self.check_every = check_every
        self.process: Any = None
        self.started_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Keeper:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="shucang-warm-keeper", daemon=True)
        self._thread.start()
        return self

    def _spawn(self) -> None:
        self.process = spawn(idle_timeout=None, parent=self.parent, detach=False)
        self.started_at = time.monotonic()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_every):
            if self.process.poll() is not None and time.monotonic() - self.started_at >= self.restart_after:
                try:
                    self._spawn()
                except (OSError, warm.WarmUnavailable):
                    self.started_at = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)  # no restart can follow the stop
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001 — it stops by itself once its parent is gone
                pass


def wait_ready(process: Any, directory: str | None = None, *, timeout: float = 60.0) -> dict[str, Any]:
    """The started server's status once it answers; :class:`warm.WarmUnavailable` if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return warm.ask("status", directory, timeout=2.0)
        except warm.WarmUnavailable:
            if process.poll() is not None:
                raise warm.WarmUnavailable(f"the warm server exited with status {process.returncode}; "
                                           f"see {os.path.join(directory or warm.warm_dir(), LOG_NAME)}") from None
            time.sleep(0.05)
    raise warm.WarmUnavailable(f"the warm server did not answer within {timeout:.0f} s")


# ------------------------------------------------------------------------------------------ script

def main(argv: list[str] | None = None) -> int:
    """``python -m shucang.cli.warm_server [--idle-timeout S] [--parent PID] [--dir DIR]``."""
    parser = argparse.ArgumentParser(prog="shucang-warm", description="shucang's warm CLI server")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_DEFAULT, help="seconds idle before stopping "
                        "(0: never)")
    parser.add_argument("--parent", type=int, default=None, help="stop when this process is gone")
    parser.add_argument("--dir", default=None, help="socket directory (default: $SHUCANG_WARM_DIR or "
                        "/tmp/shucang-warm-UID)")
    args = parser.parse_args(argv)
    if not warm.supported():
        print("warm server: this platform cannot pass descriptors with peer credentials", file=sys.stderr)
        return 2
    missing = preload()
    server = WarmServer(args.dir, idle_timeout=args.idle_timeout or None, parent=args.parent)
    try:
        if not server.bind():
            server.say(f"another warm server already listens on {server.path}")
            return 0
    except (OSError, warm.WarmUnavailable) as exc:
        print(f"warm server: cannot listen in {server.directory}: {exc}", file=sys.stderr)
        return 1

    def stop(_signum: int, _frame: Any) -> None:
        server.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.say(f"listening on {server.path}" + (f" (not preloaded: {', '.join(missing)})" if missing else ""))
    try:
        server.serve_forever()
    finally:
        server.close()
        server.say(f"stopped after {server.served} commands")
    return 0


if __name__ == "__main__":
    sys.exit(main())
