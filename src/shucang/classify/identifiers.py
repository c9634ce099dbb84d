"""Vectorised validators of Chinese identifiers over Arrow string arrays.

Every validator takes a ``pa.Array`` of strings and returns a ``pa.BooleanArray`` of the same length
(nulls → False). Check characters are computed with numpy on the bytes of a fixed-width matrix built
from the array's data buffer, never with a Python loop per value, so a column of a million values is
checked in milliseconds. The scalar definitions in :mod:`shucang.classify.checksums` are the
reference the tests compare against.

Values are normalised first (:func:`normalize`): full-width forms (NFKC), ``\\u3000`` and inner
spaces, separators, a ``+86``/``0086`` prefix on phones, lower-case ``x``/letters. Already-masked
values (``138****1234``, ``330282********1234``) are recognised separately by the ``*_masked``
functions: they are evidence of a type although they cannot be validated.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST
from shucang.classify.checksums import ID_WEIGHTS, ORG_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS

# --- GB/T 2260 region prefixes -------------------------------------------------------------------
# Province code → prefecture codes in use now or in the past (old 地区 codes 21–3x still appear in
# the ID numbers of everyone born before the 1980s–2000s reforms, e.g. 332221 慈溪县). Compact
# ranges rather than the 3,000-row county table: the county digits are not checked.
_PREFECTURES: dict[str, str] = {
    "11": "01-02,21-29", "12": "01-02,21-25", "13": "01-11,21-35,90", "14": "01-11,21-35,90",
    "15": "01-09,21-29", "21": "01-14,21-24,90", "22": "01-08,21-29,90", "23": "01-12,21-29,90",
    "31": "01-02,21-30", "32": "01-13,21-35,90", "33": "01-11,21-27,90", "34": "01-18,21-35,90",
    "35": "01-09,21-27,90", "36": "01-11,21-27,90", "37": "01-17,21-35,90", "41": "01-18,21-30,90",
    "42": "01-13,21-35,90", "43": "01-13,21-31,90", "44": "01-20,21-31,51-53,90", "45": "01-14,21-31,90",
    "46": "00-04,21-30,90", "50": "01-03,21-40", "51": "01-20,21-39,90", "52": "01-06,21-27,90",
    "53": "01-09,21-35,90", "54": "01-06,21-27,90", "61": "01-10,21-27,90", "62": "01-12,21-30,90",
    "63": "01-02,21-28,90", "64": "01-05,21-22,90", "65": "01-05,21-43,90", "71": "00",
    "81": "00", "82": "00", "83": "00",
}


def _region_table() -> np.ndarray:
    """Boolean lookup over the first four digits (0000–9999) of an ID number."""
    ok = np.zeros(10000, dtype=bool)
    for prov, spec in _PREFECTURES.items():
        for part in spec.split(","):
            lo, _, hi = part.partition("-")
            for pref in range(int(lo), int(hi or lo) + 1):
                ok[int(prov) * 100 + pref] = True
    return ok


REGION_OK = _region_table()
_PROVINCES = sorted(_PREFECTURES)

_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_ID_W = np.array(ID_WEIGHTS, dtype=np.int64)
_ORG_W = np.array(ORG_WEIGHTS, dtype=np.int64)
_USCC_W = np.array(USCC_WEIGHTS, dtype=np.int64)

# byte → value lookups (255 = not allowed)
_USCC_VAL = np.full(256, 255, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_VAL[ord(_c)] = _i
_ALNUM_VAL = np.full(256, 255, dtype=np.int64)
for _i, _c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _ALNUM_VAL[ord(_c)] = _i
_VIN_VAL = np.full(256, 255, dtype=np.int64)
for _c, _v in zip("0123456789", range(10), strict=True):
    _VIN_VAL[ord(_c)] = _v
for _c, _v in zip("ABCDEFGHJKLMNPRSTUVWXYZ", (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
                  strict=True):
    _VIN_VAL[ord(_c)] = _v
_VIN_W = np.array((8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2), dtype=np.int64)

PLATE_PROVINCES = ST.PLATE_PROVINCES

# --- normalisation ---------------------------------------------------------------------------------


def as_strings(arr: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """One contiguous ``string`` array (numbers that are whole become digits without ``.0``)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    t = arr.type
    if pa.types.is_floating(t):
        # value by value (not "if all are whole"), so a column reads the same whichever batch a value is in
        filled = pc.fill_null(arr, 0.5)
        whole = pc.and_(pc.and_(pc.is_finite(filled), pc.equal(pc.floor(filled), filled)),
                        pc.less(pc.abs(filled), 9.2e18))
        if pc.all(whole).as_py():
            arr = pc.cast(arr, pa.int64(), safe=False)
        elif pc.any(whole).as_py():
            ints = pc.cast(pc.cast(pc.if_else(whole, arr, 0.0), pa.int64(), safe=False), pa.string())
            arr = pc.if_else(whole, ints, pc.cast(arr, pa.string()))
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    return arr


def normalize(arr: pa.Array) -> pa.StringArray:
    """NFKC (full-width → ASCII), trimmed, upper-case: the form every validator expects."""
    arr = as_strings(arr)
    if not pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():
        # NFKC is slow on CJK text: only the values holding full-width forms or ideographic spaces (value by
        # value, so a value reads the same whichever batch of a full scan it is in)
        wide = pc.fill_null(pc.match_substring_regex(arr, "[\\x{3000}\\x{FF01}-\\x{FF5E}]"), False)
        if pc.all(wide).as_py():
            arr = pc.utf8_normalize(arr, "NFKC")
        elif pc.any(wide).as_py():
            arr = pc.replace_with_mask(arr, wide, pc.utf8_normalize(arr.filter(wide), "NFKC"))
        return pc.utf8_upper(pc.utf8_trim_whitespace(arr))
    return pc.ascii_upper(pc.ascii_trim_whitespace(arr))


def compact(arr: pa.Array) -> pa.StringArray:
    """:func:`normalize` and drop inner spaces, dashes, dots and middle dots (``332221 1969…``)."""
    return pc.replace_substring_regex(normalize(arr), r"[\s\-·.]", "")


def strip_country_code(arr: pa.Array) -> pa.StringArray:
    """Phones: remove ``+86``, ``0086``, ``86`` (with separators) before an 11-digit mobile number."""
    return pc.replace_substring_regex(compact(arr), r"^(?:\+?|00)86(1[3-9]\d{9})$", r"\1")


# --- fixed-width byte matrices ---------------------------------------------------------------------


def _matrix(arr: pa.StringArray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``arr`` whose UTF-8 length is ``width``: (positions, uint8 matrix n × width)."""
    lens = pc.fill_null(pc.binary_length(arr), -1)
    sel = np.asarray(pc.equal(lens, width).to_numpy(zero_copy_only=False), dtype=bool)
    pos = np.flatnonzero(sel)
    if len(pos) == 0:
        return pos, np.zeros((0, width), dtype=np.uint8)
    sub = arr.filter(pa.array(sel))
    if isinstance(sub, pa.ChunkedArray):
        sub = sub.combine_chunks()
    offsets = np.frombuffer(sub.buffers()[1], dtype=np.int32)[sub.offset: sub.offset + len(sub) + 1]
    data = np.frombuffer(sub.buffers()[2], dtype=np.uint8)
    return pos, data[offsets[0]: offsets[-1]].reshape(-1, width)


def _result(n: int, pos: np.ndarray, ok: np.ndarray) -> pa.BooleanArray:
    out = np.zeros(n, dtype=bool)
    out[pos[ok]] = True
    return pa.array(out)


def _digits(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digit values (uint8; non-digits wrap to ≥ 208) and whether each row is all digits."""
    d = mat - np.uint8(48)
    return d, (d.max(axis=1) <= 9) if d.size else np.zeros(len(mat), dtype=bool)


def _dot(d: np.ndarray, weights: np.ndarray | tuple[int, ...] | list[int]) -> np.ndarray:
    """Row-wise weighted sum of small integers, one column at a time (fast on narrow matrices)."""
    out = np.zeros(d.shape[0], dtype=np.int32)
    for i, w in enumerate(np.asarray(weights).tolist()):
        if w:
            out += d[:, i].astype(np.int32) * int(w)
    return out


def _valid_date(y: np.ndarray, m: np.ndarray, d: np.ndarray, *, max_year: int | None = None) -> np.ndarray:
    max_year = max_year or dt.date.today().year
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    mm = np.clip(m, 0, 12)
    dim = np.where((mm == 2) & ~leap, 28, _DAYS[mm])
    return (y >= 1880) & (y <= max_year) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= dim)


def _to_int(d: np.ndarray) -> np.ndarray:
    return _dot(d, [10 ** (d.shape[1] - 1 - i) for i in range(d.shape[1])])


# --- GB 11643 ID numbers ---------------------------------------------------------------------------


def id_card_valid(arr: pa.Array, *, normalized: bool = False, legacy: bool = True) -> pa.BooleanArray:
    """GB 11643 numbers: region prefix, birth date and MOD 11-2 check (18 digits); legacy 15 digits
    (region + YYMMDD + sequence, no check) when ``legacy``. Residence permits 81/82/83 included."""
    s = arr if normalized else compact(arr)
    n = len(s)
    pos, mat = _matrix(s, 18)
    ok18 = np.zeros(0, dtype=bool)
    if len(pos):
        d, digits17 = _digits(mat[:, :17])
        last = mat[:, 17]
        total = _dot(d, _ID_W) % 11
        expect = np.frombuffer(b"10X98765432", dtype=np.uint8)[total]
        region = REGION_OK[np.clip(_to_int(d[:, :4]), 0, 9999)]
        date = _valid_date(_to_int(d[:, 6:10]), _to_int(d[:, 10:12]), _to_int(d[:, 12:14]))
        ok18 = digits17 & (last == expect) & region & date
    out = np.zeros(n, dtype=bool)
    out[pos[ok18]] = True
    if legacy:
        pos15, mat15 = _matrix(s, 15)
        if len(pos15):
            d, dig = _digits(mat15)
            region = REGION_OK[np.clip(_to_int(d[:, :4]), 0, 9999)]
            date = _valid_date(1900 + _to_int(d[:, 6:8]), _to_int(d[:, 8:10]), _to_int(d[:, 10:12]),
                               max_year=1999)
            out[pos15[dig & region & date]] = True
    return pa.array(out)


def id_card_birth(arr: pa.Array) -> pa.StringArray:
    """``YYYYMMDD`` of each valid ID number (null where not valid): for minors and date cross-checks."""
    s = compact(arr)
    valid = id_card_valid(s, normalized=True)
    long_ = pc.utf8_slice_codeunits(s, 6, 14)
    short = pc.binary_join_element_wise("19", pc.utf8_slice_codeunits(s, 6, 12), "")
    birth = pc.if_else(pc.equal(pc.utf8_length(s), 18), long_, short)
    return pc.if_else(valid, birth, pa.scalar(None, pa.string()))


ID_MASKED = r"^[1-9][0-9]{0,13}\*{4,16}[0-9X]{0,4}$"


def id_card_masked(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """Masked ID numbers (``330282********1234``, ``330**************2``): 15 or 18 characters."""
    s = arr if normalized else compact(arr)
    if not pc.any(pc.match_substring(s, "*")).as_py():
        return pc.fill_null(pc.equal(pc.utf8_length(s), -1), False)
    length = pc.utf8_length(s)
    fits = pc.or_(pc.equal(length, 18), pc.equal(length, 15))
    return pc.fill_null(pc.and_(fits, pc.match_substring_regex(s, ID_MASKED)), False)


# --- GB 32100 unified social credit codes, GB 11714 organisation codes -----------------------------

def uscc_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """GB 32100: department (1–9, A, N, Y), category, 6-digit region, org code, 3^i mod 31 check."""
    s = arr if normalized else compact(arr)
    pos, mat = _matrix(s, 18)
    if not len(pos):
        return _result(len(s), pos, np.zeros(0, dtype=bool))
    v = _USCC_VAL[mat]
    chars_ok = (v != 255).all(axis=1)
    total = _dot(np.where(v[:, :17] == 255, 0, v[:, :17]), _USCC_W) % 31
    check = (31 - total) % 31
    dept = np.isin(mat[:, 0], np.frombuffer(b"123456789ANY", dtype=np.uint8))
    region_digits = ((mat[:, 2:8] >= 48) & (mat[:, 2:8] <= 57)).all(axis=1)
    ok = chars_ok & (check == v[:, 17]) & dept & region_digits & (mat[:, 1] != 48)
    return _result(len(s), pos, ok)


def org_code_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """GB 11714: 8 digits/letters + check (``X`` for 10, ``0`` for 11); ``12345678-9`` accepted."""
    s = arr if normalized else compact(arr)
    pos, mat = _matrix(s, 9)
    if not len(pos):
        return _result(len(s), pos, np.zeros(0, dtype=bool))
    v = _ALNUM_VAL[mat[:, :8]]
    ok_chars = (v != 255).all(axis=1)
    c = 11 - _dot(np.where(v == 255, 0, v), _ORG_W) % 11
    expect = np.where(c == 10, ord("X"), np.where(c == 11, ord("0"), 48 + c))
    # an all-digit body must not look like a plain 9-digit number: require ≥ 1 letter or the dash form
    ok = ok_chars & (mat[:, 8] == expect)
    return _result(len(s), pos, ok)


def business_reg_no_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """15-digit registration numbers: ISO 7064 MOD 11,10 over the first 14 digits; region prefix."""
    s = arr if normalized else compact(arr)
    pos, mat = _matrix(s, 15)
    if not len(pos):
        return _result(len(s), pos, np.zeros(0, dtype=bool))
    d, dig = _digits(mat)
    p = np.full(len(pos), 10, dtype=np.int64)
    d = d.astype(np.int64)
    for i in range(14):
        t = (p + d[:, i]) % 10
        t = np.where(t == 0, 10, t)
        p = (t * 2) % 11
    check = (11 - p) % 10
    region = REGION_OK[np.clip(_to_int(d[:, :4]), 0, 9999)]
    return _result(len(s), pos, dig & (check == d[:, 14]) & region)


# --- Luhn: bank cards, IMEI ------------------------------------------------------------------------


def luhn_valid(arr: pa.Array, *, normalized: bool = False, lengths: tuple[int, ...] = tuple(range(12, 20))
               ) -> pa.BooleanArray:
    """Luhn check over all-digit values whose length is in ``lengths``."""
    s = arr if normalized else compact(arr)
    out = np.zeros(len(s), dtype=bool)
    for width in lengths:
        pos, mat = _matrix(s, width)
        if not len(pos):
            continue
        d, dig = _digits(mat)
        # from the right: odd positions count once, even positions doubled with 9 subtracted above 9
        doubled = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9] + [0] * 246, dtype=np.uint8)
        rev = d[:, ::-1]
        total = _dot(rev[:, 0::2], [1] * rev[:, 0::2].shape[1]) + _dot(doubled[rev[:, 1::2]],
                                                                      [1] * rev[:, 1::2].shape[1])
        out[pos[dig & (total % 10 == 0)]] = True
    return pa.array(out)


def bank_card_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """Bank cards: 13–19 digits passing Luhn, issuer prefix 62 (UnionPay), 4, 5, 3 or 9."""
    s = arr if normalized else compact(arr)
    prefix = pc.match_substring_regex(s, r"^(?:62|4|5|3|9)")
    return pc.fill_null(pc.and_(luhn_valid(s, normalized=True, lengths=tuple(range(13, 20))), prefix), False)


BANK_CARD_MASKED = r"^[3-9][0-9]{3,5}\*{4,11}[0-9]{4}$"


def imei_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """IMEI: 15 digits passing Luhn (the 8-digit TAC is not checked)."""
    s = arr if normalized else compact(arr)
    return luhn_valid(s, normalized=True, lengths=(15,))


# --- ISO 3779 VIN ----------------------------------------------------------------------------------


def vin_format(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    s = arr if normalized else compact(arr)
    return pc.fill_null(pc.match_substring_regex(s, r"^[A-HJ-NPR-Z0-9]{17}$"), False)


def vin_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """17 characters without I/O/Q and the position-9 check (not always used in China: soft)."""
    s = arr if normalized else compact(arr)
    pos, mat = _matrix(s, 17)
    if not len(pos):
        return _result(len(s), pos, np.zeros(0, dtype=bool))
    v = _VIN_VAL[mat]
    ok_chars = (v != 255).all(axis=1)
    c = _dot(np.where(v == 255, 0, v), _VIN_W) % 11
    expect = np.where(c == 10, ord("X"), 48 + c)
    return _result(len(s), pos, ok_chars & (mat[:, 8] == expect))


# --- phones, plates, network ids -------------------------------------------------------------------

MOBILE = r"^1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])[0-9]{8}$"
MOBILE_MASKED = r"^1[3-9][0-9]\*{4}[0-9]{4}$"
LANDLINE = r"^(?:\+?86)?0[1-9][0-9]{1,2}[0-9]{7,8}(?:(?:转|EXT|X|-|#)?[0-9]{1,5})?$"
LANDLINE_DASHED = r"^(?:\+?86[- ]?)?\(?0[1-9][0-9]{1,2}\)?[- ]?[0-9]{7,8}(?:(?:转|EXT|X|-|#)[0-9]{1,5})?$"
PLATE = ("^[" + PLATE_PROVINCES + "][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9]{5}|[A-HJ-NP-Z0-9]{5}[DF]"
         "|[A-HJ-NP-Z0-9]{4}[挂学警港澳领])$")
PLATE_MASKED = "^[" + PLATE_PROVINCES + r"][A-Z][A-Z0-9]{0,3}\*{2,5}[A-Z0-9]{0,2}$"
EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
EMAIL_MASKED = r"^[A-Za-z0-9]\*+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$"
IPV4 = (r"^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}"
        r"(?::[0-9]{1,5})?$")
IPV6 = r"^(?:[0-9A-F]{1,4}:){7}[0-9A-F]{1,4}$|^(?:[0-9A-F]{1,4}:){0,6}(?:[0-9A-F]{1,4})?::(?:[0-9A-F]{1,4}:){0,6}[0-9A-F]{0,4}$"
MAC = r"^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$|^[0-9A-F]{2}(?:-[0-9A-F]{2}){5}$|^[0-9A-F]{4}\.[0-9A-F]{4}\.[0-9A-F]{4}$"
PASSPORT = r"^(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[GDSP][0-9]{8}|[GDSP]E[0-9]{7}|1[45][0-9]{7})$"
HK_MACAO_PERMIT = r"^(?:C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|W[0-9]{8})$"
TAIWAN_PERMIT = r"^(?:L[0-9]{8}|T[0-9]{8})$"
HOME_RETURN_PERMIT = r"^[HM][0-9]{8}(?:[0-9]{2})?$"


def _match(arr: pa.Array, pattern: str) -> pa.BooleanArray:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def match_starred(arr: pa.Array, pattern: str) -> pa.BooleanArray:
    """A masked-value pattern: skipped (all False) when no value holds a ``*`` at all."""
    if not pc.any(pc.match_substring(arr, "*")).as_py():
        return pc.fill_null(pc.equal(pc.utf8_length(arr), -1), False)
    return _match(arr, pattern)


def mobile_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """Mainland mobile numbers with a current prefix; ``+86``/``0086``/separators tolerated."""
    return _match(arr if normalized else strip_country_code(arr), MOBILE)


def mobile_masked(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    return match_starred(arr if normalized else strip_country_code(arr), MOBILE_MASKED)


def landline_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """Fixed lines with an area code (``0574-63012345``, ``057463012345``, extension allowed)."""
    s = arr if normalized else normalize(arr)
    return pc.or_(_match(s, LANDLINE_DASHED), _match(pc.replace_substring_regex(s, r"[\s\-()]", ""), LANDLINE))


def plate_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    """GA 36 plates: province + letter + 5 (8-char new-energy: 6) characters, or 挂/学/警/港/澳 last."""
    s = arr if normalized else compact(arr)
    return _match(s, PLATE)


def plate_masked(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    return match_starred(arr if normalized else compact(arr), PLATE_MASKED)


def email_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    s = arr if normalized else normalize(arr)
    return pc.or_(_match(s, EMAIL), _match(s, EMAIL_MASKED))


def ip_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    s = arr if normalized else normalize(arr)
    return pc.or_(_match(s, IPV4), _match(s, IPV6))


def mac_valid(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    s = arr if normalized else normalize(arr)
    return _match(s, MAC)


def passport_format(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    return _match(arr if normalized else compact(arr), PASSPORT)


def travel_permit_format(arr: pa.Array, *, normalized: bool = False) -> pa.BooleanArray:
    s = arr if normalized else compact(arr)
    return pc.or_(pc.or_(_match(s, HK_MACAO_PERMIT), _match(s, TAIWAN_PERMIT)), _match(s, HOME_RETURN_PERMIT))


def share(mask: pa.BooleanArray, denominator: int) -> float:
    """Share of True in ``mask`` over ``denominator`` values (0 when there are none)."""
    if denominator <= 0:
        return 0.0
    return float(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0) / denominator
