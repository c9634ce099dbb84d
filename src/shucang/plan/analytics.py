"""Progress analytics of plan indicators: pure functions over numbers, no I/O.

Definitions (also in docs/plan.md, "How status is decided"):

- **completion** — how far the indicator has come from its baseline towards its target:
  ``(latest − baseline) ÷ (target − baseline)`` (0 at the baseline, 1 at the target; works for
  lower-is-better and for a zero baseline). When the baseline is missing ("/") or equals the target
  it is the direction-aware ratio ``latest ÷ target`` (``target ÷ latest`` when lower is better).
  ``completion_method`` says which was used.
- **attainment** — always the direction-aware ratio to the target.
- **growth** — required vs achieved compound annual growth (CAGR) from the baseline (or, with no
  baseline, from the first observation); linear change per year when CAGR is undefined (a zero or
  negative start). ``pace`` = achieved ÷ required, as in Open SDG's progress measure.
- **projection** — the value at the target year by CAGR and by a least-squares line; percentages
  use the line (a compound rate of a share is not meaningful), other units CAGR when defined.
- **status** — 已完成 when the target is met (direction- and kind-aware); at or after the target
  year 基本完成 when completion ≥ ``largely_met`` (0.90) else 滞后; before it 基本完成 (on track) when
  pace ≥ ``on_track`` (0.95) else 滞后 (falling back to the projection, then to completion, when the
  pace is undefined); 无数据 without any value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from shucang.plan.model import IndexComponent, IndexConfig, Indicator, StatusRules, Target

MET = "已完成"
LARGELY_MET = "基本完成"
LAGGING = "滞后"
NO_DATA = "无数据"
STATUSES = (MET, LARGELY_MET, LAGGING, NO_DATA)
STATUS_CODES = {MET: "met", LARGELY_MET: "largely_met", LAGGING: "lagging", NO_DATA: "no_data"}

PACE_BANDS = (  # Open SDG: ratio of achieved to required growth
    (0.95, "on_track", "进度正常"),
    (0.60, "needs_acceleration", "需加快"),
    (0.0, "limited", "进展有限"),
)


@dataclass(frozen=True)
class Observation:
    """One value of an indicator; ``period`` is "2023", "2023Q2" or "2023-06"."""

    year: int
    value: float
    period: str = ""


@dataclass(frozen=True)
class Growth:
    required: float | None
    achieved: float | None
    method: str  # cagr | linear | none
    pace: float | None
    pace_band: str | None
    start_year: int | None
    start_value: float | None
    required_change: float | None
    achieved_change: float | None


@dataclass(frozen=True)
class Projection:
    value: float | None
    method: str | None  # actual | cagr | linear | None
    cagr: float | None
    linear: float | None
    year: int


@dataclass(frozen=True)
class Assessment:
    latest: float | None
    latest_year: int | None
    latest_period: str | None
    completion: float | None
    completion_method: str
    attainment: float | None
    met: bool
    status: str
    status_code: str
    expected_progress: float | None
    gap: float | None
    growth: Growth
    projection: Projection
    projected_met: bool | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def target_met(value: float, target: Target, direction: str = "higher", kind: str = "at_least",
               rules: StatusRules | None = None) -> bool:
    """Whether ``value`` meets the target: at_least (or better), exactly (±0.5%), about (±5%, ranges)."""
    rules = rules or StatusRules()
    t = target.value
    if kind == "exactly":
        return abs(value - t) <= rules.exact_tolerance * max(abs(t), 1e-9)
    if kind == "about":
        low, high = t, target.upper if target.upper is not None else t
        tol = rules.about_tolerance
        if direction == "lower":
            return value <= high + tol * abs(high)
        return value >= low - tol * abs(low)
    return value >= t if direction == "higher" else value <= t


def attainment(value: float | None, target: float, direction: str = "higher") -> float | None:
    """Direction-aware ratio to the target (1.0 = reached)."""
    if value is None:
        return None
    if direction == "lower":
        if value == 0:
            return 1.0 if target >= 0 else None
        return _finite(target / value)
    if target == 0:
        return 1.0 if value >= 0 else 0.0
    return _finite(value / target)


def completion(value: float | None, baseline: float | None, target: float,
               direction: str = "higher") -> tuple[float | None, str]:
    """Progress from baseline to target (see module docstring); returns (value, method)."""
    if value is None:
        return None, "none"
    if baseline is not None and baseline != target:
        return _finite((value - baseline) / (target - baseline)), "progress"
    return attainment(value, target, direction), "ratio"


def cagr(start: float | None, end: float | None, years: float) -> float | None:
    """Compound annual growth; None when undefined (no span, zero or negative values)."""
    if start is None or end is None or years <= 0 or start <= 0 or end <= 0:
        return None
    return _finite((end / start) ** (1.0 / years) - 1.0)


def pace_band(pace: float | None) -> str | None:
    if pace is None:
        return None
    for threshold, code, _label in PACE_BANDS:
        if pace >= threshold:
            return code
    return "deterioration"


def growth(indicator: Indicator, observations: Sequence[Observation]) -> Growth:
    """Required vs achieved annual growth from the baseline (or first observation) to the latest."""
    yearly = sorted(observations, key=lambda o: o.year)
    target = indicator.target
    base = indicator.baseline
    if base is not None and base.value is not None:
        start_year, start_value = base.year, base.value
    elif len(yearly) >= 2:
        start_year, start_value = yearly[0].year, yearly[0].value
    else:
        return Growth(None, None, "none", None, None, None, None, None, None)
    required = cagr(start_value, target.value, target.year - start_year)
    required_change = _finite((target.value - start_value) / (target.year - start_year)) \
        if target.year > start_year else None
    if not yearly or yearly[-1].year <= start_year:
        return Growth(required, None, "cagr" if required is not None else "linear", None, None,
                      start_year, start_value, required_change, None)
    latest = yearly[-1]
    span = latest.year - start_year
    achieved = cagr(start_value, latest.value, span)
    achieved_change = _finite((latest.value - start_value) / span)
    if required is not None and achieved is not None and required != 0:
        pace, method = _finite(achieved / required), "cagr"
    elif required_change is not None and required_change != 0 and achieved_change is not None:
        pace, method = _finite(achieved_change / required_change), "linear"
    else:
        pace, method = None, "none"
    return Growth(required, achieved, method, pace, pace_band(pace), start_year, start_value,
                  required_change, achieved_change)


def _least_squares(points: Sequence[tuple[int, float]]) -> tuple[float, float] | None:
    n = len(points)
    if n < 2:
        return None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return slope, my - slope * mx


def project(indicator: Indicator, observations: Sequence[Observation]) -> Projection:
    """Value at the target year from the baseline and yearly observations (method reported)."""
    year = indicator.target.year
    points: dict[int, float] = {}
    if indicator.baseline is not None and indicator.baseline.value is not None:
        points[indicator.baseline.year] = indicator.baseline.value
    for obs in observations:
        points[obs.year] = obs.value
    series = sorted(points.items())
    if not series:
        return Projection(None, None, None, None, year)
    last_year, last_value = series[-1]
    if last_year >= year:
        exact = points.get(year, last_value)
        return Projection(exact, "actual", None, None, year)
    first_year, first_value = series[0]
    rate = cagr(first_value, last_value, last_year - first_year)
    by_cagr = _finite(last_value * (1 + rate) ** (year - last_year)) if rate is not None else None
    fit = _least_squares(series)
    by_line = _finite(fit[0] * year + fit[1]) if fit else None
    if indicator.unit.strip() == "%" and by_line is not None:
        return Projection(by_line, "linear", by_cagr, by_line, year)
    if by_cagr is not None:
        return Projection(by_cagr, "cagr", by_cagr, by_line, year)
    if by_line is not None:
        return Projection(by_line, "linear", by_cagr, by_line, year)
    return Projection(None, None, None, None, year)


def latest_observation(indicator: Indicator, yearly: Sequence[Observation],
                       sub_annual: Sequence[Observation] = ()) -> Observation | None:
    """The latest yearly value; for a stock indicator a newer quarter/month value wins."""
    best = max(yearly, key=lambda o: o.year, default=None)
    if indicator.measure == "stock" and sub_annual:
        newest = max(sub_annual, key=lambda o: (o.year, o.period))
        if best is None or newest.year > best.year:
            return newest
    return best


def assess(indicator: Indicator, yearly: Sequence[Observation], sub_annual: Sequence[Observation] = (),
           rules: StatusRules | None = None, as_of: int | None = None) -> Assessment:
    """Everything the status table shows for one indicator, from its values up to ``as_of``."""
    rules = rules or StatusRules()
    if as_of is not None:
        yearly = [o for o in yearly if o.year <= as_of]
        sub_annual = [o for o in sub_annual if o.year <= as_of]
    target = indicator.target
    base_value = indicator.baseline.value if indicator.baseline else None
    latest = latest_observation(indicator, yearly, sub_annual)
    grow = growth(indicator, yearly)
    proj = project(indicator, yearly)
    projected_met = (target_met(proj.value, target, indicator.direction, indicator.target_kind, rules)
                     if proj.value is not None else None)
    if latest is None:
        return Assessment(None, None, None, None, "none", None, False, NO_DATA, STATUS_CODES[NO_DATA],
                          None, None, grow, proj, projected_met)
    comp, method = completion(latest.value, base_value, target.value, indicator.direction)
    att = attainment(latest.value, target.value, indicator.direction)
    met = target_met(latest.value, target, indicator.direction, indicator.target_kind, rules)
    start_year = indicator.baseline.year if indicator.baseline else None
    expected = None
    if start_year is not None and target.year > start_year:
        expected = max(0.0, min(1.0, (latest.year - start_year) / (target.year - start_year)))
    gap = target.value - latest.value if indicator.direction == "higher" else latest.value - target.value
    if met:
        status = MET
    elif latest.year >= target.year:
        status = LARGELY_MET if comp is not None and comp >= rules.largely_met else LAGGING
    elif grow.pace is not None:
        status = LARGELY_MET if grow.pace >= rules.on_track else LAGGING
    elif projected_met is not None and proj.method != "actual":
        status = LARGELY_MET if projected_met else LAGGING
    else:
        status = LARGELY_MET if comp is not None and comp >= rules.largely_met else LAGGING
    return Assessment(latest.value, latest.year, latest.period or str(latest.year), comp, method, att, met,
                      status, STATUS_CODES[status], expected, max(gap, 0.0), grow, proj, projected_met)


# -- roll-ups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollup:
    """Status counts and mean completion of one group (a category, zone or task)."""

    key: str
    name: str
    indicators: list[str]
    count: int
    by_status: dict[str, int]
    with_data: int
    met_share: float | None
    mean_completion: float | None
    """Mean completion over indicators with data, each capped to [0, 1] so overshoot hides no lag."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def rollup(groups: Iterable[tuple[str, str, Sequence[str]]],
           assessments: Mapping[str, Assessment]) -> list[Rollup]:
    """One :class:`Rollup` per ``(key, name, indicator ids)`` group; unknown ids are ignored."""
    out: list[Rollup] = []
    for key, name, ids in groups:
        members = [i for i in ids if i in assessments]
        counts = {s: 0 for s in STATUSES}
        comps: list[float] = []
        for ind in members:
            a = assessments[ind]
            counts[a.status] += 1
            if a.completion is not None:
                comps.append(min(1.0, max(0.0, a.completion)) if not a.met else 1.0)
        with_data = len(members) - counts[NO_DATA]
        out.append(Rollup(
            key=key, name=name, indicators=members, count=len(members), by_status=counts,
            with_data=with_data, met_share=(counts[MET] / with_data) if with_data else None,
            mean_completion=(sum(comps) / len(comps)) if comps else None,
        ))
    return out


# -- composite index ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentScore:
    indicator: str
    value: float | None
    score: float | None
    weight: float
    normalisation: str


@dataclass(frozen=True)
class DimensionScore:
    id: str
    name: str
    weight: float
    score: float | None
    coverage: float
    components: list[ComponentScore] = field(default_factory=list)


@dataclass(frozen=True)
class IndexPoint:
    """The composite index of one year beside the officially published value (if entered)."""

    year: int
    value: float | None
    coverage: float
    """Share of the total weight that had data (missing indicators are left out, weights renormalised)."""
    official: float | None
    dimensions: list[DimensionScore]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def normalise(value: float | None, comp: IndexComponent, indicator: Indicator) -> float | None:
    """Score in [0, cap] of one value: target_ratio, progress (from baseline) or minmax."""
    if value is None:
        return None
    direction = indicator.direction
    target = indicator.target.value
    score: float | None
    if comp.normalisation == "minmax" and comp.low is not None and comp.high is not None:
        score = (value - comp.low) / (comp.high - comp.low)
        if direction == "lower":
            score = 1.0 - score
    elif comp.normalisation == "progress":
        base = indicator.baseline.value if indicator.baseline else None
        score, _ = completion(value, base, target, direction)
    else:
        score = attainment(value, target, direction)
    if score is None or not math.isfinite(score):
        return None
    return max(0.0, min(comp.cap, score))


def composite_index(config: IndexConfig, indicators: Mapping[str, Indicator],
                    values: Mapping[str, Mapping[int, float]], years: Iterable[int]) -> list[IndexPoint]:
    """The configured index for each year: Σ dimension weight × weighted mean of component scores.

    ``values[indicator][year]`` are yearly values (a baseline counts as the baseline year's value).
    Components without a value that year are left out and the remaining weights renormalised;
    ``coverage`` reports the share of weight that was available.
    """
    total_weight = sum(d.weight * sum(c.weight for c in d.components) for d in config.dimensions) or 1.0
    points: list[IndexPoint] = []
    for year in years:
        dims: list[DimensionScore] = []
        covered = 0.0
        weighted = 0.0
        dim_weight_used = 0.0
        for dim in config.dimensions:
            comps: list[ComponentScore] = []
            num = den = 0.0
            dim_total = sum(c.weight for c in dim.components) or 1.0
            for comp in dim.components:
                ind = indicators.get(comp.indicator)
                value = values.get(comp.indicator, {}).get(year)
                score = normalise(value, comp, ind) if ind is not None else None
                comps.append(ComponentScore(comp.indicator, value, score, comp.weight, comp.normalisation))
                if score is not None:
                    num += comp.weight * score
                    den += comp.weight
            dim_score = num / den if den else None
            covered += dim.weight * den
            if dim_score is not None:
                weighted += dim.weight * dim_score
                dim_weight_used += dim.weight
            dims.append(DimensionScore(dim.id, dim.name, dim.weight,
                                       dim_score * config.scale if dim_score is not None else None,
                                       den / dim_total, comps))
        value = weighted / dim_weight_used * config.scale if dim_weight_used else None
        official = None
        if config.official_indicator:
            official = values.get(config.official_indicator, {}).get(year)
        points.append(IndexPoint(year, value, covered / total_weight, official, dims))
    return points
