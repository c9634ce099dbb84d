"""数据更新校核: staleness and constraint violations are flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shucang.warehouse.checks import run_checks


def test_stale_and_constraints(cli, tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("id,name\n1,a\n1,b\n2,\n", encoding="utf-8")
    cli("ingest", path, "--dataset", "k", "--key", "id", "--not-null", "name", "--cadence", "daily", "--json")
    report = cli("check", "--json")
    assert report.exit_code == 1
    found = {(r["check"], r["status"]) for r in report.json()["results"] if r["dataset"] == "k"}
    assert ("primary_key", "fail") in found and ("not_null", "fail") in found
    assert ("freshness", "ok") in found


def test_freshness_against_cadence(warehouse, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id\n1\n", encoding="utf-8")
    from shucang.warehouse import IngestOptions

    warehouse.ingest(path, IngestOptions(dataset="f", cadence="monthly"))
    later = datetime.now(UTC) + timedelta(days=60)
    results = [r for r in run_checks(warehouse, now=later) if r.check == "freshness"]
    assert results[0].status == "fail" and "stale" in results[0].message
    soon = datetime.now(UTC) + timedelta(days=10)
    assert [r for r in run_checks(warehouse, now=soon) if r.check == "freshness"][0].status == "ok"


def test_constraint_results_kept_per_version(warehouse, tmp_path: Path, monkeypatch) -> None:
    """A caller's memo spares re-scanning an unchanged version; a new version is scanned (and its
    result is the new one), and the old version's entry is dropped."""
    from shucang.warehouse import IngestOptions, checks

    path = tmp_path / "k.csv"
    path.write_text("id,name\n1,a\n1,b\n", encoding="utf-8")
    warehouse.ingest(path, IngestOptions(dataset="k", key=["id"]))
    scans: list[str] = []
    real = checks._constraints
    monkeypatch.setattr(checks, "_constraints", lambda *a: scans.append(a[2]) or real(*a))
    memo: checks.ConstraintMemo = {}
    first = [r for r in run_checks(warehouse, memo=memo) if r.check == "primary_key"]
    again = [r for r in run_checks(warehouse, memo=memo) if r.check == "primary_key"]
    assert scans == ["k"] and first == again and first[0].status == "fail"
    path.write_text("id,name\n1,a\n2,b\n", encoding="utf-8")
    warehouse.ingest(path, IngestOptions(dataset="k", key=["id"], mode="replace"))
    after = [r for r in run_checks(warehouse, memo=memo) if r.check == "primary_key"]
    assert scans == ["k", "k"] and after[0].status == "ok" and len(memo) == 1
