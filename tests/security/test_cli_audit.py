"""Item 10 of issue 15: CLI data access enters the same hash chain as API reads (actor: the OS user,
details: the home), so `shucang audit search --dataset X` answers who read X through any door."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from tests.conftest import invoke_cli as _invoke
from tests.protect.helpers import people

from shucang.settings import Settings


def invoke_cli(home: Path, *args: Any) -> Any:
    return _invoke(home, *map(str, args))


def test_cli_reads_and_changes_are_in_the_audit_chain(tmp_path: Path) -> None:
    from shucang.platform import open_warehouse
    from shucang.warehouse import IngestOptions

    home = tmp_path / "home"
    wh = open_warehouse(Settings.load(home))
    try:
        wh.ingest_arrow(people(50), IngestOptions(dataset="people", mode="replace", synthetic=True))
    finally:
        wh.close()
    source = tmp_path / "firms.csv"
    source.write_text("name,town\n甲公司,周巷镇\n乙公司,龙山镇\n", encoding="utf-8")
    assert invoke_cli(home, "ingest", source, "--dataset", "firms").exit_code == 0
    assert invoke_cli(home, "sql", "SELECT count(*) FROM people p JOIN firms f USING (town)").exit_code == 0
    assert invoke_cli(home, "recipients", "add", "统计局", "--clearance", "1").exit_code == 0
    assert invoke_cli(home, "extract", "people", "-r", "统计局", "-o", tmp_path / "x.csv").exit_code == 0
    assert invoke_cli(home, "classify", "firms").exit_code == 0
    assert invoke_cli(home, "sql", "SELECT * FROM nosuch").exit_code != 0

    found = invoke_cli(home, "audit", "search", "--dataset", "people", "--json")
    assert found.exit_code == 0, found.stderr
    actions = [e["action"] for e in found.json()]
    assert "sql" in actions and "export" in actions
    entry = next(e for e in found.json() if e["action"] == "sql")
    assert entry["actor"] == f"cli:{getpass.getuser()}"[:64] and entry["details"]["home"] == str(home.resolve())
    firms = [e["action"] for e in invoke_cli(home, "audit", "search", "--dataset", "firms", "--json").json()]
    assert {"ingest", "sql", "classify"} <= set(firms)
    failed = invoke_cli(home, "audit", "search", "--action", "sql", "--outcome", "failed", "--json").json()
    assert failed and "nosuch" in failed[0]["details"]["query"]
    assert invoke_cli(home, "audit", "verify", "--json").json()["ok"] is True
