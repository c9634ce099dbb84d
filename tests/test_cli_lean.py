"""A CLI ingest loads what an ingest needs and nothing else (issue 14, item 7: the per-file cost).

Timing tests would be flaky on a shared machine, so these check the cause instead: the modules a
fresh ``shucang ingest`` process ends up with. pandas (~0.5 s, pulled in by pyarrow only to ask
whether it is there), the web and API stacks and the other command modules must stay out.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
import xlsxwriter

HEAVY = ("pandas", "fastapi", "starlette", "jinja2", "uvicorn", "httpx", "multipart", "pyspark", "openpyxl",
         "shucang.api", "shucang.web", "shucang.demo",
         # not heavy, but an ingest of data no plan, sign or economy binding reads needs none of them
         "duckdb", "yaml", "rich")
OTHER_COMMANDS = ("shucang.cli.share_cmds", "shucang.cli.protect_cmds", "shucang.cli.plan_cmds",
                  "shucang.cli.economy_cmds", "shucang.cli.city_cmds", "shucang.cli.sources_cmds",
                  "shucang.cli.backup_cmds", "shucang.cli.classify_cmds")

RUN_CLI = r"""
import json, sys
from shucang.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    if exc.code:
        raise
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
"""


def _run(tmp_path: Path, *args: str) -> tuple[dict | list, set[str]]:
    modules = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", RUN_CLI, str(modules), "--home", str(tmp_path / "home"), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), set(json.loads(modules.read_text()))


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def _files(tmp_path: Path) -> list[Path]:
    csv = tmp_path / "people.csv"
    csv.write_text("姓名,公民身份号码,人数,金额,日期,电话\n张三,330282199001011234,3,1.5,2024-01-02,13800000000\n"
                   "李四,330282198502021235,4,2.25,2024-01-03,13900000000\n", encoding="utf-8")
    gb = tmp_path / "gb.csv"
    gb.write_bytes("镇街,户数\n浒山街道,12\n白沙路街道,7\n".encode("gb18030"))
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"名称": "甲", "数量": 1, "比例": 0.5}\n{"名称": "乙", "数量": 2, "比例": 1e5}\n', "utf-8")
    book = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(book))
    sheet = wb.add_worksheet("名单")
    for r, row in enumerate([["单位", "人数", "日期"], ["甲", 3, "2024-01-02"], ["乙", 4, "2024-01-03"]]):
        sheet.write_row(r, 0, row)
    wb.close()
    parquet = tmp_path / "typed.parquet"
    pq.write_table(pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "at": pa.array([1_700_000_000_000_000_001, None], pa.timestamp("ns")),  # needs pandas as a Python value
        "span": pa.array([5, 7], pa.duration("ns")),
        "day": pa.array([dt.date(2024, 1, 2), dt.date(2024, 1, 3)]),
        "name": pa.array(["甲", None]),
    }), parquet)
    return [csv, gb, jsonl, book, parquet]


def test_ingest_of_each_format_loads_no_pandas_web_or_other_commands(tmp_path: Path) -> None:
    files = _files(tmp_path)
    results, modules = _run(tmp_path, "ingest", *map(str, files), "-d", "mixed", "--mode", "replace", "--json")
    assert isinstance(results, list) and len(results) == len(files)
    assert [r["format"] for r in results] == ["csv", "csv", "jsonl", "xlsx", "parquet"]
    assert [r["rows_loaded"] for r in results] == [2, 2, 2, 2, 2]
    assert all(r["rows_rejected"] == 0 for r in results)
    # the ingest really did its whole job: classification, catalog, Delta, audit
    assert {"shucang.classify.store", "deltalake", "sqlalchemy", "shucang.share.audit"} <= modules
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, OTHER_COMMANDS) == []


def test_pandas_stays_usable_after_the_cli_kept_pyarrow_from_it(tmp_path: Path) -> None:
    """The probe answer is for pyarrow's own question only: code that imports pandas gets it whole."""
    code = r"""
import sys
from shucang.ingest.pandas_probe import install
install()
import pyarrow as pa, pyarrow.compute as pc
assert pc.equal(pa.array(["x", None]), "x").to_pylist() == [True, None]
assert "pandas" not in sys.modules
import pandas as pd
frame = pd.DataFrame({"a": pd.Series([1.0, float("nan")]), "c": pd.Categorical(["x", "y"])})
table = pa.Table.from_pandas(frame, preserve_index=False)
assert table.column("a").to_pylist() == [1.0, None]  # NaN read as null: pyarrow knows pandas again
assert pa.types.is_dictionary(table.column("c").type)
assert table.to_pandas()["c"].tolist() == ["x", "y"]
assert pa.array(pd.Series([1, None], dtype="Int64")).to_pylist() == [1, None]
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_command_table_names_what_each_module_registers() -> None:
    """``lazy.COMMANDS`` lets a command import its own module only: it must match the modules."""
    from shucang.cli.lazy import COMMANDS, module_commands
    from shucang.cli.root import COMMAND_MODULES

    registered: dict[str, str] = {}
    for module_name in COMMAND_MODULES:
        commands, groups = module_commands(module_name)
        for name in [*commands, *groups]:
            assert name not in registered, f"{name} registered by {registered.get(name)} and {module_name}"
            registered[name] = module_name
    assert registered == COMMANDS


@pytest.mark.parametrize("name", ["ingest", "tokens", "backup", "restore", "plan"])
def test_each_command_is_found_whatever_was_loaded_before(name: str) -> None:
    from shucang.cli.root import app

    root = typer.main.get_command(app)
    found = root.get_command(None, name)  # type: ignore[attr-defined]
    assert found is not None and found.name == name
    assert name in root.list_commands(None)  # type: ignore[attr-defined]


def test_a_command_missing_from_the_table_is_still_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from shucang.cli import lazy
    from shucang.cli.root import app

    monkeypatch.delitem(lazy.COMMANDS, "opendata")
    root = typer.main.get_command(app)
    assert root.get_command(None, "opendata") is not None  # type: ignore[attr-defined]


def test_after_ingest_hooks_look_where_the_loaders_do(tmp_path: Path) -> None:
    from shucang.city import definitions
    from shucang.city import hooks as city_hooks
    from shucang.plan import hooks as plan_hooks
    from shucang.plan import loader

    assert plan_hooks.plan_dirs(tmp_path) == [d for d, _ in loader.plan_dirs(tmp_path)]
    assert [city_hooks.BUNDLED_SIGNS, tmp_path / "signs"] == [d for d, _ in definitions.sign_dirs(tmp_path)]


def test_only_files_that_may_name_a_dataset_are_parsed(tmp_path: Path) -> None:
    from shucang.plan.mentions import may_name

    (tmp_path / "a.yaml").write_text("metrics:\n  - datasets: [人口_2024]\n", encoding="utf-8")
    assert may_name([tmp_path], "人口_2024")
    assert not may_name([tmp_path, tmp_path / "missing"], "企业")
    (tmp_path / "b.yaml").write_text('title: "\\u4f01\\u4e1a"\n', encoding="utf-8")  # an escape may spell it
    assert may_name([tmp_path], "企业")


def test_a_name_inside_a_longer_word_is_no_mention(tmp_path: Path) -> None:
    """``bench`` is not named by ``benchmark_iip_platforms`` (nor ``人口`` by ``人口_2024``); the name as a
    word, in any case or as its ``__raw`` table, in SQL or a YAML list, is."""
    from shucang.plan.mentions import may_name

    (tmp_path / "a.yaml").write_text("indicators:\n  - id: benchmark_iip_platforms\n  - {datasets: [人口_2024]}\n",
                                     encoding="utf-8")
    assert not may_name([tmp_path], "bench")
    assert not may_name([tmp_path], "人口")
    assert not may_name([tmp_path], "platforms")  # still one word: benchmark_iip_platforms
    assert may_name([tmp_path], "benchmark_iip_platforms")
    for sql in ("sql: SELECT year, sum(v) FROM Bench GROUP BY 1", 'sql: SELECT * FROM "bench"',
                "sql: SELECT * FROM bench__raw", "datasets: [x,bench]", "sql: SELECT 人口.年份 FROM 人口"):
        (tmp_path / "b.yaml").write_text(sql + "\n", encoding="utf-8")
        name = "人口" if "人口" in sql else "bench"
        assert may_name([tmp_path], name), sql


def test_one_catalog_query_checks_every_stage_schema(tmp_path: Path) -> None:
    """An ingest into an existing home reads the applied migrations once, for all stages together."""
    import sqlalchemy as sa
    from sqlalchemy import event
    from tests.conftest import invoke_cli

    csv = tmp_path / "small.csv"
    csv.write_text("名称,数量\n甲,1\n乙,2\n", encoding="utf-8")
    home = tmp_path / "home"
    assert invoke_cli(home, "ingest", str(csv), "-d", "first", "--json").exit_code == 0
    seen: list[str] = []

    def log(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(sa.engine.Engine, "before_cursor_execute", log)
    try:
        result = invoke_cli(home, "ingest", str(csv), "-d", "second", "--json")
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", log)
    assert result.exit_code == 0 and result.json()["rows_loaded"] == 2
    assert any("classify_results" in s for s in seen)  # the stages did run
    assert len([s for s in seen if "schema_migrations" in s]) == 1


def test_help_lists_every_command(tmp_path: Path) -> None:
    from tests.conftest import invoke_cli

    from shucang.cli.lazy import COMMANDS

    result = invoke_cli(tmp_path / "home", "--help")
    assert result.exit_code == 0
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ ") and len(line.split()) > 1}
    assert set(COMMANDS) <= listed
