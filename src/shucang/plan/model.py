"""The plan as data: frozen dataclasses built by :mod:`shucang.plan.loader` from a plan YAML file.

A plan states *indicators* (the main target table), further quantitative *targets* found in the
text, and the *targets* of its key projects (专栏). All three are :class:`Indicator` objects with
one shared id space, so actual values, analytics and the API treat them alike; ``kind`` tells them
apart. Zones, tasks and projects refer to indicators by id; the loader checks every reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shucang.errors import NotFound

DIRECTIONS = ("higher", "lower")
TARGET_KINDS = ("at_least", "exactly", "about")
MEASURES = ("stock", "flow")
PERIOD_KINDS = ("year", "quarter", "month")
NORMALISATIONS = ("target_ratio", "progress", "minmax")


@dataclass(frozen=True)
class Baseline:
    """The starting point: ``value`` is None when the plan prints "/" (unknown, not zero)."""

    year: int
    value: float | None
    text: str | None = None
    """The figure as printed, when it differs from ``value`` (e.g. "/")."""


@dataclass(frozen=True)
class Target:
    """Where the indicator must be by ``year``; ``upper`` closes a printed range such as "1—2家"."""

    year: int
    value: float
    upper: float | None = None
    text: str | None = None
    """The phrase as printed ("突破330亿元", "3家左右")."""


@dataclass(frozen=True)
class Indicator:
    """One quantified target of the plan (main table, text, or a key project)."""

    id: str
    name: str
    unit: str
    target: Target
    kind: str = "main"
    short_name: str = ""
    category: str | None = None
    baseline: Baseline | None = None
    direction: str = "higher"
    target_kind: str = "at_least"
    department: str | None = None
    metric: str | None = None
    """Id of the metric computing it from warehouse data; None means entered by hand (manual)."""
    measure: str = "stock"
    """stock: a level at a date (year-end count, a rate); flow: a total over the period (sales)."""
    periods: tuple[str, ...] = ("year",)
    """Period kinds values may be entered for (year, quarter, month)."""
    section: str = ""
    """Where the plan states it (e.g. "主要目标表", "三、空间布局", "专栏6")."""
    note: str = ""
    decimals: int | None = None
    value_range: tuple[float | None, float | None] | None = None
    """Bounds a value must lie within (inclusive); None: by unit (% → 0–100, counts ≥ 0)."""
    whole: bool | None = None
    """Whole numbers only; None: by unit (家, 个, 件 … are counts)."""
    continues: tuple[str, str] | None = None
    """(plan id, indicator id) of the earlier plan's indicator this one continues (charts join them)."""

    @property
    def source(self) -> str:
        return self.metric or "manual"

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True)
class Category:
    id: str
    name: str


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Zone:
    """A zone of the spatial layout (一核二带三园) with its towns and focus industries."""

    id: str
    name: str
    kind: str
    towns: tuple[str, ...]
    towns_from_text: bool
    focus_industries: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    lead_enterprises: tuple[str, ...] = ()
    goal: str = ""
    indicators: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Task:
    """A main task (四、主要任务) or one of its sub-tasks, nested."""

    id: str
    number: str
    title: str
    subtasks: tuple[Task, ...] = ()
    indicators: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()

    def walk(self) -> list[Task]:
        """This task and every sub-task below it, depth first."""
        out: list[Task] = [self]
        for sub in self.subtasks:
            out.extend(sub.walk())
        return out

    def all_indicators(self) -> list[str]:
        seen: dict[str, None] = {}
        for task in self.walk():
            for ind in task.indicators:
                seen.setdefault(ind, None)
        return list(seen)


@dataclass(frozen=True)
class Milestone:
    year: int
    text: str
    indicator: str | None = None


@dataclass(frozen=True)
class ProjectItem:
    name: str
    description: str = ""


@dataclass(frozen=True)
class Project:
    """A key project (专栏) with its items, quantitative targets and milestones."""

    id: str
    number: int
    title: str
    task: str | None
    items: tuple[ProjectItem, ...] = ()
    targets: tuple[str, ...] = ()
    milestones: tuple[Milestone, ...] = ()


@dataclass(frozen=True)
class CodeCaliber:
    """A metric's SQL by industry code: used instead of ``Metric.sql`` when ``dataset`` holds 4-digit
    GB/T 4754-2017 codes in ``column`` (the flag SQL stays the fallback for data without codes)."""

    dataset: str
    column: str
    sql: str


@dataclass(frozen=True)
class Metric:
    """How to compute an indicator from warehouse data.

    ``kind = "sql"``: one read-only SELECT over dataset names returning ``year, value``, run on the
    dataset versions chosen (current ones by default); ``kind = "catalog"``: a figure of the catalog
    itself (``function = "open_data_rate"``). ``by_industry_code``: the same figure by industry code
    (see :class:`CodeCaliber`).
    """

    id: str
    title: str
    kind: str = "sql"
    sql: str = ""
    datasets: tuple[str, ...] = ()
    function: str = ""
    decimals: int | None = None
    note: str = ""
    by_industry_code: CodeCaliber | None = None


@dataclass(frozen=True)
class IndexComponent:
    indicator: str
    weight: float = 1.0
    normalisation: str = "target_ratio"
    low: float | None = None
    high: float | None = None
    cap: float = 1.0


@dataclass(frozen=True)
class IndexDimension:
    id: str
    name: str
    weight: float
    components: tuple[IndexComponent, ...]


@dataclass(frozen=True)
class IndexConfig:
    """A transparent composite index: dimension → indicator → weight, direction, normalisation."""

    name: str
    dimensions: tuple[IndexDimension, ...]
    scale: float = 100.0
    official_indicator: str | None = None
    note: str = ""


@dataclass(frozen=True)
class StatusRules:
    """Thresholds of the status (documented in docs/plan.md)."""

    largely_met: float = 0.90
    """At or after the target year: completion ≥ this → 基本完成, else 滞后."""
    on_track: float = 0.95
    """Before the target year: achieved ÷ required growth ≥ this → 基本完成 (on track), else 滞后."""
    exact_tolerance: float = 0.005
    """"exactly" targets count as met within this relative distance."""
    about_tolerance: float = 0.05
    """"about" (左右) targets count as met within this relative distance."""


@dataclass(frozen=True)
class EntryRules:
    """How entered and computed values are checked (docs/plan.md, "Values that make sense")."""

    jump_factor: float = 3.0
    """A value above ``jump_factor`` × last year's (or below it ÷ the factor) needs a confirmation and a note."""
    final_after_days: int = 90
    """A computed value of year Y written this many days after Y ends is final: recompute keeps it."""


@dataclass(frozen=True)
class Fact:
    """A figure the plan reports about its starting point (发展基础), kept for context."""

    id: str
    name: str
    value: float
    unit: str
    year: int
    note: str = ""


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    start_year: int
    end_year: int
    baseline_year: int
    categories: tuple[Category, ...]
    indicators: tuple[Indicator, ...]
    targets: tuple[Indicator, ...] = ()
    zones: tuple[Zone, ...] = ()
    tasks: tuple[Task, ...] = ()
    projects: tuple[Project, ...] = ()
    metrics: tuple[Metric, ...] = ()
    index: IndexConfig | None = None
    facts: tuple[Fact, ...] = ()
    departments: tuple[Department, ...] = ()
    status_rules: StatusRules = field(default_factory=StatusRules)
    entry_rules: EntryRules = field(default_factory=EntryRules)
    issuer: str = ""
    source_text: str = ""
    description: str = ""
    path: Path | None = None
    origin: str = "bundled"

    def all_indicators(self) -> list[Indicator]:
        """Main table first, then text targets, then project targets."""
        return [*self.indicators, *self.targets]

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.all_indicators():
            if ind.id == indicator_id:
                return ind
        raise NotFound(
            f"规划 {self.id} 中没有指标 {indicator_id!r} (no such indicator in plan {self.id})",
            hint="用 `shucang plan show` 查看指标编号 (list indicator ids with `shucang plan show`)",
        )

    def metric(self, metric_id: str) -> Metric:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise NotFound(f"规划 {self.id} 中没有度量 {metric_id!r} (no such metric)")

    def category_name(self, category_id: str | None) -> str | None:
        for c in self.categories:
            if c.id == category_id:
                return c.name
        return None

    def department_name(self, code: str | None) -> str | None:
        for d in self.departments:
            if d.code == code:
                return d.name
        return None

    def all_tasks(self) -> list[Task]:
        out: list[Task] = []
        for task in self.tasks:
            out.extend(task.walk())
        return out

    def project(self, project_id: str) -> Project:
        for p in self.projects:
            if p.id == project_id:
                return p
        raise NotFound(f"规划 {self.id} 中没有专栏 {project_id!r} (no such key project)")
