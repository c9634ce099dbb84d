"""Indicators computed from warehouse data: evaluate metrics, record lineage, recompute when data moves.

A SQL metric is one read-only SELECT over dataset names returning ``year, value``; it runs through
``wh.sql`` pinned to explicit dataset versions, and every value it yields stores those versions as
its lineage. A value is *stale* when the current version of any dataset in its lineage differs;
:func:`recompute` re-evaluates stale (or all) metrics. Values entered by hand for a computed
indicator are left alone unless ``force`` is given.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from shucang.errors import InputError, NotFound, ShucangError
from shucang.plan import industry_codes
from shucang.plan.model import Indicator, Metric, Plan
from shucang.plan.store import Period, StoredValue, read_values, write_value

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

log = logging.getLogger("shucang.plan")
CATALOG_SOURCE = "catalog:datasets"


@dataclass(frozen=True)
class MetricResult:
    metric: str
    values: dict[int, float]
    lineage: dict[str, Any]
    caliber: str = ""
    """For a metric with ``by_industry_code``: ``industry_code`` or ``flag`` (which SQL ran)."""
    caliber_note: str = ""


@dataclass
class RecomputeReport:
    plan: str
    computed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(len(c["changed"]) for c in self.computed)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def current_versions(wh: Warehouse) -> dict[str, int]:
    """Current version of every dataset (one catalog query)."""
    return {d.name: d.current_version for d in wh.list_datasets() if d.current_version is not None}


def _open_data_counts(wh: Warehouse) -> tuple[int, int]:
    """(open, total) datasets, counted by the share stage (the one open-data count)."""
    from shucang.share.opendata import open_data_rate

    info = open_data_rate(wh)
    return int(info["open"]), int(info["total"])


def metric_lineage(wh: Warehouse, metric: Metric, versions: dict[str, int] | None = None,
                   current: dict[str, int] | None = None) -> dict[str, Any]:
    """What a metric would read now (or at ``versions``): dataset → version, or catalog counts."""
    if metric.kind == "catalog":
        opened, total = _open_data_counts(wh)
        return {CATALOG_SOURCE: f"{opened}/{total}"}
    current = current if current is not None else current_versions(wh)
    lineage: dict[str, Any] = {}
    for name in metric.datasets:
        if versions and name in versions:
            lineage[name] = int(versions[name])
        elif name in current:
            lineage[name] = current[name]
        else:
            raise NotFound(f"度量 {metric.id} 需要的数据集 {name!r} 不存在 (dataset missing for metric)",
                           hint="先导入该数据集，或运行 `shucang demo` (ingest it first)")
    return lineage


def evaluate_metrics(wh: Warehouse, plan: Plan, metrics: list[Metric], versions: dict[str, int] | None = None,
                     *, today: datetime | None = None) -> dict[str, MetricResult | ShucangError]:
    """Run several metrics; SQL ones share one read-only DuckDB connection pinned to their versions.

    Opening a connection registers every dataset (the dominant cost), so the metrics of one
    recompute share it. Each metric still gets its own lineage and its own error.
    """
    from shucang.warehouse.query import check_read_only

    out: dict[str, MetricResult | ShucangError] = {}
    current = current_versions(wh)
    lineages: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        try:
            lineages[metric.id] = metric_lineage(wh, metric, versions, current)
        except ShucangError as exc:
            out[metric.id] = exc
    pinned: dict[str, int] = {}
    for metric in metrics:
        if metric.kind == "catalog" and metric.id in lineages:
            opened, total = (int(x) for x in lineages[metric.id][CATALOG_SOURCE].split("/"))
            year = min((today or datetime.now(UTC)).year, plan.end_year)
            rate = {year: _round(100.0 * opened / total, metric.decimals)} if total else {}
            out[metric.id] = MetricResult(metric.id, rate, lineages[metric.id])
        elif metric.id in lineages:
            pinned.update(lineages[metric.id])
    todo = [m for m in metrics if m.kind == "sql" and m.id in lineages]
    if not todo:
        return out
    con = wh.connect(pinned)
    try:
        if any(m.by_industry_code for m in todo):
            industry_codes.register(con)
        for metric in todo:
            try:
                sql, caliber, note = _caliber(con, metric)
                check_read_only(sql)
                table = con.sql(sql).to_arrow_table()
                out[metric.id] = MetricResult(metric.id, _year_values(metric, table), lineages[metric.id],
                                              caliber, note)
            except duckdb.Error as exc:
                out[metric.id] = InputError(f"度量 {metric.id} 查询失败 (query failed): "
                                            f"{str(exc).splitlines()[0]}")
            except ShucangError as exc:
                out[metric.id] = exc
    finally:
        con.close()
    return out


def _caliber(con: duckdb.DuckDBPyConnection, metric: Metric) -> tuple[str, str, str]:
    """(SQL, caliber, caliber in words): by industry code where the dataset holds 4-digit codes,
    else the metric's own SQL (the flag caliber, kept for counties whose data have no codes)."""
    by_code = metric.by_industry_code
    if by_code is None:
        return metric.sql, "", ""
    from shucang.warehouse.query import quote_identifier

    has_column = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = ? "
                             "AND column_name = ?", [by_code.dataset, by_code.column]).fetchall()
    if has_column[0][0]:
        column = f"{quote_identifier(by_code.dataset)}.{quote_identifier(by_code.column)}"
        coded = con.execute(f"SELECT count(*) FROM {quote_identifier(by_code.dataset)} "  # noqa: S608 — identifiers quoted
                            f"WHERE regexp_full_match(trim(CAST({column} AS VARCHAR)), ?)",
                            [industry_codes.CODE_PATTERN]).fetchall()
        if coded[0][0]:
            return (by_code.sql, industry_codes.CALIBER_CODES,
                    industry_codes.caliber_text(industry_codes.CALIBER_CODES, f"{by_code.dataset}.{by_code.column}"))
    return metric.sql, industry_codes.CALIBER_FLAG, industry_codes.caliber_text(industry_codes.CALIBER_FLAG)


def _year_values(metric: Metric, table: Any) -> dict[int, float]:
    names = [n.lower() for n in table.column_names]
    if "year" not in names or "value" not in names:
        raise InputError(f"度量 {metric.id} 须返回 year 和 value 两列 (must return columns year, value); "
                         f"got {', '.join(table.column_names)}")
    years = table.column(names.index("year")).to_pylist()
    raw = table.column(names.index("value")).to_pylist()
    values: dict[int, float] = {}
    for year, value in zip(years, raw, strict=True):
        if year is None or value is None:
            continue
        number = float(value)
        if not math.isfinite(number):
            continue
        values[int(year)] = _round(number, metric.decimals)
    return values


def _round(value: float, decimals: int | None) -> float:
    return round(value, decimals) if decimals is not None else value


def is_stale(row: StoredValue, lineage_now: dict[str, Any] | None) -> bool:
    """Whether a computed value's lineage differs from what its metric would read now."""
    if row.metric_id is None:
        return False
    if lineage_now is None:
        return True
    return (row.lineage or {}) != lineage_now


def stale_indicators(wh: Warehouse, plan: Plan, rows: list[StoredValue] | None = None) -> dict[str, bool]:
    """Indicator id → stale, for every indicator with computed values."""
    rows = rows if rows is not None else read_values(wh.engine, plan.id)
    current = current_versions(wh)
    now: dict[str, dict[str, Any] | None] = {}
    out: dict[str, bool] = {}
    from shucang.plan.lifecycle import is_final

    for row in rows:
        if row.metric_id is None or (row.period_kind == "year" and is_final(plan, row.year, row.updated_at)):
            continue
        if row.metric_id not in now:
            try:
                now[row.metric_id] = metric_lineage(wh, plan.metric(row.metric_id), current=current)
            except ShucangError:
                now[row.metric_id] = None
        out[row.indicator_id] = out.get(row.indicator_id, False) or is_stale(row, now[row.metric_id])
    return out


def recompute(wh: Warehouse, plan: Plan, *, actor: str = "system:recompute", force: bool = False,
              stale_only: bool = False, versions: dict[str, int] | None = None,
              indicators: list[str] | None = None, datasets: set[str] | None = None,
              today: datetime | None = None, rewrite_final: bool = False) -> RecomputeReport:
    """Evaluate the metrics of ``plan`` and store what changed (audited as action "compute").

    ``stale_only`` skips indicators whose stored lineage still matches the data; ``datasets``
    limits the work to metrics reading one of those datasets (used after an ingest); ``versions``
    pins dataset versions; ``force`` overwrites values entered by hand for computed indicators.
    A computed value whose data were final when it was written (see ``lifecycle.is_final``) is kept
    (``kept_final``) unless ``rewrite_final``; where a hand-entered value is kept, the computed figure
    is remembered so a disagreement can be flagged.
    """
    from shucang.plan.lifecycle import is_final, record_computed

    report = RecomputeReport(plan.id)
    rows = read_values(wh.engine, plan.id)
    by_indicator: dict[str, dict[str, StoredValue]] = {}
    for row in rows:
        by_indicator.setdefault(row.indicator_id, {})[row.period] = row
    stale = stale_indicators(wh, plan, rows) if stale_only else {}
    chosen: list[tuple[Indicator, Metric]] = []
    for ind in plan.all_indicators():
        if ind.metric is None or (indicators is not None and ind.id not in indicators):
            continue
        metric = plan.metric(ind.metric)
        if datasets is not None and not (set(metric.datasets) & datasets):
            continue
        has_computed = any(r.metric_id for r in by_indicator.get(ind.id, {}).values())
        if stale_only and has_computed and not stale.get(ind.id, False):
            report.skipped.append({"indicator": ind.id, "metric": metric.id, "reason": "up_to_date"})
            continue
        chosen.append((ind, metric))
    unique = list({metric.id: metric for _, metric in chosen}.values())
    results = evaluate_metrics(wh, plan, unique, versions, today=today) if unique else {}
    for ind, metric in chosen:
        existing = by_indicator.get(ind.id, {})
        result = results[metric.id]
        if isinstance(result, ShucangError):
            report.errors.append({"indicator": ind.id, "metric": metric.id, "error": result.message})
            continue
        changed: list[str] = []
        kept: list[str] = []
        kept_final: list[str] = []
        for year, value in sorted(result.values.items()):
            if not plan.baseline_year <= year <= plan.end_year:
                continue
            period = Period(str(year), "year", year)
            old = existing.get(period.label)
            if old is not None and old.metric_id is None and not force:
                kept.append(period.label)
                record_computed(wh, plan.id, ind.id, period.label, value, metric.id, result.lineage)
                continue
            if (old is not None and old.metric_id is not None and not rewrite_final
                    and is_final(plan, year, old.updated_at)):
                if old.value != value:
                    kept_final.append(period.label)
                continue
            note = f"由度量 {metric.id} 计算 (computed by metric)"
            _, did_change = write_value(wh.engine, plan.id, ind.id, period, value, actor=actor,
                                        source=f"metric:{metric.id}", action="compute", metric_id=metric.id,
                                        lineage=result.lineage,
                                        note=f"{note}；{result.caliber_note}" if result.caliber_note else note)
            if did_change:
                changed.append(period.label)
        report.computed.append({"indicator": ind.id, "metric": metric.id, "lineage": result.lineage,
                                "years": sorted(result.values), "changed": changed,
                                "kept_manual": kept, "kept_final": kept_final,
                                **({"caliber": result.caliber, "caliber_note": result.caliber_note}
                                   if result.caliber else {})})
    return report


def plan_after_ingest(wh: Warehouse, result: Any) -> None:
    """After-ingest hook: recompute, in every plan, the metrics reading the dataset just loaded.

    Never raises (an ingest must not fail because a plan metric did); problems are logged.
    """
    from shucang.plan.loader import discover_plans

    try:
        plans = discover_plans(wh.settings.home)
    except ShucangError as exc:
        log.warning("plan metrics not recomputed: %s", exc)
        return
    from shucang.plan.lifecycle import after_ingest_allowed

    for plan in plans.values():
        if not any(result.dataset in m.datasets for m in plan.metrics):
            continue  # cheap no-op for data no metric reads (catalog metrics show as stale instead)
        if not after_ingest_allowed(wh, plan.id):
            continue  # a closed plan's figures are frozen
        try:
            recompute(wh, plan, datasets={result.dataset}, actor="system:after-ingest")
        except Exception:  # noqa: BLE001 — see docstring
            log.exception("plan %s: recompute after ingest of %s failed", plan.id, result.dataset)
