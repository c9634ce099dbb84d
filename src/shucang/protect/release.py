"""The one masking + fingerprinting path that every exit uses (CLI extract, sharing API, open data).

Columns graded above ``min(recipient clearance, max_level)`` are masked, pseudonymised or dropped as
the policy says; columns at or below it go out as stored, except that numeric measures carry the
recipient's keyed rounding-side mark (see :mod:`shucang.protect.fingerprint`) and credentials are
never shown to anyone. Every release is recorded in the extract registry with the key id it used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST
from shucang.classify.graded import UNGRADED, grades_of
from shucang.classify.store import column_grades
from shucang.errors import InputError
from shucang.protect.decoy_index import decoy_entries
from shucang.protect.decoy_store import DecoyRows, insert_decoys
from shucang.protect.decoys import Decoys, decoy_count, interleave, make_decoys
from shucang.protect.fingerprint import SIDE_SCHEME, MarkResult, mark_numeric, markable
from shucang.protect.keys import KeyRing, load_keyring
from shucang.protect.masking import apply_mask
from shucang.protect.policy import (
    CHANNELS,
    IDENTIFIER_SHAPES,
    IDENTIFYING_TYPES,
    NEVER_SHOWN_TYPES,
    ColumnRule,
    Policy,
    load_policy,
)
from shucang.protect.pseudonym import keys_for, pseudonymise
from shucang.protect.recipients import Recipient, active_recipient
from shucang.protect.registry import insert_extract, new_extract_id

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MARKABLE_TYPES = (None, *sorted(ST.in_group("amount")))
"""Types of as-stored numeric columns that may carry a fingerprint (never identifiers or codes)."""
MARKED_CHANNELS = ("extract", "api")


@dataclass
class ProtectedRelease:
    """What leaves the warehouse for one recipient, and how it was made."""

    table: pa.Table
    extract_id: str
    masked_columns: list[str]
    dropped_columns: list[str]
    recipient: str = ""
    clearance: int = 1
    key_id: str = ""
    strategies: dict[str, str] = field(default_factory=dict)
    marks: dict[str, Any] = field(default_factory=dict)
    ungraded_columns: list[str] = field(default_factory=list)
    decoy_rows: DecoyRows | None = None
    """Registry rows of the decoys, when the caller records the release itself (``record=``): to be
    inserted in the transaction of its extract row (see :func:`shucang.protect.registry.insert_extract`)."""

    def to_dict(self) -> dict[str, Any]:
        return {"extract_id": self.extract_id, "recipient": self.recipient, "clearance": self.clearance,
                "rows": self.table.num_rows, "columns": self.table.column_names,
                "masked_columns": self.masked_columns, "dropped_columns": self.dropped_columns,
                "strategies": self.strategies, "marks": self.marks, "key_id": self.key_id,
                "decoy_rows": int((self.marks.get("decoys") or {}).get("count", 0)),
                "ungraded_columns": self.ungraded_columns}


def resolve_grades(wh: Warehouse, dataset: str, version: int | None, grades: dict[str, Any] | None) -> dict[str, tuple[str | None, int]]:
    """Column → (type code, level): given, else from the classify stage's store."""
    if grades is None:
        grades = column_grades(wh, dataset, version)
    return grades_of(grades)


def _primary_key(wh: Warehouse, dataset: str) -> set[str]:
    try:
        return set(wh.dataset(dataset).primary_key or [])
    except Exception:  # noqa: BLE001 — a table not (yet) in the catalog simply has no declared key
        return set()


def numeric_key(ring: KeyRing, key_id: str, recipient_id: int, context: str) -> bytes:
    """The key of a numeric mark: per extract for files, per (channel, dataset) for API answers."""
    return ring.derive(key_id, "numeric-mark", f"r{recipient_id}", context)


def mark_context(channel: str, dataset: str, extract_id: str) -> str:
    # API pages are many and small: one key per recipient and dataset keeps them traceable as a whole
    # without one trace hypothesis per page.
    return extract_id if channel == "extract" else f"{channel}:{dataset}"


def _apply(column: pa.ChunkedArray | pa.Array, rule: ColumnRule, *, type_code: str | None, name: str,
           ring: KeyRing, key_id: str, recipient: Recipient) -> pa.Array:
    if rule.strategy in ("pseudonym", "hash"):
        shape = str(rule.params.get("shape") or (IDENTIFIER_SHAPES.get(type_code or "", "token")
                                                 if rule.strategy == "pseudonym" else "token"))
        domain = str(rule.params.get("domain") or type_code or name)
        return pseudonymise(column, keys_for(ring, key_id, recipient.id, domain, shape), shape)
    return apply_mask(column, rule.strategy, rule.params)


PARALLEL_ROWS = 50_000
"""From this many rows on, columns are masked/marked by two threads (Arrow and DuckDB kernels release
the GIL, so a pseudonym column and an address column really run side by side on two cores)."""


def _run_jobs(jobs: Mapping[int, Callable[[], Any]], rows: int) -> dict[int, Any]:
    """Run the per-column jobs, in parallel when the table is large enough for it to pay."""
    if len(jobs) < 2 or rows < PARALLEL_ROWS:
        return {i: job() for i, job in jobs.items()}
    # Longest first: pseudonyms (a PRF per value) before the cheap masks.
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 2, 4),
                            thread_name_prefix="shucang-protect") as pool:
        futures = {i: pool.submit(job) for i, job in jobs.items()}
        return {i: future.result() for i, future in futures.items()}


def _want_decoys(policy: Policy, dataset: str, asked: bool | None, has_carriers: bool, rows: int) -> bool:
    if asked is not None:
        return asked
    mode = policy.decoy_mode_for(dataset)
    return mode == "on" or (mode == "auto" and not has_carriers and rows >= policy.decoy_min_rows)


def _stored_rows(wh: Warehouse, dataset: str, version: int | None) -> int | None:
    """Rows of the stored version (from the files' metadata), None when it cannot be read."""
    try:
        return int(wh.arrow_dataset(dataset, version).count_rows())
    except Exception:  # noqa: BLE001 — a table not in the warehouse
        return None


@dataclass(frozen=True)
class DrawnDecoys:
    """An extract's decoy rows, released like the real rows, and where they go."""

    table: pa.Table
    positions: np.ndarray
    rows: DecoyRows
    summary: dict[str, Any]


def _draw_decoys(wh: Warehouse, dataset: str, version: int | None, source: pa.Table, plan: ReleasePlan, *,
                 filtered: bool) -> DrawnDecoys | None:
    """Decoy rows for one file extract, masked exactly like the real rows (placed among them later).

    A decoy must not repeat any value of the whole dataset, filtered out or not; an extract without a
    row filter that holds as many rows as its stored version *is* the whole dataset, which is then
    not read a second time. Needs only the source and the plan, so it may run beside :meth:`ReleasePlan.apply`."""
    setup, policy, strategies = plan.setup, plan.setup.policy, plan.strategies
    ring, key_id, extract_id = setup.ring, plan.key_id, plan.extract_id
    count = decoy_count(source.num_rows, policy.decoy_per_million, policy.decoy_minimum)
    seed = int.from_bytes(ring.derive(key_id, "decoys", f"r{setup.recipient.id}", extract_id), "big")
    whole = not filtered and _stored_rows(wh, dataset, version) == source.num_rows

    def existing(column: str) -> pa.Array | None:
        if whole:
            return None  # make_decoys then avoids the extract's own column: every stored value
        try:
            return wh.read_arrow(dataset, version, [column]).column(0)
        except Exception:  # noqa: BLE001 — a table not in the warehouse: its own rows are all there is
            return None

    made = make_decoys(source, count, np.random.default_rng(seed),
                       types={n: t for n, (t, _level) in setup.graded.items()}, existing=existing)
    if made is None:
        return None
    released = []
    for i, name in enumerate(plan.names):
        column = made.table.column(name)
        if i in plan.transforms:
            result = plan.transforms[i](column)
            column = result.values if isinstance(result, MarkResult) else result
        released.append(column)
    decoy_out = pa.table(released, names=plan.names)
    usable = {n for n in plan.names if strategies.get(n, "none") in ("none", "pseudonym", "hash")}
    local = Decoys(decoy_out, np.arange(made.count), made.cells)
    rows, summary = decoy_entries(local, decoy_out, usable, ring, key_id, extract_id)
    summary.update({"per_million": policy.decoy_per_million, "real_rows": source.num_rows})
    return DrawnDecoys(decoy_out, made.positions, rows, summary)


@dataclass(frozen=True)
class ReleaseSetup:
    """The lookups of one release — recipient, ceiling, grades, policy, keys, key columns — made once.

    :func:`protect_for_recipient` makes one per call; a caller releasing many small pages of the same
    (recipient, dataset, version, channel, ceiling) may make it once with :func:`prepare_release` and
    reuse it briefly (the sharing API keeps one ≤ 1 s, and drops it at once when a user, token or
    grant changes). Masking and marking still run on every page.
    """

    dataset: str
    channel: str
    recipient: Recipient
    limit: int
    graded: dict[str, tuple[str | None, int]]
    policy: Policy
    ring: KeyRing
    key_columns: frozenset[str]


def prepare_release(wh: Warehouse, dataset: str, recipient: str, *, channel: str, version: int | None = None,
                    max_level: int | None = None, grades: dict[str, Any] | None = None,
                    policy: Policy | None = None) -> ReleaseSetup:
    """Resolve what a release of ``dataset`` to ``recipient`` needs (see :class:`ReleaseSetup`)."""
    if channel not in CHANNELS:
        raise InputError(f"未知渠道 (unknown channel) {channel!r}", hint="one of " + ", ".join(CHANNELS))
    who = active_recipient(wh, recipient)
    return ReleaseSetup(
        dataset=dataset, channel=channel, recipient=who,
        limit=min(who.clearance, max_level if max_level is not None else 4),
        graded=resolve_grades(wh, dataset, version, grades), policy=policy or load_policy(wh),
        ring=load_keyring(wh.settings),
        key_columns=frozenset(_primary_key(wh, dataset)) if channel in MARKED_CHANNELS else frozenset())


@dataclass
class ReleasePlan:
    """What a release does to each column, decided once from the schema and the grades.

    The per-column ``transforms`` work value by value, so they give the same answer on a whole column
    (one machine) or batch by batch (:meth:`batch_function`, used by the Spark engine).
    """

    setup: ReleaseSetup
    key_id: str
    extract_id: str
    names: list[str]
    """Output columns, in order (dropped columns are left out)."""
    transforms: dict[int, Callable[[Any], Any]]
    """Output position → column function (masking, pseudonyms, numeric marks)."""
    marked: frozenset[int]
    """Positions whose function is a numeric mark (returns a :class:`MarkResult`)."""
    masked: list[str]
    dropped: list[str]
    strategies: dict[str, str]
    ungraded: list[str]
    context: str

    def apply(self, table: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
        """The released columns of ``table`` and the numeric marks made (whole columns, threads)."""
        columns: list[Any] = [table.column(n) for n in self.names]
        jobs: dict[int, Callable[[], Any]] = {i: partial(t, columns[i]) for i, t in self.transforms.items()}
        marks: dict[str, Any] = {}
        for i, result in _run_jobs(jobs, table.num_rows).items():
            if isinstance(result, MarkResult):
                columns[i] = result.values
                if result.carriers:
                    marks[self.names[i]] = {"carriers": result.carriers, "changed": result.changed}
            else:
                columns[i] = result
        out = pa.table(dict(zip(self.names, columns, strict=True))) if self.names else pa.table({})
        return out, marks

    def batch_function(self) -> Callable[[pa.RecordBatch], pa.RecordBatch]:
        """The same transforms on one Arrow batch; mark counts ride along in ``__sc_*`` columns
        (the batch's count in its first row) so that a distributed run can add them up."""
        names, transforms, marked = list(self.names), dict(self.transforms), sorted(self.marked)

        def run(batch: pa.RecordBatch) -> pa.RecordBatch:
            columns: list[Any] = [batch.column(batch.schema.get_field_index(n)) for n in names]
            counts: dict[str, list[int]] = {}
            for i, function in transforms.items():
                result = function(columns[i])
                if isinstance(result, MarkResult):
                    columns[i] = result.values
                    counts[f"__sc_carriers_{i}"] = [result.carriers]
                    counts[f"__sc_changed_{i}"] = [result.changed]
                else:
                    columns[i] = result
            rows = batch.num_rows
            extra = []
            for i in marked:
                for key in (f"__sc_carriers_{i}", f"__sc_changed_{i}"):
                    value = counts.get(key, [0])[0]
                    extra.append(pa.array([value] + [0] * (rows - 1) if rows else [], pa.int64()))
            extra_names = [f"__sc_{kind}_{i}" for i in marked for kind in ("carriers", "changed")]
            return pa.RecordBatch.from_arrays([*columns, *extra], names=[*names, *extra_names])

        return run

    def gather(self, table: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
        """Back from a batch-wise run: the released table and the marks (counts added up)."""
        marks: dict[str, Any] = {}
        for i in sorted(self.marked):
            carriers = int(pc.sum(table.column(f"__sc_carriers_{i}")).as_py() or 0)
            changed = int(pc.sum(table.column(f"__sc_changed_{i}")).as_py() or 0)
            if carriers:
                marks[self.names[i]] = {"carriers": carriers, "changed": changed}
        return table.select(self.names), marks


def plan_release(wh: Warehouse, dataset: str, table: pa.Table, recipient: str, *, channel: str,
                 version: int | None = None, max_level: int | None = None, grades: dict[str, Any] | None = None,
                 policy: Policy | None = None, mark: bool = True, setup: ReleaseSetup | None = None) -> ReleasePlan:
    """Decide every column's fate (see :func:`protect_for_recipient`); ``table`` may be the first rows only."""
    if setup is None:
        setup = prepare_release(wh, dataset, recipient, channel=channel, version=version, max_level=max_level,
                                grades=grades, policy=policy)
    elif (setup.dataset, setup.recipient.name, setup.channel) != (dataset, recipient, channel):
        raise ValueError("release setup made for another dataset, recipient or channel")
    who, limit, graded, policy, ring = setup.recipient, setup.limit, setup.graded, setup.policy, setup.ring
    key_id = ring.current_id
    extract_id = new_extract_id()
    out_names: list[str] = []
    masked: list[str] = []
    dropped: list[str] = []
    strategies: dict[str, str] = {}
    ungraded: list[str] = []
    do_mark = mark and channel in MARKED_CHANNELS
    key_columns = setup.key_columns if do_mark else frozenset()
    context = mark_context(channel, dataset, extract_id)
    mark_key = numeric_key(ring, key_id, who.id, context) if do_mark else b""
    transforms: dict[int, Callable[[Any], Any]] = {}
    marked: set[int] = set()
    for name in table.column_names:
        column = table.column(name)
        if name not in graded:
            ungraded.append(name)
        type_code, level = graded.get(name, UNGRADED)
        if type_code in NEVER_SHOWN_TYPES or level > limit:
            rule = policy.rule_for(dataset, name, type_code, channel)
            if type_code in NEVER_SHOWN_TYPES and rule.strategy == "none":
                rule = ColumnRule("never")
            if rule.strategy == "drop":
                dropped.append(name)
                strategies[name] = "drop"
                continue
            if rule.strategy != "none":
                transforms[len(out_names)] = partial(_apply, rule=rule, type_code=type_code, name=name, ring=ring,
                                                     key_id=key_id, recipient=who)
                masked.append(name)
                strategies[name] = rule.strategy
        elif do_mark and type_code in MARKABLE_TYPES and name not in key_columns and markable(name, column):
            marked.add(len(out_names))
            transforms[len(out_names)] = partial(mark_numeric, key=mark_key, column=name, window=policy.window,
                                                 tolerance=policy.numeric_tolerance)
        out_names.append(name)
    return ReleasePlan(setup, key_id, extract_id, out_names, transforms, frozenset(marked), masked, dropped,
                       strategies, ungraded, context)


def _bare_identifiers(plan: ReleasePlan) -> bool:
    """Identifying columns released as stored carry no mark: a leak keeping only them is traced by decoys."""
    return any(plan.setup.graded.get(n, (None, 1))[0] in IDENTIFYING_TYPES and n not in plan.strategies
               for n in plan.names)


def _decoys_wanted(plan: ReleasePlan, *, dataset: str, channel: str, mark: bool, decoys: bool | None, rows: int,
                   carriers: bool) -> bool:
    return channel == "extract" and mark and _want_decoys(plan.setup.policy, dataset, decoys,
                                                          carriers and not _bare_identifiers(plan), rows)


def finish_release(wh: Warehouse, plan: ReleasePlan, out: pa.Table, marks: dict[str, Any], source: Callable[[], pa.Table],
                   *, dataset: str, channel: str, version: int | None, record: Callable[[dict[str, Any]], None] | None,
                   created_by: str | None, filter_text: str | None, mark: bool, decoys: bool | None,
                   drawn: DrawnDecoys | None | bool = False) -> ProtectedRelease:
    """Decoys (file extracts), the registry row, and the :class:`ProtectedRelease` of a released table.

    ``drawn``: the decoys already drawn for this plan (None: none could be made), False: not drawn
    yet. With ``record`` given, the decoys' registry rows are not inserted here but handed back in
    :attr:`ProtectedRelease.decoy_rows`, for the caller to commit with the extract's row."""
    setup, policy, strategies = plan.setup, plan.setup.policy, plan.strategies
    who, limit, key_id, extract_id = setup.recipient, setup.limit, plan.key_id, plan.extract_id
    carriers = sorted(c for c, strategy in strategies.items() if strategy in ("pseudonym", "hash")) + sorted(marks)
    mark_info = {"numeric": marks, "window": policy.window, "tolerance": policy.numeric_tolerance,
                 "sides": SIDE_SCHEME, "context": plan.context, "carriers": carriers, "traceable": bool(carriers)}
    decoy_rows: DecoyRows | None = None
    if _decoys_wanted(plan, dataset=dataset, channel=channel, mark=mark, decoys=decoys, rows=out.num_rows,
                      carriers=bool(carriers)):
        if drawn is False:
            drawn = _draw_decoys(wh, dataset, version, source(), plan, filtered=filter_text is not None)
        if isinstance(drawn, DrawnDecoys):
            out = interleave(out, drawn.table, drawn.positions)
            decoy_rows = drawn.rows
            mark_info["decoys"] = drawn.summary
            mark_info["traceable"] = mark_info["traceable"] or bool(drawn.summary["registered_cells"])
    fields = dict(
        id=extract_id, recipient_id=who.id, recipient=who.name, dataset=dataset, version=version,
        channel=channel, clearance=limit, columns=plan.names, masked=strategies, dropped=plan.dropped,
        marks=mark_info, rows=out.num_rows, policy=policy.to_dict(), key_id=key_id, filter=filter_text,
        created_by=created_by,
    )
    if record is not None:
        record(fields)
    else:
        with wh.engine.begin() as conn:  # the release and its decoys: both or neither
            insert_extract(wh, conn, **fields)
            insert_decoys(wh, conn, decoy_rows)
        decoy_rows = None
    return ProtectedRelease(out, extract_id, plan.masked, plan.dropped, who.name, limit, key_id, strategies,
                            mark_info, plan.ungraded, decoy_rows)


@dataclass(frozen=True)
class ReleaseRequest:
    """What :func:`protect_for_recipient` releases, to whom and how.

    ``grades`` maps column → ColumnGrade, ``(type, level)`` or ``{"type", "level"}``; by default the
    classify stage's grades of ``dataset`` at ``version``. ``max_level`` lowers the ceiling below the
    recipient's clearance (e.g. 1 for open data). ``decoys`` forces decoy rows on or off for a file
    extract (None: the policy decides — by default only where nothing else can carry a mark); other
    channels never get decoys. ``setup`` (from :func:`prepare_release`, for this dataset, recipient and
    channel) replaces the recipient, ceiling, grades, policy and key lookups. ``filter_text`` is the
    row filter recorded with the release (the extract's ``--where``); a file extract without one whose
    table has as many rows as the stored version is taken to be that version (its decoys then avoid
    the table's own values instead of reading the dataset again).
    """

    dataset: str
    recipient: str
    channel: str
    version: int | None = None
    max_level: int | None = None
    grades: dict[str, Any] | None = None
    policy: Policy | None = None
    created_by: str | None = None
    filter_text: str | None = None
    mark: bool = True
    decoys: bool | None = None
    setup: ReleaseSetup | None = None


def protect_for_recipient(wh: Warehouse, request: ReleaseRequest, table: pa.Table, *,
                          record: Callable[[dict[str, Any]], None] | None = None) -> ProtectedRelease:
    """Mask ``table`` (rows of ``request.dataset``) for the recipient, fingerprint it and record the release.

    The registry row is inserted here, unless ``record`` is given: it then receives the row's fields
    to commit itself (the sharing API commits the row in the same transaction as the read's audit
    entry; the extract writer adds the file's path and hash once the file is complete).
    """
    r = request
    plan = plan_release(wh, r.dataset, table, r.recipient, channel=r.channel, version=r.version,
                        max_level=r.max_level, grades=r.grades, policy=r.policy, mark=r.mark, setup=r.setup)
    drawn: DrawnDecoys | None | bool = False
    # Decoys that will be wanted whatever the numeric marks turn out to carry are drawn beside them.
    may_carry = bool(plan.marked) or any(s in ("pseudonym", "hash") for s in plan.strategies.values())
    if table.num_rows >= PARALLEL_ROWS and _decoys_wanted(plan, dataset=r.dataset, channel=r.channel, mark=r.mark,
                                                          decoys=r.decoys, rows=table.num_rows, carriers=may_carry):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shucang-decoys") as pool:
            drawing = pool.submit(_draw_decoys, wh, r.dataset, r.version, table, plan,
                                  filtered=r.filter_text is not None)
            out, marks = plan.apply(table)
            drawn = drawing.result()
    else:
        out, marks = plan.apply(table)
    return finish_release(wh, plan, out, marks, lambda: table, dataset=r.dataset, channel=r.channel,
                          version=r.version, record=record, created_by=r.created_by, filter_text=r.filter_text,
                          mark=r.mark, decoys=r.decoys, drawn=drawn)
