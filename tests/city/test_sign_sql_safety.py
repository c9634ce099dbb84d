"""A sign's SQL runs on the warehouse's locked read-only path: it can neither write nor read files,
nor reach another dataset, nor change the connection that later signs of the round reuse."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shucang.city.evaluate import evaluate_signs
from shucang.city.model import Sign

GOOD = "SELECT station AS grp, level AS value FROM gauges"


def _hostile(tmp: Path, table_dir: Path) -> list[str]:
    leak, other_db = tmp / "leak.csv", tmp / "other.duckdb"
    return [
        f"COPY (SELECT station AS grp, level AS value FROM gauges) TO '{leak}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT 'x' AS grp, count(*) AS value FROM read_parquet('{table_dir}/*.parquet')",
        f"SELECT 'x' AS grp, count(*) AS value FROM read_text('{table_dir}/_delta_log/*.json')",
        "SELECT * FROM read_csv_auto('/etc/hostname') AS t(grp, value)",
        f"ATTACH '{other_db}' AS other",
        "SET enable_external_access=true",
        "RESET lock_configuration",
        f"CREATE TABLE stolen AS SELECT 1 AS grp, 1 AS value; {GOOD}",
        f"CREATE OR REPLACE VIEW gauges AS SELECT 'fake' AS station, 99.0 AS level; {GOOD}",
        "DROP VIEW gauges",
        "INSERT INTO gauges__raw VALUES ('Z', 1.0)",
        "SELECT 'x' AS grp, count(*) AS value FROM other_data",  # another dataset is not there
        "SELECT 'x' AS grp, count(*) AS value FROM duckdb_settings() WHERE name = 'home_directory' "
        "AND value <> '' AND (SELECT count(*) FROM glob('/etc/*')) > 0",
    ]


def test_hostile_sign_sql_fails_and_leaves_the_connection_locked(
        warehouse: Any, put_levels: Callable[..., int], tmp_path: Path) -> None:
    put_levels({"A": 1.0, "B": 4.0})
    put_levels({"Q": 1.0}, dataset="other_data")
    base = Sign(id="safe", dataset="gauges", sql=GOOD, yellow_above=3.0, red_above=5.0)
    hostile = _hostile(tmp_path, warehouse.table_path("gauges"))
    # the good sign first and last: the bad ones in between share its cached connection
    signs = [dataclasses.replace(base, id="first")]
    signs += [dataclasses.replace(base, id=f"bad{i:02d}", sql=sql) for i, sql in enumerate(hostile)]
    signs += [dataclasses.replace(base, id="last")]
    outcomes = {o.sign: o for o in evaluate_signs(warehouse, signs)}
    for i, sql in enumerate(hostile):
        outcome = outcomes[f"bad{i:02d}"]
        assert outcome.state == "error" and outcome.error, sql
    assert outcomes["first"].state == outcomes["last"].state == "yellow"
    assert not list(tmp_path.glob("leak*")) and not (tmp_path / "other.duckdb").exists()
    # the cached connection is still restricted and unchanged for the next round's signs
    again = evaluate_signs(warehouse, [dataclasses.replace(base, id="after", sql="SELECT grp, value FROM ("
                                                           "SELECT station AS grp, level AS value FROM gauges) "
                                                           "WHERE grp <> 'fake'")])
    assert again[0].state == "yellow"
    probe = evaluate_signs(warehouse, [dataclasses.replace(base, id="probe", yellow_above=0.0, sql="SELECT 'x' AS grp, "
                                                           "count(*) AS value FROM duckdb_tables() "
                                                           "WHERE table_name <> 'gauges__loaded'")])
    assert probe[0].state == "ok"  # no table was created by the hostile signs (beside the loaded version)


@pytest.mark.parametrize("sql", ["SELECT 1 AS grp, 2 AS value; SELECT 3 AS grp, 4 AS value",
                                 "PRAGMA version", "EXPORT DATABASE '/tmp/x'"])
def test_only_one_select_runs(warehouse: Any, put_levels: Callable[..., int], sql: str) -> None:
    put_levels({"A": 1.0})
    sign = Sign(id="one", dataset="gauges", sql=sql, yellow_above=3.0)
    (outcome,) = evaluate_signs(warehouse, [sign])
    assert outcome.state == "error" and "SELECT" in (outcome.error or "")
