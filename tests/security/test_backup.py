"""Item 11 of issue 15 (灾备): backup while serving, verify, restore into a new home — then `check`
passes, every dataset has the same versions and row counts, the audit chain verifies, and an extract
made before the backup still traces to its recipient."""

from __future__ import annotations

import shutil
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import invoke_cli as _invoke
from tests.protect.helpers import people

from shucang.settings import Settings

PASS = "correct horse battery staple"


def invoke_cli(home: Path, *args: Any) -> Any:
    return _invoke(home, *map(str, args))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    from shucang.platform import open_warehouse
    from shucang.warehouse import IngestOptions

    home = tmp_path / "source"
    wh = open_warehouse(Settings.load(home))
    try:
        wh.ingest_arrow(people(300), IngestOptions(dataset="people", mode="replace", synthetic=True))
        wh.ingest_arrow(people(200), IngestOptions(dataset="people", mode="append", synthetic=True))
    finally:
        wh.close()
    assert invoke_cli(home, "recipients", "add", "统计局", "--clearance", "1").exit_code == 0
    return home


def _state(home: Path) -> dict[str, Any]:
    from shucang.platform import open_warehouse

    wh = open_warehouse(Settings.load(home))
    try:
        return {i.name: (i.current_version, i.row_count, wh.read_arrow(i.name).num_rows) for i in wh.list_datasets()}
    finally:
        wh.close()


def test_backup_restore_round_trip(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leak = tmp_path / "leak.csv"
    made = invoke_cli(source, "extract", "people", "-r", "统计局", "-o", str(leak), "--json")
    assert made.exit_code == 0, made.stderr
    extract_id = made.json()["extract_id"]
    passfile = tmp_path / "pass.txt"
    passfile.write_text(PASS + "\n")
    backup = tmp_path / "b" / "home.backup"

    # the backup is taken while another process-like writer keeps appending audit entries
    from shucang.platform import open_warehouse
    from shucang.share.audit import record_event

    stop = threading.Event()
    busy = open_warehouse(Settings.load(source))

    def keep_writing() -> None:
        while not stop.is_set():
            record_event(busy, "load-test", "read", dataset="people", rows=1)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        done = invoke_cli(source, "backup", "--out", backup, "--passphrase-file", passfile, "--json")
    finally:
        stop.set()
        writer.join()
        busy.close()
    assert done.exit_code == 0, done.stderr
    assert done.json()["keys_encrypted"] is True
    with tarfile.open(backup) as tar:  # the keys are never in the file in clear
        assert not [m.name for m in tar if m.name.startswith("home/keys")]

    assert invoke_cli(source, "backup", "verify", backup).exit_code == 0
    checked = invoke_cli(source, "backup", "verify", backup, "--passphrase-file", passfile, "--json")
    assert checked.exit_code == 0 and checked.json()["ok"] is True

    target = tmp_path / "restored"
    monkeypatch.setenv("SHUCANG_BACKUP_PASSPHRASE", PASS)
    restored = invoke_cli(target, "restore", backup, "--json")
    assert restored.exit_code == 0, restored.stderr
    monkeypatch.delenv("SHUCANG_BACKUP_PASSPHRASE")

    assert _state(target) == _state(source)
    assert _state(target)["people"][:2] == (2, 500)
    check = invoke_cli(target, "check", "--json")
    assert check.exit_code == 0 and check.json()["ok"] is True, check.stdout
    audit = invoke_cli(target, "audit", "verify", "--json")
    assert audit.exit_code == 0 and audit.json()["ok"] is True, audit.stdout
    traced = invoke_cli(target, "trace", leak, "--json")
    assert traced.exit_code == 0, traced.stderr
    assert traced.json()["recipient"] == "统计局" and traced.json()["extract_id"] == extract_id
    assert oct((target / "keys").stat().st_mode & 0o777) == "0o700"


def test_a_damaged_backup_does_not_verify_or_restore(source: Path, tmp_path: Path) -> None:
    assert invoke_cli(source, "extract", "people", "-r", "统计局", "-o", tmp_path / "x.csv").exit_code == 0  # keys
    passfile = tmp_path / "pass.txt"
    passfile.write_text(PASS)
    backup = tmp_path / "home.backup"
    assert invoke_cli(source, "backup", "--out", backup, "--passphrase-file", passfile).exit_code == 0
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all")
    assert invoke_cli(source, "backup", "verify", backup, "--passphrase-file", wrong).exit_code == 1
    damaged = tmp_path / "damaged.backup"
    shutil.copy(backup, damaged)
    data = bytearray(damaged.read_bytes())
    data[2000] ^= 0xFF  # inside the first member (the catalog)
    damaged.write_bytes(bytes(data))
    assert invoke_cli(source, "backup", "verify", damaged).exit_code == 1
    result = invoke_cli(tmp_path / "new", "restore", damaged, "--passphrase-file", passfile)
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert not (tmp_path / "new" / "catalog.db").exists()


def test_keys_need_a_passphrase(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHUCANG_BACKUP_PASSPHRASE", raising=False)
    assert invoke_cli(source, "extract", "people", "-r", "统计局", "-o", tmp_path / "x.csv").exit_code == 0  # keys
    out = tmp_path / "x.backup"
    result = invoke_cli(source, "backup", "--out", out)
    assert result.exit_code != 0 and "passphrase" in result.stderr and not out.exists()


def test_restore_onto_postgresql(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.postgres import postgres_bin, postgres_server

    if postgres_bin() is None or Settings.load(source).catalog_url:
        pytest.skip("needs PostgreSQL installed, and a SQLite source home")
    leak = tmp_path / "leak.csv"
    assert invoke_cli(source, "extract", "people", "-r", "统计局", "-o", leak).exit_code == 0
    passfile = tmp_path / "pass.txt"
    passfile.write_text(PASS)
    backup = tmp_path / "home.backup"
    assert invoke_cli(source, "backup", "--out", backup, "--passphrase-file", passfile).exit_code == 0
    target = tmp_path / "on-postgres"
    with postgres_server() as base:
        monkeypatch.setenv("SHUCANG_CATALOG_URL", base + "/restored")
        result = invoke_cli(target, "restore", backup, "--passphrase-file", passfile)
        assert result.exit_code == 0, result.stderr
        assert not (target / "catalog.db").exists()
        state = _state(target)
        assert invoke_cli(target, "check", "--json").json()["ok"] is True
        assert invoke_cli(target, "audit", "verify", "--json").json()["ok"] is True
        assert invoke_cli(target, "trace", leak, "--json").json()["recipient"] == "统计局"
        # new rows get fresh ids (the sequences moved past the restored ones)
        assert invoke_cli(target, "recipients", "add", "新单位", "--clearance", "1").exit_code == 0
        assert invoke_cli(target, "extract", "people", "-r", "新单位", "-o", tmp_path / "n.csv").exit_code == 0
        monkeypatch.delenv("SHUCANG_CATALOG_URL")
    assert state == _state(source)
