"""Tables on object storage: a home whose Delta tables live at ``s3://bucket/prefix`` (``SHUCANG_TABLES_URL``),
against a real S3 API (moto's server, a throwaway subprocess): ingest, read and SQL, a new version, time travel,
a merge by key, the roll-back of an unrecorded commit — with the keys in the environment or a 0600 key file and
never in the catalog. Skipped when moto is not installed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="moto[server] not installed (a test extra): object-storage test skipped")
pytest.importorskip("boto3", reason="boto3 not installed: object-storage test skipped")

from tests.s3 import KEY_ID, REGION, SECRET, objects, s3_server  # noqa: E402

BUCKET = "shucang-test"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server(BUCKET) as url:
        yield url


@pytest.fixture
def on_s3(endpoint: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test home keeps its tables under s3://BUCKET/<home id>; the keys are in the home's key file."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHUCANG_TABLES_URL", f"s3://{BUCKET}/{{home_id}}/tables")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    keys = home / "keys"
    keys.mkdir(parents=True)
    key_file = keys / "storage.env"
    key_file.write_text(f"AWS_ACCESS_KEY_ID={KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET}\n", encoding="utf-8")
    key_file.chmod(0o600)
    from shucang.settings import Settings

    return Settings.load(home).home_id() + "/tables/"


def _csv(path: Path, rows: range, tag: str = "") -> Path:
    lines = ["编号,姓名,手机,金额"] + [f"{i:05d},张{tag}{i % 97},138{i:08d},{i * 1.5}" for i in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ingest_read_version_and_time_travel_on_s3(on_s3: str, endpoint: str, cli, home: Path,
                                                   tmp_path: Path) -> None:
    first = cli("ingest", _csv(tmp_path / "a.csv", range(3000)), "--dataset", "people", "--json")
    assert first.exit_code == 0, first.stderr
    assert (first.json()["version"], first.json()["rows_loaded"]) == (1, 3000)
    stored = objects(endpoint, BUCKET, on_s3 + "people/")
    assert any(k.endswith(".parquet") for k in stored) and any("_delta_log/" in k for k in stored)
    assert not (home / "tables" / "people").exists()  # nothing of the table in the home

    second = cli("ingest", _csv(tmp_path / "b.csv", range(3000, 3500)), "--dataset", "people", "--json").json()
    assert (second["version"], second["row_count"]) == (2, 3500)
    counts = [cli("sql", "SELECT count(*) AS n, sum(金额) AS s FROM people", "--at", f"people={v}",
                  "--json").json()[0] for v in (1, 2)]
    assert [c["n"] for c in counts] == [3000, 3500]
    assert counts[1]["s"] == pytest.approx(sum(i * 1.5 for i in range(3500)))
    # rows in source order, identifiers kept as text (read back through delta-rs into DuckDB, no httpfs)
    head = cli("sql", "SELECT 编号 FROM people LIMIT 3", "--json").json()
    assert [r["编号"] for r in head] == ["00000", "00001", "00002"]
    replaced = cli("ingest", _csv(tmp_path / "c.csv", range(10), tag="新"), "--dataset", "people",
                   "--mode", "replace", "--json").json()
    assert (replaced["version"], replaced["row_count"]) == (3, 10)
    assert cli("sql", "SELECT count(*) AS n FROM people", "--at", "people=1", "--json").json()[0]["n"] == 3000
    assert cli("sql", "SELECT count(*) AS n FROM people", "--json").json()[0]["n"] == 10
    shown = cli("show", "people", "--json").json()
    assert {c["name"]: c.get("type") for c in shown["columns"]}["手机"] == "mobile_phone"  # classified as usual


def test_merge_rollback_and_no_keys_in_catalog_on_s3(on_s3: str, endpoint: str, cli, warehouse,
                                                     tmp_path: Path) -> None:
    import pyarrow as pa
    import sqlalchemy as sa

    from shucang.warehouse import IngestOptions, tables

    base = pa.table({"id": pa.array(range(100), pa.int64()), "v": [f"x{i}" for i in range(100)],
                     "at": pa.array([1_700_000_000_000_000 + i for i in range(100)], pa.timestamp("us", "UTC"))})
    warehouse.ingest_arrow(base, IngestOptions(dataset="m", mode="replace"))  # a tz timestamp: delta-rs writes
    change = pa.table({"id": pa.array([5, 200], pa.int64()), "v": ["changed", "new"],
                       "at": pa.array([0, 0], pa.timestamp("us", "UTC"))})
    merged = warehouse.ingest_arrow(change, IngestOptions(dataset="m", mode="merge", key=["id"]))
    assert (merged.version, merged.row_count) == (2, 101)
    got = warehouse.sql("SELECT v FROM m WHERE id IN (5, 200) ORDER BY id").column("v").to_pylist()
    assert got == ["changed", "new"]
    location = warehouse.table_location("m")
    assert location.uri.startswith(f"s3://{BUCKET}/") and location.local is None
    # a commit the catalog never recorded (a writer killed before its catalog commit) is rolled back
    tables.write_batches(location, base.schema, iter(base.to_batches()), mode="append", schema_mode=None)
    assert tables.latest_version(location) == 2
    assert cli("check", "m", "--repair", "--json").exit_code == 0
    assert tables.latest_version(location) == 3  # delta-rs restores by a new commit of the old state
    assert warehouse.sql("SELECT count(*) AS n FROM m").column("n").to_pylist() == [101]
    with warehouse.engine.connect() as conn:  # the catalog holds versions, never keys or the endpoint
        dump = " ".join(str(r) for t in ("datasets", "dataset_versions")
                        for r in conn.execute(sa.text(f"SELECT * FROM {t}")).all())
    assert SECRET not in dump and KEY_ID not in dump
    # a first write that never reached the catalog: every object under the table's prefix is removed
    ghost = warehouse.table_location("ghost")
    tables.write_batches(ghost, base.schema, iter(base.to_batches()), mode="append", schema_mode=None)
    assert objects(endpoint, BUCKET, on_s3 + "ghost/")
    assert tables.rollback_to(ghost, None) and not objects(endpoint, BUCKET, on_s3 + "ghost/")
    assert not tables.rollback_to(ghost, None)
    key_file = warehouse.settings.keys_dir / "storage.env"
    key_file.chmod(0o644)
    refused = cli("sql", "SELECT 1 AS one", "--json")
    assert refused.exit_code == 1 and "chmod 600" in refused.stderr
