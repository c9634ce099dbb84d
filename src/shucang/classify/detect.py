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

    def ratio(self) -> float:
        d = self.distinct()
        return 1.0 if d > DISTINCT_CAP else d / max(1, self.n)


@dataclass
class _Cand:
    type: str
    share: float
    rule: str


def decide(header: str, spread: Spread, sh: dict[str, float], facts: dict[str, Any]
           ) -> tuple[str | None, float, str]:
    """Type, confidence and the rule that decided, from value shares and the header."""
    name = V.read_name(header)
    nt = name.type
    head = name.head
    n = spread.n
    cands: list[_Cand] = []

    def value(t: str, share: float | None = None, rule: str = "values") -> None:
        s = sh.get(t, 0.0) if share is None else share
        if s >= THRESHOLDS.get(t, 0.6):
            cands.append(_Cand(t, s, rule))

    for t in ("id_card", "uscc", "org_code", "business_reg_no", "bank_card", "imei", "email", "ip_address",
              "mac_address", "credential", "license_plate", "address", "ethnicity", "marital_status",
              "political_status", "education_level", "criminal_record"):
        value(t)
    if sh.get("vin_format", 0) >= 0.6 and (sh.get("vin_check", 0) >= 0.5 or nt == "vin"):
        value("vin", sh["vin_format"])
    phone = sh.get("mobile_phone", 0) + sh.get("landline_phone", 0)
    if phone >= 0.6 and not facts.get("serial"):
        if sh.get("decimal", 0) < 0.1:
            kind = "mobile_phone" if sh.get("mobile_phone", 0) >= sh.get("landline_phone", 0) else "landline_phone"
            cands.append(_Cand(kind, phone, "values"))
    value("gps_coordinate", sh.get("gps_pair", 0))
    if sh.get("coord_cn", 0) >= 0.9 and (n < 30 or spread.ratio() >= 0.5):
        cands.append(_Cand("gps_coordinate", sh["coord_cn"], "values"))
    # person names: diverse values (a category column of short words is not a name column)
    if sh.get("person_name", 0) >= 0.4 and (n < 30 or spread.ratio() >= 0.2):
        s = sh["person_name"]
        if s >= THRESHOLDS["person_name"] or (nt in ("person_name", "legal_representative") and s >= 0.4):
            cands.append(_Cand("person_name", s, "values"))
    # companies: legal names, not government bodies, banks (开户行) or shop display names
    comp = sh.get("company_name", 0)
    if comp >= (0.4 if head == V.COMPANY_CTX else THRESHOLDS["company_name"]) and comp > sh.get("government", 0):
        cands.append(_Cand("company_name", comp, "values"))
    # gender: text always; codes only under a gender header
    if sh.get("gender", 0) >= THRESHOLDS["gender"]:
        cands.append(_Cand("gender", sh["gender"], "values"))
    # religion: dictionary incl. 无, with at least one actual religion in the column or a religion header
    if sh.get("religion", 0) >= THRESHOLDS["religion"] and (sh.get("religion_marker", 0) > 0 or nt == "religion"):
        cands.append(_Cand("religion", sh["religion"], "values"))
    # health / medical
    med = max(sh.get("icd", 0), sh.get("medical_words", 0))
    # ICD-10-shaped values alone are weak evidence (5G bands n78/n41, grid squares A12): a diagnosis
    # column either says so in its name or holds many different codes.
    icd_diverse = sh.get("icd", 0) >= 0.7 and (nt == "medical_info" or spread.distinct() >= 12)
    if icd_diverse or (sh.get("medical_words", 0) >= 0.6 and sh.get("crime_words", 0) < 0.3):
        cands.append(_Cand("medical_info", med, "values"))
    if sh.get("care", 0) >= 0.8:
        cands.append(_Cand("medical_info", sh["care"], "values"))
    if sh.get("health", 0) >= 0.9 and (nt == "medical_info" or sh.get("medical_words", 0) >= 0.05):
        cands.append(_Cand("medical_info", sh["health"], "values"))
    if sh.get("crime_words", 0) >= 0.6 or sh.get("correction", 0) >= 0.9:
        cands.append(_Cand("criminal_record", max(sh.get("crime_words", 0), sh.get("correction", 0)), "values"))
    # documents with letter + digits: header decides which; otherwise the leading letter
    doc = sh.get("doc_code", 0)
    if doc >= 0.6:
        if nt in ("passport", "travel_permit", "social_security_no"):
            cands.append(_Cand(nt, doc, "name+values"))
        elif sh.get("passport", 0) >= THRESHOLDS["passport"]:
            cands.append(_Cand("passport", sh["passport"], "values"))
        elif sh.get("travel_permit", 0) >= THRESHOLDS["travel_permit"]:
            cands.append(_Cand("travel_permit", sh["travel_permit"], "values"))
    if sh.get("free_text_pii", 0) >= THRESHOLDS["free_text_pii"] and facts.get("avg_len", 0) >= 15:
        cands.append(_Cand("free_text_pii", sh["free_text_pii"], "values"))

    if name.head == V.NULL:
        # a header that names something else (版本号, 文件MD5) overrules look-alike values: versions look like
        # IP addresses, file digests like password hashes. Checksummed identifiers are never overruled.
        cands = [c for c in cands if c.type not in HEADER_VETOED]
    if cands:
        for c in cands:
            if c.type == nt or (c.type == "person_name" and nt == "legal_representative"):
                c.share += 0.3
                c.rule = "name+values"
        # a mixed column: the dominant type, ties to the more specific (checksum-validated) one
        best = max(cands, key=lambda c: (c.share, _PRIORITY.get(c.type, 0)))
        t = best.type
        if t == "person_name" and (nt == "legal_representative" or name.says("legal_representative")):
            t = "legal_representative"
        if t == "free_text_pii" and best.share < 0.5 and any(
                c.type != "free_text_pii" and c.share >= 0.5 for c in cands):
            t = max((c for c in cands if c.type != "free_text_pii"), key=lambda c: c.share).type
        conf = min(0.99, 0.5 + min(best.share, 1.0) / 2 + (0.1 if best.rule == "name+values" else 0))
        return t, round(conf, 3), best.rule

    # nothing decisive in the values: the header may settle it if the values fit — its head concept
    # first, then the other types it names (si_card_no: a social-security number, not a card_no)
    for nt in _header_types(name):
        fit = _name_fit(nt, sh, facts, n)
        if name.via == "initials?" and nt in V.AMOUNTS and sh.get("int_small", 0) >= 0.5:
            continue  # a guessed abbreviation over small counts (家庭人口数 jt·rks) is not money
        if fit >= NAME_TYPES_COMPAT:
            t = nt
            if nt == "mobile_phone" and sh.get("local_phone", 0) >= 0.5:
                t = "landline_phone"
            if nt == "bank_card" and sh.get("bank_card", 0) < 0.3:
                t = "bank_account"
            return t, round(min(0.95, 0.45 + 0.4 * fit), 3), "name+compatible-values"
    return None, round(min(0.99, 0.6 + 0.4 * (1 - _best_share(sh))), 3), "no-evidence"


# value-decided types that a header naming something else may overrule
HEADER_VETOED = frozenset({"ip_address", "credential"})


def _header_types(name: V.NameEvidence) -> list[str]:
    """The types a header names, head first; only a typed head opens the others (not 护照有效期至)."""
    if not name.type:
        return []
    out = [name.type]
    for c in reversed(name.concepts):
        if c not in (V.NULL, V.MOD, V.TEXT, V.COMPANY_CTX) and c not in out and c != "legal_representative":
            out.append(c)
    return out


_PRIORITY = {t.code: t.priority for t in ST.TYPES if t.priority}


def _best_share(sh: dict[str, float]) -> float:
    keys = [k for k in THRESHOLDS if k in sh]
    return max((sh[k] for k in keys), default=0.0)


def _name_fit(nt: str, sh: dict[str, float], facts: dict[str, Any], n: int) -> float:
    """How well the values fit the type the header names (share of compatible values)."""
    g = sh.get
    if nt in ("income", "revenue", "tax_amount"):
        return g("number", 0)
    if nt == "age":
        return g("int_small", 0)
    if nt == "birth_date":
        return g("date", 0) - g("datetime", 0)
    if nt == "postal_code":
        return g("postal", 0)
    if nt == "social_security_no":
        return max(g("alnum_code", 0), g("doc_code", 0))
    if nt in ("passport", "travel_permit"):
        return max(g("doc_code", 0), g("alnum_code", 0))
    if nt in ("bank_account", "bank_card"):
        return g("digits", 0)
    if nt == "gender":
        return max(g("gender_code", 0), g("gender", 0))
    if nt == "ethnicity":
        return max(g("code2", 0), g("ethnicity", 0) + 0.3)
    if nt in ("marital_status", "political_status", "education_level"):
        return max(g("code2", 0), g(nt, 0) + 0.3)
    if nt == "religion":
        return g("religion", 0) + 0.2
    if nt in ("medical_info", "criminal_record"):
        return 1.0 - g("number", 0) - g("date", 0) - g("org_unit", 0)
    if nt == "credential":
        return 1.0 if n else 0.0
    if nt == "gps_coordinate":
        return max(g("coord", 0), g("gps_pair", 0), g("coord_cn", 0))
    if nt == "vin":
        return g("vin_format", 0)
    if nt == "imei":
        return g("digits", 0)
    if nt in ("mobile_phone", "landline_phone"):
        return g("mobile_phone", 0) + g("landline_phone", 0) + g("local_phone", 0)
    if nt == "id_card":
        return g("id_card", 0) * 2  # half the values valid/masked under an ID header
    if nt in ("person_name", "legal_representative"):
        return g("person_name", 0) * 1.5
    if nt == "address":
        return g("address", 0) * 1.5
    if nt in ("email", "ip_address", "mac_address", "uscc", "org_code", "business_reg_no", "license_plate"):
        return g(nt, 0) * 2
    return 0.0


# what a full scan re-measures on every value once the sample has named a type
FULL_KEYS: dict[str, set[str]] = {t.code: set(t.validators) for t in ST.TYPES if t.validators}
# a column the sample found nothing in is still checked, value by value, for the commonest identifiers
NULL_FULL_KEYS = {"id_card", "mobile_phone", "bank_card", "email"}


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
    if "entity_counts" in facts and (t == "free_text_pii" or facts["entity_counts"]):
        ev.entity_counts = facts["entity_counts"]
    if facts.get("serial"):
        ev.extra["look_alike"] = "serial number"
    if V.is_meaningless(header):
        ev.extra["meaningless_name"] = True
    return ev
