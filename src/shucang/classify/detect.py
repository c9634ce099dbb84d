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
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import freetext
from shucang.classify import identifiers as ids
from shucang.classify import typedata as TD
from shucang.classify import types as ST
from shucang.classify import vocab as V

BLANKS = ["", "NULL", "NONE", "NAN", "N/A", "NA", "-", "--", "---", "—", "——", "/", "\\N", "无", "暂无", "空",
          "NIL", "#N/A", "?", "？", "0000-00-00"]

# the person-name record's value patterns (built from its surname list)
PERSON_NAME_RE, PERSON_MASKED_RE, NAME_BAD_END_RE = TD.PERSON_NAME_RE, TD.PERSON_MASKED_RE, TD.NAME_BAD_END_RE

NUMBER_RE = (r"^[-+(（]?[¥￥$]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?[)）]?(?:元|万元|万|亿元)?$")
INT_RE = r"^[0-9]{1,3}(?:岁)?$"
DATE_RE = (r"^(?:19|20)[0-9]{2}(?:[-/.年](?:0?[1-9]|1[0-2])(?:[-/.月](?:0?[1-9]|[12][0-9]|3[01])日?)?月?"
           r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])?)(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:\.[0-9]+)?)?$")
DATETIME_RE = r"[0-9]{1,2}:[0-9]{2}"
ICD_RE = r"^[A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?(?:[+*/][A-Z][0-9]{2}(?:\.[0-9A-Z]{1,4})?)?$"
GPS_PAIR_RE = (r"^\(?-?1?[0-9]{1,2}\.[0-9]{3,}\s*[,，;/ ]\s*-?1?[0-9]{1,2}\.[0-9]{3,}\)?$")
COORD_RE = r"^-?1?[0-9]{1,2}\.[0-9]{4,}$"
COORD5_RE = r"^1?[0-9]{1,2}\.[0-9]{5,}$"  # a lone longitude or latitude, as GPS devices write them
HASH_RE = (r"^(?:[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}|[0-9A-F]{128}|\$2[ABXY]?\$[0-9]{2}\$[./0-9A-Z]{53}"
           r"|\$(?:ARGON2I?D?|PBKDF2|SHA256|SHA512|5|6)\$.+|\{(?:SSHA|SHA|MD5|BCRYPT)\}.+|[A-Z0-9+/]{43,}={0,2})$")
# 企业类型 values are legal forms, not names of anyone
LEGAL_FORM_ONLY_RE = (r"^(?:有限责任公司|股份有限公司|有限公司|个人独资企业|合伙企业|普通合伙企业|有限合伙企业|个体工商户|"
                      r"农民专业合作社|全民所有制|集体所有制|股份合作制|外商投资企业|非公司企业法人|其他)")
DOC_CODE_RE = r"^[A-Z]{1,2}[0-9]{7,9}$"
ALNUM_CODE_RE = r"^[0-9A-Z]{6,24}$"
DIGITS_RE = r"^[0-9]{8,30}$"
POSTAL_RE = r"^[1-8][0-9]{5}$"
LOCAL_PHONE_RE = r"^[2-8][0-9]{6,7}$"

# types whose values are counted against the record's dictionary of them
_WORD_TYPES = tuple(t for t in ST.TYPES if t.words)
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

    def evidence(self) -> dict[str, Any]:
        top = dict(sorted(((k, round(v, 3)) for k, v in self.shares.items() if v > 0),
                          key=lambda kv: -kv[1])[:6])
        out: dict[str, Any] = {"rule": self.rule, "values": top, "sampled": self.sampled,
                               "nonblank": self.nonblank}
        if self.name_head or self.name_via:
            out["name"] = {"concept": self.name_head, "via": self.name_via}
        out.update(self.extra)
        return out


def _sum(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def _m(arr: pa.Array, pattern: str) -> pa.BooleanArray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def nonblank_values(arr: pa.Array) -> pa.StringArray:
    """Normalised (NFKC, trimmed, upper-case) values without nulls and placeholders (NULL, -, 无…)."""
    s = ids.normalize(arr)
    keep = pc.and_(pc.is_valid(s), pc.invert(pc.fill_null(pc.is_in(s, value_set=pa.array(BLANKS)), False)))
    return s.filter(keep)


def _is_in(arr: pa.Array, values: AbstractSet[str]) -> pa.BooleanArray:
    return pc.fill_null(pc.is_in(arr, value_set=pa.array(sorted(values))), False)


def _mobile_is_serial(mobile_like: pa.StringArray) -> bool:
    """11-digit values that are a running serial (业务流水号 13742003564…), not phone numbers."""
    digits = mobile_like.filter(_m(mobile_like, r"^[0-9]{11}$"))
    if len(digits) < 20:
        return False
    nums = np.sort(pc.cast(digits, pa.int64()).to_numpy())
    lo, hi = nums[int(len(nums) * 0.05)], nums[int(len(nums) * 0.95) - 1]
    return bool(hi - lo < 10**6)


def value_shares(vals: pa.StringArray, only: set[str] | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """Share of values fitting each detector (and side facts), gated by a cheap profile.

    ``only`` restricts the work to some detectors (a full scan confirms what the sample found).
    """
    n = len(vals)
    sh: dict[str, float] = {}
    facts: dict[str, Any] = {}
    if n == 0 or (only is not None and not only):
        return sh, facts

    def want(*keys: str) -> bool:
        return only is None or any(k in only for k in keys)

    def put(key: str, mask: Callable[[], pa.Array]) -> None:
        if want(key):
            sh[key] = max(sh.get(key, 0.0), _sum(mask()) / n)

    ascii_mask = pc.string_is_ascii(vals)
    ascii_share = _sum(ascii_mask) / n
    lengths = pc.utf8_length(vals)
    avg_len = float(pc.mean(lengths).as_py() or 0)
    facts["avg_len"] = round(avg_len, 1)
    if ascii_share >= 0.3:
        c = vals
        if pc.any(pc.match_substring_regex(vals, r"[\s\-·.]")).as_py():
            c = pc.replace_substring_regex(vals, r"[\s\-·.]", "")
        clen = pc.utf8_length(c)
        len_counts = {int(k): int(v) for k, v in zip(*(x.to_pylist() for x in
                                                        pc.value_counts(clen).flatten()), strict=True)}

        def frac(*widths: int) -> float:
            return sum(len_counts.get(w, 0) for w in widths) / n

        if frac(15, 18) >= 0.2:
            put("id_card", lambda: pc.or_(ids.id_card_valid(c, normalized=True), ids.id_card_masked(c, normalized=True)))
            put("uscc", lambda: ids.uscc_valid(c, normalized=True))
        if frac(15) >= 0.3:
            put("business_reg_no", lambda: ids.business_reg_no_valid(c, normalized=True))
            put("imei", lambda: ids.imei_valid(c, normalized=True))
        if frac(9) >= 0.3:
            put("org_code", lambda: ids.org_code_valid(c, normalized=True))
        if frac(*range(13, 20)) >= 0.3:
            put("bank_card", lambda: pc.or_(ids.bank_card_valid(c, normalized=True),
                                            ids.match_starred(c, ids.BANK_CARD_MASKED)))
        if frac(17) >= 0.3:
            put("vin_format", lambda: ids.vin_format(c, normalized=True))
            put("vin_check", lambda: ids.vin_valid(c, normalized=True))
        rest = vals  # values not already taken as mobile numbers (landlines are looked for among them)
        if frac(*range(11, 17)) >= 0.2 and want("mobile_phone"):
            phone = c
            if frac(*range(12, 17)) > 0:
                phone = pc.replace_substring_regex(c, r"^(?:\+?|00)86(1[3-9][0-9]{9})$", r"\1")
            mob = pc.or_(_m(phone, ids.MOBILE), ids.mobile_masked(phone, normalized=True))
            put("mobile_phone", lambda: mob)
            rest = vals.filter(pc.invert(mob))
            if sh.get("mobile_phone", 0) >= 0.3 and _mobile_is_serial(phone.filter(mob)):
                facts["serial"] = True
                sh["mobile_phone"] = 0.0
        if frac(*range(10, 20)) >= 0.2:
            put("landline_phone", lambda: ids.landline_valid(rest, normalized=True))
        if frac(7, 8) >= 0.3:
            put("local_phone", lambda: _m(c, LOCAL_PHONE_RE))
        if frac(9, 10, 11) >= 0.3:
            put("doc_code", lambda: _m(c, DOC_CODE_RE))
            put("passport", lambda: ids.passport_format(c, normalized=True))
            put("travel_permit", lambda: ids.travel_permit_format(c, normalized=True))
        if avg_len >= 6 and want("email") and pc.any(pc.match_substring(vals, "@")).as_py():
            put("email", lambda: ids.email_valid(vals, normalized=True))
        if avg_len >= 7 and want("ip_address", "mac_address"):
            if pc.any(pc.match_substring(vals, ".")).as_py() or pc.any(pc.match_substring(vals, ":")).as_py():
                put("ip_address", lambda: ids.ip_valid(vals, normalized=True))
            if pc.any(pc.match_substring_regex(vals, "[:.-]")).as_py():
                put("mac_address", lambda: ids.mac_valid(vals, normalized=True))
        if avg_len >= 16:
            put("credential", lambda: _m(vals, HASH_RE))
            put("gps_pair", lambda: _m(vals, GPS_PAIR_RE))
        put("number", lambda: _m(vals, NUMBER_RE))
        if sh.get("number", 0) > 0 or (only is not None and want("int_small", "coord", "postal", "digits")):
            put("int_small", lambda: _m(vals, INT_RE))
            put("coord", lambda: _m(vals, COORD_RE))
            if sh.get("coord", 0) >= 0.8:
                put("coord_cn", lambda: _coord_in_china(vals))
            put("postal", lambda: _m(vals, POSTAL_RE))
            put("digits", lambda: _m(c, DIGITS_RE))
            put("decimal", lambda: _m(vals, r"\.[0-9]+$"))
        put("date", lambda: _m(vals, DATE_RE))
        if sh.get("date", 0) > 0:
            put("datetime", lambda: pc.and_(_m(vals, DATE_RE), _m(vals, DATETIME_RE)))
        put("alnum_code", lambda: _m(c, ALNUM_CODE_RE))
        if avg_len <= 12:
            put("icd", lambda: _m(vals, ICD_RE))
            put("gender_code", lambda: _is_in(vals, TD.GENDER_CODES))
            put("code2", lambda: _m(vals, r"^[0-9]{1,2}$"))
        put("gender", lambda: _is_in(vals, {"M", "F", "MALE", "FEMALE"}))
    if ascii_share <= 0.9:
        squeezed = vals
        if pc.any(pc.match_substring_regex(vals, r"\s")).as_py():
            squeezed = pc.replace_substring_regex(vals, r"[\s\x{3000}]+", "")
        if avg_len <= 16 and (only is None or "date" in only) and pc.any(pc.match_substring(vals, "年")).as_py():
            put("date", lambda: _m(squeezed, DATE_RE))
            put("datetime", lambda: pc.and_(_m(squeezed, DATE_RE), _m(squeezed, DATETIME_RE)))
        if avg_len <= 12:
            for t in _WORD_TYPES:  # the records' dictionaries (汉族, 已婚, 佛教), each detector named like its type
                put(t.code, partial(_is_in, squeezed, t.words))
            put("religion_marker", lambda: _is_in(squeezed, TD.RELIGION_MARKERS))
            put("health", lambda: _is_in(squeezed, V.HEALTH_VALUES))
            put("correction", lambda: _is_in(squeezed, V.CORRECTION_VALUES))
            plate_c = pc.replace_substring_regex(squeezed, r"[\-·.]", "") if want("license_plate") else squeezed
            put("license_plate", lambda: pc.or_(ids.plate_valid(plate_c, normalized=True),
                                                ids.plate_masked(plate_c, normalized=True)))
            put("person_name", lambda: pc.or_(pc.and_(_m(squeezed, PERSON_NAME_RE),
                                                      pc.invert(_m(squeezed, NAME_BAD_END_RE))),
                                              _m(squeezed, PERSON_MASKED_RE)))
        if avg_len >= 4 and want("company_name", "government"):
            company = pc.or_(_m(squeezed, V.COMPANY_SUFFIX_RE), _m(squeezed, V.SMALL_BUSINESS_RE))
            bank = _m(squeezed, V.BANK_RE)
            gov = _m(squeezed, V.GOVERNMENT_RE)
            shop = _m(squeezed, V.SHOP_DISPLAY_RE)
            form_only = _m(squeezed, LEGAL_FORM_ONLY_RE)
            not_company = pc.or_(pc.or_(bank, gov), pc.or_(shop, form_only))
            put("company_name", lambda: pc.and_(company, pc.invert(not_company)))
            put("bank_name", lambda: bank)
            put("government", lambda: gov)
            put("shop_display", lambda: shop)
        if avg_len >= 4:
            # an address is the whole value: sentences that mention one are free text
            put("address", lambda: pc.and_(_m(squeezed, TD.ADDRESS_RE), pc.invert(_m(squeezed, "[，。；！？：,;!?]"))))
            put("place_only", lambda: _m(squeezed, TD.PLACE_ONLY_RE))
        if avg_len <= 40:
            if want("org_unit", "medical_words"):  # (lazily: a full scan of a name column needs neither)
                org_unit = _m(squeezed, V.ORG_UNIT_RE)
                put("org_unit", lambda: org_unit)
                put("medical_words", lambda: pc.and_(_m(squeezed, V.MEDICAL_WORDS), pc.invert(org_unit)))
            put("care", lambda: _m(squeezed, V.CARE_RE))
            put("crime_words", lambda: _m(squeezed, V.CRIME_WORDS))
        if avg_len >= 12 and want("free_text_pii"):
            counts, share_any = freetext.count_entities(vals)
            sh["free_text_pii"] = share_any
            facts["entity_counts"] = counts
    return sh, facts


def _coord_in_china(vals: pa.StringArray) -> pa.BooleanArray:
    """Longitudes 73–136 or latitudes 3–54 with 5+ decimals, all of one kind (a column is one axis)."""
    fine = _m(vals, COORD5_RE)
    num = pc.cast(pc.if_else(fine, vals, pa.scalar(None, pa.string())), pa.float64())
    lon = pc.fill_null(pc.and_(pc.greater_equal(num, 73.0), pc.less_equal(num, 136.0)), False)
    lat = pc.fill_null(pc.and_(pc.greater_equal(num, 3.0), pc.less_equal(num, 54.0)), False)
    return lon if _sum(lon) >= _sum(lat) else lat


@dataclass
class _Cand:
    type: str
    share: float
    rule: str


def decide(header: str, vals: pa.StringArray, sh: dict[str, float], facts: dict[str, Any]
           ) -> tuple[str | None, float, str]:
    """Type, confidence and the rule that decided, from value shares and the header.

    Every type's own rules are its registry record's (``values_say``, ``fits_header``…); this is the
    order they are applied in, the same for every type.
    """
    name = V.read_name(header)
    nt = name.type
    n = len(vals)
    ev = ST.Evidence(sh, facts, n=n, header=nt, head=name.head, guessed=name.via == "initials?",
                     distinct=lambda: int(pc.count_distinct(vals).as_py() or 0))
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
    values — only the detectors that matter for it — and the decision re-taken on those shares.
    """
    name = V.read_name(header)
    t_native = arr.type
    vals = nonblank_values(arr)
    sh, facts = value_shares(vals)
    if pa.types.is_temporal(t_native):
        sh["date"] = 1.0 if len(vals) else 0.0
        sh["datetime"] = 1.0 if pa.types.is_timestamp(t_native) else 0.0
    if pa.types.is_boolean(t_native):
        sh = {}
    t, conf, rule = decide(header, vals, sh, facts)
    sampled = len(arr)
    if full is not None and len(full) > len(arr):
        vals = nonblank_values(full)
        # an evenly spaced sample with none of an identifier bounds its share far below any threshold,
        # so a null column is re-measured only for the identifiers the sample did see
        keys = FULL_KEYS.get(t, {t}) if t else {k for k in NULL_FULL_KEYS if sh.get(k, 0) > 0}
        fsh, ffacts = value_shares(vals, only=keys)
        sh = {**sh, **fsh}
        facts = {**facts, **{k: v for k, v in ffacts.items() if k != "avg_len"}}
        t, conf, rule = decide(header, vals, sh, facts)
        sampled = len(full)
    ev = ColumnEvidence(name=header, type=t, confidence=conf, rule=rule, shares=sh, name_head=name.head,
                        name_via=name.via, sampled=sampled, nonblank=len(vals))
    if "entity_counts" in facts and (t in FREE_TEXT_TYPES or facts["entity_counts"]):
        ev.entity_counts = facts["entity_counts"]
    if facts.get("serial"):
        ev.extra["look_alike"] = "serial number"
    if V.is_meaningless(header):
        ev.extra["meaningless_name"] = True
    return ev
