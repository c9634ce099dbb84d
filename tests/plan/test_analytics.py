"""Analytics edge cases: missing baseline, lower-is-better, exceeded targets, no data, zero baseline."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shucang.plan import analytics as an
from shucang.plan.model import (
    Baseline,
    IndexComponent,
    IndexConfig,
    IndexDimension,
    Indicator,
    StatusRules,
    Target,
)


def ind(baseline: float | None = 100.0, target: float = 200.0, *, direction: str = "higher",
        kind: str = "at_least", unit: str = "家", upper: float | None = None, measure: str = "stock") -> Indicator:
    return Indicator(id="x", name="x", unit=unit, target=Target(2025, target, upper=upper),
                     baseline=Baseline(2020, baseline), direction=direction, target_kind=kind, measure=measure)


def obs(*pairs: tuple[int, float]) -> list[an.Observation]:
    return [an.Observation(y, v, str(y)) for y, v in pairs]


def test_no_data_is_no_data_status() -> None:
    a = an.assess(ind(), [])
    assert a.status == an.NO_DATA and a.status_code == "no_data"
    assert a.latest is None and a.completion is None and a.latest_year is None


def test_progress_from_baseline() -> None:
    a = an.assess(ind(100, 200), obs((2025, 150)))
    assert a.completion == pytest.approx(0.5)
    assert a.completion_method == "progress"
    assert a.attainment == pytest.approx(0.75)
    assert a.status == an.LAGGING  # final year, below 90%


def test_target_already_exceeded_is_met_and_completion_above_one() -> None:
    a = an.assess(ind(100, 200), obs((2022, 230)))
    assert a.met and a.status == an.MET
    assert a.completion == pytest.approx(1.3)
    assert a.gap == 0.0


def test_largely_met_threshold_at_target_year() -> None:
    rules = StatusRules(largely_met=0.9)
    assert an.assess(ind(100, 200), obs((2025, 191)), rules=rules).status == an.LARGELY_MET
    assert an.assess(ind(100, 200), obs((2025, 189)), rules=rules).status == an.LAGGING


def test_lower_is_better() -> None:
    i = ind(50, 30, direction="lower")
    a = an.assess(i, obs((2025, 35)))
    assert a.completion == pytest.approx(0.75)  # came down 15 of the 20 required
    assert not a.met and a.status == an.LAGGING
    assert an.assess(i, obs((2024, 29))).status == an.MET
    # going the wrong way is negative progress and a deteriorating pace
    worse = an.assess(i, obs((2022, 55)))
    assert worse.completion is not None and worse.completion < 0
    assert worse.growth.pace is not None and worse.growth.pace < 0
    assert worse.growth.pace_band == "deterioration"
    assert worse.status == an.LAGGING


def test_missing_baseline_uses_ratio_to_target() -> None:
    i = ind(None, 80)
    a = an.assess(i, obs((2025, 76)))
    assert a.completion_method == "ratio"
    assert a.completion == pytest.approx(0.95)
    assert a.status == an.LARGELY_MET
    assert an.assess(i, obs((2025, 70))).status == an.LAGGING
    # growth is measured from the first observation when there is no baseline
    g = an.growth(i, obs((2021, 50), (2023, 60)))
    assert g.start_year == 2021 and g.achieved is not None and g.achieved > 0


def test_missing_baseline_lower_is_better_ratio() -> None:
    a = an.assess(ind(None, 10, direction="lower"), obs((2025, 20)))
    assert a.completion == pytest.approx(0.5) and a.completion_method == "ratio"


def test_zero_baseline() -> None:
    i = ind(0, 10)
    a = an.assess(i, obs((2023, 6)))
    assert a.completion == pytest.approx(0.6)
    # CAGR from zero is undefined: the pace falls back to linear change per year
    assert a.growth.required is None and a.growth.method == "linear"
    assert a.growth.pace == pytest.approx((6 / 3) / (10 / 5))
    assert a.status == an.LARGELY_MET  # 2/yr achieved vs 2/yr required
    assert a.projection.method == "linear"
    assert a.projection.value == pytest.approx(10.0)


def test_zero_target_lower_is_better() -> None:
    i = ind(8, 0, direction="lower")
    assert an.assess(i, obs((2025, 0))).status == an.MET
    assert an.attainment(0.0, 0.0, "lower") == 1.0
    assert an.assess(i, obs((2025, 2))).completion == pytest.approx(0.75)


def test_on_track_before_target_year_uses_cagr_pace() -> None:
    i = ind(100, 200)
    required = 2 ** (1 / 5) - 1
    on_track = 100 * (1 + required) ** 3  # exactly on the required path in 2023
    a = an.assess(i, obs((2021, 115), (2022, 130), (2023, on_track)))
    assert a.growth.method == "cagr"
    assert a.growth.pace == pytest.approx(1.0)
    assert a.status == an.LARGELY_MET and a.growth.pace_band == "on_track"
    slow = an.assess(i, obs((2023, 110)))
    assert slow.status == an.LAGGING and slow.growth.pace_band in ("limited", "needs_acceleration")


def test_projection_methods() -> None:
    money = ind(100, 200)
    p = an.project(money, obs((2021, 110), (2022, 121)))
    assert p.method == "cagr"
    assert p.value == pytest.approx(121 * 1.1 ** 3)
    assert p.linear is not None
    share = ind(50, 80, unit="%")
    q = an.project(share, obs((2021, 55), (2022, 60)))
    assert q.method == "linear" and q.value == pytest.approx(75.0)
    done = an.project(money, obs((2025, 180)))
    assert done.method == "actual" and done.value == 180


def test_exactly_and_about_kinds() -> None:
    rules = StatusRules()
    t = Target(2025, 100)
    assert an.target_met(100.4, t, "higher", "exactly", rules)
    assert not an.target_met(101, t, "higher", "exactly", rules)
    assert not an.target_met(99, t, "higher", "exactly", rules)
    assert an.target_met(96, t, "higher", "about", rules)
    assert not an.target_met(94, t, "higher", "about", rules)
    ranged = Target(2025, 1, upper=2)
    assert an.target_met(1, ranged, "higher", "about", rules)
    assert an.target_met(2, ranged, "higher", "about", rules)
    assert not an.target_met(0, ranged, "higher", "about", rules)


def test_latest_prefers_newer_sub_annual_value_for_stocks_only() -> None:
    stock = ind(100, 200)
    a = an.assess(stock, obs((2023, 150)), [an.Observation(2024, 170, "2024Q2")])
    assert a.latest == 170 and a.latest_period == "2024Q2"
    flow = ind(100, 200, measure="flow")
    b = an.assess(flow, obs((2023, 150)), [an.Observation(2024, 40, "2024Q2")])
    assert b.latest == 150 and b.latest_year == 2023


def test_as_of_cuts_later_values() -> None:
    a = an.assess(ind(100, 200), obs((2021, 120), (2024, 210)), as_of=2022)
    assert a.latest == 120 and not a.met


def test_rollup_counts_and_capped_mean() -> None:
    i = ind(100, 200)
    assessments = {
        "a": an.assess(i, obs((2025, 250))),  # met, completion 1.5 → counts as 1
        "b": an.assess(i, obs((2025, 150))),  # lagging, 0.5
        "c": an.assess(i, []),  # no data
    }
    (r,) = an.rollup([("g", "组", ["a", "b", "c", "unknown"])], assessments)
    assert r.count == 3 and r.with_data == 2
    assert r.by_status[an.MET] == 1 and r.by_status[an.LAGGING] == 1 and r.by_status[an.NO_DATA] == 1
    assert r.mean_completion == pytest.approx(0.75)
    assert r.met_share == pytest.approx(0.5)


def test_composite_index_weights_missing_data_and_official() -> None:
    inds = {"a": Indicator("a", "a", "家", Target(2025, 100), baseline=Baseline(2020, 50)),
            "b": Indicator("b", "b", "%", Target(2025, 10), baseline=Baseline(2020, 20), direction="lower"),
            "off": Indicator("off", "off", "分", Target(2025, 95), baseline=Baseline(2020, 90))}
    cfg = IndexConfig(name="idx", official_indicator="off", dimensions=(
        IndexDimension("d1", "一", 1.0, (IndexComponent("a"),)),
        IndexDimension("d2", "二", 3.0, (IndexComponent("b", normalisation="minmax", low=0, high=40),)),
    ))
    values = {"a": {2020: 50.0, 2021: 120.0}, "b": {2020: 20.0}, "off": {2021: 93.0}}
    p2020, p2021 = an.composite_index(cfg, inds, values, [2020, 2021])
    # 2020: a → 0.5 (target ratio), b (lower, minmax 0–40) → 1 − 0.5 = 0.5
    assert p2020.value == pytest.approx(50.0) and p2020.coverage == pytest.approx(1.0)
    # 2021: a capped at 1; b missing → only d1 counts, coverage 1/4 of the weight
    assert p2021.value == pytest.approx(100.0)
    assert p2021.coverage == pytest.approx(0.25)
    assert p2021.official == 93.0 and p2020.official is None


@given(base=st.floats(0.1, 1e6), ratio=st.floats(1.01, 10), share=st.floats(0, 2))
def test_completion_is_linear_between_baseline_and_target(base: float, ratio: float, share: float) -> None:
    target = base * ratio
    value = base + share * (target - base)
    comp, method = an.completion(value, base, target, "higher")
    assert method == "progress" and comp is not None
    assert math.isclose(comp, share, rel_tol=1e-6, abs_tol=1e-6)
    # the same figures mirrored as lower-is-better give the same completion
    comp_low, _ = an.completion(-value, -base, -target, "lower")
    assert comp_low is not None and math.isclose(comp_low, share, rel_tol=1e-6, abs_tol=1e-6)
