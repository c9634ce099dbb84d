"""Valid-checksum identifiers in bulk: ID numbers, credit codes, patent numbers, phone numbers.

The check characters follow the reference definitions in :mod:`shucang.classify.checksums`
(GB 11643 MOD 11-2, GB 32100 3^i mod 31, GB 11714), computed here on whole digit matrices with numpy
so a million ID numbers take a fraction of a second. Tests compare them with the scalar functions
and with ``python-stdnum``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify.checksums import ID_CHECK, ID_WEIGHTS, ORG_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS
from shucang.demo.columns import ascii_rows, digit_matrix, join, num, unique_ints, ymd_parts
from shucang.demo.vocab import MOBILE_PREFIXES

_ID_CHECK_ASCII = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)
_USCC_ASCII = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_USCC_INDEX = np.full(256, -1, dtype=np.int64)
_USCC_INDEX[_USCC_ASCII] = np.arange(len(USCC_ALPHABET))
_ORG_VALUE = np.full(256, -1, dtype=np.int64)  # GB 11714: digits 0-9, A=10 … Z=35
_ORG_VALUE[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
_ORG_VALUE[np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)] = np.arange(10, 36)


def id_cards(regions: np.ndarray, birth_days: np.ndarray, seq: np.ndarray) -> pa.Array:
    """18-character GB 11643 numbers from region codes (ints), birth dates (day numbers), 3-digit sequences."""
    y, m, d = ymd_parts(birth_days)
    body = (np.asarray(regions, dtype=np.int64) * 10**11 + (y * 10000 + m * 100 + d) * 1000
            + np.asarray(seq, dtype=np.int64))
    digits = digit_matrix(body, 17)
    check = (digits @ np.asarray(ID_WEIGHTS, dtype=np.int64)) % 11
    matrix = np.empty((len(body), 18), dtype=np.uint8)
    matrix[:, :17] = digits + ord("0")
    matrix[:, 17] = _ID_CHECK_ASCII[check]
    return ascii_rows(matrix)


def org_code_bodies(rng: np.random.Generator, modern: np.ndarray) -> np.ndarray:
    """Distinct 8-character organisation-code bodies as an ``(n, 8)`` ASCII matrix.

    Codes issued before the 2015 reform are 8 digits (local ranges 25…, 70…79…); newer ones are
    ``MA2`` followed by five characters of the credit-code alphabet.
    """
    n = len(modern)
    ids = unique_ints(rng, 31**5, n)  # one pool of distinct numbers serves both styles
    out = np.empty((n, 8), dtype=np.uint8)
    old = ~modern
    heads = np.array([25, 70, 71, 72, 73, 74, 76, 77, 79], dtype=np.int64)
    old_ids = unique_ints(rng, len(heads) * 10**6, n)
    numeric = heads[old_ids // 10**6] * 10**6 + old_ids % 10**6
    out[old] = (digit_matrix(numeric[old], 8) + ord("0")).astype(np.uint8)
    out[modern, 0:3] = np.frombuffer(b"MA2", dtype=np.uint8)
    base31 = (ids[modern, None] // (31 ** np.arange(4, -1, -1, dtype=np.int64))[None, :]) % 31
    out[modern, 3:8] = _USCC_ASCII[base31]
    return out


def org_check(bodies: np.ndarray) -> np.ndarray:
    """GB 11714 check characters (ASCII codes) of an ``(n, 8)`` body matrix."""
    total = _ORG_VALUE[bodies] @ np.asarray(ORG_WEIGHTS, dtype=np.int64)
    check = 11 - total % 11
    return np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), check + ord("0"))).astype(np.uint8)


def credit_codes(rng: np.random.Generator, kinds: np.ndarray, modern: np.ndarray,
                 region: str = "330282") -> pa.Array:
    """GB 32100 unified social credit codes; ``kinds`` are the two leading digits (91, 92, 93…) as ints."""
    n = len(kinds)
    matrix = np.empty((n, 18), dtype=np.uint8)
    matrix[:, 0:2] = digit_matrix(np.asarray(kinds, dtype=np.int64), 2) + ord("0")
    matrix[:, 2:8] = np.frombuffer(region.encode(), dtype=np.uint8)
    bodies = org_code_bodies(rng, np.asarray(modern, dtype=bool))
    matrix[:, 8:16] = bodies
    matrix[:, 16] = org_check(bodies)
    total = _USCC_INDEX[matrix[:, :17]] @ np.asarray(USCC_WEIGHTS, dtype=np.int64)
    matrix[:, 17] = _USCC_ASCII[(31 - total % 31) % 31]
    return ascii_rows(matrix)


_PATENT_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], dtype=np.int64)


def patent_numbers(years: np.ndarray, types: np.ndarray, serials: np.ndarray) -> pa.Array:
    """Chinese patent numbers ``ZL202110123456.7``: application year, type (1/2/3), serial, check.

    The check character of 12-digit application numbers is Σ dᵢ·wᵢ mod 11 with weights 2…9,2…5,
    written ``X`` for 10.
    """
    body = (np.asarray(years, dtype=np.int64) * 10**8 + np.asarray(types, dtype=np.int64) * 10**7
            + np.asarray(serials, dtype=np.int64))
    check = (digit_matrix(body, 12) @ _PATENT_WEIGHTS) % 11
    check_chars = pa.array([str(i) for i in range(10)] + ["X"])
    return join("ZL", num(body), ".", pc.take(check_chars, pa.array(check)))


def mobiles(rng: np.random.Generator, n: int) -> pa.Array:
    """Distinct 11-digit mobile numbers with current Chinese prefixes."""
    prefixes = np.asarray(MOBILE_PREFIXES, dtype=np.int64)
    v = unique_ints(rng, len(prefixes) * 10**8, n)
    return num(prefixes[v // 10**8] * 10**8 + v % 10**8)


def landlines(rng: np.random.Generator, n: int) -> pa.Array:
    """Cixi fixed-line numbers written ``0574-6xxxxxxx``."""
    return join("0574-", num(60_000_000 + rng.integers(0, 10_000_000, size=n)))


def phone_styles(phones: pa.Array, styles: np.ndarray) -> pa.Array:
    """Write 11-digit mobiles as people do: 0 plain, 1 ``138-1234-5678``, 2 ``138 1234 5678``, 3 ``+86 …``."""
    a = pc.utf8_slice_codeunits(phones, 0, 3)
    b = pc.utf8_slice_codeunits(phones, 3, 7)
    c = pc.utf8_slice_codeunits(phones, 7, 11)
    dashed = join(a, "-", b, "-", c)
    spaced = join(a, " ", b, " ", c)
    plus = join("+86 ", phones)
    s = np.asarray(styles)
    out = pc.if_else(pa.array(s == 1), dashed, phones)
    out = pc.if_else(pa.array(s == 2), spaced, out)
    return pc.if_else(pa.array(s == 3), plus, out)
