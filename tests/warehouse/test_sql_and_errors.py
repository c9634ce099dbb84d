"""Read-only SQL and the CLI's error behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def loaded(cli, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    assert cli("ingest", path, "--dataset", "x", "--json").exit_code == 0
    return cli


@pytest.mark.parametrize("statement", [
    "DROP VIEW x",
    "CREATE TABLE y AS SELECT 1",
    "COPY (SELECT * FROM x) TO '/tmp/leak.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT 1; SELECT 2",
    "SET enable_external_access=true",
    "ATTACH '/tmp/other.db'",
])
def test_sql_is_read_only(loaded, statement: str) -> None:
    result = loaded("sql", statement)
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr and result.stderr.startswith("错误")


def test_sql_formats(loaded) -> None:
    assert loaded("sql", "SELECT b FROM x ORDER BY b", "--format", "csv").stdout.splitlines() == ["b", "x", "y"]
    assert loaded("sql", "SELECT count(*) AS n FROM x", "--json").json() == [{"n": 2}]


def test_unknown_things_fail_cleanly(cli, tmp_path: Path) -> None:
    for args in (("show", "nope"), ("ingest", tmp_path / "missing.csv", "--dataset", "m"),
                 ("ingest", tmp_path, "--dataset", "dir"), ("ingest", tmp_path / "m.csv", "--dataset", "1bad"),
                 ("sql", "SELEC 1")):
        result = cli(*args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr


@pytest.mark.parametrize("args", [("ingest",), ("nosuch",), ("ingest", "x.csv", "--bogus"), ("sql",)])
def test_usage_errors_are_one_line(cli, args) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("错误") and "internal" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1


def test_sql_csv_export_neutralises_formulas(cli, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("备注\n=1+2\n-12.50\n@SUM(A1)\n普通\n", encoding="utf-8")
    assert cli("ingest", path, "--dataset", "f", "--json").exit_code == 0
    lines = cli("sql", "SELECT 备注 FROM f", "--format", "csv").stdout.splitlines()
    # formulas get a leading apostrophe; a plain signed number is data, not a formula
    assert lines == ["备注", "'=1+2", "-12.50", "'@SUM(A1)", "普通"]
    assert cli("sql", "SELECT 备注 FROM f", "--json").json()[0] == {"备注": "=1+2"}  # stored verbatim
