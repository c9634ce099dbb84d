"""Demo tables generated once per test run and shared by the demo tests.

With pytest-xdist the first worker to need a build generates it and writes Arrow IPC files to the
run's shared temporary directory; the other workers memory-map those files instead of generating
the 1M-row demo again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from shucang.demo import DemoTable, generate_tables
from shucang.demo.design import DATASET_BY_NAME

SMALL = 0.02

try:
    import fcntl
except ImportError:  # pragma: no cover — Windows: no sharing, each worker generates
    fcntl = None  # type: ignore[assignment]


def _load(folder: Path) -> dict[str, DemoTable]:
    out: dict[str, DemoTable] = {}
    for name, spec in DATASET_BY_NAME.items():
        with pa.memory_map(str(folder / f"{name}.arrow")) as source:
            table = pa.ipc.open_file(source).read_all()
        out[name] = DemoTable(spec.name, spec.title, spec.department, spec.cadence, spec.key, table, spec.description)
    return out


def _shared(factory: pytest.TempPathFactory, worker: str, scale: float) -> dict[str, DemoTable]:
    if worker == "master" or fcntl is None:
        return generate_tables(scale=scale)
    folder = factory.getbasetemp().parent / f"shucang-demo-{scale}"
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "done").exists():
            return _load(folder)
        tables = generate_tables(scale=scale)
        folder.mkdir(exist_ok=True)
        for name, demo in tables.items():
            with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink, \
                    pa.ipc.new_file(sink, demo.table.schema) as writer:
                writer.write_table(demo.table)
        (folder / "done").touch()
        return tables


@pytest.fixture(scope="session")
def demo_full(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, DemoTable]:
    """Scale 1: the full demo (1M people)."""
    return _shared(tmp_path_factory, worker_id, 1.0)


@pytest.fixture(scope="session")
def demo_small(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, DemoTable]:
    return _shared(tmp_path_factory, worker_id, SMALL)


@pytest.fixture(scope="session", params=["full", "small"])
def demo_any(request: pytest.FixtureRequest) -> dict[str, DemoTable]:
    return request.getfixturevalue(f"demo_{request.param}")


def connect(tables: dict[str, DemoTable]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every demo table registered under its dataset name."""
    con = duckdb.connect()
    for name, demo in tables.items():
        con.register(name, demo.table)
    return con


@pytest.fixture(scope="session")
def demo_connect() -> Callable[[dict[str, DemoTable]], duckdb.DuckDBPyConnection]:
    """The :func:`connect` helper as a fixture (test modules cannot import conftest)."""
    return connect


@pytest.fixture(scope="session")
def demo_db(demo_any: dict[str, DemoTable]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(demo_any)
    yield con
    with contextlib.suppress(Exception):
        con.close()
