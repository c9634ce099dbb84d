"""No duplicates after a kill -9 during evaluation, and one webhook delivery per event (local receiver)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from shucang.city.alerts import acknowledge, close, list_alerts
from shucang.city.definitions import add_sign
from shucang.city.notify import add_webhook, deliver, outbox_rows
from shucang.city.tables import alert_events, alerts, ensure_tables
from shucang.platform import open_warehouse
from shucang.settings import Settings
from shucang.warehouse import IngestOptions

SIGNS = 60


def _home_with_signs(home: Path) -> None:
    wh = open_warehouse(Settings.load(home))
    try:
        table = pa.table({"station": [f"S{i:03d}" for i in range(300)], "level": [float(i % 9) for i in range(300)]})
        wh.ingest_arrow(table, IngestOptions(dataset="gauges", mode="replace", cadence="daily"))
        for i in range(SIGNS):
            add_sign(home, {"id": f"g{i:02d}", "dataset": "gauges", "yellow_above": 3.0 + i % 3, "red_above": 6.0,
                            "sql": f"SELECT station AS grp, level + {i % 2} AS value FROM gauges"})
    finally:
        wh.close()


def _snapshot(home: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    wh = open_warehouse(Settings.load(home))
    try:
        ensure_tables(wh.engine)
        with wh.engine.connect() as conn:
            opened = conn.execute(sa.select(alerts.c.sign, alerts.c.grp, alerts.c.level, alerts.c.status)
                                  .order_by(alerts.c.sign, alerts.c.grp)).all()
            events = conn.execute(sa.select(alerts.c.sign, alerts.c.grp, alert_events.c.kind)
                                  .join(alerts, alerts.c.id == alert_events.c.alert_id)
                                  .order_by(alerts.c.sign, alerts.c.grp, alert_events.c.kind)).all()
        return [tuple(r) for r in opened], [tuple(r) for r in events]
    finally:
        wh.close()


def _evaluate(home: Path) -> list[str]:
    return [sys.executable, "-m", "shucang", "--home", str(home), "signs", "evaluate", "--json"]


def _complete_after_crash(home: Path, expected: Any, env: dict[str, str]) -> None:
    """The rerun completes the work; a further run finds nothing to do."""
    subprocess.run(_evaluate(home), check=True, capture_output=True, env=env)
    assert _snapshot(home) == expected
    again = subprocess.run(_evaluate(home), check=True, capture_output=True, env=env, text=True)
    assert json.loads(again.stdout)["events"] == 0 and _snapshot(home) == expected


KILL_INSIDE_TRANSACTION = """
import os, signal, sys
from pathlib import Path
from shucang.city import lifecycle
from shucang.city.evaluate import evaluate
from shucang.platform import open_warehouse
from shucang.settings import Settings

written = lifecycle.Ledger.flush
def flush_then_die(self):
    written(self)  # every write of the round is issued, none committed
    os.kill(os.getpid(), signal.SIGKILL)
lifecycle.Ledger.flush = flush_then_die
evaluate(open_warehouse(Settings.load(Path(sys.argv[1]))))
"""


def test_kill_minus_nine_during_evaluation_never_duplicates(tmp_path: Path) -> None:
    """A round commits as a whole: a kill -9 at any moment leaves nothing or everything, never a part
    and never a duplicate; the next run completes the work exactly once."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    pristine, reference = tmp_path / "pristine", tmp_path / "reference"
    _home_with_signs(pristine)
    shutil.copytree(pristine, reference)
    started = time.perf_counter()
    subprocess.run(_evaluate(reference), check=True, capture_output=True, env=env)
    full = time.perf_counter() - started
    expected = _snapshot(reference)
    assert len(expected[0]) > SIGNS  # many alerts: the round's transaction has much to write

    # Killed inside the round's transaction, after all its writes and before the commit.
    inside = tmp_path / "inside"
    shutil.copytree(pristine, inside)
    proc = subprocess.run([sys.executable, "-c", KILL_INSIDE_TRANSACTION, str(inside)], capture_output=True, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert _snapshot(inside) == ([], [])
    _complete_after_crash(inside, expected, env)

    # Killed at moments spread over a run (wherever they land): all or nothing, never twice.
    for attempt, share in enumerate((0.5, 0.8, 0.95)):
        crashed = tmp_path / f"crashed{attempt}"
        shutil.copytree(pristine, crashed)
        proc2 = subprocess.Popen(_evaluate(crashed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(share * full)
        proc2.send_signal(signal.SIGKILL)
        proc2.wait()
        partial = _snapshot(crashed)
        assert partial in (([], []), expected)
        _complete_after_crash(crashed, expected, env)


class _Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[str, dict[str, Any]]] = []
    fail_next = 0

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append((self.headers.get("Idempotency-Key", ""), body))
        status = 200
        if type(self).fail_next > 0:
            type(self).fail_next -= 1
            status = 503
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"calls": [], "fail_next": 1})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=test", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_one_delivery_per_event_with_retries(warehouse: Any, put_levels: Callable[..., int],
                                             level_sign: Callable[..., Any],
                                             receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    add_webhook(warehouse, url)
    add_webhook(warehouse, url + "&dept=other", department="nobody")  # not this sign's department: no calls
    level_sign()
    put_levels({"A": 4.0, "B": 1.0})  # opened (A); the hook's first delivery attempt fails
    put_levels({"A": 5.5, "B": 1.0})  # escalated
    alert = next(a for a in list_alerts(warehouse) if a["sign"] == "gauge_level")
    acknowledge(warehouse, alert["id"], "tester")
    put_levels({"A": 1.0, "B": 1.0})  # recovered
    close(warehouse, alert["id"], "tester", note="已处理")
    put_levels({"A": 1.0, "B": 1.0})  # nothing new
    # the first delivery (from the ingest hook) failed and waits for its backoff; make the next two fail too
    handler.fail_next = 2
    report = deliver(warehouse, base=0.05, wait=10, due_only=False)
    assert report.pending == 0 and report.failed == 0 and report.retried >= 2
    ok = [(key, body) for key, body in handler.calls]
    kinds = [b["shucang"]["event"] for _, b in ok]
    assert set(kinds) == {"opened", "escalated", "acknowledged", "recovered", "closed"}
    assert len(handler.calls) == 5 + 3  # five events, three failed attempts
    delivered_keys = {r["key"] for r in outbox_rows(warehouse)}
    assert len(delivered_keys) == 5 and {k for k, _ in ok} == delivered_keys
    assert all(body["msgtype"] == "text" and body["text"]["content"].startswith("【城市大脑")
               and body["idempotency_key"] == key for key, body in ok)
    assert {r["status"] for r in outbox_rows(warehouse)} == {"delivered"}
    assert deliver(warehouse, base=0.05, due_only=False).delivered == 0  # nothing is sent twice
    assert len(handler.calls) == 8
