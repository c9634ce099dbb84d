"""Name the recipient of a leaked file — or nobody, when the evidence is not overwhelming.

Two kinds of evidence, each with an exact null distribution:

* **Pseudonym codes.** Every id18/token pseudonym decodes (one keyed hash) to the slot of the
  recipient it was made for. A value not made for slot r names r with chance 1/M (M = 10⁴ or 2²⁰),
  independently across distinct values, so m votes among n distinct values have the tail
  P(Binomial(n, 1/M) ≥ m).
* **Numeric rounding sides.** After linking leaked rows to the source (:mod:`shucang.protect.linkage`),
  each carrier cell agrees with an extract's keyed side with chance ½ unless the file came from that
  extract: P(Binomial(n, ½) ≥ agreements).

The reported ``false_accusation_bound`` is the smallest tail probability times the number of
hypotheses tested (every recipient per shape and key, every candidate extract) — a Bonferroni bound on
the chance that an innocent file names anyone. A recipient is named only when it is ≤ 1e-10 (the one
rule, :func:`shucang.protect.findings.accuses`; findings are the typed records of that module).

What a trace reads besides the file — the key ring and its derived keys, the registry rows, the
source rows with their indexes, the registered decoy digests — is kept per process
(:mod:`shucang.protect.trace_cache`, :mod:`shucang.protect.decoy_lookup`), so a process tracing many
files pays for it once; and each hypothesis costs one AES call over inputs prepared once per file
(:mod:`shucang.protect.keyed_batch`). The statistics are the same on every path.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect import trace_cache
from shucang.protect.decoy_index import decoy_evidence
from shucang.protect.findings import (
    CheckDigitFinding,
    Finding,
    NumericFinding,
    PseudonymFinding,
    Weighed,
    accuses,
    settled,
    weigh,
)
from shucang.protect.fingerprint import Observation, observe_numeric, side_bits_many
from shucang.protect.keyed_batch import PreparedValues
from shucang.protect.keys import KeyRing
from shucang.protect.leakfile import read_leak
from shucang.protect.linkage import Linkage, link_rows
from shucang.protect.pseudonym import (
    CODE_SPACE,
    ID18_VALUE,
    TOKEN_VALUE,
    check_key,
    decode_slots,
    is_carrier_body,
)
from shucang.protect.registry import ExtractRecord, list_extracts
from shucang.protect.release import numeric_key
from shucang.protect.source_index import SourceIndex

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

MAX_TOKENS = 20_000
MAX_CARRIERS = 400
MAX_SOURCES = 4
MAX_CHECKED = 64
SHORT_SHAPES = (("mobile", r"^1[0-2][0-9]{9}$"), ("digits", r"^[0-9]{12,19}$"))


@functools.lru_cache(maxsize=1 << 16)
def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), computed in log space (exact up to float rounding).

    Cached: a trace asks for the same few (k, n) under hundreds of hypotheses."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    terms = [base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
             for i in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def _token_evidence(leak: pa.Table, ring: KeyRing, slots: dict[int, str]) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    hypotheses = 0
    for shape, pattern in (("id18", ID18_VALUE), ("token", TOKEN_VALUE)):
        values: list[pa.Array] = []
        for name in leak.column_names:
            column = leak.column(name).combine_chunks()
            text = pc.utf8_upper(column) if shape == "id18" else column
            ok = pc.fill_null(pc.match_substring_regex(text, pattern), False)
            if pc.any(ok).as_py():
                values.append(pc.filter(text, ok))
        if not values:
            continue
        distinct = pc.unique(pa.concat_arrays(values)).slice(0, MAX_TOKENS)
        n = len(distinct)
        space = CODE_SPACE[shape]
        by_code: dict[int, list[str]] = {}
        for recipient_slot, name in slots.items():
            by_code.setdefault(recipient_slot % space, []).append(name)
        for key_id in ring.key_ids:
            hypotheses += max(1, len(slots))
            decoded = decode_slots(distinct, ring, key_id, shape).drop_null().to_pylist()
            votes = Counter(decoded)
            for slot, m in votes.most_common(5):
                if m < 2 or slot % space not in by_code:
                    continue
                p = binomial_tail(m, len(decoded), 1.0 / space)
                for name in by_code[slot % space]:
                    findings.append(PseudonymFinding(name, shape, key_id, votes=m, values=n, p_value=p))
    return findings, hypotheses


def _check_digit_evidence(leak: pa.Table, ring: KeyRing, slots: dict[int, str]) -> tuple[list[Finding], int]:
    """Short pseudonyms (phones, cards): test a few dozen tokens against every recipient's check key
    (the tokens are encoded once; each recipient costs one AES call)."""
    findings: list[Finding] = []
    hypotheses = 0
    for shape, pattern in SHORT_SHAPES:
        values: list[str] = []
        for name in leak.column_names:
            column = leak.column(name).combine_chunks()
            ok = pc.fill_null(pc.match_substring_regex(column, pattern), False)
            if pc.any(ok).as_py():
                found = pc.unique(pc.filter(column, ok))
                carriers = pc.filter(found, is_carrier_body(pc.utf8_slice_codeunits(found, 0, -1)))
                values += carriers.to_pylist()[:MAX_CHECKED]
        values = list(dict.fromkeys(values))[:MAX_CHECKED]
        if len(values) < 10:
            continue
        bodies = PreparedValues(pa.array([v[:-1] for v in values], pa.string()))
        last_digits = np.array([int(v[-1]) for v in values], dtype=np.uint64)
        names = list(slots.values())
        for key_id in ring.key_ids:
            hypotheses += len(slots)
            digits = bodies.u64_many([check_key(ring, key_id, slot) for slot in slots]) % np.uint64(10)
            hits = (digits == last_digits).sum(axis=1)
            for i in np.flatnonzero(hits >= 10).tolist():
                agree = int(hits[i])
                findings.append(CheckDigitFinding(names[i], shape, key_id, agree=agree, values=len(values),
                                                  p_value=binomial_tail(agree, len(values), 0.1)))
    return findings, hypotheses


def _agreements(observed: list[Observation], scheme: int, keys: list[bytes]) -> tuple[int, np.ndarray]:
    """Carriers compared (≤ MAX_CARRIERS) and, per key, how many observed sides agree with its bits."""
    sides = np.concatenate([o.sides for o in observed])[:MAX_CARRIERS] if observed else np.zeros(0, np.int8)
    n = len(sides)
    if n == 0 or not keys:
        return n, np.zeros(len(keys), dtype=np.int64)
    if scheme >= 2:
        bits = side_bits_many(np.concatenate([o.blocks() for o in observed])[:MAX_CARRIERS], keys)
    else:
        idents = [ident for o in observed for ident in o.idents()][:MAX_CARRIERS]
        bits = PreparedValues(pa.array(idents, pa.string())).u64_many(keys) & np.uint64(1)
    return n, ((bits == 1) == (sides == 1)).sum(axis=1).astype(np.int64)


def _linked_evidence(leak: pa.Table, source: SourceIndex, linkage: Linkage, records: list[ExtractRecord],
                     ring: KeyRing, dataset: str) -> tuple[list[Finding], int]:
    """Numeric findings for the extracts of one linked source, and the hypotheses tested."""
    findings: list[Finding] = []
    hypotheses = 0
    leak_take = pa.array(linkage.leak_rows)
    observations: dict[tuple[str, float, float], Observation] = {}

    def observe(leak_col: str, src_col: str, window: float, tolerance: float) -> Observation:
        key = (src_col, window, tolerance)
        if key not in observations:
            observations[key] = observe_numeric(
                source.take(src_col, linkage.source_rows), leak.column(leak_col).combine_chunks().take(leak_take),
                src_col, window, tolerance)
        return observations[key]

    # Extracts with the same marked columns, window, tolerance and scheme see the same carriers:
    # one set of inputs for all of them, one AES call per extract.
    batches: dict[tuple[tuple[tuple[str, str], ...], float, float, int], list[ExtractRecord]] = {}
    for record in records:
        marked = set(record.marks["numeric"])
        columns = tuple((leak_col, src_col) for leak_col, src_col in linkage.numeric_map.items() if src_col in marked)
        batch = (columns, float(record.marks.get("window", 0.05)), float(record.marks.get("tolerance", 0.001)),
                 int(record.marks.get("sides", 1)))
        batches.setdefault(batch, []).append(record)
    key_ids = set(ring.key_ids)
    for (columns, window, tolerance, scheme), batch_records in batches.items():
        hypotheses += len(batch_records)
        usable = [r for r in batch_records if r.key_id in key_ids]
        observed = [observe(leak_col, src_col, window, tolerance) for leak_col, src_col in columns]
        keys = [numeric_key(ring, r.key_id, r.recipient_id, str(r.marks.get("context") or r.id)) for r in usable]
        carriers, agree = _agreements(observed, scheme, keys)
        if carriers == 0:
            continue
        for record, agreeing in zip(usable, agree.tolist(), strict=True):
            findings.append(NumericFinding(record.recipient, record.id, dataset, carriers=carriers, agree=agreeing,
                                           p_value=binomial_tail(agreeing, carriers, 0.5)))
    return findings, hypotheses


def _numeric_evidence(wh: Warehouse, leak: pa.Table, candidates: list[ExtractRecord],
                      ring: KeyRing) -> tuple[list[Finding], int, dict[str, Any]]:
    findings: list[Finding] = []
    hypotheses = 0
    info: dict[str, Any] = {}
    groups: dict[tuple[str, int | None], list[ExtractRecord]] = {}
    seen_keys: set[tuple[int, str, str, int]] = set()
    for record in candidates:  # newest first; API pages of one recipient share one mark key
        if (record.marks or {}).get("numeric"):
            mark_key = (record.recipient_id, record.key_id, str(record.marks.get("context") or record.id),
                        int(record.marks.get("sides", 1)))
            if mark_key in seen_keys:
                continue
            seen_keys.add(mark_key)
            groups.setdefault((record.dataset, record.version), []).append(record)
    leak_names = set(leak.column_names)

    def rank(item: tuple[tuple[str, int | None], list[ExtractRecord]]) -> tuple[int, int]:
        overlap = max(len(leak_names & set(r.columns)) for r in item[1])
        return (-overlap, -len(item[1]))

    for (dataset, version), records in sorted(groups.items(), key=rank)[:MAX_SOURCES]:
        try:
            source = trace_cache.source_index(wh, dataset, version)
        except Exception:  # noqa: BLE001 — a dropped dataset or version simply cannot be linked
            continue
        linkage = link_rows(leak, source)
        if linkage is None or len(linkage.leak_rows) < 3:
            continue
        info = {"dataset": dataset, "version": version, "linked_rows": len(linkage.leak_rows),
                "mapped_columns": {**linkage.text_map, **linkage.numeric_map}}
        found, tested = _linked_evidence(leak, source, linkage, records, ring, dataset)
        findings += found
        hypotheses += tested
        if findings and accuses(min(f.p_value for f in findings)):  # named even before the multiplicity
            break
    return findings, hypotheses, info


NULL_PREFIX = "\x00never-issued-"


def _add_null_slots(slots: dict[int, str], count: int) -> None:
    """Never-issued recipients, tested like real ones: an empirical check of the null."""
    taken = {s % CODE_SPACE["id18"] for s in slots}
    fake_slot = 5000
    added = 0
    while added < count and fake_slot < CODE_SPACE["id18"]:
        if fake_slot not in taken:
            slots[fake_slot] = f"{NULL_PREFIX}{added}"
            added += 1
        fake_slot += 1


def _add_null_extracts(extracts: list[ExtractRecord], count: int) -> list[ExtractRecord]:
    """Never-issued extracts (fresh ids and recipients under a real key) next to the real ones."""
    marked = [e for e in extracts if (e.marks or {}).get("numeric")]
    if not marked:
        return extracts
    fakes = [dataclasses.replace(marked[0], id=f"null{j}", recipient=f"{NULL_PREFIX}{j}", recipient_id=10**7 + j,
                                 marks={**marked[0].marks, "context": f"null{j}"}) for j in range(count)]
    return extracts + fakes


def trace_file(wh: Warehouse, path: str | Path, *, dataset: str | None = None, null_trials: int = 0) -> dict[str, Any]:
    """Trace a file; the answer's ``recipient`` is None unless the evidence names one beyond doubt.

    ``null_trials`` adds that many never-issued recipients (and extracts) to the hypotheses; the
    answer then says how many of them the evidence would have accused (it must be 0)."""
    leak, meta = read_leak(path)
    if dataset is not None:
        wh.dataset(dataset)  # NotFound for a typo, before any work
    ring = trace_cache.keyring(wh.settings)
    slots = trace_cache.recipient_slots(wh)
    nulls = min(max(0, null_trials), 4000)
    if nulls:
        _add_null_slots(slots, nulls)
    findings, hypotheses = _token_evidence(leak, ring, slots)
    if not settled(findings, hypotheses):
        short, more = _check_digit_evidence(leak, ring, slots)
        findings += short
        hypotheses += more
    extracts = trace_cache.candidate_extracts(wh, dataset)
    tested_extracts = _add_null_extracts(extracts, nulls) if nulls else extracts
    link_info: dict[str, Any] = {}
    if not settled(findings, hypotheses):
        numeric, more, link_info = _numeric_evidence(wh, leak, tested_extracts, ring)
        findings += numeric
        hypotheses += more
    if not settled(findings, hypotheses):
        decoyed, more = decoy_evidence(wh, leak, ring, extracts, nulls)
        findings += decoyed
        hypotheses += more
    hypotheses = max(1, hypotheses)
    best_by_recipient: dict[str, Weighed] = {}
    for weighed in weigh(findings, hypotheses):
        current = best_by_recipient.get(weighed.finding.recipient)
        if current is None or weighed.bound < current.bound:
            best_by_recipient[weighed.finding.recipient] = weighed
    null_accused = sum(1 for name, w in best_by_recipient.items() if name.startswith(NULL_PREFIX) and w.accuses)
    ranked = sorted((w for name, w in best_by_recipient.items() if not name.startswith(NULL_PREFIX)),
                    key=lambda w: w.bound)
    accused = [w for w in ranked if w.accuses]
    top = accused[0].finding if accused else None
    bound = ranked[0].bound if ranked else 1.0
    extract_id = top.extract_id if top else None
    found_dataset = top.dataset if top else (link_info.get("dataset") or dataset)
    if top and extract_id is None:
        mine = [e for e in extracts if e.recipient == top.recipient] or list_extracts(wh, recipient=top.recipient)
        tripwire = [e for e in mine if e.id == meta.get("extract_id")]
        chosen = next(iter(tripwire or mine), None)
        if chosen is not None:
            extract_id, found_dataset = chosen.id, chosen.dataset
    verdict = "accused" if top else ("inconclusive" if not findings else "not_matched")
    return {
        "recipient": top.recipient if top else None,
        "recipients": [w.finding.recipient for w in accused],
        "dataset": found_dataset,
        "extract_id": extract_id,
        "confidence": (1.0 - bound) if top else 0.0,
        "false_accusation_bound": bound,
        "verdict": verdict,
        "rows": leak.num_rows,
        "columns": leak.column_names,
        "hypotheses": hypotheses,
        "evidence": [w.to_dict() for w in ranked[:5]],
        "linked": link_info,
        "file_metadata_extract_id": meta.get("extract_id"),
        "path": str(path),
        "null_trials": {"count": nulls, "false_accusations": null_accused},
    }

