"""Database sources against a real (throwaway) PostgreSQL: full snapshots, incremental loads with a
watermark, merges by key, classification of every run, and no password in the catalog."""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa

from shucang.collect import catalog as cat

PEOPLE = """CREATE TABLE people (id integer PRIMARY KEY, 姓名 text, 手机 text, amount numeric(12,2),
            updated_at timestamptz NOT NULL)"""


def _fill(run, start: int, stop: int, *, hour: int = 1, tag: str = "甲") -> None:
    run("INSERT INTO people SELECT g, %s || (g %% 50), '13' || (5 + g %% 5) || lpad(((g::bigint * 7919 + 12345) %% 100000000)::text, 8, '0'), g * 1.25, "
        "timestamptz '2026-01-01 00:00+00' + make_interval(hours => %s::int) + make_interval(secs => g) "
        "FROM generate_series(%s::int, %s::int) g", (tag, hour, start, stop - 1))


def test_full_snapshot_replaces_and_is_classified(cli, warehouse, source_db) -> None:
    url, run = source_db()
    run(PEOPLE)
    _fill(run, 0, 1200)
    added = cli("sources", "add", "hr", "--url", url, "--table", "people", "--dataset", "people", "--json")
    assert added.exit_code == 0, added.stderr
    first = cli("sources", "run", "hr", "--json")
    assert first.exit_code == 0, first.stderr
    data = first.json()
    assert {"source", "dataset", "version", "rows_loaded", "rows_read", "rows_rejected", "row_count"} <= set(data)
    assert (data["source"], data["dataset"], data["version"], data["rows_loaded"]) == ("hr", "people", 1, 1200)
    run("DELETE FROM people WHERE id >= 1000")
    second = cli("sources", "run", "hr", "--json").json()
    assert (second["version"], second["rows_loaded"], second["row_count"]) == (2, 1000, 1000)
    assert warehouse.sql("SELECT count(*), sum(amount) FROM people").to_pylist()[0] == {
        "count_star()": 1000, "sum(amount)": pytest.approx(sum(i * 1.25 for i in range(1000)))}
    from shucang.classify.store import column_grades

    grades = column_grades(warehouse, "people")
    assert grades["手机"].type == "mobile_phone" and grades["手机"].level >= 3


def test_incremental_loads_only_new_rows(cli, warehouse, source_db) -> None:
    url, run = source_db()
    run(PEOPLE)
    _fill(run, 0, 500)
    cli("sources", "add", "inc", "--url", url, "--table", "people", "--dataset", "people_inc",
        "--incremental-column", "updated_at", "--cadence", "daily")
    assert cli("sources", "run", "inc", "--json").json()["rows_loaded"] == 500
    again = cli("sources", "run", "inc", "--json").json()
    assert again["rows_loaded"] == 0 and again["unchanged"] and again["version"] == 1
    _fill(run, 500, 800, hour=5)
    third = cli("sources", "run", "inc", "--json").json()
    assert (third["version"], third["rows_loaded"], third["row_count"]) == (2, 300, 800)
    ids = warehouse.sql("SELECT count(*) AS n, count(DISTINCT id) AS d FROM people_inc").to_pylist()[0]
    assert ids == {"n": 800, "d": 800}
    listed = {s["name"]: s for s in cli("sources", "list", "--json").json()}
    assert listed["inc"]["watermark"]["type"] == "datetime"
    assert listed["inc"]["schedule"]["last_status"] == "ok" and not listed["inc"]["schedule"]["due"]


def test_merge_by_key_replaces_changed_rows(cli, warehouse, source_db) -> None:
    url, run = source_db()
    run(PEOPLE)
    _fill(run, 0, 400)
    cli("sources", "add", "m", "--url", url, "--table", "public.people", "--dataset", "people_m",
        "--incremental-column", "updated_at", "--key", "id")
    assert cli("sources", "run", "m", "--json").json()["row_count"] == 400
    run("UPDATE people SET 姓名 = '改过', updated_at = updated_at + interval '10 days' WHERE id < 50")
    _fill(run, 400, 450, hour=9)
    merged = cli("sources", "run", "m", "--json").json()
    assert (merged["rows_loaded"], merged["row_count"], merged["mode"]) == (100, 450, "merge")
    rows = warehouse.sql("SELECT count(*) AS n, count(DISTINCT id) AS d, "
                         "count(*) FILTER (WHERE 姓名 = '改过') AS changed FROM people_m").to_pylist()[0]
    assert rows == {"n": 450, "d": 450, "changed": 50}
    checked = cli("check", "people_m", "--json").json()  # the key is declared and holds; nothing left over
    assert checked["ok"], checked
    assert any(r["check"] == "primary_key" and r["status"] == "ok" for r in checked["results"])


def test_password_never_in_the_catalog(cli, warehouse, source_db, monkeypatch) -> None:
    url, run = source_db()
    run(PEOPLE)
    _fill(run, 0, 10)
    secret_url = url.replace("postgres@", "postgres:s3cret-pw@")
    assert cli("sources", "add", "pw", "--url", secret_url, "--table", "people", "--dataset", "pw").exit_code == 0
    with warehouse.engine.connect() as conn:
        config = conn.execute(sa.select(cat.sources.c.config).where(cat.sources.c.name == "pw")).scalar()
    assert "s3cret" not in str(config) and config["url"] == url
    key = warehouse.settings.keys_dir / "sources" / "pw.secret"
    assert key.read_text() == "s3cret-pw" and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert cli("sources", "run", "pw", "--json").json()["rows_loaded"] == 10  # trust auth ignores it
    key.chmod(0o644)
    refused = cli("sources", "run", "pw", "--json")
    assert refused.exit_code == 1 and "chmod 600" in refused.stderr
    monkeypatch.setenv("SHUCANG_SOURCE_PW_SECRET", "from-env")  # the variable wins over the file
    assert cli("sources", "run", "pw", "--json").exit_code == 0


def test_failed_run_is_kept_with_its_error(cli, source_db) -> None:
    url, run = source_db()
    cli("sources", "add", "gone", "--url", url, "--table", "missing_table", "--dataset", "gone")
    failed = cli("sources", "run", "gone", "--json")
    assert failed.exit_code == 1 and "missing_table" in failed.stderr and "Traceback" not in failed.stderr
    history = cli("sources", "history", "gone", "--json").json()
    assert history[0]["status"] == "failed" and "missing_table" in history[0]["error"]
    assert history[0]["finished_at"] is not None


def test_copy_path_equals_driver_path(source_db) -> None:
    """PostgreSQL is read with COPY parsed by Arrow; the generic driver path must give the same table."""
    import pyarrow as pa

    from shucang.collect.database import read_table

    url, run = source_db()
    run("CREATE TABLE odd (id bigint, 名称 text, flag boolean, d date, ts timestamp, tstz timestamptz, "
        "x double precision, n numeric(10,3), u uuid, tags text[], note text)")
    run("INSERT INTO odd VALUES (1, '甲,\"引号\"\n换行', true, '2024-02-29', '2024-01-01 08:00:00.5', "
        "'2024-01-01 08:00+08', 1.5, 12.345, '6ba7b810-9dad-11d1-80b4-00c04fd430c8', '{a,b}', ''), "
        "(2, NULL, false, NULL, NULL, NULL, -0.1, NULL, NULL, NULL, NULL), "
        "(3, '', NULL, '1999-12-31', '1999-12-31 23:59:59', '2000-01-01 00:00+00', 1e-7, -1.000, NULL, '{}', 'x')")
    tables = []
    for fast in (True, False):
        read, engine = read_table(url, "odd", incremental_column="id", fast=fast)
        try:
            tables.append((pa.Table.from_batches(list(read.batches), schema=read.schema), read.watermark))
        finally:
            engine.dispose()
    (copied, mark_a), (driven, mark_b) = tables
    assert copied.num_rows == 3 and mark_a == mark_b == {"type": "int", "value": 3}
    for name in copied.column_names:
        if name == "tags":  # PostgreSQL's text form of an array vs Python's: both text, not compared
            continue
        assert copied.column(name).to_pylist() == driven.column(name).to_pylist(), name
    assert copied.column("名称").to_pylist() == ['甲,"引号"\n换行', None, ""]  # NULL and '' kept apart
