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
into the exact false-accusation bound (the *bits* of a component are −log₂ q). The cells are drawn
for all decoys at once (:mod:`shucang.protect.decoy_draws`): no Python step per decoy or per cell, so
the 10,000 decoys of a million-row extract cost a few array operations per column.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.classify import types as ST
from shucang.protect import decoy_draws as draws
from shucang.protect.masking import COMPOUND_SURNAMES

ID_TYPES = tuple(t.code for t in ST.TYPES if t.decoy == "id")
NAME_TYPES = tuple(t.code for t in ST.TYPES if t.decoy == "name")
MOBILE_TYPES = tuple(t.code for t in ST.TYPES if t.decoy == "mobile")
ID_VALUE = r"^[0-9]{6}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$"
MOBILE_VALUE = r"^1[3-9][0-9]{9}$"
DATE_LIKE = r"^[0-9]{4}[-/.年][0-9]{1,2}"
MIN_BITS = 3.0
"""A synthesised cell with less keyed entropy than this is not worth registering."""
MAX_SHIFT_DAYS = 3652
"""Largest shift of a decoy's dates, days (±10 years: 12.8 bits in its ID number, against 8.5 at ±180 days;
its age columns move with it)."""
NAME_POOL = 100_000
Existing = Callable[[str], pa.Array | None]


@dataclass(frozen=True)
class CellBits:
    """The random components of one synthesised column, per decoy."""

    registered: np.ndarray
    """Which decoys' cells are registered (a value was made and it carries ≥ ``MIN_BITS``)."""
    components: dict[str, np.ndarray]
    """Random component → its bits per decoy (meaningful where ``registered``)."""


@dataclass
class Decoys:
    """An extract's decoy rows, where they go, and what identifies each of them."""

    table: pa.Table
    """The decoy rows, in the source's schema (before masking)."""
    positions: np.ndarray
    """Row numbers the decoys take in the released table (sorted; see :func:`interleave`)."""
    cells: dict[str, CellBits] = field(default_factory=dict)
    """Synthesised column → its random components (decoys in ``positions`` order)."""

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
        record = ST.BY_CODE.get(types.get(name) or "")
        if record is None or record.agrees_with != "birth_year":  # columns holding a person's age in years
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


def _id_bits(taken: pa.Array | None) -> float:
    """Bits of a new sequence number: log₂ of the fewest free ones of any (region, date, parity) —
    500 minus the most taken."""
    busiest = 0
    if taken is not None and len(taken):
        # Count ID numbers per (first 14 digits, parity of the 17th); every other value is counted
        # into the busiest group, which can only make the bound more cautious.
        matrix, ok = draws.ascii_matrix(taken, 18)
        key = np.zeros(len(matrix), dtype=np.int64)
        for i in range(17):  # column by column: no n × 17 temporary
            digit = matrix[:, i] - np.uint8(48)  # non-digits wrap to ≥ 208
            ok &= digit <= 9
            if i < 14:
                key = key * 10 + digit
        key = key * 2 + (matrix[:, 16] & 1)  # the 17th digit's parity (ASCII '0' is even)
        counts = pc.value_counts(pa.array(key[ok])).field("counts")  # hashing, not sorting
        busiest = int(pc.max(counts).as_py() or 0) + int((~ok).sum())
    return math.log2(max(500 - busiest, 1))


_COMPOUND = "^(?:" + "|".join(COMPOUND_SURNAMES) + ")"


def _name_parts(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    text = pc.utf8_trim_whitespace(names)
    compound = pc.and_(pc.fill_null(pc.match_substring_regex(text, _COMPOUND), False),
                       pc.greater(pc.utf8_length(text), 2))
    surname = pc.if_else(compound, pc.utf8_slice_codeunits(text, 0, 2), pc.utf8_slice_codeunits(text, 0, 1))
    given = pc.if_else(compound, pc.utf8_slice_codeunits(text, 2), pc.utf8_slice_codeunits(text, 1))
    return surname, given


def _name_cells(column: pa.Array, donor: pa.Array, rng: np.random.Generator) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """The surname of one random row, and a given name as long as another row's (two characters at
    least, the commonest form) whose characters are each drawn from the characters of all given names
    (names need not be unique).

    Drawing the characters one by one, rather than copying a whole given name, gives a two-character
    name about twice the keyed entropy, so a leak keeping only names and one other column is still
    traced by few decoys; the names stay as plausible as the dataset's own (the same characters)."""
    count = len(donor)
    if len(column) > NAME_POOL:  # draw from a random pool; the bits are exact for that pool
        column = column.take(pa.array(np.sort(rng.choice(len(column), NAME_POOL, replace=False))))
    surname, given = _name_parts(column)
    present = pc.indices_nonzero(pc.fill_null(pc.greater(pc.utf8_length(given), 0), False))
    if len(present) == 0:
        return donor, {}
    names, length, surname_bits, char_bits = draws.name_draw(surname.take(present), given.take(present), count, rng)
    names = pc.if_else(pc.is_valid(donor), names, pa.scalar(None, pa.string()))
    return names, {"name_surname": np.full(count, surname_bits), "name_given": char_bits * length.astype(np.float64)}


def _digit_cells(donor: pa.Array, rng: np.random.Generator, taken: pa.Array | None, used: list[pa.Array],
                 type_code: str | None) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """Every digit run of the donor's value replaced by random digits of the same length."""
    n_taken = len(taken) if taken is not None else 0
    record = ST.BY_CODE[type_code] if type_code and type_code in ST.BY_CODE else None
    check = record.check if record else None
    space = draws.digit_space_bits(donor, bool(check))  # the last character of a checked code is not random
    with np.errstate(over="ignore", invalid="ignore"):
        bits = np.where(space > 1000, space, np.log2(np.maximum(np.exp2(space) - n_taken, 1.0)))
    values = draws.fresh(draws.digits_draw(donor, check, rng), len(donor), taken, used)
    bits = np.where(bits >= MIN_BITS, bits, np.nan)  # too few to register (NaN: no digit at all)
    return values, {"digits": bits}


def _draw_column(kind: str, name: str, table: pa.Table, base: pa.Table, rng: np.random.Generator,
                 taken: pa.Array | None, used: list[pa.Array], offsets: np.ndarray, shift_bits: np.ndarray,
                 type_code: str | None) -> tuple[pa.Array, dict[str, np.ndarray]]:
    """One synthesised column of the decoys and its random components (bits per decoy)."""
    donor = _text(base.column(name))
    count = len(donor)
    if kind == "id":
        upper = pc.utf8_upper(pc.utf8_trim_whitespace(donor))
        values = draws.fresh(draws.id_draw(upper, offsets, rng), count, taken, used)
        return values, {"id_seq": np.full(count, _id_bits(taken)), "date_shift": shift_bits.astype(np.float64)}
    if kind == "mobile":
        values = draws.fresh(draws.mobile_draw(donor, MOBILE_VALUE, rng), count, taken, used)
        n_taken = len(taken) if taken is not None else 0
        return values, {"mobile": np.full(count, math.log2(max(10**8 - n_taken, 1)))}
    if kind == "name":
        return _name_cells(_text(table.column(name)), donor, rng)
    return _digit_cells(donor, rng, taken, used, type_code)


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
    cells: dict[str, CellBits] = {}
    used: list[pa.Array] = []
    for name in table.column_names:
        type_code = types.get(name)
        kind = column_kind(name, table.column(name), type_code)
        if kind is None:
            continue
        taken = None
        if kind != "name":  # names need not be unique: nothing to avoid
            whole = existing(name) if existing else None
            taken = pc.utf8_trim_whitespace(_text(whole if whole is not None else table.column(name))).drop_null()
        values, components = _draw_column(kind, name, table, base, rng, taken, used, offsets, shift_bits, type_code)
        columns[name] = values.cast(table.schema.field(name).type)
        made = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
        total = sum((np.nan_to_num(bits, nan=-np.inf) for bits in components.values()), np.zeros(count))
        registered = made & (total >= MIN_BITS) if components else np.zeros(count, dtype=bool)
        if registered.any():
            cells[name] = CellBits(registered, components)
    if not cells:
        return None
    total = n + count
    positions = np.sort(rng.choice(total, size=count, replace=False))
    return Decoys(pa.table(columns, schema=table.schema), positions, cells)


BLOCK_ROWS = 131_072
"""Rows per block of an interleaved table (the CSV writer's piece, so each piece is one chunk)."""


def interleave(real: pa.Table, decoys: pa.Table, positions: np.ndarray, block: int = BLOCK_ROWS) -> pa.Table:
    """``real`` with the rows of ``decoys`` placed at ``positions`` (sorted) of the result.

    Built block by block: the block's real rows (a contiguous run) and its decoys (also a run, since
    ``positions`` is sorted) are gathered once into one chunk — not thousands of one-row slices,
    which cost a Python step each here and a step per slice in every writer."""
    decoys = pa.table([decoys.column(n).cast(real.schema.field(n).type) for n in real.column_names],
                      schema=real.schema)
    count = len(positions)
    if count == 0:
        return real
    total = real.num_rows + count
    is_decoy = np.zeros(total, dtype=bool)
    is_decoy[positions] = True
    decoys_before = np.cumsum(is_decoy) - is_decoy  # decoys ahead of each output row
    pieces: list[pa.Table] = []
    for start in range(0, total, block):
        end = min(start + block, total)
        first_decoy = int(decoys_before[start])
        decoys_here = int(is_decoy[start:end].sum())
        first_real = start - first_decoy
        reals_here = end - start - decoys_here
        local = np.arange(end - start, dtype=np.int64)
        mine = is_decoy[start:end]
        # Real rows first (in order), then the block's decoys: map every output row to one of them.
        local[~mine] = np.arange(reals_here)
        local[mine] = reals_here + np.arange(decoys_here)
        both = pa.concat_tables([real.slice(first_real, reals_here), decoys.slice(first_decoy, decoys_here)])
        pieces.append(both.combine_chunks().take(pa.array(local)))
    return pa.concat_tables(pieces)
