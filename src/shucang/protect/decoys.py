"""Decoy rows (诱饵行): rows that never existed, made per (recipient, extract) to trace a leaked copy.

A copy that a recipient may see exactly as stored, and that has no numeric measure, has nowhere to
carry a mark: nothing in it may change. What can be *added* are a few rows that look like the
dataset's own rows but describe nobody. Each decoy copies a random real row (a *donor*, drawn by a
PRNG seeded from an HKDF key per recipient and extract) for every descriptive column — so town,
gender, birth date, education and the like stay mutually consistent — and replaces what identifies
a person with fresh values drawn from keyed randomness:

* dates: every date column of the decoy (and the birth date inside its ID number) moves by one
  random number of days (up to ±10 years, staying inside each column's range), so intervals between a
  row's dates — birth and registration, acceptance and completion — stay as they were, and columns
  graded ``age`` move with them;
* ID numbers (GB 11643): the donor's region, the shifted birth date, a new sequence number of the
  donor's parity (so the gender column still agrees) and a valid MOD 11-2 check character;
* mobile numbers: the donor's 3-digit prefix and 8 random digits;
* person names: the surname of one random row and a given name of (at least) two characters drawn
  one by one from the characters of the dataset's given names;
* other near-unique text (addresses, case numbers …): every digit run replaced by random digits of
  the same length (check characters of credit codes and Luhn numbers recomputed).

A synthesised value is never one the dataset already holds (rejection sampling against the whole
column), so an unmarked sample of the source contains no decoy. Every random choice has a known
largest probability q of hitting any fixed value, which :mod:`shucang.protect.decoy_index` turns
into the exact false-accusation bound (the *bits* of a component are −log₂ q). Nothing here loops
over the extract's cells: the work per decoy is a few array operations over the decoys themselves.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST
from shucang.classify.checksums import id_card_check_char, luhn_check_digit, uscc_check_char
from shucang.protect.masking import COMPOUND_SURNAMES

ID_TYPES = tuple(t.code for t in ST.TYPES if t.decoy == "id")
NAME_TYPES = tuple(t.code for t in ST.TYPES if t.decoy == "name")
MOBILE_TYPES = tuple(t.code for t in ST.TYPES if t.decoy == "mobile")
ID_VALUE = r"^[0-9]{6}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$"
MOBILE_VALUE = r"^1[3-9][0-9]{9}$"
DATE_LIKE = r"^[0-9]{4}[-/.年][0-9]{1,2}"
MIN_BITS = 3.0
"""A synthesised cell with less keyed entropy than this is not worth registering."""
_TRIES = 30
MAX_SHIFT_DAYS = 3652
"""Largest shift of a decoy's dates, days (±10 years: 12.8 bits in its ID number, against 8.5 at ±180 days;
its age columns move with it)."""
NAME_POOL = 100_000
Existing = Callable[[str], pa.Array | None]


@dataclass
class Decoys:
    """An extract's decoy rows, where they go, and what identifies each of them."""

    table: pa.Table
    """The decoy rows, in the source's schema (before masking)."""
    positions: np.ndarray
    """Row numbers the decoys take in the released table (sorted; see :func:`interleave`)."""
    cells: list[dict[str, dict[str, float]]] = field(default_factory=list)
    """Per decoy (in ``positions`` order): synthesised column → {random component: bits}."""

    @property
    def count(self) -> int:
        return len(self.positions)


def decoy_count(rows: int, per_million: float, minimum: int) -> int:
    """Decoys for an extract of ``rows`` real rows: ``per_million`` per million, at least ``minimum``."""
    return 0 if rows <= 0 else max(int(minimum), math.ceil(rows * per_million / 1e6))


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    return values if pa.types.is_string(values.type) else values.cast(pa.string())


def _share(sample: pa.Array, pattern: str) -> float:
    sample = sample.drop_null()
    if len(sample) == 0:
        return 0.0
    return pc.sum(pc.match_substring_regex(sample, pattern).cast(pa.int64())).as_py() / len(sample)


def column_kind(name: str, values: pa.Array | pa.ChunkedArray, type_code: str | None) -> str | None:
    """How a decoy replaces this column: ``id``, ``mobile``, ``name``, ``digits`` or None (donor's value)."""
    t = values.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return None
    sample = pc.utf8_trim_whitespace(_text(values.slice(0, 5000)))
    sample = sample.filter(pc.fill_null(pc.not_equal(sample, ""), False))
    if len(sample) == 0:
        return None
    if type_code in ID_TYPES or _share(sample, ID_VALUE) >= 0.9:
        return "id"
    if type_code in MOBILE_TYPES or _share(sample, MOBILE_VALUE) >= 0.9:
        return "mobile"
    if type_code in NAME_TYPES:
        return "name"
    distinct = pc.count_distinct(sample).as_py() / len(sample)
    if distinct >= 0.9 and _share(sample, "[0-9]") >= 0.9 and _share(sample, DATE_LIKE) < 0.5:
        return "digits"
    return None


def _max_share_bits(values: pa.Array) -> float:
    """−log₂ of the largest share of one value among non-null ``values`` (a uniform draw's best hit)."""
    values = values.drop_null()
    if len(values) == 0:
        return 0.0
    counts = pc.value_counts(values).field("counts")
    return -math.log2(pc.max(counts).as_py() / len(values))


def _reject(candidates: list[str | None], taken: pa.Array | None, used: set[str]) -> list[int]:
    """Indices of candidates already held by the dataset (``taken``) or by an earlier decoy."""
    bad = {i for i, c in enumerate(candidates) if c is not None and c in used}
    fresh = [c for c in candidates if c is not None]
    if taken is not None and len(taken) and fresh:
        # Scan the (large) column against the (small) set of candidates: one pass, a tiny hash table.
        clash = set(taken.filter(pc.is_in(taken, value_set=pa.array(fresh, pa.string()))).to_pylist())
        bad |= {i for i, c in enumerate(candidates) if c in clash}
    return sorted(bad)


def _redraw(draw: Callable[[int], str | None], count: int, taken: pa.Array | None, used: set[str]) -> list[str | None]:
    values = [draw(i) for i in range(count)]
    for _ in range(_TRIES):
        bad = _reject(values, taken, used)
        if not bad:
            break
        for i in bad:
            values[i] = draw(i)
    else:
        for i in _reject(values, taken, used):
            values[i] = None  # could not find a fresh value: leave the cell empty rather than copy a real one
    used.update(v for v in values if v is not None)
    return values


def _date_columns(table: pa.Table) -> list[str]:
    """Date columns a decoy may shift (not month-start columns such as ``month``, which would show it)."""
    names = []
    for name in table.column_names:
        t = table.schema.field(name).type
        if pa.types.is_date(t) or pa.types.is_timestamp(t):
            sample = table.column(name).slice(0, 5000).drop_null()
            if len(sample) and not pc.all(pc.equal(pc.day(sample), 1)).as_py():
                names.append(name)
    return names


def _shifts(table: pa.Table, base: pa.Table, dates: list[str], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per decoy: a day offset drawn uniformly from the offsets keeping every date column in its range,
    and log₂ of how many offsets there were (the bits of this random component)."""
    count = base.num_rows
    lo = np.full(count, -MAX_SHIFT_DAYS, dtype=np.int64)
    hi = np.full(count, MAX_SHIFT_DAYS, dtype=np.int64)
    for name in dates:
        days = table.column(name).cast(pa.date32()).cast(pa.int32())
        first, last = pc.min(days).as_py(), pc.max(days).as_py()
        mine = base.column(name).cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)
        mine = np.asarray(mine, dtype=np.float64)
        ok = np.isfinite(mine)
        lo[ok] = np.maximum(lo[ok], first - mine[ok].astype(np.int64))
        hi[ok] = np.minimum(hi[ok], last - mine[ok].astype(np.int64))
    hi = np.maximum(hi, lo)
    offsets = lo + (rng.random(count) * (hi - lo + 1)).astype(np.int64)
    return np.minimum(offsets, hi), np.log2(hi - lo + 1)


def _shift_columns(base: pa.Table, dates: list[str], offsets: np.ndarray) -> dict[str, pa.Array]:
    out = {}
    for name in dates:
        t = base.schema.field(name).type
        if pa.types.is_date(t):
            days = base.column(name).cast(pa.date32()).cast(pa.int32())
            out[name] = pc.add(days, pa.array(offsets.astype(np.int32))).cast(pa.date32()).cast(t)
        else:
            unit = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[t.unit]
            raw = base.column(name).cast(pa.int64())
            out[name] = pc.add(raw, pa.array(offsets * unit)).cast(t)
    return out


def _age_columns(base: pa.Table, types: dict[str, str | None], offsets: np.ndarray) -> dict[str, pa.Array]:
    """Age columns of the decoys moved with their shifted dates (an ID number 10 years younger is an age
    10 lower), so a decoy's age still agrees with its ID number."""
    years = np.round(offsets / 365.25).astype(np.int64)
    out: dict[str, pa.Array] = {}
    for name in base.column_names:
        if types.get(name) != "age":
            continue
        t = base.schema.field(name).type
        column = base.column(name).combine_chunks()
        if pa.types.is_integer(t):
            out[name] = pc.max_element_wise(pc.subtract(column, pa.array(years).cast(t)), pa.scalar(0, t),
                                            skip_nulls=False).cast(t)
        elif pa.types.is_string(t):
            digits = pc.match_substring_regex(pc.utf8_trim_whitespace(column), r"^[0-9]{1,3}$")
            number = pc.cast(pc.if_else(digits, pc.utf8_trim_whitespace(column), pa.scalar(None, pa.string())),
                             pa.int64())
            moved = pc.max_element_wise(pc.subtract(number, pa.array(years)), 0, skip_nulls=False).cast(pa.string())
            out[name] = pc.if_else(pc.fill_null(digits, False), moved, column)
    return out


def _id_cells(donor: list[str | None], rng: np.random.Generator, taken: pa.Array | None,
              used: set[str], offsets: np.ndarray, shift_bits: np.ndarray,
              ) -> tuple[list[str | None], list[dict[str, float]]]:
    """New sequence number (donor's parity) on the donor's region and shifted birth date."""
    # The fewest free sequence numbers of any (region, date, parity): 500 minus the most taken ones.
    busiest = 0
    if taken is not None and len(taken):
        # Count values per (first 14 characters, parity of the 17th); other values only add to some
        # group, which can only make the bound more cautious.
        prefix = pc.dictionary_encode(pc.utf8_slice_codeunits(taken, 0, 14)).indices.to_numpy(zero_copy_only=False)
        odd = pc.is_in(pc.utf8_slice_codeunits(taken, 16, 17), value_set=pa.array(list("13579")))
        keys = prefix.astype(np.int64) * 2 + np.asarray(odd.to_numpy(zero_copy_only=False), dtype=np.int64)
        busiest = int(np.bincount(keys).max())
    bits = math.log2(max(500 - busiest, 1))

    def draw(i: int) -> str | None:
        value = donor[i]
        if value is None or not re.fullmatch(r"[0-9]{17}[0-9Xx]", value):
            return None
        try:
            born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14])) + dt.timedelta(days=int(offsets[i]))
        except ValueError:
            return None
        seq = 2 * int(rng.integers(0, 500)) + int(value[16]) % 2
        body = f"{value[:6]}{born:%Y%m%d}{seq:03d}"
        return body + id_card_check_char(body)

    values = _redraw(draw, len(donor), taken, used)
    return values, [{"id_seq": bits, "date_shift": float(shift_bits[i])} if v is not None else {}
                    for i, v in enumerate(values)]


def _mobile_cells(donor: list[str | None], rng: np.random.Generator, taken: pa.Array | None,
                  used: set[str]) -> tuple[list[str | None], list[dict[str, float]]]:
    """The donor's 3-digit prefix and 8 random digits."""
    n_taken = len(taken) if taken is not None else 0
    bits = math.log2(max(10**8 - n_taken, 1))

    def draw(i: int) -> str | None:
        value = donor[i]
        if value is None or not re.fullmatch(MOBILE_VALUE, value.strip()):
            return None
        return f"{value.strip()[:3]}{int(rng.integers(0, 10**8)):08d}"

    values = _redraw(draw, len(donor), taken, used)
    return values, [{"mobile": bits} if v is not None else {} for v in values]


_COMPOUND = "^(?:" + "|".join(COMPOUND_SURNAMES) + ")"


def _name_parts(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    text = pc.utf8_trim_whitespace(names)
    compound = pc.and_(pc.fill_null(pc.match_substring_regex(text, _COMPOUND), False),
                       pc.greater(pc.utf8_length(text), 2))
    surname = pc.if_else(compound, pc.utf8_slice_codeunits(text, 0, 2), pc.utf8_slice_codeunits(text, 0, 1))
    given = pc.if_else(compound, pc.utf8_slice_codeunits(text, 2), pc.utf8_slice_codeunits(text, 1))
    return surname, given


def _name_cells(column: pa.Array, donor: list[str | None], rng: np.random.Generator,
                ) -> tuple[list[str | None], list[dict[str, float]]]:
    """The surname of one random row, and a given name as long as another row's (two characters at
    least, the commonest form) whose characters are each drawn from the characters of all given names
    (names need not be unique).

    Drawing the characters one by one, rather than copying a whole given name, gives a two-character
    name about twice the keyed entropy, so a leak keeping only names and one other column is still
    traced by few decoys; the names stay as plausible as the dataset's own (the same characters)."""
    if len(column) > NAME_POOL:  # draw from a random pool; the bits are exact for that pool
        column = column.take(pa.array(np.sort(rng.choice(len(column), NAME_POOL, replace=False))))
    surname, given = _name_parts(column)
    present = pc.indices_nonzero(pc.fill_null(pc.greater(pc.utf8_length(given), 0), False))
    if len(present) == 0:
        return list(donor), [{} for _ in donor]
    surname, given = surname.take(present), given.take(present)
    lengths = np.asarray(pc.utf8_length(given).to_numpy(zero_copy_only=False), dtype=np.int64)
    chars = pa.array(list("".join(given.to_pylist())), pa.string())
    surname_bits, char_bits = _max_share_bits(surname), _max_share_bits(chars)
    a = rng.integers(0, len(surname), len(donor))
    length = lengths[rng.integers(0, len(lengths), len(donor))]
    if (lengths >= 2).any():  # two-character given names (the commonest form) carry twice the bits
        length = np.maximum(length, 2)
    picks = chars.take(pa.array(rng.integers(0, len(chars), int(length.sum())))).to_pylist()
    made: list[str] = []
    at = 0
    for sur, k in zip(surname.take(pa.array(a)).to_pylist(), length.tolist(), strict=True):
        made.append(sur + "".join(picks[at:at + k]))
        at += k
    values = [None if d is None else m for d, m in zip(donor, made, strict=True)]
    return values, [{"name_surname": surname_bits, "name_given": char_bits * k} if v is not None else {}
                    for v, k in zip(values, length.tolist(), strict=True)]


def _fix_check(value: str, type_code: str | None) -> str:
    check = ST.BY_CODE[type_code].check if type_code and type_code in ST.BY_CODE else None
    if check == "uscc" and len(value) == 18:
        try:
            return value[:17] + uscc_check_char(value[:17].upper())
        except ValueError:
            return value
    if check == "luhn" and value.isdigit() and len(value) >= 2:
        return value[:-1] + luhn_check_digit(value[:-1])
    return value


def _digit_cells(donor: list[str | None], rng: np.random.Generator, taken: pa.Array | None, used: set[str],
                 type_code: str | None) -> tuple[list[str | None], list[dict[str, float]]]:
    """Every digit run of the donor's value replaced by random digits of the same length."""
    n_taken = len(taken) if taken is not None else 0
    bits_of: dict[int, float] = {}

    def run(match: re.Match[str]) -> str:
        digits = match.group(0)
        first = int(rng.integers(1, 10)) if digits[0] != "0" else int(rng.integers(0, 10))
        rest = "".join(str(d) for d in rng.integers(0, 10, len(digits) - 1))
        return f"{first}{rest}"

    def draw(i: int) -> str | None:
        value = donor[i]
        if value is None or not re.search(r"[0-9]", value):
            return None
        space = 1.0
        for digits in re.findall(r"[0-9]+", value):
            space *= (9 if digits[0] != "0" else 10) * 10.0 ** (len(digits) - 1)
        if type_code and type_code in ST.BY_CODE and ST.BY_CODE[type_code].check:
            space /= 10  # the last character is a check character
        bits_of[i] = math.log2(max(space - n_taken, 1.0))
        return _fix_check(re.sub(r"[0-9]+", run, value), type_code)

    values = _redraw(draw, len(donor), taken, used)
    return values, [{"digits": bits_of.get(i, 0.0)} if v is not None and bits_of.get(i, 0.0) >= MIN_BITS else {}
                    for i, v in enumerate(values)]


def make_decoys(table: pa.Table, count: int, rng: np.random.Generator, *,
                types: dict[str, str | None] | None = None, existing: Existing | None = None) -> Decoys | None:
    """``count`` decoys for ``table`` and random places for them; None when no column can identify one.

    ``types`` maps column → type code (from the grades); ``existing(column)`` returns every value the
    dataset holds in that column (the whole dataset, not only the extracted rows), which decoys avoid."""
    n = table.num_rows
    if n == 0 or count <= 0:
        return None
    types = types or {}
    donor_rows = rng.integers(0, n, count)
    base = table.take(pa.array(donor_rows))
    columns: dict[str, pa.Array | pa.ChunkedArray] = {name: base.column(name) for name in table.column_names}
    dates = _date_columns(table)
    offsets, shift_bits = _shifts(table, base, dates, rng)
    columns.update(_shift_columns(base, dates, offsets))
    columns.update(_age_columns(base, types, offsets))
    cells: list[dict[str, dict[str, float]]] = [{} for _ in range(count)]
    used: set[str] = set()
    for name in table.column_names:
        type_code = types.get(name)
        kind = column_kind(name, table.column(name), type_code)
        if kind is None:
            continue
        donor = _text(base.column(name)).to_pylist()
        whole = existing(name) if existing else None
        taken = _text(whole) if whole is not None else _text(table.column(name))
        taken = pc.utf8_trim_whitespace(taken).drop_null()
        if kind == "id":
            values, comps = _id_cells([v.strip().upper() if v else v for v in donor], rng, taken, used, offsets,
                                      shift_bits)
        elif kind == "mobile":
            values, comps = _mobile_cells(donor, rng, taken, used)
        elif kind == "name":
            values, comps = _name_cells(_text(table.column(name)), donor, rng)
        else:
            values, comps = _digit_cells(donor, rng, taken, used, type_code)
        columns[name] = pa.array(values, pa.string()).cast(table.schema.field(name).type)
        for i, comp in enumerate(comps):
            if comp and sum(comp.values()) >= MIN_BITS:
                cells[i][name] = comp
    if not any(cells):
        return None
    total = n + count
    positions = np.sort(rng.choice(total, size=count, replace=False))
    return Decoys(pa.table(columns, schema=table.schema), positions, cells)


def interleave(real: pa.Table, decoys: pa.Table, positions: np.ndarray) -> pa.Table:
    """``real`` with the rows of ``decoys`` placed at ``positions`` (sorted) of the result — zero-copy
    slices of the real rows, so a million-row extract is not gathered again."""
    decoys = pa.table([decoys.column(n).cast(real.schema.field(n).type) for n in real.column_names],
                      schema=real.schema)
    pieces: list[pa.Table] = []
    start = 0
    for j, position in enumerate(positions.tolist()):
        real_end = position - j  # real rows before this decoy
        if real_end > start:
            pieces.append(real.slice(start, real_end - start))
        pieces.append(decoys.slice(j, 1))
        start = real_end
    if start < real.num_rows:
        pieces.append(real.slice(start))
    return pa.concat_tables(pieces) if pieces else real
