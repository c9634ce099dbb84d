"""Every hostile file of the ingest dev set, through the CLI, handled exactly as expect.json says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import CASES

DEVSET = CASES / "ingest-dev"
EXPECT: dict[str, dict] = json.loads((DEVSET / "expect.json").read_text("utf-8"))


def _dataset_name(file_name: str) -> str:
    return "t_" + "".join(ch if ch.isalnum() else "_" for ch in Path(file_name).stem)


@pytest.mark.parametrize("file_name", sorted(EXPECT))
def test_devset_file(cli, home, file_name: str) -> None:
    spec = EXPECT[file_name]
    name = _dataset_name(file_name)
    result = cli("ingest", DEVSET / file_name, "--dataset", name, "--json")
    if spec["expect"] == "reject":
        assert result.exit_code != 0
        assert "Traceback" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("错误")
        listed = cli("datasets", "--json")
        assert listed.exit_code == 0 and listed.json() == []
        assert not (home / "tables" / name).exists()
        return
    assert result.exit_code == 0, result.stderr
    report = result.json()
    good = spec["rows"] if spec["expect"] == "ok" else spec["good_rows"]
    bad = 0 if spec["expect"] == "ok" else spec["bad_rows"]
    assert (report["rows_loaded"], report["rows_rejected"]) == (good, bad)
    assert report["rows_read"] == report["rows_loaded"] + report["rows_rejected"]
    assert report["dataset"] == name and report["version"] == 1
    if "encoding" in spec:
        assert report["encoding"].replace("_", "-").lower().startswith(spec["encoding"])
    if "delimiter" in spec:
        assert report["delimiter"] == spec["delimiter"]
    shown = cli("show", name, "--json").json()
    assert len(shown["columns"]) == spec["columns"]
    assert shown["row_count"] == good
    if bad:
        rejected = cli("rejects", name, "--json").json()
        assert len(rejected) == bad
        if "bad_at" in spec:
            assert sorted(r["line"] for r in rejected) == spec["bad_at"]
        assert all(r["reason"] for r in rejected)
    for spot in spec.get("spot", []):
        column = spot["column"].replace('"', '""')
        rows = cli("sql", f'SELECT "{column}" AS v FROM {name}', "--json")
        assert rows.exit_code == 0, rows.stderr
        assert rows.json()[spot["row"] - 1]["v"] == spot["value"]


def test_formula_like_values_are_stored_verbatim_in_delta(cli, warehouse) -> None:
    """Not only the view: the Delta table itself holds the raw text."""
    result = cli("ingest", DEVSET / "formula_like_values.csv", "--dataset", "f", "--json")
    assert result.exit_code == 0
    warehouse.close()
    from shucang.platform import open_warehouse

    wh = open_warehouse(warehouse.settings)
    values = wh.read_arrow("f", columns=["备注"]).column(0).to_pylist()
    assert values[0] == "=1+2" and values[9] == "\t=1+1" and values[10] == "＝全角等号不是公式"
    wh.close()
