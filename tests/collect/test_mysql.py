"""Database sources on MySQL: a real (throwaway) MariaDB read through ``mysql+pymysql://`` — a full snapshot,
incremental loads past a watermark, and merges by key, each run classified like an ingest.

Skipped, with the reason, when Debian's ``mariadb-server`` is not installed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from tests.mariadb import mariadb_bin

if mariadb_bin() is None:
    pytest.skip("MariaDB is not installed (apt-get install mariadb-server): MySQL source test skipped",
                allow_module_level=True)
pymysql = pytest.importorskip("pymysql", reason="pymysql not installed (pip install shucang[mysql]): skipped")

from tests.mariadb import mariadb_server  # noqa: E402

_counter = itertools.count()
PEOPLE = ("CREATE TABLE people (id INT PRIMARY KEY, 姓名 VARCHAR(20), 手机 CHAR(11), amount DECIMAL(12,2), "
          "updated_at DATETIME(6) NOT NULL) CHARACTER SET utf8mb4")


@pytest.fixture(scope="module")
def mysql_base() -> Iterator[str]:
    with mariadb_server() as base:
        yield base


@pytest.fixture
def mysql_db(mysql_base: str) -> tuple[str, Callable[..., None]]:
    """A fresh database: (its SQLAlchemy URL, run(sql, params) for setting it up)."""
    name = f"src{next(_counter)}"
    port = int(mysql_base.rsplit(":", 1)[1])

    def run(sql: str, params: object = None, *, many: bool = False) -> None:
        conn = pymysql.connect(host="127.0.0.1", port=port, user="root", database=name, charset="utf8mb4",
                               autocommit=True)
        try:
            with conn.cursor() as cur:
                (cur.executemany if many else cur.execute)(sql, params)
        finally:
            conn.close()

    conn = pymysql.connect(host="127.0.0.1", port=port, user="root", autocommit=True)
    try:
        conn.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()
    run(PEOPLE)
    return f"{mysql_base}/{name}?charset=utf8mb4", run


def _name(i: int, tag: str = "张") -> str:
    return f"{tag}{'伟芳娜敏静丽强磊军洋'[i % 10]}{'华明英'[i % 3]}"


def _fill(run: Callable[..., None], start: int, stop: int, *, hour: int = 1, tag: str = "张") -> None:
    rows = [(i, _name(i, tag), f"13{5 + i % 5}{(i * 7919 + 12345) % 10**8:08d}",
             f"{i * 1.25:.2f}", f"2026-01-01 {hour:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:06d}")
            for i in range(start, stop)]
    run("INSERT INTO people VALUES (%s, %s, %s, %s, %s)", rows, many=True)


def test_mysql_full_incremental_and_merge(cli, warehouse, mysql_db) -> None:
    url, run = mysql_db
    _fill(run, 0, 600)
    # full snapshot: a new version replacing the old one
    assert cli("sources", "add", "full", "--url", url, "--table", "people", "--dataset", "people").exit_code == 0
    first = cli("sources", "run", "full", "--json")
    assert first.exit_code == 0, first.stderr
    assert (first.json()["version"], first.json()["rows_loaded"]) == (1, 600)
    run("DELETE FROM people WHERE id >= 500")
    second = cli("sources", "run", "full", "--json").json()
    assert (second["version"], second["rows_loaded"], second["row_count"]) == (2, 500, 500)
    total = warehouse.sql("SELECT count(*) AS n, sum(amount) AS s FROM people").to_pylist()[0]
    assert total["n"] == 500 and float(total["s"]) == pytest.approx(sum(i * 1.25 for i in range(500)))
    from shucang.classify.store import column_grades

    grades = column_grades(warehouse, "people")
    assert grades["手机"].type == "mobile_phone" and grades["姓名"].type == "person_name"

    # incremental: only rows past the watermark (a DATETIME with microseconds)
    cli("sources", "add", "inc", "--url", url, "--table", "people", "--dataset", "people_inc",
        "--incremental-column", "updated_at")
    assert cli("sources", "run", "inc", "--json").json()["rows_loaded"] == 500
    again = cli("sources", "run", "inc", "--json").json()
    assert again["rows_loaded"] == 0 and again["version"] == 1
    _fill(run, 500, 700, hour=5)
    third = cli("sources", "run", "inc", "--json").json()
    assert (third["version"], third["rows_loaded"], third["row_count"]) == (2, 200, 700)

    # merge by key: changed rows replace theirs, new ones are appended
    cli("sources", "add", "m", "--url", url, "--table", "people", "--dataset", "people_m",
        "--incremental-column", "updated_at", "--key", "id")
    assert cli("sources", "run", "m", "--json").json()["row_count"] == 700
    run("UPDATE people SET 姓名 = '改过', updated_at = updated_at + INTERVAL 10 DAY WHERE id < 40")
    _fill(run, 700, 730, hour=9)
    merged = cli("sources", "run", "m", "--json").json()
    assert (merged["rows_loaded"], merged["row_count"], merged["mode"]) == (70, 730, "merge")
    rows = warehouse.sql("SELECT count(*) AS n, count(DISTINCT id) AS d, "
                         "count(*) FILTER (WHERE 姓名 = '改过') AS changed FROM people_m").to_pylist()[0]
    assert rows == {"n": 730, "d": 730, "changed": 40}
    stored = warehouse.sql("SELECT 姓名, 手机 FROM people_m WHERE id = 45").to_pylist()[0]
    assert stored == {"姓名": _name(45), "手机": f"135{(45 * 7919 + 12345) % 10**8:08d}"}  # utf8mb4 text intact
