"""What one column holds: evidence from its values and its name, combined into a type.

Values come first. Every detector measures the *share* of non-blank values that fit a type (format
plus checksum, dictionary membership, shape); a type whose share passes its threshold wins,
whatever the header says. The header (see :mod:`shucang.classify.vocab`) then decides among types
the values cannot tell apart (an amount is income, revenue or tax only by its name; ``1``/``2`` is a
gender code only under 性别/xb) — but only when the values are compatible with that type. So a
meaningless header (``col_7``) is classified from its values alone, and a header never overrules
values that say otherwise. Detectors are gated by a cheap profile (ASCII share, lengths) so that a
full scan stays vectorised and fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST
from shucang.classify import vocab as V
from shucang.classify.shares import BLANKS, nonblank_values, value_shares

__all__ = ["BLANKS", "ColumnEvidence", "Spread", "decide", "detect_column", "detect_sample", "full_keys",
           "nonblank_values", "rescanned", "value_shares"]

# value-decided types: (threshold on the share of non-blank values)
THRESHOLDS: dict[str, float] = {t.code: t.threshold for t in ST.TYPES if t.threshold is not None}
# types a header may settle when the values fit (the share needed of "compatible" values)
NAME_TYPES_COMPAT = 0.6


@dataclass
class ColumnEvidence:
    """Everything measured about a column: the result of :func:`detect_column`."""

    name: str
    type: str | None
    confidence: float
    rule: str
    shares: dict[str, float] = field(default_factory=dict)
    name_head: str | None = None
    name_via: str = ""
    sampled: int = 0
    nonblank: int = 0
    entity_counts: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict, repr=False)
    """Side facts of the values (average length, serial numbers…), for a full scan's re-decision."""

    def evidence(self) -> dict[str, Any]:
        top = dict(sorted(((k, round(v, 3)) for k, v in self.shares.items() if v > 0),
                          key=lambda kv: -kv[1])[:6])
        out: dict[str, Any] = {"rule": self.rule, "values": top, "sampled": self.sampled,
                               "nonblank": self.nonblank}
        if self.name_head or self.name_via:
            out["name"] = {"concept": self.name_head, "via": self.name_via}
        out.update(self.extra)
        return out


DISTINCT_CAP = 1_000_000
"""Distinct values counted exactly up to here; a column with more is simply diverse (its ratio counts as 1)."""


@dataclass
class Spread:
    """A column's non-blank values: how many, and how many different (computed only when a rule asks)."""

    n: int
    distinct: Callable[[], int]
    """Different non-blank values; anything above :data:`DISTINCT_CAP` means "more than the cap"."""

    @classmethod
    def of(cls, vals: pa.Array) -> Spread:
        return cls(len(vals), lambda: len(pc.unique(vals)))

    def capped_distinct(self) -> int:
        """Different values, or all of them when more than the cap (so the distinct ratio reads 1)."""
        d = self.distinct()
        return self.n if d > DISTINCT_CAP else d

    def ratio(self) -> float:
        return self.capped_distinct() / max(1, self.n)


@dataclass
class _Cand:
    type: str
    share: float
    rule: str


def decide(header: str, spread: Spread, sh: dict[str, float], facts: dict[str, Any]
           ) -> tuple[str | None, float, str]:
    """Type, confidence and the rule that decided, from value shares and the header.

    Every type's own rules are its registry record's (``values_say``, ``fits_header``…); this is the
    order they are applied in, the same for every type.
    """
    name = V.read_name(header)
    nt = name.type
    n = spread.n
    ev = ST.Evidence(sh, facts, n=n, header=nt, head=name.head, guessed=name.via == "initials?",
                     distinct=spread.capped_distinct)
    cands = [_Cand(t.code, share, "values") for t in ST.TYPES if (share := t.claim(ev)) > 0]

    if name.head in (V.NULL, V.TEXT):
        # a header that names something else (版本号, 文件MD5, 文件摘要) overrules look-alike values: versions look
        # like IP addresses, file digests like password hashes. Checksummed identifiers are never overruled.
        cands = [c for c in cands if c.type not in HEADER_VETOED]
    if cands:
        for c in cands:
            if c.type == nt or (nt is not None and ST.BY_CODE[nt].refines == c.type):
                c.share += 0.3
                c.rule = "name+values"
        # a mixed column: the dominant type, ties to the more specific (checksum-validated) one
        best = max(cands, key=lambda c: (c.share, _PRIORITY.get(c.type, 0)))
        t = best.type
        t = next((r for r in ST.refinements(t) if nt == r or name.says(r)), t)
        weak = ST.BY_CODE[t].gives_way_below
        if weak is not None and best.share < weak and any(c.type != t and c.share >= 0.5 for c in cands):
            t = max((c for c in cands if c.type != t), key=lambda c: c.share).type
        conf = min(0.99, 0.5 + min(best.share, 1.0) / 2 + (0.1 if best.rule == "name+values" else 0))
        return t, round(conf, 3), best.rule

    # nothing decisive in the values: the header may settle it if the values fit — its head concept
    # first, then the other types it names (si_card_no: a social-security number, not a card_no)
    for named in _header_types(name):
        record = ST.BY_CODE[named]
        fit = record.fit(ev)
        if fit >= NAME_TYPES_COMPAT:
            t = (record.header_means(ev) if record.header_means else None) or named
            return t, round(min(0.95, 0.45 + 0.4 * fit), 3), "name+compatible-values"
    return None, round(min(0.99, 0.6 + 0.4 * (1 - _best_share(sh))), 3), "no-evidence"


# value-decided types that a header naming something else may overrule
HEADER_VETOED = frozenset(t.code for t in ST.TYPES if t.header_vetoes)


def _header_types(name: V.NameEvidence) -> list[str]:
    """The types a header names, head first; only a typed head opens the others (not 护照有效期至)."""
    if not name.type:
        return []
    out = [name.type]
    for c in reversed(name.concepts):
        if c in ST.BY_CODE and c not in out and ST.BY_CODE[c].refines is None:
            out.append(c)
    return out


_PRIORITY = {t.code: t.priority for t in ST.TYPES if t.priority}


def _best_share(sh: dict[str, float]) -> float:
    keys = [k for k in THRESHOLDS if k in sh]
    return max((sh[k] for k in keys), default=0.0)


# what a full scan re-measures on every value once the sample has named a type
FULL_KEYS: dict[str, set[str]] = {t.code: set(t.validators) for t in ST.TYPES if t.validators}
# a column the sample found nothing in is still checked, value by value, for the commonest identifiers
NULL_FULL_KEYS = {t.code for t in ST.TYPES if t.full_scan_hunt}
# types whose values are texts with identifiers inside (their evidence lists what kinds, how many)
FREE_TEXT_TYPES = frozenset(t.code for t in ST.TYPES if t.mask == "free_text")


def detect_column(header: str, arr: pa.Array, *, full: pa.Array | None = None) -> ColumnEvidence:
    """Classify one column from its header and (a sample of) its values.

    With ``full`` (every value of the column), the type found on the sample is re-measured on all
    values — only the detectors that matter for it — and the decision re-taken on those shares
    (batch by batch, as :mod:`shucang.classify.fullscan` does for a whole table).
    """
    ev = detect_sample(header, arr)
    if full is not None and len(full) > len(arr):
        from shucang.classify.fullscan import scan_local

        ev = scan_local(pa.table({header: full}), [ev])[0]
    return ev


def detect_sample(header: str, arr: pa.Array) -> ColumnEvidence:
    """The column's evidence from values in memory (a sample, or a small table whole)."""
    t_native = arr.type
    vals = nonblank_values(arr)
    sh, facts = value_shares(vals)
    if pa.types.is_temporal(t_native):
        sh["date"] = 1.0 if len(vals) else 0.0
        sh["datetime"] = 1.0 if pa.types.is_timestamp(t_native) else 0.0
    if pa.types.is_boolean(t_native):
        sh = {}
    return column_evidence(header, Spread.of(vals), sh, facts, sampled=len(arr))


def full_keys(ev: ColumnEvidence) -> frozenset[str]:
    """The detectors a full scan re-measures for a column whose sample gave ``ev``.

    An evenly spaced sample with none of an identifier bounds its share far below any threshold,
    so a null column is re-measured only for the identifiers the sample did see.
    """
    t = ev.type
    return frozenset(FULL_KEYS.get(t, {t}) if t else {k for k in NULL_FULL_KEYS if ev.shares.get(k, 0) > 0})


def rescanned(sample: ColumnEvidence, spread: Spread, shares: dict[str, float], facts: dict[str, Any], *,
              rows: int) -> ColumnEvidence:
    """The decision re-taken after a full scan: its shares over the sample's, its spread over all values."""
    sh = {**sample.shares, **shares}
    merged = {**sample.facts, **{k: v for k, v in facts.items() if k != "avg_len"}}
    return column_evidence(sample.name, spread, sh, merged, sampled=rows)


def column_evidence(header: str, spread: Spread, sh: dict[str, float], facts: dict[str, Any], *,
                    sampled: int) -> ColumnEvidence:
    name = V.read_name(header)
    t, conf, rule = decide(header, spread, sh, facts)
    ev = ColumnEvidence(name=header, type=t, confidence=conf, rule=rule, shares=sh, name_head=name.head,
                        name_via=name.via, sampled=sampled, nonblank=spread.n, facts=facts)
    if "entity_counts" in facts and (t in FREE_TEXT_TYPES or facts["entity_counts"]):
        ev.entity_counts = facts["entity_counts"]
    if facts.get("serial"):
        ev.extra["look_alike"] = "serial number"
    if V.is_meaningless(header):
        ev.extra["meaningless_name"] = True
    return ev
