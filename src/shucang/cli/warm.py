"""Hand a command line to a warm server: the client side, and the protocol both sides speak.

A cold ``shucang`` process spends about 0.35 s importing its stack (SQLAlchemy, pyarrow with numpy,
deltalake, typer) before any work, and departments' scripts call ``shucang ingest`` once per file
(issue 14, item 7). A warm server (:mod:`shucang.cli.warm_server`, started by ``shucang serve`` or
``shucang warm start``) has those imported; for each command line it forks a child that takes this
process's arguments, working directory, environment, umask and standard streams (passed as file
descriptors), runs the command exactly as :func:`shucang.cli.root.main` would here, and reports its
exit status, which this process exits with. Signals this process receives are passed on to the child.

Who may connect: the socket lives in a directory that only this user can enter (checked before every
use: owned by the user, no group or other rights, not a symlink), and each side checks the other's
user id (``SO_PEERCRED``). The child runs with the rights the caller already had, nothing more.

``SHUCANG_WARM=auto`` also starts a server (in the background, stopping after 10 idle minutes) when a
handed command finds none; the default (``on``) uses a server but never starts one.

The command runs here instead, unchanged, whenever the hand-over is not sure to behave like a cold
run: ``SHUCANG_WARM=off``, no server, a server started from other code (a changed package or
dependency: it refuses and stops), a command outside :data:`HANDED` (interactive or long-lived ones),
a closed standard stream, a platform without ``SO_PEERCRED``.

Only the standard library is imported here: this module runs before anything else in every process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import struct
import sys
import zlib

TYPE_CHECKING = False  # typing's names only for the checker (see shucang.reexports)
if TYPE_CHECKING:
    from typing import Any

PROTOCOL = 1
"""Bumped when a message changes shape; part of the code stamp, so old servers refuse new clients."""

HANDED = frozenset({
    "ingest", "sources", "init", "datasets", "show", "versions", "rejects", "scan", "classify",
})
"""Top-level commands a warm server may run: the per-file path (ingest, source runs) and the short reads
around it. Not ``serve``, ``demo``, ``warm`` (long-lived), nor ``users`` (asks for a password on the
terminal); not the long DuckDB queries (``sql``, ``check``, ``extract``, ``economy`` …): with the
server's modules loaded, a Ctrl-C during one was seen to leave DuckDB waiting for its cancelled tasks
about one time in five, which a cold process did not show."""

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
"""Signals this process passes on to the child running its command (Ctrl-C, a supervisor's stop…)."""

OFF_VALUES = ("0", "off", "no", "false")

_LENGTH = struct.Struct(">I")
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
MAX_MESSAGE = 16 * 1024 * 1024
START_TIMEOUT = 10.0
"""Seconds to wait for the server's child to start; after that the command runs in this process."""


class WarmUnavailable(Exception):
    """The warm path cannot be used safely; the command runs in this process."""


# ---------------------------------------------------------------------------------------- protocol

def warm_dir() -> str:
    """The directory of this user's warm sockets: ``$SHUCANG_WARM_DIR``, else ``/tmp/shucang-warm-UID``."""
    return os.environ.get("SHUCANG_WARM_DIR") or f"/tmp/shucang-warm-{os.getuid()}"


def package_dir() -> str:
    """The directory of the ``shucang`` package this process runs."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def socket_path(directory: str | None = None) -> str:
    """One socket per installation (interpreter + package directory): two checkouts never share one."""
    install = f"{sys.executable}\0{package_dir()}".encode("utf-8", "surrogateescape")
    return os.path.join(directory or warm_dir(), f"cli-{zlib.crc32(install):08x}.sock")


def code_stamp() -> str:
    """What a warm server's imports depend on: the interpreter and its start-up flags, the package's
    sources (each file's path, change time and size), and the site-packages directories (an install
    changes them).

    A server whose stamp differs from its client's runs other code than a cold process would; it refuses.
    """
    sources, stack = [], [package_dir()]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != "__pycache__":
                            stack.append(entry.path)
                    elif entry.name.endswith(".py"):
                        st = entry.stat()
                        sources.append(f"{entry.path}\0{st.st_mtime_ns}\0{st.st_size}")
        except OSError:  # removed while read (an upgrade under way): a stamp no running server has
            sources.append(f"{directory}\0gone")
    digest = zlib.crc32("\n".join(sorted(sources)).encode("utf-8", "surrogateescape"))
    sites = []
    for path in sys.path:
        if path.endswith(("site-packages", "dist-packages")):
            try:
                sites.append(f"{path}@{os.stat(path).st_mtime_ns}")
            except OSError:
                continue
    flags = sys.flags
    return "|".join(map(str, (PROTOCOL, sys.executable, sys.version, package_dir(), len(sources), digest, *sites,
                              flags.utf8_mode, flags.optimize, flags.dev_mode, flags.isolated,
                              flags.ignore_environment, flags.no_user_site, sys.getfilesystemencoding())))


def check_private_dir(directory: str) -> None:
    """Refuse a socket directory another user could reach or replace."""
    try:
        st = os.lstat(directory)
    except OSError as exc:
        raise WarmUnavailable(f"{directory}: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise WarmUnavailable(f"{directory} is not a directory private to this user (0700)")


def check_peer(sock: socket.socket) -> int:
    """The peer's process id, once the kernel says it runs as this user."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    pid, uid, _gid = _PEERCRED.unpack(raw)
    if uid != os.getuid():
        raise WarmUnavailable(f"peer runs as uid {uid}, not {os.getuid()}")
    return int(pid)


def supported() -> bool:
    """File descriptors over a Unix socket and the kernel's peer credentials: Linux."""
    return hasattr(socket, "SO_PEERCRED") and hasattr(socket, "send_fds") and os.name == "posix"


def send_message(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """One message: a 4-byte length (carrying ``fds``, if any) and that many bytes of JSON."""
    body = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogateescape")
    if fds:
        socket.send_fds(sock, [_LENGTH.pack(len(body))], fds)
        sock.sendall(body)
    else:
        sock.sendall(_LENGTH.pack(len(body)) + body)


def receive_message(sock: socket.socket, *, max_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message and the descriptors sent with it; ``(None, [])`` when the peer hung up. The
    descriptors of a message that cannot be read are closed here."""
    fds: list[int] = []
    if max_fds:
        head, fds, _flags, _addr = socket.recv_fds(sock, _LENGTH.size, max_fds)
    else:
        head = sock.recv(_LENGTH.size)
    try:
        if not head:
            raise WarmUnavailable("the peer hung up")
        head += _receive_exactly(sock, _LENGTH.size - len(head))
        (length,) = _LENGTH.unpack(head)
        if length > MAX_MESSAGE:
            raise WarmUnavailable(f"message of {length} bytes")
        message = json.loads(_receive_exactly(sock, length).decode("utf-8", "surrogateescape"))
        if not isinstance(message, dict):
            raise WarmUnavailable("a message that is not a JSON object")
    except BaseException:
        for fd in fds:
            os.close(fd)
        if not head:
            return None, []
        raise
    return message, fds


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise WarmUnavailable("the peer hung up mid-message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def connect(directory: str | None = None, *, timeout: float | None = 5.0) -> socket.socket:
    """A connection to this installation's warm server, after checking its directory and its user."""
    if not supported():
        raise WarmUnavailable("this platform cannot pass descriptors with peer credentials")
    directory = directory or warm_dir()
    path = socket_path(directory)
    if not os.path.exists(path):
        raise WarmUnavailable("no warm server")
    check_private_dir(directory)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        check_peer(sock)
    except (OSError, WarmUnavailable) as exc:
        sock.close()
        raise WarmUnavailable(str(exc)) from None
    return sock


def ask(op: str, directory: str | None = None, *, timeout: float = 5.0) -> dict[str, Any]:
    """Send ``status`` or ``stop`` to the warm server; its answer."""
    sock = connect(directory, timeout=timeout)
    try:
        send_message(sock, {"op": op, "stamp": code_stamp()})
        answer, _ = receive_message(sock)
    except OSError as exc:
        raise WarmUnavailable(str(exc)) from None
    finally:
        sock.close()
    if answer is None:
        raise WarmUnavailable("the warm server hung up")
    return answer


# ------------------------------------------------------------------------------------------- client

def mode() -> str:
    """``$SHUCANG_WARM``: ``off`` (also 0/no/false), ``auto`` (start a server when none runs), else ``on``."""
    value = os.environ.get("SHUCANG_WARM", "on").strip().lower()
    return "off" if value in OFF_VALUES else "auto" if value == "auto" else "on"


def command_of(args: list[str]) -> str | None:
    """The top-level command of a command line (global options ``--home DIR`` and ``--debug`` skipped)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--home":
            i += 2
            continue
        if arg == "--debug" or arg.startswith("--home="):
            i += 1
            continue
        return None if arg.startswith("-") else arg
    return None


def _streams() -> list[dict[str, Any]]:
    """How Python set up this process's standard streams, for the child to set up its own the same way."""
    out = []
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if stream is None:
            raise WarmUnavailable("a standard stream is closed")
        out.append({"encoding": stream.encoding, "errors": stream.errors,
                    "line_buffering": bool(getattr(stream, "line_buffering", False))})
    return out


def request(argv: list[str]) -> dict[str, Any]:
    """The ``run`` message: everything of this process a cold run of ``argv`` would have used."""
    try:
        cwd = os.getcwd()
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError as exc:
        raise WarmUnavailable(str(exc)) from None
    mask = os.umask(0o022)
    os.umask(mask)
    return {"op": "run", "stamp": code_stamp(), "argv": argv, "cwd": cwd, "env": dict(os.environ),
            "umask": mask, "streams": _streams(), "groups": groups(), "limits": limits(),
            "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def groups() -> list[int]:
    """This process's group ids: a server with other groups would give the command other file rights."""
    return sorted({os.getgid(), os.getegid(), *os.getgroups()})


LIMITS = ("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_CORE")
"""Resource limits (``ulimit``) the child takes over from its caller (lowering its own, never raising)."""


def limits() -> dict[str, list[int]]:
    import resource

    return {name: list(resource.getrlimit(getattr(resource, name))) for name in LIMITS if hasattr(resource, name)}


def hand_over(argv: list[str] | None = None) -> None:
    """Run this process's command line in the warm server and exit with its status; return (having
    done nothing) whenever it cannot run there exactly as here."""
    argv = list(sys.argv if argv is None else argv)
    if mode() == "off":
        return
    if command_of(argv[1:]) not in HANDED:
        return
    try:
        sock = connect()
    except WarmUnavailable:
        if mode() == "auto":
            start_in_background()
        return
    # The child runs the command only once told "go": until this process sends it, giving up here
    # and running the command cold cannot run it twice.
    try:
        send_message(sock, request(argv), fds=[0, 1, 2])
        sock.settimeout(START_TIMEOUT)
        started, _ = receive_message(sock)
        if not started or "pid" not in started:  # refused (stale code, …): nothing ran
            raise WarmUnavailable(str((started or {}).get("refused", "no answer")))
        send_message(sock, {"op": "go"})
    except (OSError, ValueError, WarmUnavailable):
        sock.close()
        return
    sock.settimeout(None)
    sys.exit(_follow(sock, int(started["pid"])))


AUTO_IDLE_TIMEOUT = 600.0
"""Seconds a server started by ``SHUCANG_WARM=auto`` waits for a command before it stops."""


def start_in_background() -> None:
    """``SHUCANG_WARM=auto``: start a warm server for the next commands (this one runs here, meanwhile)."""
    if not supported():
        return
    try:
        from shucang.cli import warm_server

        warm_server.spawn(idle_timeout=AUTO_IDLE_TIMEOUT)
    except (OSError, WarmUnavailable):
        return


def _follow(sock: socket.socket, pid: int) -> int:
    """Wait for the child's exit status, passing signals on to it meanwhile."""
    forwarded: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        forwarded.append(signum)
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    try:
        finished, _ = receive_message(sock)
    except (OSError, ValueError, WarmUnavailable):
        finished = None
    finally:
        sock.close()
    if finished is None or "exit" not in finished:
        if forwarded:  # the signal ended the command: end this process by it too, as a cold run would end
            signal.signal(forwarded[-1], signal.SIG_DFL)
            os.kill(os.getpid(), forwarded[-1])
        print("内部错误 (internal error): the warm server's worker ended without an exit status; "
              "run again with SHUCANG_WARM=off", file=sys.stderr)
        return 2
    return int(finished["exit"])
