"""Robustness of tracing: the attack list over many recipients, with success and false-accusation counts.

Builds a synthetic (合成) dataset, issues one extract to each of ``--recipients`` recipients (half at
clearance 1 → pseudonyms carry the mark, half at clearance 4 → numeric rounding sides carry it), then
leaks random 1,000-row subsets with random attacks (shuffle, drop/rename/reorder columns, CSV/XLSX/
Parquet/JSONL, GB18030, whitespace padding, 3-significant-digit rounding) and traces them. Innocent
files (unmarked source samples, fresh data of the same schema) must name nobody; every trace also
tests ``--null-trials`` never-issued recipients/extracts, which must never be accused.

``--innocent N`` sets how many innocent files are traced (≥ 10,000 to show "0 wrong accusations over
10,000 traces"); each goes through the same :func:`trace_file` as ``shucang trace``, in one process,
so the keys, registry rows and source index are read once. Half are random samples of the source
(unmarked: the warehouse's own rows, attacked like a leak), half samples of fresh data of the same
schema (a new synthetic pool every 50 files). ``--innocent-only`` skips the leaked files and the
population case. The report counts files traced, named nobody, named anyone (all wrong) and the
smallest bound any innocent file reached.

A second part runs the population-style case (the demo ``population`` register: no numeric measure,
so a full-clearance copy can carry only decoy rows): ``--pop-recipients`` recipients at clearance 4,
leaks of ``--pop-leak-rows`` rows under the same attacks (nothing kept back), and innocent files
(source samples, fresh registers). ``--pop-rate`` is the decoys per million rows (policy
``decoys.per_million``; default 700).

A third part (``--drop-recipients``, ``--drop-traces``) is the column-drop attack: a leaker keeps only
two of the identifying columns (name, ID, phone, address — every pair equally likely) of 1,000 rows and
nothing else, in any format. Half the recipients hold a clearance-2 copy (names, IDs and phones are
keyed pseudonyms, the address cut to its town), half a full-clearance copy (all as stored: only decoy
rows, at ``--drop-rate`` per million, can carry the mark). Innocent files (source samples and fresh
people, attacked the same way) must name nobody. ``--only-drop`` runs just this part.

Usage: ``python bench/trace_robustness.py [--recipients 1000] [--traces 200] [--innocent 100]
[--innocent-only] [--pop-recipients 200] [--pop-traces 100] [--pop-leak-rows 10000] [--pop-rate 700]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from tests.protect.helpers import GRADES, POPULATION_GRADES, attack, people, population, write_as  # noqa: E402

from shucang.platform import open_warehouse  # noqa: E402
from shucang.protect import ReleaseRequest, protect_for_recipient, trace_file, upsert_recipient  # noqa: E402
from shucang.protect.policy import Policy  # noqa: E402
from shucang.settings import Settings  # noqa: E402
from shucang.warehouse import IngestOptions  # noqa: E402

FORMATS = [("csv", "utf-8"), ("csv", "gb18030"), ("xlsx", "utf-8"), ("parquet", "utf-8"), ("jsonl", "utf-8")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--traces", type=int, default=200)
    parser.add_argument("--innocent", type=int, default=100)
    parser.add_argument("--leak-rows", type=int, default=1000)
    parser.add_argument("--null-trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pop-rows", type=int, default=100_000)
    parser.add_argument("--pop-recipients", type=int, default=200)
    parser.add_argument("--pop-traces", type=int, default=100)
    parser.add_argument("--pop-innocent", type=int, default=50)
    parser.add_argument("--pop-leak-rows", type=int, default=10_000)
    parser.add_argument("--pop-rate", type=float, default=700.0)
    parser.add_argument("--skip-people", action="store_true", help="run only the population case")
    parser.add_argument("--drop-recipients", type=int, default=200)
    parser.add_argument("--drop-traces", type=int, default=200)
    parser.add_argument("--drop-innocent", type=int, default=100)
    parser.add_argument("--drop-rate", type=float, default=None,
                        help="decoys per million rows for the column-drop case (default: the policy's)")
    parser.add_argument("--only-drop", action="store_true", help="run only the column-drop case")
    parser.add_argument("--innocent-only", action="store_true",
                        help="only the innocent files of the people case (no leaks, no population case)")
    args = parser.parse_args()
    if args.innocent_only:
        args.traces = 0
    if args.only_drop:
        column_drop_case(args)
        return
    if not args.skip_people:
        people_case(args)
    if args.pop_recipients and args.pop_traces and not args.innocent_only:
        population_case(args)
    if args.drop_recipients and args.drop_traces and not args.innocent_only:
        column_drop_case(args)


def people_case(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-trace-"))
    wh = open_warehouse(Settings.load(work / "home"))
    source = people(args.rows)
    wh.ingest_arrow(source, IngestOptions(dataset="people", mode="replace", synthetic=True))
    traced = set(rng.choice(args.recipients, size=min(args.traces, args.recipients), replace=False).tolist())
    plan = [int(rng.choice(sorted(traced))) for _ in range(args.traces)]
    keep = {}
    start = time.perf_counter()
    for i in range(args.recipients):
        name = f"recipient{i:04d}"
        upsert_recipient(wh, name, clearance=1 if i % 2 == 0 else 4)
        release = protect_for_recipient(wh, ReleaseRequest("people", name, channel="extract", version=1,
                                        grades=GRADES), source)
        if i in traced:
            keep[i] = release.table
    print(f"issued {args.recipients} extracts of {args.rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)

    counts = {"right": 0, "wrong": 0, "none": 0, "null_trials": 0, "null_accused": 0}
    leak_times: list[tuple[float, float]] = []
    by_kind = {"low": [0, 0], "full": [0, 0]}
    worst_bound = 0.0
    start = time.perf_counter()
    for t, who in enumerate(plan):
        fmt, encoding = FORMATS[t % len(FORMATS)]
        leaked = attack(keep[who], rng, args.leak_rows, drop=int(rng.integers(0, 3)),
                        round_numbers=bool(rng.random() < 0.8), trim=bool(rng.random() < 0.7))
        path = write_as(leaked, work / f"leak{t}", fmt, encoding=encoding)
        got = timed_trace(wh, path, args.null_trials, leak_times)
        name = f"recipient{who:04d}"
        kind = "low" if who % 2 == 0 else "full"
        by_kind[kind][1] += 1
        if got["recipient"] == name:
            counts["right"] += 1
            by_kind[kind][0] += 1
            worst_bound = max(worst_bound, got["false_accusation_bound"])
        elif got["recipient"] is None:
            counts["none"] += 1
        else:
            counts["wrong"] += 1
        counts["null_trials"] += got["null_trials"]["count"]
        counts["null_accused"] += got["null_trials"]["false_accusations"]
    leak_s = time.perf_counter() - start
    innocent = innocent_traces(args, wh, source, rng, work)
    wh.close()
    if args.traces:
        total = max(1, args.traces)
        print(f"leaked-file traces : {args.traces} ({describe(leak_times)}; {leak_s:.0f} s with writing the files)  "
              f"right {counts['right']}  "
              f"none {counts['none']}  WRONG {counts['wrong']}  "
              f"success {100 * counts['right'] / total:.1f}% (target ≥ 99%)")
        for kind, (ok, n) in by_kind.items():
            label = "clearance 1 (pseudonyms)" if kind == "low" else "clearance 4 (numeric sides)"
            print(f"  {label:28}: {ok}/{n}")
        print(f"largest false-accusation bound of a correct answer: {worst_bound:.1e} (target ≤ 1e-9)")
    print(f"innocent files     : {innocent['traced']} traced  named nobody {innocent['nobody']}  "
          f"named someone {innocent['named']} (target 0; every name would be wrong)  "
          f"[{innocent['not_matched']} not_matched, {innocent['inconclusive']} inconclusive]")
    print(f"  smallest false-accusation bound of an innocent file: {innocent['smallest_bound']:.1e} "
          f"(named only at ≤ 1e-10)")
    print(f"  {innocent['source']} source samples, {innocent['fresh']} fresh same-schema files; "
          f"{innocent['times']}; {innocent['elapsed']:.0f} s in all with writing the files")
    null_trials = counts["null_trials"] + innocent["null_trials"]
    null_accused = counts["null_accused"] + innocent["null_accused"]
    print(f"never-issued keys  : {null_trials} null trials  accused: {null_accused} (target 0)")
    wrong = counts["wrong"] + innocent["named"] + null_accused
    print(f"wrong accusations in total: {wrong} over {args.traces + innocent['traced'] + null_trials} trials")


def timed_trace(wh: Any, path: Path, null_trials: int, times: list[tuple[float, float]]) -> dict[str, Any]:
    """``trace_file`` as ``shucang trace`` runs it, with its CPU and wall time appended to ``times``."""
    cpu, wall = time.process_time(), time.perf_counter()
    got = trace_file(wh, path, null_trials=null_trials)
    times.append((time.process_time() - cpu, time.perf_counter() - wall))
    return got


def describe(times: list[tuple[float, float]]) -> str:
    """Median CPU and wall time of a trace (the first trace of a source reads and scans it: also shown)."""
    if not times:
        return "no traces"
    return (f"trace median {statistics.median(c for c, _ in times):.3f} s CPU / "
            f"{statistics.median(w for _, w in times):.3f} s wall, first {times[0][1]:.2f} s wall")


def innocent_traces(args: argparse.Namespace, wh: Any, source: pa.Table, rng: np.random.Generator,
                    work: Path) -> dict[str, Any]:
    """Trace ``args.innocent`` files that came from no extract; any recipient named is a wrong accusation."""
    out: dict[str, Any] = {"traced": 0, "nobody": 0, "named": 0, "not_matched": 0, "inconclusive": 0,
                           "smallest_bound": 1.0, "source": 0, "fresh": 0, "null_trials": 0, "null_accused": 0}
    times: list[tuple[float, float]] = []
    fresh = source
    start = time.perf_counter()
    for t in range(args.innocent):
        if t % 2 == 0:
            table = source
            out["source"] += 1
        else:
            if t % 100 == 1:  # a new fresh pool every 50 fresh files
                fresh = people(max(args.leak_rows * 20, 2000), seed=10_000 + t)
            table = fresh
            out["fresh"] += 1
        leaked = attack(table, rng, args.leak_rows, drop=int(rng.integers(0, 3)), round_numbers=bool(t % 3),
                        trim=bool(rng.random() < 0.7))
        fmt, encoding = FORMATS[t % len(FORMATS)]
        path = write_as(leaked, work / f"innocent{t % 10}", fmt, encoding=encoding)
        got = timed_trace(wh, path, args.null_trials, times)
        out["traced"] += 1
        out["named"] += got["recipient"] is not None
        out["nobody"] += got["recipient"] is None
        out[got["verdict"]] = out.get(got["verdict"], 0) + 1
        out["smallest_bound"] = min(out["smallest_bound"], got["false_accusation_bound"])
        out["null_trials"] += got["null_trials"]["count"]
        out["null_accused"] += got["null_trials"]["false_accusations"]
        if (t + 1) % 1000 == 0:
            print(f"  … {t + 1} innocent files traced, named someone {out['named']}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    out["times"] = describe(times)
    out["elapsed"] = time.perf_counter() - start
    return out


def population_case(args: argparse.Namespace) -> None:
    """Full-clearance copies of a register without numeric measures: decoy rows are the only carrier."""
    rng = np.random.default_rng(args.seed + 1)
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-decoys-"))
    wh = open_warehouse(Settings.load(work / "home"))
    source = population(args.pop_rows)
    wh.ingest_arrow(source, IngestOptions(dataset="population", mode="replace", synthetic=True))
    policy = Policy(decoy_per_million=args.pop_rate)
    traced = set(rng.choice(args.pop_recipients, size=min(args.pop_traces, args.pop_recipients), replace=False).tolist())
    plan = [int(rng.choice(sorted(traced))) for _ in range(args.pop_traces)]
    keep = {}
    decoy_cells: dict[int, set[str]] = {}
    start = time.perf_counter()
    decoys_per_copy = 0
    for i in range(args.pop_recipients):
        name = f"full{i:04d}"
        upsert_recipient(wh, name, clearance=4)
        release = protect_for_recipient(wh, ReleaseRequest("population", name, channel="extract", version=1,
                                        grades=POPULATION_GRADES, policy=policy), source)
        decoys_per_copy = release.marks["decoys"]["count"]
        if i in traced:
            keep[i] = release.table
            fresh = release.table.filter(pc.invert(pc.is_in(release.table.column("id_card"),
                                                            value_set=source.column("id_card"))))
            decoy_cells[i] = {v for n in ("id_card", "mobile", "address") for v in fresh.column(n).to_pylist() if v}
    print(f"\npopulation case: {args.pop_recipients} full-clearance extracts of {args.pop_rows:,} rows "
          f"(+{decoys_per_copy} decoys each, {args.pop_rate:g} per million) in {time.perf_counter() - start:.1f} s",
          flush=True)
    pop_times: list[tuple[float, float]] = []
    missed_with: list[int] = []
    counts = {"right": 0, "wrong": 0, "none": 0, "no_decoy_leaked": 0, "innocent_named": 0, "null_trials": 0,
              "null_accused": 0}
    worst = 0.0
    start = time.perf_counter()
    for t, who in enumerate(plan):
        fmt, encoding = FORMATS[t % len(FORMATS)]
        leaked = attack(keep[who], rng, args.pop_leak_rows, drop=int(rng.integers(0, 3)), trim=bool(rng.random() < 0.7),
                        keep_columns=())
        rows_with_decoy = np.zeros(leaked.num_rows, dtype=bool)  # rows holding a decoy's ID, phone or address
        for column in leaked.columns:
            text = pc.utf8_trim_whitespace(column.cast(pa.string()))
            rows_with_decoy |= pc.fill_null(pc.is_in(text, value_set=pa.array(sorted(decoy_cells[who]))), False).to_numpy(
                zero_copy_only=False)
        had_decoy = int(rows_with_decoy.sum())
        path = write_as(leaked, work / f"pop{t}", fmt, encoding=encoding)
        got = timed_trace(wh, path, args.null_trials, pop_times)
        name = f"full{who:04d}"
        if got["recipient"] == name:
            counts["right"] += 1
            worst = max(worst, got["false_accusation_bound"])
        elif got["recipient"] is None:
            counts["none"] += 1
            counts["no_decoy_leaked"] += not had_decoy
            missed_with.append(had_decoy)
        else:
            counts["wrong"] += 1
        counts["null_trials"] += got["null_trials"]["count"]
        counts["null_accused"] += got["null_trials"]["false_accusations"]
    elapsed = time.perf_counter() - start
    for t in range(args.pop_innocent):
        table = source if t % 2 == 0 else population(args.pop_leak_rows * 2, seed=20_000 + t)
        leaked = attack(table, rng, args.pop_leak_rows, drop=int(rng.integers(0, 3)), keep_columns=())
        fmt, encoding = FORMATS[t % len(FORMATS)]
        got = trace_file(wh, write_as(leaked, work / f"popinnocent{t}", fmt, encoding=encoding),
                         null_trials=args.null_trials)
        counts["innocent_named"] += got["recipient"] is not None
        counts["null_trials"] += got["null_trials"]["count"]
        counts["null_accused"] += got["null_trials"]["false_accusations"]
    wh.close()
    expected = args.pop_leak_rows * args.pop_rate / 1e6
    print(f"leaked-file traces : {args.pop_traces} of {args.pop_leak_rows:,} rows ({describe(pop_times)}, "
          f"{elapsed:.0f} s with writing the files; "
          f"{expected:.1f} decoys expected per leak)  right {counts['right']}  none {counts['none']} "
          f"(of which the leak held no decoy {counts['no_decoy_leaked']}; decoy rows in the missed leaks: "
          f"{sorted(missed_with)})  WRONG {counts['wrong']}  "
          f"success {100 * counts['right'] / max(1, args.pop_traces):.1f}%")
    print(f"largest false-accusation bound of a correct answer: {worst:.1e} (target ≤ 1e-9)")
    print(f"innocent files     : {args.pop_innocent}  named someone: {counts['innocent_named']} (target 0)")
    print(f"never-issued keys  : {counts['null_trials']} null trials  accused: {counts['null_accused']} (target 0)")


IDENTIFYING = ("id_card", "name", "mobile", "address")
PAIRS = [(a, b) for i, a in enumerate(IDENTIFYING) for b in IDENTIFYING[i + 1:]]


def keep_pair(table: pa.Table, rng: np.random.Generator, rows: int, pair: tuple[str, str], *, trim: bool) -> pa.Table:
    """``rows`` random rows in random order with only the two columns of ``pair`` (renamed, maybe padded)."""
    idx = rng.choice(table.num_rows, size=min(rows, table.num_rows), replace=False)
    sub = table.take(pa.array(idx))
    names = list(pair)
    rng.shuffle(names)
    columns = {}
    for i, n in enumerate(names):
        col = sub.column(n)
        if not trim:
            col = pc.binary_join_element_wise(" ", col, " ", "")
        columns[f"F{i + 1}"] = col
    return pa.table(columns)


def column_drop_case(args: argparse.Namespace) -> None:
    """Leaks keeping two identifying columns only, of clearance-2 and full-clearance copies."""
    rng = np.random.default_rng(args.seed + 2)
    work = Path(tempfile.mkdtemp(prefix="shucang-bench-drop-"))
    wh = open_warehouse(Settings.load(work / "home"))
    source = people(args.rows)
    wh.ingest_arrow(source, IngestOptions(dataset="people", mode="replace", synthetic=True))
    policy = Policy() if args.drop_rate is None else Policy(decoy_per_million=args.drop_rate)
    n = args.drop_recipients
    traced = set(rng.choice(n, size=min(args.drop_traces, n), replace=False).tolist())
    plan = [int(rng.choice(sorted(traced))) for _ in range(args.drop_traces)]
    keep: dict[int, pa.Table] = {}
    decoys_full = 0
    start = time.perf_counter()
    for i in range(n):
        name = f"drop{i:04d}"
        upsert_recipient(wh, name, clearance=2 if i % 2 == 0 else 4)
        release = protect_for_recipient(wh, ReleaseRequest("people", name, "extract", version=1, grades=GRADES,
                                                            policy=policy), source)
        if i % 2:
            decoys_full = int((release.marks.get("decoys") or {}).get("count", 0))
        if i in traced:
            keep[i] = release.table
    print(f"\ncolumn-drop case: {n} extracts of {args.rows:,} rows (half clearance 2, half full clearance with "
          f"{decoys_full} decoy rows each = {policy.decoy_per_million:g} per million) in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    result = {"c2": [0, 0, 0, 0], "full": [0, 0, 0, 0]}  # right, none, wrong, total
    by_pair: dict[str, list[int]] = {}
    times: list[tuple[float, float]] = []
    null_trials = null_accused = 0
    worst = 0.0
    start = time.perf_counter()
    for t, who in enumerate(plan):
        pair = PAIRS[int(rng.integers(len(PAIRS)))]
        leaked = keep_pair(keep[who], rng, args.leak_rows, pair, trim=bool(rng.random() < 0.7))
        fmt, encoding = FORMATS[t % len(FORMATS)]
        got = timed_trace(wh, write_as(leaked, work / f"drop{t % 10}", fmt, encoding=encoding), args.null_trials, times)
        kind = "c2" if who % 2 == 0 else "full"
        slot = 0 if got["recipient"] == f"drop{who:04d}" else 1 if got["recipient"] is None else 2
        result[kind][slot] += 1
        result[kind][3] += 1
        stats = by_pair.setdefault(f"{kind} {'+'.join(pair)}", [0, 0])
        stats[0] += slot == 0
        stats[1] += 1
        if slot == 0:
            worst = max(worst, got["false_accusation_bound"])
        null_trials += got["null_trials"]["count"]
        null_accused += got["null_trials"]["false_accusations"]
    elapsed = time.perf_counter() - start
    innocent_named = 0
    fresh = people(max(args.leak_rows * 20, 2000), seed=30_000)
    for t in range(args.drop_innocent):
        table = source if t % 2 == 0 else fresh
        pair = PAIRS[t % len(PAIRS)]
        leaked = keep_pair(table, rng, args.leak_rows, pair, trim=bool(t % 3))
        fmt, encoding = FORMATS[t % len(FORMATS)]
        got = trace_file(wh, write_as(leaked, work / f"dropinnocent{t % 10}", fmt, encoding=encoding),
                         null_trials=args.null_trials)
        innocent_named += got["recipient"] is not None
        null_trials += got["null_trials"]["count"]
        null_accused += got["null_trials"]["false_accusations"]
    wh.close()
    print(f"leaked-file traces : {args.drop_traces} of {args.leak_rows:,} rows keeping 2 identifying columns "
          f"({describe(times)}; {elapsed:.0f} s with writing the files)")
    for kind, label, target in (("c2", "clearance 2 (pseudonyms)", 99), ("full", "full clearance (decoys)", 95)):
        right, none, wrong, total = result[kind]
        print(f"  {label:26}: named {right}/{total} = {100 * right / max(1, total):.1f}% (target ≥ {target}%)  "
              f"nobody {none}  WRONG {wrong}")
    print("  by kept pair: " + ", ".join(f"{k} {ok}/{all_}" for k, (ok, all_) in sorted(by_pair.items())))
    print(f"largest false-accusation bound of a correct answer: {worst:.1e} (named only at ≤ 1e-10)")
    print(f"innocent files     : {args.drop_innocent}  named someone: {innocent_named} (target 0)")
    print(f"never-issued keys  : {null_trials} null trials  accused: {null_accused} (target 0)")


if __name__ == "__main__":
    main()
