"""Value detectors as two additive passes: a column's *profile*, then its *counts* — batch by batch.

Every detector counts the non-blank values that fit it; its share is that count over all non-blank
values. Detectors are gated by a cheap profile (ASCII share, average length, how many values have the
length of an ID number, whether any value holds ``@``…) so that a scan stays fast — and those gates
must look at the whole column, or a column split into batches would be measured differently batch
by batch. So a scan is two passes, each made of per-batch results that add up:

1. :func:`profile_values` → :class:`Profile` (counts, a length histogram, marker flags), merged by
   :meth:`Profile.merge`;
2. :func:`count_values` with the *merged* profile → :class:`Counts` (values passing each detector),
   merged by :meth:`Counts.merge`;

and :func:`finish_shares` turns the merged counts into shares. :func:`value_shares` is the three
steps over values in memory (one batch: a sample). The same functions run on one machine and on
Spark executors (:mod:`shucang.classify.fullscan`), so both engines measure the same shares.
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
# types whose values are counted against the record's dictionary of them
_WORD_TYPES = tuple(t for t in ST.TYPES if t.words)

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

# detectors gated by the lengths of the compacted values (the profile's length histogram)
_LENGTH_GATED = frozenset({"id_card", "uscc", "business_reg_no", "imei", "org_code", "bank_card", "vin_format",
                           "vin_check", "mobile_phone", "landline_phone", "local_phone", "doc_code", "passport",
                           "travel_permit"})
_COORD_AXES = ("coord_lon", "coord_lat")


def _sum(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def _m(arr: pa.Array, pattern: str) -> pa.BooleanArray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def _is_in(arr: pa.Array, values: AbstractSet[str]) -> pa.BooleanArray:
    return pc.fill_null(pc.is_in(arr, value_set=pa.array(sorted(values))), False)


def nonblank_values(arr: pa.Array) -> pa.StringArray:
    """Normalised (NFKC, trimmed, upper-case) values without nulls and placeholders (NULL, -, 无…)."""
    s = ids.normalize(arr)
    keep = pc.and_(pc.is_valid(s), pc.invert(pc.fill_null(pc.is_in(s, value_set=pa.array(BLANKS)), False)))
    return s.filter(keep)


def _compact(vals: pa.StringArray) -> pa.StringArray:
    """Values without spaces, dashes, dots and middle dots (how identifiers are measured)."""
    if pc.any(pc.match_substring_regex(vals, r"[\s\-·.]")).as_py():
        return pc.replace_substring_regex(vals, r"[\s\-·.]", "")
    return vals


def _wants(only: set[str] | frozenset[str] | None) -> Callable[..., bool]:
    def want(*keys: str) -> bool:
        return only is None or any(k in only for k in keys)
    return want


@dataclass
class Profile:
    """What the detectors' gates look at, for a whole column (every field adds up over batches)."""

    rows: int = 0
    """Values seen, blanks and nulls included."""
    n: int = 0
    """Non-blank values."""
    ascii: int = 0
    length: int = 0
    """Sum of the non-blank values' lengths (characters)."""
    lengths: dict[int, int] = field(default_factory=dict)
    """How many compacted values have each length (only when a length-gated detector is wanted)."""
    flags: set[str] = field(default_factory=set)
    """Markers present in at least one value: ``@``, ``.``, ``:``, ``mac`` (``[:.-]``), ``年``."""

    def merge(self, other: Profile) -> Profile:
        lengths = dict(self.lengths)
        for k, v in other.lengths.items():
            lengths[k] = lengths.get(k, 0) + v
        return Profile(self.rows + other.rows, self.n + other.n, self.ascii + other.ascii,
                       self.length + other.length, lengths, self.flags | other.flags)

    @property
    def avg_len(self) -> float:
        return self.length / self.n if self.n else 0.0

    def frac(self, *widths: int) -> float:
        return sum(self.lengths.get(w, 0) for w in widths) / self.n if self.n else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "n": self.n, "ascii": self.ascii, "length": self.length,
                "lengths": {str(k): v for k, v in self.lengths.items()}, "flags": sorted(self.flags)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        return cls(int(data["rows"]), int(data["n"]), int(data["ascii"]), int(data["length"]),
                   {int(k): int(v) for k, v in data["lengths"].items()}, set(data["flags"]))


def profile_values(vals: pa.StringArray, only: set[str] | frozenset[str] | None = None, *,
                   rows: int | None = None) -> Profile:
    """One batch's profile (``vals``: its non-blank values; ``rows``: its length before blanks were dropped)."""
    n = len(vals)
    prof = Profile(rows=n if rows is None else rows, n=n)
    if n == 0 or (only is not None and not only):  # nothing re-measured: only the count matters
        return prof
    want = _wants(only)
    prof.ascii = _sum(pc.string_is_ascii(vals))
    prof.length = int(pc.sum(pc.utf8_length(vals)).as_py() or 0)
    if only is None or only & _LENGTH_GATED:
        counted = pc.value_counts(pc.utf8_length(_compact(vals))).flatten()
        prof.lengths = {int(k): int(v) for k, v in zip(*(x.to_pylist() for x in counted), strict=True)}
    markers: list[tuple[str, Callable[[], Any]]] = []
    if want("email"):
        markers.append(("@", lambda: pc.any(pc.match_substring(vals, "@"))))
    if want("ip_address", "mac_address"):
        markers += [(".", lambda: pc.any(pc.match_substring(vals, "."))),
                    (":", lambda: pc.any(pc.match_substring(vals, ":"))),
                    ("mac", lambda: pc.any(pc.match_substring_regex(vals, "[:.-]")))]
    if only is None or "date" in only:
        markers.append(("年", lambda: pc.any(pc.match_substring(vals, "年"))))
    prof.flags = {flag for flag, test in markers if test().as_py()}
    return prof


@dataclass
class Counts:
    """Values passing each detector (``slots``: ``key`` or ``key~variant``), free-text entity tallies."""

    slots: dict[str, int] = field(default_factory=dict)
    entities: dict[str, int] = field(default_factory=dict)
    texts: int = -1
    """Texts looked at for entities (-1: the free-text detector did not run)."""
    texts_any: int = 0
    mobiles: pa.Array | None = None
    """The mobile-looking values themselves (kept for one batch in memory only: the serial-number check)."""

    def merge(self, other: Counts) -> Counts:
        slots = dict(self.slots)
        for k, v in other.slots.items():
            slots[k] = slots.get(k, 0) + v
        entities = dict(self.entities)
        for k, v in other.entities.items():
            entities[k] = entities.get(k, 0) + v
        texts = -1 if self.texts < 0 and other.texts < 0 else max(self.texts, 0) + max(other.texts, 0)
        return Counts(slots, entities, texts, self.texts_any + other.texts_any)

    def to_json(self) -> dict[str, Any]:
        return {"slots": self.slots, "entities": self.entities, "texts": self.texts, "texts_any": self.texts_any}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counts:
        return cls({k: int(v) for k, v in data["slots"].items()}, {k: int(v) for k, v in data["entities"].items()},
                   int(data["texts"]), int(data["texts_any"]))


def count_values(vals: pa.StringArray, prof: Profile, only: set[str] | frozenset[str] | None = None, *,
                 keep_mobiles: bool = False) -> Counts:
    """One batch's detector counts, gated by ``prof`` — the profile of the *whole* column.

    With ``only`` None (every detector: a sample, one batch) the numeric detectors run when the batch has
    numbers; with ``only`` (a full scan re-measuring some detectors) they run when wanted.
    """
    out = Counts()
    n = prof.n
    if n == 0 or len(vals) == 0 or (only is not None and not only):
        return out
    want = _wants(only)
    slots = out.slots

    def put(key: str, mask: Callable[[], pa.Array], variant: str = "") -> None:
        if want(key):
            slots[key + variant] = slots.get(key + variant, 0) + _sum(mask())

    ascii_share = prof.ascii / n
    avg_len = prof.avg_len
    frac = prof.frac
    if ascii_share >= 0.3:
        c = _compact(vals) if only is None or only & _LENGTH_GATED or want("digits", "alnum_code") else vals
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
            if keep_mobiles:
                out.mobiles = phone.filter(mob)
        if frac(*range(10, 20)) >= 0.2:
            put("landline_phone", lambda: ids.landline_valid(rest, normalized=True))
        if frac(7, 8) >= 0.3:
            put("local_phone", lambda: _m(c, LOCAL_PHONE_RE))
        if frac(9, 10, 11) >= 0.3:
            put("doc_code", lambda: _m(c, DOC_CODE_RE))
            put("passport", lambda: ids.passport_format(c, normalized=True))
            put("travel_permit", lambda: ids.travel_permit_format(c, normalized=True))
        if avg_len >= 6 and want("email") and "@" in prof.flags:
            put("email", lambda: ids.email_valid(vals, normalized=True))
        if avg_len >= 7 and want("ip_address", "mac_address"):
            if "." in prof.flags or ":" in prof.flags:
                put("ip_address", lambda: ids.ip_valid(vals, normalized=True))
            if "mac" in prof.flags:
                put("mac_address", lambda: ids.mac_valid(vals, normalized=True))
        if avg_len >= 16:
            put("credential", lambda: _m(vals, HASH_RE))
            put("gps_pair", lambda: _m(vals, GPS_PAIR_RE))
        put("number", lambda: _m(vals, NUMBER_RE))
        if (only is None and slots.get("number", 0) > 0) or (only is not None and want("int_small", "coord", "postal",
                                                                                         "digits")):
            put("int_small", lambda: _m(vals, INT_RE))
            put("coord", lambda: _m(vals, COORD_RE))
            if want("coord_cn") and slots.get("coord", 0) > 0:  # kept when ≥ 80 % of the column is coordinates
                lon, lat = _coord_axes(vals)
                slots["coord_lon"] = slots.get("coord_lon", 0) + lon
                slots["coord_lat"] = slots.get("coord_lat", 0) + lat
            put("postal", lambda: _m(vals, POSTAL_RE))
            put("digits", lambda: _m(c, DIGITS_RE))
            put("decimal", lambda: _m(vals, r"\.[0-9]+$"))
        put("date", lambda: _m(vals, DATE_RE))
        if slots.get("date", 0) > 0:  # a date-time is a date: no date in this batch, no date-time either
            put("datetime", lambda: pc.and_(_m(vals, DATE_RE), _m(vals, DATETIME_RE)))
        put("alnum_code", lambda: _m(c, ALNUM_CODE_RE))
        if avg_len <= 12:
            put("icd", lambda: _m(vals, ICD_RE))
            put("gender_code", lambda: _is_in(vals, TD.GENDER_CODES))
            put("code2", lambda: _m(vals, r"^[0-9]{1,2}$"))
        put("gender", lambda: _is_in(vals, {"M", "F", "MALE", "FEMALE"}))
    if ascii_share <= 0.9:
        _count_text(vals, prof, want, put, out)
    return out


def _count_text(vals: pa.StringArray, prof: Profile, want: Callable[..., bool],
                put: Callable[..., None], out: Counts) -> None:
    """The detectors of Chinese text: dictionaries, names, companies, addresses, free text."""
    avg_len = prof.avg_len
    squeezed = vals
    if pc.any(pc.match_substring_regex(vals, r"\s")).as_py():
        squeezed = pc.replace_substring_regex(vals, r"[\s\x{3000}]+", "")
    if avg_len <= 16 and want("date") and "年" in prof.flags:
        put("date", lambda: _m(squeezed, DATE_RE), "~cjk")
        put("datetime", lambda: pc.and_(_m(squeezed, DATE_RE), _m(squeezed, DATETIME_RE)), "~cjk")
    if avg_len <= 12:
        for t in _WORD_TYPES:  # the records' dictionaries (汉族, 已婚, 佛教), each detector named like its type
            put(t.code, partial(_is_in, squeezed, t.words), "~words")
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
        counts, with_any, texts = freetext.tally_entities(vals)
        out.entities, out.texts_any, out.texts = counts, with_any, texts


def _coord_axes(vals: pa.StringArray) -> tuple[int, int]:
    """How many values are longitudes 73–136, and how many latitudes 3–54, with 5+ decimals."""
    fine = _m(vals, COORD5_RE)
    num = pc.cast(pc.if_else(fine, vals, pa.scalar(None, pa.string())), pa.float64())
    lon = pc.fill_null(pc.and_(pc.greater_equal(num, 73.0), pc.less_equal(num, 136.0)), False)
    lat = pc.fill_null(pc.and_(pc.greater_equal(num, 3.0), pc.less_equal(num, 54.0)), False)
    return _sum(lon), _sum(lat)


def mobile_is_serial(mobile_like: pa.Array) -> bool:
    """11-digit values that are a running serial (业务流水号 13742003564…), not phone numbers."""
    digits = mobile_like.filter(_m(mobile_like, r"^[0-9]{11}$"))
    if len(digits) < 20:
        return False
    nums = np.sort(pc.cast(digits, pa.int64()).to_numpy())
    lo, hi = nums[int(len(nums) * 0.05)], nums[int(len(nums) * 0.95) - 1]
    return bool(hi - lo < 10**6)


def finish_shares(prof: Profile, counts: Counts, only: set[str] | frozenset[str] | None = None, *,
                  serial: bool = False) -> tuple[dict[str, float], dict[str, Any]]:
    """Shares (and side facts) from a whole column's merged profile and counts.

    ``serial``: the column's mobile-looking values are a running serial number (judged on values in
    memory — quantiles do not add up batch by batch), so they do not count as phones.
    """
    n = prof.n
    sh: dict[str, float] = {}
    facts: dict[str, Any] = {}
    if n == 0 or (only is not None and not only):
        return sh, facts
    facts["avg_len"] = round(prof.avg_len, 1)
    for slot, count in counts.slots.items():
        key = slot.partition("~")[0]
        if key not in _COORD_AXES:
            sh[key] = max(sh.get(key, 0.0), count / n)
    if sh.get("coord", 0) >= 0.8 and any(a in counts.slots for a in _COORD_AXES):
        axis = max(counts.slots.get("coord_lon", 0), counts.slots.get("coord_lat", 0))
        sh["coord_cn"] = max(sh.get("coord_cn", 0.0), axis / n)
    if serial and sh.get("mobile_phone", 0) >= 0.3:
        facts["serial"] = True
        sh["mobile_phone"] = 0.0
    if counts.texts >= 0:
        sh["free_text_pii"] = counts.texts_any / counts.texts if counts.texts else 0.0
        facts["entity_counts"] = dict(counts.entities)
    return sh, facts


def value_shares(vals: pa.StringArray, only: set[str] | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """Share of values fitting each detector (and side facts), for values in memory (one batch).

    ``only`` restricts the work to some detectors (a full scan confirms what the sample found).
    """
    prof = profile_values(vals, only)
    counts = count_values(vals, prof, only, keep_mobiles=True)
    sh, _ = finish_shares(prof, counts, only)
    serial = (counts.mobiles is not None and sh.get("mobile_phone", 0) >= 0.3
              and mobile_is_serial(counts.mobiles))
    return finish_shares(prof, counts, only, serial=serial)
