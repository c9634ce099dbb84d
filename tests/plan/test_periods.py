"""Period parsing (years, quarters, months) as typed by people and spreadsheets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shucang.errors import InputError
from shucang.plan.store import parse_period

YEARS = st.integers(1949, 2100)


@given(year=YEARS, quarter=st.integers(1, 4))
def test_quarters_round_trip(year: int, quarter: int) -> None:
    p = parse_period(year, f"Q{quarter}")
    assert (p.label, p.kind, p.year) == (f"{year}Q{quarter}", "quarter", year)
    assert parse_period(p.label) == p == parse_period(f"{year}q{quarter}") == parse_period(f"{year}-Q{quarter}")


@given(year=YEARS, month=st.integers(1, 12))
def test_months_round_trip(year: int, month: int) -> None:
    p = parse_period(year, str(month))
    assert (p.label, p.kind) == (f"{year}-{month:02d}", "month")
    assert parse_period(p.label) == p == parse_period(f"{year}/{month}") == parse_period(f"{year}年{month}月")


@given(year=YEARS)
def test_years_including_spreadsheet_floats(year: int) -> None:
    assert parse_period(year).label == str(year)
    assert parse_period(f"{year}.0") == parse_period(str(year)) == parse_period(year)


@pytest.mark.parametrize("bad", ["20", "2023Q5", "2023-13", "2023-00", "abcd", "1800", "2023Q1x", ""])
def test_bad_periods(bad: str) -> None:
    with pytest.raises(InputError):
        parse_period(bad)
