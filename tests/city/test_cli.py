"""The CLI contracts: signs add/list, alerts list/ack/dispatch/handle/close, each step audited."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shucang.share.audit import search, verify

ALERT_KEYS = {"id", "sign", "group", "level", "value", "status", "opened_at", "updated_at"}


def _csv(path: Path, rows: dict[str, float]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["station", "level"])
        writer.writerows(rows.items())
    return path


def test_signs_and_alerts_contract(cli: Callable[..., Any], tmp_path: Path, home: Path) -> None:
    ingest = cli("ingest", _csv(tmp_path / "a.csv", {"甲站": 2.0, "乙站": 4.0, "丙站": 6.0}),
                 "--dataset", "gauges", "--cadence", "daily", "--json")
    assert ingest.exit_code == 0, ingest.stderr
    added = cli("signs", "add", "gauge_level", "--dataset", "gauges",
                "--sql", "SELECT station AS grp, level AS value FROM gauges",
                "--yellow-above", "3", "--red-above", "5", "--unit", "m", "--department", "slj")
    assert added.exit_code == 0, added.stderr
    assert (home / "signs" / "gauge_level.yaml").is_file()
    listed = cli("signs", "list", "--json")
    entry = next(e for e in listed.json() if e["id"] == "gauge_level")
    assert entry["state"] == "red" and entry["value"] == 6.0 and entry["group"] == "丙站"
    assert entry["unit"] == "m" and entry["department"] == "slj" and entry["red_above"] == 5.0

    alerts = cli("alerts", "list", "--json").json()
    mine = [a for a in alerts if a["sign"] == "gauge_level"]
    assert {a["group"]: a["level"] for a in mine} == {"乙站": "yellow", "丙站": "red"}
    assert all(ALERT_KEYS <= set(a) and a["status"] == "open" for a in mine)
    red = next(a for a in mine if a["level"] == "red")["id"]

    assert cli("alerts", "ack", red).exit_code == 0
    assert cli("alerts", "dispatch", red, "--department", "slj", "--hours", "4", "--note", "请核查").exit_code == 0
    assert cli("alerts", "handle", red, "--note", "已开闸泄洪").exit_code == 0
    still = next(a for a in cli("alerts", "list", "--json").json() if a["id"] == red)
    assert still["status"] == "open" and still["dispatched_to"] == "slj" and still["acknowledged_by"]
    closed = cli("alerts", "close", red, "--json")
    assert closed.exit_code == 0 and closed.json()["status"] == "closed"
    assert [a["id"] for a in cli("alerts", "list", "--status", "closed", "--json").json()] == [red]
    detail = cli("alerts", "show", red, "--json").json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "acknowledged", "dispatched", "handled", "closed"]
    assert all(e["actor"].startswith("cli:") for e in detail["events"][1:])

    again = cli("alerts", "close", red)
    assert again.exit_code == 1 and "closed" in again.stderr and "Traceback" not in again.stderr
    missing = cli("alerts", "ack", "9999")
    assert missing.exit_code == 1 and "9999" in missing.stderr

    from shucang.platform import open_warehouse
    from shucang.settings import Settings

    wh = open_warehouse(Settings.load(home))
    try:
        audited = [e.action for e in search(wh, action="city:alert:*")]
        assert sorted(audited) == sorted(["city:alert:acknowledged", "city:alert:dispatched",
                                          "city:alert:handled", "city:alert:closed"])
        assert all(e.actor.startswith("cli:") for e in search(wh, action="city:alert:*"))
        assert verify(wh).ok
    finally:
        wh.close()


def test_signs_add_rejects_bad_input(cli: Callable[..., Any], tmp_path: Path) -> None:
    cli("ingest", _csv(tmp_path / "a.csv", {"甲站": 2.0}), "--dataset", "gauges")
    bad = cli("signs", "add", "g", "--dataset", "gauges", "--sql", "DROP TABLE gauges", "--red-above", "1")
    assert bad.exit_code == 1 and "SELECT" in bad.stderr and "Traceback" not in bad.stderr
    no_band = cli("signs", "add", "g", "--dataset", "gauges", "--sql", "SELECT station AS grp, level AS value FROM gauges")
    assert no_band.exit_code == 1 and "threshold" in no_band.stderr
    status = cli("alerts", "list", "--status", "bogus", "--json")
    assert status.exit_code == 1 and "bogus" in status.stderr
