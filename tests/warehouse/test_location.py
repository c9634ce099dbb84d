"""Where a home's tables live: HOME/tables, another directory, or an object store named by SHUCANG_TABLES_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from shucang.errors import InputError, StorageError
from shucang.settings import Settings
from shucang.warehouse.location import table_root


def test_default_local_and_directory(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> None:
    monkeypatch.delenv("SHUCANG_TABLES_URL", raising=False)
    root = table_root(Settings.load(home))
    assert root.local == Settings.load(home).tables_dir and root.table("a").local == root.local / "a"
    monkeypatch.setenv("SHUCANG_TABLES_URL", str(tmp_path / "elsewhere"))
    (tmp_path / "a.csv").write_text("编号,名称\n1,甲\n", encoding="utf-8")
    assert cli("ingest", tmp_path / "a.csv", "--dataset", "a", "--json").exit_code == 0
    assert (tmp_path / "elsewhere" / "a" / "_delta_log").is_dir() and not (home / "tables" / "a").exists()
    assert cli("sql", "SELECT 名称 FROM a", "--json").json() == [{"名称": "甲"}]


def test_object_store_options_from_environment_over_key_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHUCANG_TABLES_URL", "s3://bucket/{home_id}/t")
    settings = Settings.load(home)
    settings.keys_dir.mkdir(parents=True)
    key_file = settings.keys_dir / "storage.env"
    key_file.write_text("# keys\nAWS_ACCESS_KEY_ID=from-file\nexport AWS_SECRET_ACCESS_KEY='s'\n", encoding="utf-8")
    key_file.chmod(0o600)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    root = table_root(settings)
    assert root.remote and root.url == f"s3://bucket/{settings.home_id()}/t"
    loc = root.table("people")
    assert loc.uri == f"s3://bucket/{settings.home_id()}/t/people" and loc.local is None
    options = loc.storage_options() or {}
    assert (options["AWS_ACCESS_KEY_ID"], options["AWS_SECRET_ACCESS_KEY"]) == ("from-env", "s")
    key_file.chmod(0o640)
    with pytest.raises(StorageError, match="chmod 600"):
        table_root(settings)
    monkeypatch.setenv("SHUCANG_TABLES_URL", "ftp://host/x")
    with pytest.raises(InputError):
        table_root(Settings.load(home))
