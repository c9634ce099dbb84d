"""Masking rules (脱敏规则) per sensitive type, and the generic strategies, all as Arrow kernels.

Every function maps a whole column to a whole column with ``pyarrow.compute`` (no per-cell Python),
so one million cells cost milliseconds and the same functions run inside Spark's ``mapInArrow``.
Defaults follow common Chinese practice: 身份证 keep 6 + 4, 手机 3 + 4, 姓名 keep the surname (复姓
two characters), 银行卡 6 + 4, 地址 cut to the 乡镇/街道, 出生日期 to the year, 车牌 ``浙B***45``, e-mail
keeps its first character and domain, coordinates rounded to two decimals (about 1 km), 密码/密钥
never shown. Hidden characters are replaced, never kept: a masked value has the original's length
only where the rule says so (keep-ends masks), and free text loses every embedded identifier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import typedata as TD
from shucang.classify import types as ST
from shucang.errors import InputError

Column: TypeAlias = pa.Array | pa.ChunkedArray
STAR = "*"
NEVER_SHOWN = "******"

COMPOUND_SURNAMES = TD.COMPOUND_SURNAMES
"""Two-character surnames a masked name keeps whole (the person-name record's list)."""

# Free-text entities: the registry's pattern of each type (the one classification finds them with). The
# first group is the boundary on the left, the last the boundary on the right; both are kept by the
# replacement so neighbouring words stay intact. Unbounded patterns (e-mail, plates) run first, so the
# digits of ``13812345678@qq.com`` go as an e-mail, then the longer identifiers before the shorter.
_TEXT_TYPES = sorted(ST.text_types(), key=lambda t: (t.text_bound != "none", -t.priority))
TEXT_ENTITIES: tuple[tuple[str, str], ...] = tuple((t.code, t.in_text("sides")) for t in _TEXT_TYPES)
TEXT_LABELS = {t.code: t.text_label or "[" + t.name_zh + "]" for t in _TEXT_TYPES}


def _arr(values: Column) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    return values


def _text(values: Column) -> pa.Array:
    arr = _arr(values)
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        return arr.cast(pa.string())
    return arr if pa.types.is_string(arr.type) else arr.cast(pa.string())


def _stars(count: pa.Array) -> pa.Array:
    return pc.binary_repeat(STAR, pc.max_element_wise(count, 0))


def keep_ends(values: Column, head: int, tail: int) -> pa.Array:
    """Keep ``head`` leading and ``tail`` trailing characters, star the rest (all stars when too short)."""
    text = _text(values)
    stripped = pc.utf8_trim_whitespace(text)
    length = pc.utf8_length(stripped)
    short = pc.less_equal(length, head + tail)
    middle = pc.subtract(length, head + tail)
    tail_part = pc.utf8_slice_codeunits(stripped, -tail) if tail else pa.array([""] * len(text))
    masked = pc.binary_join_element_wise(pc.utf8_slice_codeunits(stripped, 0, head), _stars(middle), tail_part, "")
    return pc.if_else(short, _stars(length), masked)


def mask_name(values: Column) -> pa.Array:
    """张三 → 张*, 欧阳娜娜 → 欧阳**; a one-character value becomes ``*``."""
    text = pc.utf8_trim_whitespace(_text(values))
    length = pc.utf8_length(text)
    compound = pc.fill_null(pc.match_substring_regex(text, "^(?:" + "|".join(COMPOUND_SURNAMES) + ")"), False)
    head = pc.if_else(pc.and_(compound, pc.greater(length, 2)), 2, 1)
    one = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, 1), _stars(pc.subtract(length, 1)), "")
    two = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, 2), _stars(pc.subtract(length, 2)), "")
    masked = pc.if_else(pc.equal(head, 2), two, one)
    return pc.if_else(pc.less_equal(length, 1), _stars(length), masked)


def mask_phone(values: Column) -> pa.Array:
    """Mobiles → ``138****1234`` (also ``+86 138-1234-5678``); landlines keep the area code and last 2."""
    text = pc.utf8_trim_whitespace(_text(values))
    digits = pc.replace_substring_regex(text, r"[^0-9]", "")
    mobile_digits = pc.replace_substring_regex(digits, r"^86(1[3-9][0-9]{9})$", r"\1")
    is_mobile = pc.fill_null(pc.match_substring_regex(mobile_digits, r"^1[3-9][0-9]{9}$"), False)
    mobile = pc.binary_join_element_wise(pc.utf8_slice_codeunits(mobile_digits, 0, 3), "****",
                                         pc.utf8_slice_codeunits(mobile_digits, 7, 11), "")
    landline = pc.replace_substring_regex(text, r"^(\(?0[1-9][0-9]{1,2}\)?)[- ]?[0-9]{4,6}([0-9]{2})$", r"\1-****\2")
    is_landline = pc.fill_null(pc.match_substring_regex(text, r"^\(?0[1-9][0-9]{1,2}\)?[- ]?[0-9]{6,8}$"), False)
    other = keep_ends(text, 3, 2)
    return pc.if_else(is_mobile, mobile, pc.if_else(is_landline, landline, other))


def mask_email(values: Column) -> pa.Array:
    """``zhang.san@163.com`` → ``z***@163.com``."""
    text = pc.utf8_trim_whitespace(_text(values))
    ok = pc.fill_null(pc.match_substring_regex(text, r"^[^@\s]+@[^@\s]+$"), False)
    masked = pc.replace_substring_regex(text, r"^([^@])[^@]*@(.+)$", r"\1***@\2")
    return pc.if_else(ok, masked, keep_ends(text, 1, 0))


_local = threading.local()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB connection per thread (opening one costs ~50 ms; it keeps no data).

    Results keep the rows' order (``preserve_insertion_order``, DuckDB's default, set explicitly): a
    projection of a registered table then needs no ``ORDER BY`` — a sort of every row."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"preserve_insertion_order": True})
        _local.con = con
    return con


def _first_end(words: tuple[str, ...], first: int) -> str:
    """SQL: where the first of ``words`` (bound as parameters ``$first``…) ends in ``v``, or NULL."""
    return "least(" + ", ".join(f"nullif(strpos(v, ${first + k}), 0) + {len(w) - 1}"
                                for k, w in enumerate(words)) + ")"


# the address record's words: cut after the township (乡镇/街道), else after the county or city
_ADDRESS_WORDS = [*TD.TOWN_WORDS, *TD.COUNTY_WORDS]
_ADDRESS_SQL = f"""
WITH p AS (
  SELECT v,
    {_first_end(TD.TOWN_WORDS, 1)} AS town_end,
    {_first_end(TD.COUNTY_WORDS, 1 + len(TD.TOWN_WORDS))} AS county_end
  FROM address_rows)
SELECT CASE WHEN v IS NULL THEN NULL
            WHEN town_end IS NOT NULL THEN left(v, town_end)
            WHEN county_end IS NOT NULL THEN left(v, county_end)
            ELSE '***' END AS masked
FROM p
"""


def mask_address(values: Column) -> pa.Array:
    """Cut to the 乡镇/街道 (``慈溪市坎墩街道环城北路656号`` → ``慈溪市坎墩街道``), else to 区/县/市, else stars.

    DuckDB runs the literal searches on every core (a regular expression costs ~10× more here)."""
    text = pc.utf8_trim_whitespace(_text(values))
    con = _duckdb()
    con.register("address_rows", pa.table({"v": text}))
    try:
        out = con.sql(_ADDRESS_SQL, params=_ADDRESS_WORDS).to_arrow_table().column("masked")
    finally:
        con.unregister("address_rows")
    return out.combine_chunks() if out.num_chunks else pa.array([], pa.string())


def redact_text(values: Column, entities: tuple[str, ...] | None = None) -> pa.Array:
    """Replace identifiers embedded in free text (ID numbers, phones with dashes/spaces/+86, cards,
    e-mail, plates, landlines) by labels such as ``[手机号]``; the rest of the text is unchanged."""
    text = _text(values)
    for name, pattern in TEXT_ENTITIES:
        if entities is not None and name not in entities:
            continue
        label = TEXT_LABELS[name]
        # Twice: adjacent entities share one boundary character, which the first pass consumed.
        for _ in range(2):
            text = pc.replace_substring_regex(text, pattern, r"\1" + label + r"\2")
    return text


def year_only(values: Column) -> pa.Array:
    """Dates and timestamps → the year (int32); date-like text → its first four digits."""
    arr = _arr(values)
    if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
        return pc.year(arr).cast(pa.int32())
    text = pc.utf8_trim_whitespace(_text(arr))
    ok = pc.fill_null(pc.match_substring_regex(text, r"^(?:18|19|20)[0-9]{2}"), False)
    return pc.if_else(ok, pc.utf8_slice_codeunits(text, 0, 4), pc.binary_repeat(STAR, 4))


def month_only(values: Column) -> pa.Array:
    """Dates → ``YYYY-MM`` text."""
    arr = _arr(values)
    if pa.types.is_date(arr.type) or pa.types.is_timestamp(arr.type):
        return pc.strftime(arr.cast(pa.timestamp("s")) if pa.types.is_date(arr.type) else arr, format="%Y-%m")
    text = pc.utf8_trim_whitespace(_text(arr))
    norm = pc.replace_substring_regex(text, r"^([0-9]{4})[-/.年]?([0-9]{1,2}).*$", r"\1-\2")
    norm = pc.replace_substring_regex(norm, r"^([0-9]{4})-([0-9])$", r"\1-0\2")
    ok = pc.fill_null(pc.match_substring_regex(norm, r"^[0-9]{4}-[0-9]{2}$"), False)
    return pc.if_else(ok, norm, pc.binary_repeat(STAR, 7))


def _as_float(values: Column) -> pa.Array:
    arr = _arr(values)
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type) or pa.types.is_decimal(arr.type):
        return arr.cast(pa.float64())
    text = pc.utf8_trim_whitespace(_text(arr))
    ok = pc.fill_null(pc.match_substring_regex(text, r"^[+-]?[0-9]+(?:\.[0-9]+)?$"), False)
    return pc.if_else(ok, text, None).cast(pa.float64())


def round_coordinates(values: Column, decimals: int = 2) -> pa.Array:
    """Longitude/latitude to ``decimals`` places (2 ≈ 1 km); ``"121.401375,30.253375"`` text too."""
    arr = _arr(values)
    if pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
        return pc.round(arr.cast(pa.float64()), decimals)
    text = pc.utf8_trim_whitespace(_text(arr))
    return pc.replace_substring_regex(text, r"([0-9]+\.[0-9]{" + str(decimals) + r"})[0-9]*", r"\1")


def number_range(values: Column, width: float | None = None) -> pa.Array:
    """Numbers → ranges: a fixed ``width``, or the leading-digit decade (3456 → ``3000-4000``)."""
    x = _as_float(values)
    if width:
        w = pa.array([float(width)] * len(x))
    else:
        magnitude = pc.floor(pc.log10(pc.max_element_wise(pc.abs(x), 1e-12)))
        w = pc.power(10.0, magnitude)
    lo = pc.multiply(pc.floor(pc.divide(x, w)), w)
    hi = pc.add(lo, w)

    def fmt(v: pa.Array) -> pa.Array:
        integral = pc.equal(pc.floor(v), v)
        return pc.if_else(integral, pc.cast(pc.cast(v, pa.int64(), safe=False), pa.string()), pc.cast(v, pa.string()))

    return pc.binary_join_element_wise(fmt(lo), fmt(hi), "-")


def age_band(values: Column, width: int = 10) -> pa.Array:
    """Ages → bands such as ``30-39``."""
    x = _as_float(values)
    lo = pc.multiply(pc.floor(pc.divide(x, float(width))), float(width)).cast(pa.int64(), safe=False)
    hi = pc.add(lo, width - 1)
    return pc.binary_join_element_wise(lo.cast(pa.string()), hi.cast(pa.string()), "-")


def truncate(values: Column, length: int = 3) -> pa.Array:
    """Keep the first ``length`` characters."""
    return pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(_text(values)), 0, length)


def redact(values: Column, replacement: str = "***") -> pa.Array:
    """Replace every non-null value by ``replacement``."""
    arr = _arr(values)
    return pc.if_else(pc.is_null(arr), pa.scalar(None, pa.string()), replacement)


def suppress(values: Column) -> pa.Array:
    """Every value becomes null (the column stays, so layouts do not break)."""
    arr = _arr(values)
    return pa.nulls(len(arr), arr.type)


def regex_mask(values: Column, pattern: str, replacement: str) -> pa.Array:
    """A site-specific rule: RE2 ``pattern`` → ``replacement``."""
    return pc.replace_substring_regex(_text(values), pattern, replacement)


# --------------------------------------------------------------------------- rules by name
Rule = Callable[..., pa.Array]
STRATEGIES: dict[str, Rule] = {
    "keep_ends": keep_ends,
    "name": mask_name,
    "phone": mask_phone,
    "email": mask_email,
    "address": mask_address,
    "free_text": redact_text,
    "year": year_only,
    "month": month_only,
    "coordinates": round_coordinates,
    "range": number_range,
    "age_band": age_band,
    "truncate": truncate,
    "redact": redact,
    "suppress": suppress,
    "regex": regex_mask,
    "never": lambda values: redact(values, NEVER_SHOWN),
}
"""Masking strategies a policy may name (``pseudonym``/``hash`` and ``drop`` are handled by the release)."""

DEFAULT_MASKS: dict[str, tuple[str, dict[str, Any]]] = {t.code: (t.mask, dict(t.mask_params)) for t in ST.TYPES}
"""The display mask of each type code (动态脱敏 defaults)."""


def apply_mask(values: Column, strategy: str, params: Mapping[str, Any] | None = None) -> pa.Array:
    """Run a named strategy over a column; unknown names and bad parameters are user errors."""
    try:
        rule = STRATEGIES[strategy]
    except KeyError:
        raise InputError(f"未知脱敏策略 (unknown masking strategy) {strategy!r}",
                         hint="one of " + ", ".join(sorted([*STRATEGIES, "pseudonym", "hash", "drop", "none"]))) from None
    try:
        return rule(values, **dict(params or {}))
    except TypeError as exc:
        raise InputError(f"脱敏策略 {strategy} 的参数无效 (bad parameters): {exc}") from None


def mask_for_type(values: Column, type_code: str | None) -> pa.Array:
    """The default display mask of ``type_code`` (unknown or None: ``***``)."""
    strategy, params = DEFAULT_MASKS.get(type_code or "", ("redact", {}))
    return apply_mask(values, strategy, params)
