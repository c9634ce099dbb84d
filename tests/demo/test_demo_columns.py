"""Property tests of the generator's building blocks (dates, exact splits, stocks, identifiers)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from shucang.classify.checksums import id_card_check_char, is_valid_org_code, is_valid_uscc
from shucang.demo.codes import credit_codes, id_cards, phone_styles
from shucang.demo.columns import day, digit_matrix, largest_remainder, unique_ints, ymd, ymd_parts
from shucang.demo.quotas import active_at, stock_flows

EPOCH = date(1970, 1, 1)


@given(st.lists(st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)), min_size=1, max_size=50))
def test_day_numbers_round_trip(values: list[date]) -> None:
    days = np.array([(v - EPOCH).days for v in values])
    y, m, d = ymd_parts(days)
    assert [date(int(a), int(b), int(c)) for a, b, c in zip(y, m, d, strict=True)] == values
    assert (ymd(y, m, d) == days).all()


@given(st.lists(st.floats(0.001, 1000), min_size=1, max_size=40), st.integers(0, 10**9))
def test_largest_remainder_is_exact_and_proportional(weights: list[float], total: int) -> None:
    parts = largest_remainder(np.array(weights), total)
    assert parts.sum() == total and (parts >= 0).all()
    ideal = np.array(weights) / sum(weights) * total
    assert (np.abs(parts - ideal) < 1.0 + 1e-6).all()


@given(st.integers(0, 10**12), st.integers(1, 13))
def test_digit_matrix(value: int, width: int) -> None:
    if value >= 10**width:
        return
    assert "".join(map(str, digit_matrix(np.array([value]), width)[0])) == str(value).zfill(width)


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000))
def test_unique_ints_are_distinct_and_in_range(seed: int, n: int) -> None:
    v = unique_ints(np.random.default_rng(seed), 5000, n, low=10)
    assert len(v) == n == len(set(v.tolist())) and v.min() >= 10 and v.max() < 5000


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(0, 80), min_size=5, max_size=5), st.integers(0, 60))
def test_stock_flows_hit_every_year_end(seed: int, outflows: list[int], pre_outflow: int) -> None:
    counts = {2020: 500}
    for year, out in zip(range(2021, 2026), outflows, strict=True):
        counts[year] = counts[year - 1] + 40 - out // 4
    flows = dict(zip(range(2021, 2026), outflows, strict=True))
    start, end = stock_flows(np.random.default_rng(seed), counts, flows, pre_outflow=pre_outflow,
                             pre_first_year=2010, min_age_days=365)
    assert {y: active_at(start, end, y) for y in counts} == counts
    ended = end >= 0
    assert (end[ended] > start[ended]).all()


@given(st.lists(st.tuples(st.dates(date(1930, 1, 1), date(2025, 12, 31)), st.integers(0, 999)), min_size=1, max_size=30))
def test_id_cards_match_scalar_reference(people: list[tuple[date, int]]) -> None:
    born = np.array([(b - EPOCH).days for b, _ in people])
    ids = id_cards(np.full(len(people), 330282), born, np.array([s for _, s in people])).to_pylist()
    for value, (birth, seq) in zip(ids, people, strict=True):
        assert value[:6] == "330282" and value[6:14] == birth.strftime("%Y%m%d") and int(value[14:17]) == seq
        assert id_card_check_char(value[:17]) == value[17]


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1), st.lists(st.sampled_from([91, 92, 93]), min_size=1, max_size=60))
def test_credit_codes_match_scalar_reference(seed: int, kinds: list[int]) -> None:
    rng = np.random.default_rng(seed)
    modern = rng.random(len(kinds)) < 0.5
    for code, kind, new in zip(credit_codes(rng, np.array(kinds), modern).to_pylist(), kinds, modern, strict=True):
        assert is_valid_uscc(code) and code.startswith(f"{kind}330282")
        assert is_valid_org_code(code[8:17]) and code[8:11].startswith("MA2") == bool(new)


def test_phone_styles() -> None:
    phones = phone_styles(pa.array(["13812345678"] * 4), np.array([0, 1, 2, 3])).to_pylist()
    assert phones == ["13812345678", "138-1234-5678", "138 1234 5678", "+86 13812345678"]


def test_day_helper() -> None:
    assert day(2020, 1, 1) == (date(2020, 1, 1) - EPOCH).days
    assert day(2025, 12, 31) - day(2025, 1, 1) == timedelta(days=364).days
