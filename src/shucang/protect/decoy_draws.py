"""The random cells of decoy rows, drawn for all decoys at once (numpy over bytes, Arrow kernels).

:mod:`shucang.protect.decoys` decides *what* a decoy's identifying cells are (see there); this module
draws them without a Python step per decoy. Identifiers are ASCII, so a donor's ID or phone number
is a row of a fixed-width byte matrix; in free text (addresses, case numbers) every digit is one
ASCII byte — UTF-8 never uses bytes below 0x80 inside a multi-byte character — so replacing digit
runs is a rewrite of the digit bytes of the column's data buffer, offsets unchanged.

**Freshness.** A synthesised value is never one the dataset holds nor one an earlier decoy took
(:func:`fresh`): a few candidates per cell are checked against the whole column in one pass and the
first fresh one kept — the same distribution as drawing again until fresh. A cell with no fresh value
after ``TRIES`` draws is left empty rather than copying a real value.

Every draw takes its randomness from the one seeded generator in a fixed order, so the same seed
(per recipient and extract) gives the same decoys.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify.checksums import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, USCC_WEIGHTS

TRIES = 30
"""Draws per cell before it is left empty."""
FIRST = 4
"""Candidates drawn at once for every cell."""
ALTERNATIVES = 8
"""Alternatives drawn at once for each clashing cell."""
Draw = Callable[[np.ndarray], pa.Array]
"""Candidates for the decoys at the given positions (null: this decoy's donor cannot make one)."""

_ZERO = 48


def _buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data) of a string array: the bytes of row i are ``data[offsets[i]:offsets[i + 1]]``."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset: values.offset + len(values) + 1]
    data_buffer = values.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def _strings(offsets: np.ndarray, data: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array from offsets and bytes (``valid``: False → null)."""
    out = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets.astype(np.int32).tobytes()),
                                      pa.py_buffer(np.ascontiguousarray(data, dtype=np.uint8).tobytes()))
    if valid is not None and not valid.all():
        out = pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string()))
    return out


def fixed_width(matrix: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Each row of an n × w uint8 matrix of ASCII bytes as one string."""
    rows, width = matrix.shape
    return _strings(np.arange(rows + 1, dtype=np.int64) * width, matrix.reshape(-1), valid)


def ascii_matrix(values: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(n × width byte matrix, which rows are exactly ``width`` bytes long); other rows are zeros."""
    offsets, data = _buffers(values)
    valid = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    ok = valid & (np.diff(offsets) == width)
    if ok.all() and len(ok):  # every value has the width: the data buffer is the matrix (no gather)
        return data[offsets[0]: offsets[-1]].reshape(-1, width), ok
    matrix = np.zeros((len(offsets) - 1, width), dtype=np.uint8)
    rows = np.flatnonzero(ok)
    if len(rows):
        matrix[rows] = data[offsets[rows, None] + np.arange(width)]
    return matrix, ok


def _number_digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers, as an n × width ASCII matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((numbers[:, None] // powers) % 10 + _ZERO).astype(np.uint8)


def id_check_chars(body: np.ndarray) -> np.ndarray:
    """GB 11643 MOD 11-2 check characters (ASCII bytes) of an n × 17 matrix of digit bytes."""
    total = (body.astype(np.int64) - _ZERO) @ np.array(ID_WEIGHTS, dtype=np.int64)
    return np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[total % 11]


def shifted_birth_digits(matrix: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The birth date inside ID numbers (bytes 6–13), moved by ``offsets`` days: (n × 8 digit bytes,
    whether the donor's date was a real date)."""
    digits = matrix[:, 6:14].astype(np.int64) - _ZERO
    year = digits[:, :4] @ np.array([1000, 100, 10, 1])
    month = digits[:, 4:6] @ np.array([10, 1])
    day = digits[:, 6:8] @ np.array([10, 1])
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    born = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1)
    ok &= born.astype("datetime64[M]") == months  # 30 February is not a date
    moved = born + offsets.astype(np.int64)
    first_of_month = moved.astype("datetime64[M]")
    y = first_of_month.astype("datetime64[Y]").astype(np.int64) + 1970
    m = first_of_month.astype(np.int64) % 12 + 1
    d = (moved - first_of_month.astype("datetime64[D]")).astype(np.int64) + 1
    ok &= (y >= 1000) & (y <= 9999)
    return _number_digits(np.where(ok, y * 10_000 + m * 100 + d, 0), 8), ok


def id_draw(donor: pa.Array, offsets: np.ndarray, rng: np.random.Generator) -> Draw:
    """IDs on the donor's region and shifted birth date, with a new sequence number of the donor's
    parity (so a gender column still agrees) and a valid check character."""
    matrix, ok = ascii_matrix(donor, 18)
    body = matrix[:, :17]
    ok &= ((body >= _ZERO) & (body <= _ZERO + 9)).all(axis=1)
    ok &= np.isin(matrix[:, 17], np.frombuffer(b"0123456789X", dtype=np.uint8))
    birth, real = shifted_birth_digits(matrix, offsets)
    ok &= real
    parity = (matrix[:, 16].astype(np.int64) - _ZERO) % 2

    def draw(at: np.ndarray) -> pa.Array:
        seq = 2 * rng.integers(0, 500, len(at)) + parity[at]
        out = np.empty((len(at), 18), dtype=np.uint8)
        out[:, :6] = matrix[at, :6]
        out[:, 6:14] = birth[at]
        out[:, 14:17] = _number_digits(seq, 3)
        out[:, 17] = id_check_chars(out[:, :17])
        return fixed_width(out, ok[at])

    return draw


def mobile_draw(donor: pa.Array, pattern: str, rng: np.random.Generator) -> Draw:
    """The donor's 3-digit prefix and 8 random digits."""
    stripped = pc.utf8_trim_whitespace(donor)
    matrix, ok = ascii_matrix(stripped, 11)
    ok &= np.asarray(pc.fill_null(pc.match_substring_regex(stripped, pattern), False).to_numpy(zero_copy_only=False),
                     dtype=bool)

    def draw(at: np.ndarray) -> pa.Array:
        out = np.empty((len(at), 11), dtype=np.uint8)
        out[:, :3] = matrix[at, :3]
        out[:, 3:] = _number_digits(rng.integers(0, 10**8, len(at)), 8)
        return fixed_width(out, ok[at])

    return draw


def _luhn_fix(offsets: np.ndarray, data: np.ndarray) -> None:
    """Recompute the last digit (Luhn) of every all-digit value of two characters or more, in place."""
    lengths = np.diff(offsets)
    is_digit = (data >= _ZERO) & (data <= _ZERO + 9)
    row = np.repeat(np.arange(len(lengths)), lengths)
    all_digits = np.bincount(row, weights=~is_digit, minlength=len(lengths)) == 0
    rows = np.flatnonzero(all_digits & (lengths >= 2))
    if not len(rows):
        return
    mine = np.isin(row, rows)
    position = np.arange(len(data))
    from_end = offsets[1:][row] - 2 - position  # 0 for the last digit before the check digit
    body = mine & (from_end >= 0)
    value = data.astype(np.int64) - _ZERO
    doubled = np.where(from_end % 2 == 0, value * 2, value)
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = np.bincount(row[body], weights=doubled[body], minlength=len(lengths)).astype(np.int64)
    data[offsets[1:][rows] - 1] = ((10 - total[rows] % 10) % 10 + _ZERO).astype(np.uint8)


_USCC_INDEX = np.full(256, -1, dtype=np.int64)
_USCC_INDEX[np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(USCC_ALPHABET))
_USCC_INDEX[np.frombuffer(USCC_ALPHABET.lower().encode(), dtype=np.uint8)] = _USCC_INDEX[
    np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)]


def _uscc_fix(offsets: np.ndarray, data: np.ndarray) -> None:
    """Recompute the 18th character (GB 32100) of every 18-character value made of its alphabet, in place."""
    rows = np.flatnonzero(np.diff(offsets) == 18)
    if not len(rows):
        return
    at = offsets[rows, None] + np.arange(17)
    index = _USCC_INDEX[data[at]]
    rows, index = rows[(index >= 0).all(axis=1)], index[(index >= 0).all(axis=1)]
    total = index @ np.array(USCC_WEIGHTS, dtype=np.int64)
    data[offsets[rows] + 17] = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)[(31 - total % 31) % 31]


def _digit_runs(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets from 0, a copy of the bytes, which bytes are digits, which start a run with a non-zero
    digit) of a string array whose nulls are empty."""
    offsets, data = _buffers(pc.fill_null(values, ""))
    data = data[offsets[0]: offsets[-1]].copy()
    offsets = offsets - offsets[0]
    is_digit = (data >= _ZERO) & (data <= _ZERO + 9)
    previous = np.concatenate([[False], is_digit[:-1]])
    starts = offsets[:-1]
    previous[starts[starts < len(data)]] = False  # a run never continues from the previous value
    return offsets, data, is_digit, is_digit & ~previous & (data != _ZERO)


def digit_space_bits(donor: pa.Array, checked: bool) -> np.ndarray:
    """Per donor value: log₂ of how many values the digit-run replacement can make (a run's first digit
    stays non-zero when it was; a check character is not random); NaN where there is no digit."""
    offsets, _data, is_digit, first_non_zero = _digit_runs(donor)
    lengths = np.diff(offsets)
    row = np.repeat(np.arange(len(lengths)), lengths)
    bits = np.bincount(row, weights=np.where(first_non_zero, math.log2(9), np.where(is_digit, math.log2(10), 0.0)),
                       minlength=len(lengths))
    has = np.bincount(row, weights=is_digit, minlength=len(lengths)) > 0
    valid = np.asarray(pc.is_valid(donor).to_numpy(zero_copy_only=False), dtype=bool)
    return np.where(has & valid, bits - (math.log2(10) if checked else 0.0), np.nan)


def digits_draw(donor: pa.Array, check: str | None, rng: np.random.Generator) -> Draw:
    """Every digit run of the donor's value replaced by random digits of the same length (check
    characters of credit codes and Luhn numbers recomputed)."""
    has_digit = ~np.isnan(digit_space_bits(donor, False))

    def draw(at: np.ndarray) -> pa.Array:
        offsets, data, is_digit, first_non_zero = _digit_runs(donor.take(pa.array(at, pa.int64())))
        draws = rng.random(int(is_digit.sum()))
        new = np.where(first_non_zero[is_digit], 1 + np.floor(draws * 9), np.floor(draws * 10)).astype(np.uint8)
        data[is_digit] = new + _ZERO
        if check == "luhn":
            _luhn_fix(offsets, data)
        elif check == "uscc":
            _uscc_fix(offsets, data)
        return _strings(offsets, data, has_digit[at])

    return draw


def name_draw(surname: pa.Array, given: pa.Array, count: int, rng: np.random.Generator,
              ) -> tuple[pa.Array, np.ndarray, float, float]:
    """``count`` names: the surname of one random pool entry and a given name as long as another's
    (two characters at least when the pool has such names) whose characters are each drawn from the
    characters of all given names. Returns (names, given-name lengths, bits of the surname, bits of
    one character); ``surname``/``given`` are the parts of the pool's names (none empty)."""
    lengths = np.asarray(pc.utf8_length(given).to_numpy(zero_copy_only=False), dtype=np.int64)
    chars = pa.concat_arrays([pc.utf8_slice_codeunits(given.filter(pa.array(lengths > k)), k, k + 1)
                              for k in range(int(lengths.max(initial=0)))])
    a = rng.integers(0, len(surname), count)
    length = lengths[rng.integers(0, len(lengths), count)]
    if (lengths >= 2).any():  # two-character given names (the commonest form) carry twice the bits
        length = np.maximum(length, 2)
    picks = chars.take(pa.array(rng.integers(0, len(chars), int(length.sum()))))
    given_made = pc.binary_join(pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(length)]), pa.int32()), picks), "")
    names = pc.binary_join_element_wise(surname.take(pa.array(a)), given_made, "")
    return names, length, _max_share_bits(surname), _max_share_bits(chars)


def _max_share_bits(values: pa.Array) -> float:
    """−log₂ of the largest share of one value among non-null ``values`` (a uniform draw's best hit)."""
    values = values.drop_null()
    if len(values) == 0:
        return 0.0
    counts = pc.value_counts(values).field("counts")
    return -math.log2(pc.max(counts).as_py() / len(values))


def _taken_clash(candidates: pa.Array, taken: pa.Array | None) -> np.ndarray:
    """Which candidates the column already holds: one scan of the (large) column against the (small)
    set of candidates, then the few clashing values looked up."""
    if taken is None or len(taken) == 0 or candidates.null_count == len(candidates):
        return np.zeros(len(candidates), dtype=bool)
    clash = taken.filter(pc.is_in(taken, value_set=pc.unique(candidates.drop_null())))
    return np.asarray(pc.fill_null(pc.is_in(candidates, value_set=clash), False).to_numpy(zero_copy_only=False),
                      dtype=bool)


def _in(candidates: pa.Array, others: pa.Array) -> np.ndarray:
    if len(others) == 0:
        return np.zeros(len(candidates), dtype=bool)
    return np.asarray(pc.fill_null(pc.is_in(candidates, value_set=others), False).to_numpy(zero_copy_only=False),
                      dtype=bool)


def _repeats(values: pa.Array) -> np.ndarray:
    """Non-null values equal to an earlier value of the same array."""
    codes = np.asarray(pc.fill_null(pc.dictionary_encode(values).indices, -1).to_numpy(zero_copy_only=False),
                       dtype=np.int64)
    first = np.zeros(len(values), dtype=bool)
    present = np.flatnonzero(codes >= 0)
    _unique, where = np.unique(codes[present], return_index=True)
    first[present[where]] = True
    return (codes >= 0) & ~first


def fresh(draw: Draw, count: int, taken: pa.Array | None, used: list[pa.Array]) -> pa.Array:
    """``count`` values from ``draw`` none of which ``taken`` holds, an earlier column's decoys took
    (``used``, extended here) or another decoy of this column took; null where none was found.

    Every cell gets ``FIRST`` candidates at once and keeps the first fresh one (the distribution of
    drawing until fresh), so one scan of the column usually settles every cell; the rare cell with no
    fresh candidate gets ``ALTERNATIVES`` more, up to ``TRIES`` in all."""
    kept = pa.concat_arrays(used) if used else pa.array([], pa.string())
    values = pa.nulls(count, pa.string())
    todo = np.arange(count)
    tries, k = 0, FIRST
    while len(todo) and tries < TRIES:
        k = min(k, TRIES - tries)
        tries += k
        candidates = draw(np.repeat(todo, k))
        made = np.asarray(pc.is_valid(candidates).to_numpy(zero_copy_only=False), dtype=bool)
        ok = made & ~_taken_clash(candidates, taken) & ~_in(candidates, kept)
        grid = ok.reshape(len(todo), k)
        found = np.flatnonzero(grid.any(axis=1))
        chosen = candidates.take(pa.array(found * k + grid.argmax(axis=1)[found]))
        twice = _repeats(chosen)  # two cells found the same value: the later one tries again
        accepted, chosen = found[~twice], chosen.filter(pa.array(~twice))
        values = _put(values, todo[accepted], chosen)
        kept = pa.concat_arrays([kept, chosen])
        left = np.ones(len(todo), dtype=bool)
        left[accepted] = False
        left &= made.reshape(len(todo), k).any(axis=1)  # a donor that cannot make a value stays empty
        todo, k = todo[left], ALTERNATIVES
    used.append(values.drop_null())
    return values


def _put(values: pa.Array, at: np.ndarray, new: pa.Array) -> pa.Array:
    """``values`` with positions ``at`` (ascending) replaced by ``new``."""
    if not len(at):
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[at] = True
    return pc.replace_with_mask(values, pa.array(mask), new.cast(values.type))
