"""Keyed pseudonyms: joinable for one recipient, unlinkable across recipients, and self-tracing.

A pseudonym is a keyed 128-bit PRF (AES-256 on one-block values, keyed BLAKE2b otherwise, see
:mod:`shucang.protect.keyed_hash`) under a key derived per (key id, recipient, domain), so the same ID number
gets the same token in every dataset one recipient receives (joins still work) and a different,
unrelated token for every other recipient. Shapes keep the format where the format matters:

``id18``   18 characters like a 居民身份证 number: 13 keyed digits, a 4-digit recipient code, and a
           valid MOD 11-2 check character (so downstream format checks pass).
``mobile`` 11 digits ``1[0-2]…``: shaped like a mobile number but with a second digit no Chinese
           mobile number has, so a token can never be (or be mistaken for) a real person's number; the
           last digit is a recipient check digit (about 1,700 colliding pairs per million numbers — use
           the id18 token for exact joins).
``digits`` same length, digits only (bank cards, accounts, IMEI); the last digit is a check digit.
``token``  24 base32 characters (120 keyed bits) plus a 4-character recipient code.

The recipient code (id18 and token) lets a trace name the recipient from tokens alone, without the
source data: code = (slot + PRF(code key, keyed part)) mod M, where the slot is the recipient's
number and the code key is shared by the warehouse, not by recipients. To anyone without the key
the code is uniform noise; to the trace it decodes to the slot in one hash per token. Short shapes
(mobile, digits) cannot spare four digits, so their last digit is PRF(recipient's check key, rest)
mod 10: a trace tests a few dozen tokens against every recipient (a stray token passes with 1/10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.protect.keyed_hash import keyed_u64, keyed_u64_each, keyed_u128_each
from shucang.protect.keys import KeyRing

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
B32 = "abcdefghijklmnopqrstuvwxyz234567"
SHAPES = ("id18", "mobile", "digits", "token")
CODE_SPACE = {"id18": 10_000, "token": 1 << 20}
"""Size of the recipient-code space per shape: a stray token names a given slot with chance 1/M."""
ID18_VALUE = r"^[0-9]{17}[0-9X]$"
TOKEN_VALUE = r"^[a-z2-7]{28}$"


@dataclass(frozen=True)
class PseudonymKeys:
    """The keys one recipient's pseudonyms in one domain are made with."""

    value_key: bytes
    """Key of the keyed part (per key id, recipient, domain)."""
    check_key: bytes
    """Per-recipient key of the check digit of short shapes (per key id, recipient)."""
    code_key: bytes
    """Warehouse-wide key of the recipient code (per key id, shape)."""
    slot: int
    """The recipient's number, carried in the code."""


def keys_for(ring: KeyRing, key_id: str, recipient_id: int, domain: str, shape: str) -> PseudonymKeys:
    """Derive the pseudonym keys of a recipient for a domain (usually the column's type code)."""
    return PseudonymKeys(
        value_key=ring.derive(key_id, "pseudonym", f"r{recipient_id}", domain),
        check_key=check_key(ring, key_id, recipient_id),
        code_key=code_key(ring, key_id, shape),
        slot=recipient_id,
    )


def code_key(ring: KeyRing, key_id: str, shape: str) -> bytes:
    return ring.derive(key_id, "recipient-code", shape)


def check_key(ring: KeyRing, key_id: str, recipient_id: int) -> bytes:
    return ring.derive(key_id, "recipient-check", f"r{recipient_id}")


CARRIER_EVERY = 4
"""One token in four carries the recipient code/check (chosen by an unkeyed rule on the keyed part):
a thousand leaked rows still give ~250 votes, and the second keyed hash costs a quarter."""


def is_carrier_body(bodies: pa.Array) -> pa.Array:
    """Which token bodies (digit strings) carry a recipient code or check digit."""
    tail = pc.utf8_slice_codeunits(bodies, -12)
    digits = pc.fill_null(pc.match_substring_regex(tail, "^[0-9]+$"), False)
    number = pc.if_else(digits, tail, "1").cast(pa.uint64())
    return pc.fill_null(pc.equal(_mod(number, CARRIER_EVERY), 0), False)


def _with_check_digit(body: pa.Array, h: pa.Array, keys: PseudonymKeys, carrier: pa.Array | None = None) -> pa.Array:
    """``body`` + its last digit: the recipient's check digit on carriers, a keyed digit elsewhere.
    ``carrier`` may be passed when known (it equals ``is_carrier_body(body)``)."""
    carrier = is_carrier_body(body) if carrier is None else carrier
    digit = _mod(pc.divide(h, pa.scalar(1 << 40, pa.uint64())), 10)
    rows = pc.indices_nonzero(carrier)
    if len(rows):
        checks = _mod(keyed_u64_each(body.take(rows), keys.check_key), 10)
        index = pc.cumulative_sum(carrier.cast(pa.int64()))
        gathered = checks.take(pc.subtract(pc.max_element_wise(index, 1), 1))
        digit = pc.if_else(carrier, gathered, digit)
    return pc.binary_join_element_wise(body, digit.cast(pa.string()), "")


def normalise_for_shape(values: pa.Array, shape: str) -> pa.Array:
    """Canonical form hashed, so ``3302…x`` and `` 3302…X`` (or ``+86 138-…``) give one token."""
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    if shape == "id18":
        return pc.utf8_upper(text)
    if shape in ("mobile", "digits"):
        digits = pc.replace_substring_regex(text, r"[^0-9]", "")
        if shape == "mobile":
            digits = pc.replace_substring_regex(digits, r"^86(1[3-9][0-9]{9})$", r"\1")
        return digits
    return text


def _digits_of(number: pa.Array, width: int) -> pa.Array:
    """Zero-padded decimal text of a uint64 array."""
    return pc.utf8_lpad(number.cast(pa.string()), width, "0")


def _id_check(body: pa.Array) -> pa.Array:
    """MOD 11-2 check characters of 17-digit bodies given as uint64 numbers (null bodies count as 0)."""
    number = np.asarray(pc.fill_null(body, 0).to_numpy(zero_copy_only=False), dtype=np.uint64)
    text = pc.utf8_lpad(pa.array(number).cast(pa.string()), 17, "0")
    if len(text) and pc.max(pc.binary_length(text)).as_py() == 17:
        # Weighted digit sum as one small matrix product over the 17 ASCII digits of every body.
        data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[: 17 * len(text)].reshape(-1, 17)
        total = (data.astype(np.int32) - 48) @ np.array(ID_WEIGHTS, dtype=np.int32)
    else:
        total = np.zeros(len(number), dtype=np.uint64)
        for i, weight in enumerate(ID_WEIGHTS):
            total += (number // np.uint64(10 ** (16 - i)) % np.uint64(10)) * np.uint64(weight)
    return pa.array(list(ID_CHECK)).take(pa.array((total % 11).astype(np.int64)))


def _mod(values: pa.Array, m: int) -> pa.Array:
    m_s = pa.scalar(m, pa.uint64())
    return pc.subtract(values, pc.multiply(pc.divide(values, m_s), m_s))


def _base32(number: pa.Array, chars: int) -> pa.Array:
    alphabet = pa.array(list(B32))
    parts = []
    for j in range(chars):
        idx = pc.bit_wise_and(pc.shift_right(number, pa.scalar(5 * j, pa.uint64())), pa.scalar(31, pa.uint64()))
        parts.append(alphabet.take(idx.cast(pa.int64())))
    return pc.binary_join_element_wise(*parts, "")


def _code(keyed_part: pa.Array, carrier: pa.Array, filler: pa.Array, keys: PseudonymKeys, space: int) -> pa.Array:
    """Recipient codes for carrier rows; more keyed digits (``filler``) elsewhere."""
    rows = pc.indices_nonzero(carrier)
    out = _mod(filler, space)
    if len(rows):
        offset = _mod(keyed_u64_each(keyed_part.take(rows), keys.code_key), space)
        code = _mod(pc.add(offset, pa.scalar(keys.slot % space, pa.uint64())), space)
        index = pc.cumulative_sum(carrier.cast(pa.int64()))
        out = pc.if_else(carrier, code.take(pc.subtract(pc.max_element_wise(index, 1), 1)), out)
    return out


def pseudonymise(values: pa.Array | pa.ChunkedArray, keys: PseudonymKeys, shape: str = "token") -> pa.Array:
    """Replace every non-blank value by its keyed pseudonym of ``shape``; nulls and blanks stay as they are."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if shape not in SHAPES:
        raise ValueError(f"unknown pseudonym shape {shape!r}")
    norm = normalise_for_shape(values, shape)
    blank = pc.fill_null(pc.equal(norm, ""), True)
    if _mostly_distinct(norm):
        # Identifier columns are nearly all distinct: hashing every row costs less than de-duplicating.
        out = _tokens(pc.fill_null(norm, ""), keys, shape)
    else:
        # Every step runs once per distinct value; the column is rebuilt with one gather at the end.
        encoded = pc.dictionary_encode(norm)  # distinct values and row indices in one hash pass
        out = _tokens(encoded.dictionary, keys, shape).take(encoded.indices)
    return pc.if_else(blank, values.cast(pa.string()), out)


def _mostly_distinct(values: pa.Array, sample: int = 20_000) -> bool:
    """Whether a sample of ``values`` is ≥ 90 % distinct (tokens are a function of the value either way)."""
    if len(values) <= sample:
        return False
    head = values.slice(0, sample)
    return pc.count_distinct(head).as_py() >= 0.9 * sample


def _tokens(norm: pa.Array, keys: PseudonymKeys, shape: str) -> pa.Array:
    """Tokens of distinct, non-null normalised values."""
    h, h2 = keyed_u128_each(norm, keys.value_key)  # one PRF evaluation: two independent 64-bit words
    if shape == "id18":
        p = pc.add(_mod(h, 9 * 10**12), pa.scalar(10**12, pa.uint64()))
        p_text = p.cast(pa.string())
        filler = pc.divide(h, pa.scalar(9 * 10**12, pa.uint64()))
        # = is_carrier_body(p_text): its last 12 digits mod 4 are p mod 4, as 4 divides 10^12.
        carrier = pc.equal(_mod(p, CARRIER_EVERY), 0)
        code = _code(p_text, carrier, filler, keys, CODE_SPACE["id18"])
        body = pc.add(pc.multiply(p, pa.scalar(10_000, pa.uint64())), code)
        return pc.binary_join_element_wise(_digits_of(body, 17), _id_check(pc.fill_null(body, 0)), "")
    if shape == "mobile":
        second = pa.array(list("012")).take(_mod(pc.fill_null(h, 0), 3).cast(pa.int64()))
        rest_number = _mod(pc.divide(h, pa.scalar(3, pa.uint64())), 10**8)
        body = pc.binary_join_element_wise(pa.array(["1"] * len(h)), second, _digits_of(rest_number, 8), "")
        # = is_carrier_body(body): the 10-digit body mod 4 is its last 8 digits mod 4.
        return _with_check_digit(body, h, keys, pc.equal(_mod(rest_number, CARRIER_EVERY), 0))
    if shape == "digits":
        length = pc.utf8_length(norm)
        long_digits = pc.binary_join_element_wise(
            _digits_of(pc.add(_mod(h, 9 * 10**18), pa.scalar(10**18, pa.uint64())), 19),
            _digits_of(_mod(h2, 10**19), 19), "")
        out = long_digits
        for n in sorted(set(pc.unique(length.drop_null()).to_pylist())):
            out = pc.if_else(pc.equal(length, n), pc.utf8_slice_codeunits(long_digits, 0, max(n - 1, 0)), out)
        return _with_check_digit(out, h, keys)
    keyed = pc.binary_join_element_wise(_base32(h, 12), _base32(h2, 12), "")
    carrier = pc.equal(_mod(h, CARRIER_EVERY), 0)
    code = _code(keyed, carrier, pc.shift_right(h2, pa.scalar(40, pa.uint64())), keys, CODE_SPACE["token"])
    return pc.binary_join_element_wise(keyed, _base32(code, 4), "")


def decode_slots(tokens: pa.Array, ring: KeyRing, key_id: str, shape: str) -> pa.Array:
    """The recipient slot each token of ``shape`` names (int64); null where the value is not such a token."""
    if isinstance(tokens, pa.ChunkedArray):
        tokens = tokens.combine_chunks()
    text = pc.utf8_trim_whitespace(tokens.cast(pa.string()))
    key = code_key(ring, key_id, shape)
    space = CODE_SPACE[shape]
    if shape == "id18":
        text = pc.utf8_upper(text)
        ok = pc.fill_null(pc.match_substring_regex(text, ID18_VALUE), False)
        body = pc.if_else(ok, pc.utf8_slice_codeunits(text, 0, 17), None)
        body_num = body.cast(pa.uint64())
        ok = pc.and_(ok, pc.fill_null(pc.equal(_id_check(pc.fill_null(body_num, 0)),
                                               pc.utf8_slice_codeunits(text, 17, 18)), False))
        ok = pc.and_(ok, is_carrier_body(pc.fill_null(pc.utf8_slice_codeunits(text, 0, 13), "1")))
        keyed = pc.if_else(ok, pc.utf8_slice_codeunits(text, 0, 13), None)
        code = pc.utf8_slice_codeunits(body, 13, 17).cast(pa.uint64())
    elif shape == "token":
        ok = pc.fill_null(pc.match_substring_regex(text, TOKEN_VALUE), False)
        first = pc.index_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=pa.array(list(B32)))
        ok = pc.and_(ok, pc.fill_null(pc.equal(pc.bit_wise_and(first, 3), 0), False))
        keyed = pc.if_else(ok, pc.utf8_slice_codeunits(text, 0, 24), None)
        code = pa.array([0] * len(text), pa.uint64())
        chars = pc.if_else(ok, pc.utf8_slice_codeunits(text, 24, 28), None)
        lookup = pa.array(list(B32))
        for j in range(4):
            idx = pc.index_in(pc.utf8_slice_codeunits(chars, j, j + 1), value_set=lookup).cast(pa.uint64())
            code = pc.add(code, pc.shift_left(idx, pa.scalar(5 * j, pa.uint64())))
    else:
        raise ValueError(f"shape {shape!r} carries no recipient code")
    offset = _mod(keyed_u64(keyed, key), space)
    slot = _mod(pc.subtract(pc.add(code, pa.scalar(space, pa.uint64())), offset), space)
    return pc.if_else(ok, slot.cast(pa.int64()), None)
