"""The warm server (``shucang warm``, issue 14 item 7): a command line handed to it behaves exactly as the
same command run cold — output, exit status, files, working directory, environment, signals — and
the hand-over happens only when that is sure (same user, private directory, same code and settings).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shucang.cli import warm

pytestmark = pytest.mark.skipif(not warm.supported(), reason="the warm server needs Linux (SO_PEERCRED)")

CSV = "姓名,公民身份号码,金额\n张三,330282199001011234,3.5\n李四,330282198502021235,4,多余\n王五,330282198502021235,7\n"


@pytest.fixture
def warm_env() -> Iterator[dict[str, str]]:
    """An environment whose shucang commands use a warm server of their own (a short /tmp directory:
    a Unix socket's path is limited to 107 bytes)."""
    directory = tempfile.mkdtemp(prefix="sw-", dir="/tmp")
    env = {**os.environ, "SHUCANG_WARM": "on", "SHUCANG_WARM_DIR": directory}
    try:
        yield env
    finally:
        subprocess.run([sys.executable, "-m", "shucang", "warm", "stop"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def shucang(env: dict[str, str], *args: str, cwd: Path | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shucang", *args], env={**env, **extra}, cwd=cwd,
                          capture_output=True, text=True, timeout=180)


def start(env: dict[str, str]) -> dict:
    proc = shucang(env, "warm", "start", "--json", "--idle-timeout", "600")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["running"] and info["pid"] > 0
    return info


def served(env: dict[str, str]) -> int:
    return int(json.loads(shucang(env, "warm", "status", "--json").stdout)["served"])


def _comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "duration_s"}


def test_start_status_stop(warm_env: dict[str, str]) -> None:
    assert json.loads(shucang(warm_env, "warm", "status", "--json").stdout)["running"] is False
    info = start(warm_env)
    assert start(warm_env)["pid"] == info["pid"]  # a second start finds the first
    assert os.stat(info["socket"]).st_mode & 0o777 == 0o600
    assert os.stat(warm_env["SHUCANG_WARM_DIR"]).st_mode & 0o777 == 0o700
    assert served(warm_env) == 0
    stopped = json.loads(shucang(warm_env, "warm", "stop", "--json").stdout)
    assert stopped == {"stopped": True, "pid": info["pid"]}
    deadline = time.monotonic() + 10
    while json.loads(shucang(warm_env, "warm", "status", "--json").stdout)["running"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert not os.path.exists(info["socket"])


def test_a_handed_ingest_is_the_cold_ingest(warm_env: dict[str, str], tmp_path: Path) -> None:
    """Relative paths, the home from the environment, rejects, the JSON report and the stored rows."""
    start(warm_env)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "people.csv").write_text(CSV, encoding="utf-8")
    runs = {}
    for mode in ("on", "off"):
        home = tmp_path / f"home-{mode}"
        proc = shucang(warm_env, "ingest", "people.csv", "-d", "people", "--json", cwd=tmp_path / "in",
                       SHUCANG_WARM=mode, SHUCANG_HOME=str(home))
        assert proc.returncode == 0, proc.stderr
        rows = shucang(warm_env, "sql", "SELECT * FROM people ORDER BY 1", "--json", SHUCANG_HOME=str(home))
        assert rows.returncode == 0, rows.stderr
        again = shucang(warm_env, "ingest", "people.csv", "-d", "people", cwd=tmp_path / "in", SHUCANG_WARM=mode,
                        SHUCANG_HOME=str(home))
        runs[mode] = (_comparable(json.loads(proc.stdout)), proc.stderr, rows.stdout, again.stdout, again.stderr)
    assert runs["on"] == runs["off"]
    assert runs["on"][0]["rows_loaded"] == 2 and runs["on"][0]["rows_rejected"] == 1
    assert served(warm_env) == 2  # both ingests ran warm


def test_auto_starts_a_server_for_the_next_commands(warm_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(CSV, encoding="utf-8")
    first = shucang(warm_env, "--home", str(tmp_path / "h"), "ingest", str(tmp_path / "people.csv"), "-d", "a",
                    SHUCANG_WARM="auto")
    assert first.returncode == 0, first.stderr
    deadline = time.monotonic() + 60
    while not json.loads(shucang(warm_env, "warm", "status", "--json").stdout)["running"]:
        assert time.monotonic() < deadline, "SHUCANG_WARM=auto started no server"
        time.sleep(0.2)
    second = shucang(warm_env, "--home", str(tmp_path / "h"), "ingest", str(tmp_path / "people.csv"), "-d", "b",
                     SHUCANG_WARM="auto")
    assert second.returncode == 0, second.stderr
    assert served(warm_env) == 1
    assert json.loads(shucang(warm_env, "warm", "status", "--json").stdout)["idle_timeout"] == 600


def test_errors_and_exit_status_are_the_cold_ones(warm_env: dict[str, str], tmp_path: Path) -> None:
    start(warm_env)
    cases = [("ingest", str(tmp_path / "missing.csv"), "-d", "x"), ("show", "nowhere"),
             ("ingest", "--no-such-option")]
    for args in cases:
        handed = shucang(warm_env, "--home", str(tmp_path / "h"), *args)
        cold = shucang(warm_env, "--home", str(tmp_path / "h"), *args, SHUCANG_WARM="off")
        assert (handed.returncode, handed.stdout, handed.stderr) == (cold.returncode, cold.stdout, cold.stderr)
        assert handed.returncode != 0 and "Traceback" not in handed.stderr
    assert served(warm_env) == len(cases)


def test_parallel_commands_each_get_their_own_child(warm_env: dict[str, str], tmp_path: Path) -> None:
    start(warm_env)
    (tmp_path / "people.csv").write_text(CSV, encoding="utf-8")
    env = {**warm_env, "SHUCANG_HOME": str(tmp_path / "home")}
    assert shucang(env, "init").returncode == 0
    procs = [subprocess.Popen([sys.executable, "-m", "shucang", "ingest", str(tmp_path / "people.csv"), "-d", f"p{i}",
                               "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in outs]
    assert sorted(json.loads(out)["dataset"] for out, _ in outs) == ["p0", "p1", "p2", "p3"]
    assert served(warm_env) == 5


def _wait_running(env: dict[str, str], count: int = 1) -> None:
    deadline = time.monotonic() + 30
    while json.loads(shucang(env, "warm", "status", "--json").stdout)["running_now"] != count:
        assert time.monotonic() < deadline, "the handed command never started" if count else "it never ended"
        time.sleep(0.1)


def _blocked_ingest(env: dict[str, str], tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[str], object]:
    """An ingest reading a named pipe that stays open: it waits for more rows until interrupted."""
    fifo = tmp_path / "incoming.csv"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "shucang", "--home", str(tmp_path / "h"), "ingest", str(fifo),
                             "-d", "incoming"], env={**env, **extra}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    writer = fifo.open("w", encoding="utf-8")
    writer.write("a,b\n1,2\n")
    writer.flush()
    return proc, writer


def test_ctrl_c_reaches_the_handed_command(warm_env: dict[str, str], tmp_path: Path) -> None:
    start(warm_env)
    outcomes = []
    for mode in ("off", "on"):
        (tmp_path / mode).mkdir()
        proc, writer = _blocked_ingest(warm_env, tmp_path / mode, SHUCANG_WARM=mode)
        if mode == "on":
            _wait_running(warm_env)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
        writer.close()  # type: ignore[attr-defined]
        outcomes.append((proc.returncode, err))
    assert outcomes[0] == outcomes[1] and outcomes[0][0] == 130
    _wait_running(warm_env, 0)
    assert served(warm_env) == 1


def test_a_killed_caller_takes_its_command_with_it(warm_env: dict[str, str], tmp_path: Path) -> None:
    start(warm_env)
    proc, writer = _blocked_ingest(warm_env, tmp_path)
    _wait_running(warm_env)
    proc.kill()
    proc.wait(timeout=30)
    _wait_running(warm_env, 0)
    writer.close()  # type: ignore[attr-defined]


def test_a_directory_others_can_enter_is_not_used(warm_env: dict[str, str], tmp_path: Path) -> None:
    start(warm_env)
    os.chmod(warm_env["SHUCANG_WARM_DIR"], 0o755)
    try:
        proc = shucang(warm_env, "--home", str(tmp_path / "h"), "init", "--json")
        assert proc.returncode == 0, proc.stderr
    finally:
        os.chmod(warm_env["SHUCANG_WARM_DIR"], 0o700)
    assert served(warm_env) == 0  # ran cold


def test_other_library_settings_run_cold(warm_env: dict[str, str], tmp_path: Path) -> None:
    start(warm_env)
    proc = shucang(warm_env, "--home", str(tmp_path / "h"), "init", OPENBLAS_NUM_THREADS="3")
    assert proc.returncode == 0, proc.stderr
    assert served(warm_env) == 0


def test_the_callers_limits_and_niceness_hold_in_the_child(warm_env: dict[str, str], tmp_path: Path) -> None:
    """`ulimit -f` (largest file a process may write) binds the handed command: a 1-block limit makes
    the ingest fail, handed or not (without the limit taken over, the handed one would succeed)."""
    start(warm_env)
    (tmp_path / "people.csv").write_text(CSV, encoding="utf-8")
    script = (f"ulimit -f 1 && exec nice -n 5 {sys.executable} -m shucang --home {tmp_path / 'h'} "
              f"ingest {tmp_path / 'people.csv'} -d p --json")
    handed = subprocess.run(["sh", "-c", script], env=warm_env, capture_output=True, text=True, timeout=120)
    cold = subprocess.run(["sh", "-c", script.replace("/h ", "/c ")], env={**warm_env, "SHUCANG_WARM": "off"},
                          capture_output=True, text=True, timeout=120)
    assert handed.returncode == cold.returncode != 0  # neither could write its catalog past 512 bytes
    assert served(warm_env) == 1


def test_a_server_running_other_code_refuses_and_stops(warm_env: dict[str, str]) -> None:
    """A changed package or dependency changes the code stamp: the old server must not run the command,
    and stops once the code on disk is not what it loaded (a caller with other interpreter flags alone
    is refused without stopping it). Here the server runs a copy of the package, then the copy changes."""
    copy = Path(tempfile.mkdtemp(prefix="sw-src-", dir="/tmp"))
    shutil.copytree(Path(warm.package_dir()), copy / "shucang", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**warm_env, "PYTHONPATH": str(copy)}
    try:
        info = start(env)
        odd = {**_request_as(env), "stamp": "other interpreter flags"}
        assert _send(info["socket"], odd) == {"refused": "stale"}
        assert json.loads(shucang(env, "warm", "status", "--json").stdout)["pid"] == info["pid"]  # still serving
        os.utime(copy / "shucang" / "settings.py", (1, 1))  # an edit (or an upgrade) of the code it loaded
        assert _send(info["socket"], {**odd, "stamp": "new code"}) == {"refused": "stale"}
        deadline = time.monotonic() + 10
        while True:
            try:
                os.kill(info["pid"], 0)
            except ProcessLookupError:
                break
            log = Path(warm_env["SHUCANG_WARM_DIR"], "warm.log").read_text()
            assert time.monotonic() < deadline, f"the stale server kept running: {log}"
            time.sleep(0.1)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def test_a_caller_that_never_says_go_runs_nothing(warm_env: dict[str, str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The client may give up and run the command itself: the child must then not run it too."""
    start(warm_env)
    monkeypatch.setenv("SHUCANG_WARM_DIR", warm_env["SHUCANG_WARM_DIR"])
    sock = warm.connect()
    warm.send_message(sock, warm.request(["shucang", "--home", str(tmp_path / "h"), "init"]), fds=[0, 1, 2])
    started, _ = warm.receive_message(sock)
    assert started is not None and started["pid"] > 0
    sock.close()
    _wait_running(warm_env, 0)
    assert not (tmp_path / "h").exists()


def test_another_users_socket_is_refused() -> None:
    """The peer check itself: a socket pair's peer is this user; a forged uid is refused."""
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert warm.check_peer(left) == os.getpid()
    real = os.getuid
    try:
        os.getuid = lambda: real() + 1  # type: ignore[assignment]
        left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with left, right, pytest.raises(warm.WarmUnavailable):
            warm.check_peer(left)
    finally:
        os.getuid = real  # type: ignore[assignment]


@pytest.mark.parametrize(("args", "command"), [
    (["ingest", "a.csv"], "ingest"), (["--home", "h", "ingest"], "ingest"), (["--home=h", "--debug", "sql"], "sql"),
    (["--debug"], None), (["--help"], None), ([], None), (["serve"], "serve"),
])
def test_command_of(args: list[str], command: str | None) -> None:
    assert warm.command_of(args) == command


def test_interactive_and_long_lived_commands_are_never_handed() -> None:
    assert not {"serve", "demo", "warm", "users", "tokens", "restore"} & warm.HANDED


PRELOAD_THEN_INGEST = r"""
import json, sys
from shucang.cli import warm_server
warm_server.preload()
before = set(sys.modules)
from shucang.cli.root import main
for path, name in zip(sys.argv[2::2], sys.argv[3::2]):
    try:
        main(["--home", sys.argv[1], "ingest", path, "-d", name, "--json"])
    except SystemExit as exc:
        assert not exc.code, exc.code
print(json.dumps({"after": sorted(set(sys.modules) - before), "preloaded": sorted(before)}))
"""

HEAVY = ("pyarrow", "numpy", "sqlalchemy", "deltalake", "duckdb", "typer", "rich", "yaml", "python_calamine",
         "shucang.ingest", "shucang.warehouse", "shucang.classify", "shucang.plan", "shucang.platform")


def test_preloaded_server_leaves_an_ingest_nothing_heavy_to_import(tmp_path: Path) -> None:
    import xlsxwriter

    (tmp_path / "a.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"名称": "甲", "数量": 1}\n', encoding="utf-8")
    book = xlsxwriter.Workbook(str(tmp_path / "c.xlsx"))
    book.add_worksheet("名单").write_row(0, 0, ["单位", "人数"])
    book.close()
    proc = subprocess.run([sys.executable, "-c", PRELOAD_THEN_INGEST, str(tmp_path / "home"),
                           str(tmp_path / "a.csv"), "a", str(tmp_path / "b.jsonl"), "b", str(tmp_path / "c.xlsx"), "c"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.splitlines()[-1])
    late = [m for m in found["after"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert late == [], "add these to shucang.cli.warm_server.PRELOAD"
    # No preloaded shucang module reads the environment when imported: the child has the caller's.
    src = Path(__file__).resolve().parent.parent / "src"
    for name in found["preloaded"]:
        if name.startswith("shucang"):
            path = src / Path(*name.split("."))
            path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
            assert _module_level_env_reads(path) == [], name


def _module_level_env_reads(path: Path) -> list[int]:
    """Lines of statements outside functions that read os.environ / os.getenv."""
    lines = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = [n for n in node.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] \
                if isinstance(node, ast.ClassDef) else []
        else:
            body = [node]
        for stmt in body:
            text = ast.unparse(stmt)
            if "os.environ" in text or "getenv(" in text:
                lines.append(stmt.lineno)
    return lines


def test_serve_runs_a_warm_server_while_it_serves(warm_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = subprocess.Popen([sys.executable, "-m", "shucang", "--home", str(tmp_path / "h"), "serve", "--port",
                              str(port), "--signs-every", "0"], env={**warm_env, "SHUCANG_SCHEDULER": "0"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not json.loads(shucang(warm_env, "warm", "status", "--json").stdout)["running"]:
            assert time.monotonic() < deadline and serve.poll() is None, "serve started no warm server"
            time.sleep(0.2)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    deadline = time.monotonic() + 15
    while json.loads(shucang(warm_env, "warm", "status", "--json").stdout)["running"]:
        log = Path(warm_env["SHUCANG_WARM_DIR"], "warm.log")
        assert time.monotonic() < deadline, f"the warm server outlived serve: {log.read_text()}"
        time.sleep(0.2)


def test_the_keeper_starts_a_stopped_server_again(warm_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """serve's warm server stops by itself when the code changed; the keeper starts the new code's."""
    from shucang.cli.warm_server import Keeper

    monkeypatch.setenv("SHUCANG_WARM_DIR", warm_env["SHUCANG_WARM_DIR"])
    keeper = Keeper(os.getpid(), restart_after=0.0, check_every=0.2).start()
    try:
        first = _answering_pid()
        warm.ask("stop")
        deadline = time.monotonic() + 60
        while _answering_pid() in (None, first):
            assert time.monotonic() < deadline, "the keeper did not start the server again"
            time.sleep(0.2)
    finally:
        keeper.stop()
    assert keeper.process.poll() is not None
    with pytest.raises(warm.WarmUnavailable):
        warm.ask("status")


def _answering_pid() -> int | None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return int(warm.ask("status")["pid"])
        except warm.WarmUnavailable:
            time.sleep(0.1)
    return None


def _request_as(env: dict[str, str]) -> dict:
    """A run request as the server's own installation would send it (its code stamp included)."""
    code = "import json; from shucang.cli import warm; print(json.dumps(warm.request(['shucang', 'init'])))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _send(path: str, message: dict) -> dict | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        warm.check_peer(sock)
        warm.send_message(sock, message, fds=[0, 1, 2])
        answer, _ = warm.receive_message(sock)
    finally:
        sock.close()
    return answer
