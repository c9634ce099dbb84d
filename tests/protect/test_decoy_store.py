"""The compact decoy registry: what a lookup finds is exactly the registered cells with that digest (a
shared 64-bit prefix proposes, never matches), the kept prefixes follow new and vanished extracts, and a
catalog holding the old one-row-per-cell table (schema step 2) is carried over and still traced."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from tests.protect.helpers import POPULATION_GRADES, attack, population, write_as
from tests.protect.registry_cells import Cell, registered_cells

from shucang.platform import open_warehouse
from shucang.protect import (
    ReleaseRequest,
    decoy_lookup,
    protect_for_recipient,
    trace_cache,
    trace_file,
    upsert_recipient,
)
from shucang.protect.decoy_lookup import lookup_digests
from shucang.protect.decoy_store import PAGE_BITS, PAGE_CELLS
from shucang.protect.policy import Policy
from shucang.protect.registry import list_extracts
from shucang.protect.tables import COMPONENT, decoy_pages, decoy_sets, legacy_decoys, legacy_metadata
from shucang.settings import Settings
from shucang.warehouse import IngestOptions
from shucang.warehouse.migrations import applied_version, schema_migrations

POLICY = Policy(decoy_per_million=20000.0)  # 2 % of 4,000 rows: 80 decoys, ≈ 320 cells, 5+ pages each


def _world(home: Path, recipients: int = 3) -> tuple[Any, Any, dict[str, Any]]:
    wh = open_warehouse(Settings.load(home))
    source = population(4000)
    wh.ingest_arrow(source, IngestOptions(dataset="population", mode="replace", synthetic=True))
    releases = {}
    for i in range(recipients):
        upsert_recipient(wh, f"登记{i}", clearance=4)
        releases[f"登记{i}"] = protect_for_recipient(wh, ReleaseRequest(
            "population", f"登记{i}", channel="extract", version=1, grades=POPULATION_GRADES, policy=POLICY), source)
    return wh, source, releases


@pytest.fixture(scope="module")
def store_world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    wh, source, releases = _world(tmp_path_factory.mktemp("decoy-store-home"))
    yield wh, source, releases
    wh.close()


def _words(digests: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([int(d[:16], 16) for d in digests], dtype=np.uint64),
            np.array([int(d[16:], 16) for d in digests], dtype=np.uint64))


def _found(matches: Any) -> Counter[tuple[str, int, str, str, float]]:
    return Counter((e, int(d), c, f"{int(h):016x}{int(lo):016x}", float(b)) for e, d, c, h, lo, b in zip(
        matches.extract_id, matches.decoy, matches.column, matches.hi, matches.lo, matches.bits, strict=True))


def _expected(cells: list[Cell], digests: set[str]) -> Counter[tuple[str, int, str, str, float]]:
    return Counter((c.extract_id, c.decoy, c.column, c.digest, c.bits) for c in cells if c.digest in digests)


def test_pages_hold_every_cell_in_digest_order(store_world) -> None:  # type: ignore[no-untyped-def]
    wh, _source, releases = store_world
    cells = registered_cells(wh)  # checks each set's prefix blob against its pages on the way
    assert len(cells) == sum(r.marks["decoys"]["registered_cells"] for r in releases.values())
    with wh.engine.connect() as conn:
        pages = conn.execute(sa.select(decoy_pages.c.id, sa.func.length(decoy_pages.c.cells))).all()
        sets = conn.execute(sa.select(decoy_sets.c.id, decoy_sets.c.cells)).all()
    assert len(sets) == len(releases)
    for set_id, count in sets:
        mine = sorted((int(page) & ((1 << PAGE_BITS) - 1), size) for page, size in pages if int(page) >> PAGE_BITS == set_id)
        assert [number for number, _size in mine] == list(range(-(-count // PAGE_CELLS)))  # pages 0, 1, … in order
        assert all(size == PAGE_CELLS * 34 for _n, size in mine[:-1]) and sum(s for _n, s in mine) == count * 34


def test_a_lookup_finds_exactly_the_registered_cells(store_world) -> None:  # type: ignore[no-untyped-def]
    wh, _source, _releases = store_world
    cells = registered_cells(wh)
    rng = np.random.default_rng(3)
    digests = sorted({c.digest for c in cells})
    chosen = [digests[i] for i in rng.choice(len(digests), 150, replace=False)]
    # Same 64-bit prefix as a registered digest, another second half: proposed by the prefix, no match.
    twins = [d[:16] + f"{int(d[16:], 16) ^ 1:016x}" for d in chosen[:50]]
    strangers = [f"{int(v):032x}" for v in rng.integers(0, 2**63, 100)]
    for round_ in range(2):  # loads the prefixes, then reuses them
        asked = sorted(set(chosen + twins + strangers))
        found = lookup_digests(wh, *_words(asked))
        assert _found(found) == _expected(cells, set(asked)), round_
        assert len(found) >= len(chosen)
    empty = lookup_digests(wh, *_words([]))
    assert len(empty) == 0 and empty.extract_id == []


def test_kept_prefixes_follow_new_and_vanished_sets(store_world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wh, source, releases = store_world
    every = {c.digest for c in registered_cells(wh)}
    lookup_digests(wh, *_words(sorted(every)))  # the prefixes are kept now
    upsert_recipient(wh, "后来", clearance=4)
    late = protect_for_recipient(wh, ReleaseRequest("population", "后来", channel="extract", version=1,
                                 grades=POPULATION_GRADES, policy=POLICY), source)
    cells = registered_cells(wh)
    mine = {c.digest for c in cells if c.extract_id == late.extract_id}
    assert mine and _found(lookup_digests(wh, *_words(sorted(mine)))) == _expected(cells, mine)
    # A set that vanishes (e.g. a catalog restored from a backup) makes the prefixes start again.
    gone = next(iter(releases.values())).extract_id
    with wh.engine.begin() as conn:
        set_id = conn.execute(sa.select(decoy_sets.c.id).where(decoy_sets.c.extract_id == gone)).scalar_one()
        conn.execute(decoy_pages.delete().where(decoy_pages.c.id.between(set_id << PAGE_BITS, ((set_id + 1) << PAGE_BITS) - 1)))
        conn.execute(decoy_sets.delete().where(decoy_sets.c.id == set_id))
    left = registered_cells(wh)
    found = lookup_digests(wh, *_words(sorted(every | mine)))
    assert _found(found) == _expected(left, every | mine) and gone not in found.extract_id


def _old_registry(wh: Any) -> list[Cell]:
    """Turn a catalog back into the layout before schema step 3: one rowid row per cell in
    ``protect_decoys`` (hex digest, JSON components), inserted in no particular order."""
    cells = registered_cells(wh)
    key_of = {r.id: r.key_id for r in list_extracts(wh)}
    shuffled = [cells[i] for i in np.random.default_rng(5).permutation(len(cells))]
    with wh.engine.begin() as conn:
        decoy_pages.drop(conn)
        decoy_sets.drop(conn)
        legacy_metadata.create_all(conn)
        conn.execute(legacy_decoys.insert(), [
            {"extract_id": c.extract_id, "decoy": c.decoy, "column": c.column, "digest": c.digest,
             "key_id": key_of[c.extract_id], "components": c.components} for c in shuffled])
        conn.execute(schema_migrations.delete().where((schema_migrations.c.component == COMPONENT)
                                                      & (schema_migrations.c.version == 3)))
    return cells


def test_an_old_registry_is_carried_over_and_still_traced(tmp_path: Path) -> None:
    home = tmp_path / "home"
    wh, _source, releases = _world(home)
    rng = np.random.default_rng(11)
    leaks = {name: write_as(attack(rel.table, rng, 2500, drop=1, keep_columns=()), tmp_path / f"leak{k}", "csv")
             for k, (name, rel) in enumerate(sorted(releases.items()))}
    before = {name: trace_file(wh, path) for name, path in leaks.items()}
    cells = _old_registry(wh)
    wh.close()
    trace_cache.clear()
    decoy_lookup.forget()
    wh = open_warehouse(Settings.load(home))  # a new process on the old catalog: step 3 runs
    try:
        after = {name: trace_file(wh, path) for name, path in leaks.items()}
        assert applied_version(wh.engine, COMPONENT, fresh=True) == 3
        with wh.engine.connect() as conn:
            assert not sa.inspect(conn).has_table(legacy_decoys.name)
        carried = registered_cells(wh)
    finally:
        wh.close()
    # The same cells (bits summed again from the stored JSON, exactly), the same answers.
    def key(c: Cell) -> tuple[str, int, str, str]:
        return c.extract_id, c.decoy, c.column, c.digest

    assert sorted(carried, key=key) == sorted(cells, key=key)
    for name, got in after.items():
        assert got["recipient"] == name == before[name]["recipient"]
        assert got["extract_id"] == before[name]["extract_id"]
        assert got["false_accusation_bound"] == before[name]["false_accusation_bound"]
