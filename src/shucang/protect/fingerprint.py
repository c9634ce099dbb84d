"""Numeric fingerprints for columns a recipient sees as stored: keyed sides of rounding boundaries.

Low-order-digit marks (Agrawal–Kiernan) die when a leaker rounds to 3 significant digits. This mark
lives *in* that rounding: a cell whose value lies within ``window`` (in units of the 3-significant-
digit step s) of a rounding boundary B = (k + ½)·s is a carrier; a keyed bit per (column, value)
says on which side of B the recipient's copy must lie, and a carrier on the wrong side is mirrored
across B (x → 2B − x, or one unit off B for values exactly on it). The change is < 0.1 % of the cell
and zero-mean, so totals move by far less than 0.1 %; about 10 % of cells are carriers and half of
those change. Rounding to 3 significant digits keeps the side, so does any format change; finer
rounding (4+ digits) erases carriers (never inverts them), coarser rounding turns them into noise.

Tracing links leaked rows to the source, recomputes which cells were carriers and compares the
observed sides with each candidate extract's keyed bits: under "this file did not come from that
extract" every comparison is a fair coin, so the count of agreements is exactly Binomial(n, ½).

The keyed bit of a carrier is a PRF of its identity (column, sign, exponent, mantissa·10⁶). Scheme 2
(``marks["sides"] == 2``) packs that identity into one 16-byte block — an unkeyed 64-bit BLAKE2b of
the column name, then the numbers — and encrypts it with AES-256 under a key derived from the
extract's mark key: a trace compares one set of carriers with hundreds of extracts, one AES call
each. Scheme 1 (registry rows without ``sides``) hashed the identity's text with
:func:`~shucang.protect.keyed_hash.keyed_u64`; such extracts stay traceable with it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect.keyed_batch import aes_ecb, aes_ecb_many
from shucang.protect.keyed_hash import keyed_u64

SIDE_SCHEME = 2
"""How new extracts choose a carrier's side (see the module docstring); recorded as ``marks["sides"]``."""
_COLUMN_PERSON = b"shucang-sides-v2"
_SIDE_AES_PERSON = b"shucang-side-aes"

NUMBER_TEXT = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"


@dataclass(frozen=True)
class Carriers:
    """Carrier cells of one numeric column (numpy arrays aligned with the input rows)."""

    carrier: np.ndarray  # bool
    boundary: np.ndarray  # |B|
    step: np.ndarray  # s
    side: np.ndarray  # int8: +1 above B, -1 below, 0 on it (of the stored value)
    magnitude: np.ndarray  # |x|
    sign: np.ndarray  # ±1.0
    exponent: np.ndarray  # floor(log10 |x|)
    mantissa: np.ndarray  # |x| / s in [100, 1000)
    column: str

    def idents(self, rows: np.ndarray) -> pa.Array:
        """The keyed bit's input of the given carrier rows: column, sign, exponent, mantissa·10⁶."""
        micro = np.floor(self.mantissa[rows] * 1e6 + 0.5).astype(np.int64)
        return pc.binary_join_element_wise(
            pa.array([self.column] * len(rows), pa.string()),
            pa.array(np.where(self.sign[rows] < 0, "-", "+")),
            pa.array(self.exponent[rows].astype(np.int64)).cast(pa.string()),
            pa.array(micro).cast(pa.string()), "\x1f")

    def blocks(self, rows: np.ndarray) -> np.ndarray:
        """The same identity packed into one block per row, an (n, 16) uint8 matrix (scheme 2): an
        unkeyed 64-bit BLAKE2b of the column name, exponent (int16), sign, mantissa·10⁶ (uint32), tag."""
        column_id = hashlib.blake2b(self.column.encode("utf-8"), digest_size=8, person=_COLUMN_PERSON).digest()
        out = np.zeros((len(rows), 16), dtype=np.uint8)
        out[:, :8] = np.frombuffer(column_id, dtype=np.uint8)
        out[:, 8:10] = self.exponent[rows].astype("<i2").view(np.uint8).reshape(-1, 2)
        out[:, 10] = self.sign[rows] < 0
        out[:, 11:15] = np.floor(self.mantissa[rows] * 1e6 + 0.5).astype("<u4").view(np.uint8).reshape(-1, 4)
        out[:, 15] = SIDE_SCHEME
        return out


def _side_aes_key(key: bytes) -> bytes:
    return hashlib.blake2b(b"", key=key, digest_size=32, person=_SIDE_AES_PERSON).digest()


def side_bits(blocks: np.ndarray, key: bytes) -> np.ndarray:
    """Scheme 2: the keyed bit (0/1, uint8) of each packed carrier identity under an extract's mark key."""
    return aes_ecb(_side_aes_key(key), blocks.tobytes())[:, 0] & 1


def side_bits_many(blocks: np.ndarray, keys: list[bytes]) -> np.ndarray:
    """:func:`side_bits` under each of many extracts' keys: a (len(keys), n) matrix, one AES call per key."""
    return aes_ecb_many([_side_aes_key(key) for key in keys], blocks.tobytes())[:, :, 0] & 1


def numeric_kind(values: pa.Array | pa.ChunkedArray) -> str | None:
    """``float``/``int`` for numeric Arrow types, ``text`` for number-like strings, else None."""
    t = values.type
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        sample = values.slice(0, 2000)
        text = pc.utf8_trim_whitespace(sample.cast(pa.string())).drop_null()
        text = text.filter(pc.not_equal(text, ""))
        if len(text) == 0:
            return None
        share = pc.sum(pc.match_substring_regex(text, NUMBER_TEXT).cast(pa.int64())).as_py() / len(text)
        return "text" if share >= 0.95 else None
    return None


_CODE_NAME = re.compile(r"(?:^|_)(?:id|no|code|key|num|number|year|zip|seq)$|编号|编码|代码|号码|序号|年份|年度|^年$|号$",
                        re.IGNORECASE)


def markable(name: str, values: pa.Array | pa.ChunkedArray) -> bool:
    """May this as-stored column carry a numeric mark? Only measures: never codes, ids or years.

    A column is a code when its name says so (…_id, 编号, 代码, 年份 …), or its whole numbers have
    leading zeros, ten or more digits, one fixed length of five or more, or all lie in 1800–2100."""
    if _CODE_NAME.search(name.strip()):  # the name decides first: no need to look at the values
        return False
    kind = numeric_kind(values)
    if kind is None:
        return False
    if kind == "float":
        return True
    sample = values.slice(0, 5000)
    if isinstance(sample, pa.ChunkedArray):
        sample = sample.combine_chunks() if sample.num_chunks else pa.array([], sample.type)
    text = pc.utf8_trim_whitespace(sample.cast(pa.string())).drop_null()
    text = text.filter(pc.not_equal(text, ""))
    if len(text) == 0:
        return False
    whole = text.filter(pc.invert(pc.match_substring(text, ".")))
    if len(whole) == 0:
        return True
    if pc.any(pc.match_substring_regex(whole, r"^[+-]?0[0-9]")).as_py():
        return False
    lengths = pc.utf8_length(pc.replace_substring_regex(whole, r"^[+-]", ""))
    low, high = pc.min(lengths).as_py(), pc.max(lengths).as_py()
    if high >= 10 or (low == high and low >= 5):
        return False
    numbers = whole.cast(pa.float64())
    years = pc.sum(pc.and_(pc.greater_equal(numbers, 1800.0), pc.less_equal(numbers, 2100.0)).cast(pa.int64())).as_py()
    return years < 0.95 * len(whole)


def as_float(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.float64())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        text = pc.utf8_trim_whitespace(values.cast(pa.string()))
        ok = pc.fill_null(pc.match_substring_regex(text, NUMBER_TEXT), False)
        return pc.if_else(ok, text, None).cast(pa.float64())
    return values.cast(pa.float64())


def _np(x: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(x, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def carriers(x: pa.Array, column: str, window: float, tolerance: float = 1.0,
             unit: np.ndarray | None = None) -> Carriers:
    """Which cells of ``x`` (float64) sit within ``window``·s of a 3-significant-digit boundary and
    can take their mark within ``tolerance`` (relative); ``unit`` is the smallest step of a value
    sitting exactly on a boundary (1 for whole numbers, 10^-decimals for text, ``window``·s/2 else)."""
    xv = _np(x)
    ax = np.abs(xv)
    valid = np.isfinite(ax) & (ax > 0)
    safe = np.where(valid, ax, 1.0)
    e = np.floor(np.log10(safe))
    # log10 may be off by one next to powers of ten: correct against exact powers.
    e = np.where(safe < 10.0 ** e, e - 1, e)
    e = np.where(safe >= 10.0 ** (e + 1), e + 1, e)
    exp2 = e - 2
    step = np.where(exp2 >= 0, 10.0 ** np.maximum(exp2, 0), 1.0 / 10.0 ** np.maximum(-exp2, 0))
    m = safe / step
    k = np.floor(m)
    f = m - k
    d = np.abs(f - 0.5)
    side = np.where(f > 0.5, 1, np.where(f < 0.5, -1, 0)).astype(np.int8)
    nudge = step * (window / 2) if unit is None else unit
    biggest_change = np.where(side == 0, nudge, 2 * d * step)
    carrier = valid & (d <= window) & (biggest_change <= tolerance * safe)
    sign = np.where(xv < 0, -1.0, 1.0)
    return Carriers(carrier, (k + 0.5) * step, step, side, safe, sign, e, m, column)


ON_BOUNDARY_SHARE = 4
_THIN_KEY = b"shucang-on-boundary-thinning-v1"


def carrier_rows(info: Carriers) -> np.ndarray:
    """Rows that carry a mark. Values exactly on a boundary (whole numbers ending in 5, prices like
    12.5) would always have to move, so only a fixed, unkeyed quarter of them carries one."""
    rows = np.flatnonzero(info.carrier)
    on = info.side[rows] == 0
    if on.any():
        thin = pc.bit_wise_and(keyed_u64(info.idents(rows[on]), _THIN_KEY), pa.scalar(ON_BOUNDARY_SHARE - 1, pa.uint64()))
        keep = np.ones(len(rows), dtype=bool)
        keep[np.flatnonzero(on)] = thin.to_numpy() == 0
        rows = rows[keep]
    return rows


def _decimals(text: pa.Array) -> pa.Array:
    frac = pc.replace_substring_regex(pc.utf8_trim_whitespace(text), r"^[^.]*\.?", "")
    return pc.utf8_length(frac)


def _format_fixed(values: pa.Array, decimals: pa.Array) -> pa.Array:
    """Fixed-point text of ``values`` with a per-row number of decimals (vectorised)."""
    out = pc.cast(pc.round(values), pa.int64(), safe=False).cast(pa.string())
    for dec in sorted(set(pc.unique(decimals.drop_null()).to_pylist())):
        if dec == 0:
            continue
        scaled = pc.round(pc.multiply(pc.abs(values), float(10**dec))).cast(pa.int64(), safe=False)
        whole = pc.divide(scaled, 10**dec)
        frac = pc.subtract(scaled, pc.multiply(whole, 10**dec))
        text = pc.binary_join_element_wise(pc.if_else(pc.less(values, 0.0), "-", ""), whole.cast(pa.string()),
                                           ".", pc.utf8_lpad(frac.cast(pa.string()), dec, "0"), "")
        out = pc.if_else(pc.equal(decimals, dec), text, out)
    return out


@dataclass(frozen=True)
class MarkResult:
    values: pa.Array
    carriers: int
    changed: int


def _units(values: pa.Array, kind: str, x: pa.Array, window: float) -> np.ndarray | None:
    if kind == "int":
        return np.ones(len(values))
    if kind == "text":
        dec = _decimals(pc.fill_null(values.cast(pa.string()), "")).to_numpy(zero_copy_only=False)
        return 10.0 ** -dec.astype(np.float64)
    return None


def column_carriers(values: pa.Array, column: str, window: float, tolerance: float) -> tuple[str | None, Carriers]:
    """Kind and carriers of a stored column (the same computation at extract and at trace time)."""
    kind = numeric_kind(values)
    x = as_float(values)
    return kind, carriers(x, column, window, tolerance, _units(values, kind or "float", x, window))


def mark_numeric(values: pa.Array | pa.ChunkedArray, *, key: bytes, column: str, window: float,
                 tolerance: float, scheme: int = SIDE_SCHEME) -> MarkResult:
    """Put a recipient's keyed sides into one numeric column (float, int or number-like text);
    ``scheme`` 1 only to reproduce extracts made before scheme 2."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    kind = numeric_kind(values)
    if kind is None or len(values) == 0:
        return MarkResult(values, 0, 0)
    _kind, info = column_carriers(values, column, window, tolerance)
    rows = carrier_rows(info)
    n_carriers = len(rows)
    if len(rows) == 0:
        return MarkResult(values, 0, 0)
    if scheme == 1:
        bits = pc.bit_wise_and(keyed_u64(info.idents(rows), key), pa.scalar(1, pa.uint64())).to_numpy()
    else:
        bits = side_bits(info.blocks(rows), key)
    want = np.where(bits == 1, 1, -1).astype(np.int8)
    wrong = info.side[rows] != want
    rows, want = rows[wrong], want[wrong]
    mag, bound, step = info.magnitude[rows], info.boundary[rows], info.step[rows]
    units = _units(values, kind, values, window)
    unit = step * (window / 2) if units is None else units[rows]
    new_mag = np.where(info.side[rows] == 0, bound + want * unit, 2 * bound - mag)
    ok = np.abs(new_mag - mag) <= mag * tolerance
    rows, new_mag = rows[ok], new_mag[ok]
    new_x = new_mag * info.sign[rows]
    if kind == "int":
        replacement = pa.array(np.round(new_x).astype(np.int64)).cast(values.type)
    elif kind == "text":
        text = values.cast(pa.string())
        replacement = _format_fixed(pa.array(new_x), _decimals(text.take(pa.array(rows))))
        values = text
    else:
        # Round away float noise (12 significant digits) so the copy looks like the source.
        digits = np.clip(11 - np.floor(np.log10(np.maximum(np.abs(new_x), 1e-300))), 0, 15).astype(int)
        scale = 10.0 ** digits
        replacement = pa.array(np.round(new_x * scale) / scale).cast(values.type)
    out = _scatter(values, rows, replacement)
    return MarkResult(out, n_carriers, len(rows))


def _scatter(values: pa.Array, rows: np.ndarray, replacement: pa.Array) -> pa.Array:
    """``values`` with ``values[rows] = replacement`` (vectorised through an index gather)."""
    if len(rows) == 0:
        return values
    n = len(values)
    index = np.arange(n, dtype=np.int64)
    index[rows] = n + np.arange(len(rows), dtype=np.int64)
    combined = pa.concat_arrays([values, replacement.cast(values.type)])
    return combined.take(pa.array(index))


@dataclass(frozen=True)
class Observation:
    """Carriers seen in a leaked column: distinct identities (first occurrence first) and their sides."""

    info: Carriers
    rows: np.ndarray
    sides: np.ndarray  # int8, +1/−1

    def idents(self) -> list[str]:
        """Scheme 1 inputs of the keyed bit."""
        return self.info.idents(self.rows).to_pylist() if len(self.rows) else []

    def blocks(self) -> np.ndarray:
        """Scheme 2 inputs of the keyed bit."""
        return self.info.blocks(self.rows)


def observe_numeric(source: pa.Array, leaked: pa.Array, column: str, window: float,
                    tolerance: float) -> Observation:
    """Carriers and observed sides (+1/−1) of linked (source, leaked) value pairs; erased and
    implausible pairs are skipped, and each (column, value) counts once."""
    _kind, info = column_carriers(source, column, window, tolerance)
    yv = _np(as_float(leaked))
    my = np.abs(yv)
    same_sign = (yv < 0) == (info.sign < 0)
    close = np.abs(my - info.magnitude) <= info.step * 0.75
    eps = info.boundary * 1e-9
    seen = np.where(my > info.boundary + eps, 1, np.where(my < info.boundary - eps, -1, 0))
    use = np.zeros(len(yv), dtype=bool)
    use[carrier_rows(info)] = True
    use &= same_sign & close & (seen != 0) & np.isfinite(yv)
    rows = np.flatnonzero(use)
    if len(rows):
        # One vote per identity (the packed block is injective in it), in order of first occurrence.
        packed = np.ascontiguousarray(info.blocks(rows)).view("V16").ravel()
        _unique, first = np.unique(packed, return_index=True)
        rows = rows[np.sort(first)]
    return Observation(info, rows, seen[rows].astype(np.int8))


