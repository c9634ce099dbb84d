"""Determinism, the documented design table, and an end-to-end build into a real warehouse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from shucang.demo import DATASETS, DEPARTMENTS, METRICS, YEARS, DemoTable, build_demo, generate_tables
from shucang.errors import InputError

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-datasets.md"


def test_same_seed_gives_identical_tables(demo_small: dict[str, DemoTable]) -> None:
    again = generate_tables(scale=0.02)
    assert list(again) == list(demo_small)
    for name, demo in again.items():
        assert demo.table.equals(demo_small[name].table), name
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, demo.table.schema) as writer:
            writer.write_table(demo.table)
        other = pa.BufferOutputStream()
        with pa.ipc.new_stream(other, demo.table.schema) as writer:
            writer.write_table(demo_small[name].table)
        assert sink.getvalue().equals(other.getvalue()), name  # byte-identical


def test_another_seed_gives_other_people_but_the_same_design(demo_small: dict[str, DemoTable]) -> None:
    other = generate_tables(scale=0.02, seed=99)
    assert not other["population"].table.equals(demo_small["population"].table)
    assert not other["enterprise_registry"].table["uscc"].equals(demo_small["enterprise_registry"].table["uscc"])
    for name in ("enterprise_cloud", "industrial_robots", "base_stations_5g", "smart_factories"):
        assert other[name].table.num_rows == demo_small[name].table.num_rows


def test_scale_shrinks_only_bulk_datasets(demo_full: dict[str, DemoTable], demo_small: dict[str, DemoTable]) -> None:
    for spec in DATASETS:
        full, small = demo_full[spec.name].table.num_rows, demo_small[spec.name].table.num_rows
        if spec.bulk:
            assert small < full / 5, spec.name
        elif spec.name != "enterprise_registry":
            assert small == full, spec.name
    assert demo_full["population"].table.num_rows == 1_000_000
    assert demo_small["population"].table.num_rows == 20_000


def test_scale_out_of_range_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="scale"):
        generate_tables(scale=0.001)
    with pytest.raises(InputError, match="scale"):
        generate_tables(scale=5)


def test_catalog_entries_are_labelled_synthetic(demo_small: dict[str, DemoTable]) -> None:
    for demo in demo_small.values():
        assert demo.title.endswith("（合成演示数据）")
        assert "合成演示数据" in demo.description
        assert demo.department in DEPARTMENTS
        options = demo.options()
        assert options.synthetic and options.mode == "replace" and options.key == demo.key


def _doc_design_table() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Designed yearly values", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0] not in ("metric",) and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = cells[2:9]
    return rows


def test_doc_design_table_matches_code() -> None:
    rows = _doc_design_table()
    assert len(rows) == len(METRICS)
    for metric in METRICS:
        assert metric.name in rows, metric.name
        documented = [float(v) for v in rows[metric.name]]
        assert documented == [float(v) for v in (*metric.values, metric.target)], metric.name


def test_doc_lists_every_generated_column(demo_small: dict[str, DemoTable]) -> None:
    text = DOC.read_text(encoding="utf-8")
    columns = text.split("## Columns", 1)[1].split("\n## ", 1)[0]
    for name, demo in demo_small.items():
        entry = re.search(rf"^- `{name}`:(.*?)(?=^- `|\Z)", columns, re.S | re.M)
        assert entry, name
        for column in demo.table.column_names:
            assert f"`{column}`" in entry.group(1) or column == "town", (name, column)


def test_end_to_end_build_into_a_warehouse(warehouse: Any) -> None:
    steps: list[tuple[str, int, int]] = []
    results = build_demo(warehouse, scale=0.02, progress=lambda label, i, n: steps.append((label, i, n)))
    assert [r.dataset for r in results] == [d.name for d in DATASETS]
    assert all(r.rows_rejected == 0 and r.rows_loaded == r.rows_read > 0 for r in results)
    assert steps and steps[-1][1] == steps[-1][2]

    infos = {d.name: d for d in warehouse.list_datasets()}
    assert set(infos) >= {d.name for d in DATASETS}
    for spec in DATASETS:
        info = infos[spec.name]
        assert info.synthetic and info.title.endswith("（合成演示数据）")
        assert info.department == spec.department and info.cadence == spec.cadence
        assert list(info.primary_key) == list(spec.key)
    assert infos["population"].row_count == 20_000
    assert not any(i.is_open for i in infos.values())  # only the sharing stage publishes
    assert infos["population"].department_name == DEPARTMENTS["gaj"]

    # Metrics through the warehouse's own SQL door, over the stored Delta versions.
    cloud = warehouse.sql("SELECT year, (SELECT count(DISTINCT uscc) FROM enterprise_cloud "
                          "WHERE cloud_on <= make_date(year, 12, 31)) AS n "
                          "FROM (SELECT unnest(range(2020, 2026)) AS year) ORDER BY year")
    assert cloud.column("n").to_pylist() == list(METRICS[0].values)
    retail = warehouse.sql("SELECT round(sum(retail_amount) / 10000, 2) AS v FROM online_retail "
                           "GROUP BY year(month) ORDER BY year(month)")
    assert retail.column("v").to_pylist() == list([m for m in METRICS if m.id == "online_retail"][0].values)
    stored = warehouse.read_arrow("industrial_robots")
    assert stored.schema.field("retired_on").type == pa.date32()
    assert len(YEARS) == 6

    again = build_demo(warehouse, scale=0.01)  # a second run replaces, it does not append
    assert all(r.mode == "replace" for r in again)
    assert warehouse.dataset("population").row_count == 10_000
    assert warehouse.sql("SELECT count(*) AS n FROM population").column("n")[0].as_py() == 10_000
