"""Watch rules (运行预警): data-defined checks over the latest month of a bound monthly report.

Rules are YAML (``data/watch.yaml``, overridable per county in ``<home>/economy/watch.yaml``); each
kind is one vectorised query. Every alert carries the figures it was raised on (``evidence``), so a
reader can check it without re-running anything. Results replace the dataset's earlier alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from shucang.economy.binding import bound_datasets, load_binding
from shucang.economy.monthly import Month, Source, parse_month, reader
from shucang.economy.tables import alerts, ensure_tables
from shucang.economy.yoy import yoy_query
from shucang.errors import InputError
from shucang.warehouse import Warehouse

KINDS = ("decline", "divergence", "stopped", "chain_below")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    title: str
    severity: str = "medium"
    params: dict[str, Any] = field(default_factory=dict)


def load_rules(home: Path | None = None) -> list[Rule]:
    """Bundled rules with the county's file over them (by id)."""
    text = resources.files("shucang.economy").joinpath("data", "watch.yaml").read_text(encoding="utf-8")
    items: dict[str, dict[str, Any]] = {r["id"]: r for r in yaml.safe_load(text)["rules"]}
    path = home / "economy" / "watch.yaml" if home else None
    if path is not None and path.is_file():
        extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for r in extra.get("rules") or []:
            if isinstance(r, dict) and r.get("id"):
                if r.get("enabled") is False:
                    items.pop(str(r["id"]), None)
                else:
                    items[str(r["id"])] = r
    rules = []
    for r in items.values():
        if r.get("kind") not in KINDS:
            raise InputError(f"预警规则 {r.get('id')} 的类型未知 (unknown rule kind {r.get('kind')!r})",
                             hint="kinds: " + ", ".join(KINDS))
        params = {k: v for k, v in r.items() if k not in ("id", "kind", "title", "severity", "enabled")}
        rules.append(Rule(str(r["id"]), str(r["kind"]), str(r.get("title") or r["id"]),
                          str(r.get("severity") or "medium"), params))
    return rules


def latest_month(src: Source) -> Month | None:
    months = src.months()
    return Month(months[-1] // 100, months[-1] % 100) if months else None


def _months(last: Month, n: int) -> list[int]:
    return [last.minus_months(k).ym for k in range(n)]


def _alert(rule: Rule, kind: str, subject: str, name: str | None, period: Month, message: str,
           evidence: dict[str, Any]) -> dict[str, Any]:
    return {"rule": rule.id, "title": rule.title, "severity": rule.severity, "subject_kind": kind,
            "subject": subject, "subject_name": name, "period": str(period), "message": message, "evidence": evidence}


def _decline(src: Source, rule: Rule, last: Month) -> list[dict[str, Any]]:
    column = src.binding.measure_column(str(rule.params.get("measure", "output")))
    n = int(rule.params.get("months", 3))
    limit = float(rule.params.get("below_pct", -20))
    months = _months(last, n)
    src.params.update(months=months, before=[m - 100 for m in months], limit=limit, n=n)
    rows = src.monthly([column], [*months, *src.params["before"]])
    sql = (f"WITH d AS ({rows}), p AS (SELECT a.ent, a.name, a.ym, a.m0 AS cur, b.m0 AS prev FROM d a JOIN d b "
           "ON a.ent = b.ent AND b.ym = a.ym - 100 WHERE list_contains($months, a.ym) AND b.m0 > 0) "
           "SELECT ent, arg_max(name, ym), list(ym ORDER BY ym), list(cur ORDER BY ym), list(prev ORDER BY ym) "
           "FROM p WHERE (cur / prev - 1) * 100 < $limit GROUP BY ent HAVING count(*) = $n ORDER BY ent")
    found = src.run(sql)
    out = []
    for ent, name, yms, cur, prev in found:
        detail = [{"period": f"{ym // 100}-{ym % 100:02d}", "current": c, "previous": p,
                   "yoy_pct": round((c / p - 1) * 100, 2)} for ym, c, p in zip(yms, cur, prev, strict=True)]
        out.append(_alert(rule, "enterprise", ent, name, last,
                          f"{name or ent}：{column} 连续{n}个月同比下降超过{-limit:g}%",
                          {"measure": column, "months": detail}))
    return out


def _divergence(src: Source, rule: Rule, last: Month) -> list[dict[str, Any]]:
    b = src.binding
    keys = list(rule.params.get("measures", ["electricity", "output"]))
    try:
        first, second = b.measure_column(str(keys[0])), b.measure_column(str(keys[1]))
    except InputError:
        return []  # the dataset lacks one of the measures: the rule does not apply
    n = int(rule.params.get("months", 3))
    gap = float(rule.params.get("gap_pp", 25))
    months = _months(last, n)
    src.params.update(months=months, before=[m - 100 for m in months], n=n, gap=gap)
    rows = src.monthly([first, second], [*months, *src.params["before"]])
    sql = (f"WITH d AS ({rows}), e AS (SELECT ent, arg_max(name, ym) AS name, "
           "sum(m0) FILTER (WHERE list_contains($months, ym)) AS a_cur, sum(m0) FILTER (WHERE list_contains($before, ym)) AS a_prev, "
           "sum(m1) FILTER (WHERE list_contains($months, ym)) AS b_cur, sum(m1) FILTER (WHERE list_contains($before, ym)) AS b_prev "
           "FROM d GROUP BY ent HAVING count(*) FILTER (WHERE list_contains($months, ym)) = $n "
           "AND count(*) FILTER (WHERE list_contains($before, ym)) = $n) "
           "SELECT ent, name, a_cur, a_prev, b_cur, b_prev, (a_cur / a_prev - 1) * 100 AS a_pct, "
           "(b_cur / b_prev - 1) * 100 AS b_pct FROM e WHERE a_prev > 0 AND b_prev > 0 "
           "AND abs((a_cur / a_prev - b_cur / b_prev) * 100) >= $gap ORDER BY ent")
    found = src.run(sql)
    out = []
    for ent, name, a_cur, a_prev, b_cur, b_prev, a_pct, b_pct in found:
        out.append(_alert(rule, "enterprise", ent, name, last,
                          f"{name or ent}：近{n}个月 {first} 同比 {a_pct:+.1f}%，{second} 同比 {b_pct:+.1f}%",
                          {"months": [f"{m // 100}-{m % 100:02d}" for m in sorted(months)],
                           first: {"current": round(a_cur, 4), "previous": round(a_prev, 4), "yoy_pct": round(a_pct, 2)},
                           second: {"current": round(b_cur, 4), "previous": round(b_prev, 4),
                                    "yoy_pct": round(b_pct, 2)}}))
    return out


def _stopped(src: Source, rule: Rule, last: Month) -> list[dict[str, Any]]:
    n = int(rule.params.get("months", 2))
    lookback = int(rule.params.get("lookback", 12))
    recent = _months(last, n)
    window = _months(last.minus_months(n), lookback)
    src.params.update(recent=recent)
    rows = src.monthly([], [*recent, *window])
    sql = (f"SELECT ent, arg_max(name, ym), max(ym), count(*) FROM ({rows}) GROUP BY ent "
           "HAVING count(*) FILTER (WHERE list_contains($recent, ym)) = 0 ORDER BY ent")
    found = src.run(sql)
    return [_alert(rule, "enterprise", ent, name, last,
                   f"{name or ent}：最近{n}个月未报送（最后一次 {ym // 100}-{ym % 100:02d}）",
                   {"last_report": f"{ym // 100}-{ym % 100:02d}", "reports_in_lookback": int(count),
                    "missing": [f"{m // 100}-{m % 100:02d}" for m in sorted(recent)]})
            for ent, name, ym, count in found]


def _chain_below(src: Source, rule: Rule, last: Month, home: Path | None) -> list[dict[str, Any]]:
    column = src.binding.measure_column(str(rule.params.get("measure", "output")))
    gap = float(rule.params.get("gap_pp", 0))
    figures = yoy_query(src, column, last, by="chain", caliber="comparable", home=home)
    county = figures["total"]["yoy_pct"]
    if county is None:
        return []
    return [_alert(rule, "chain", r["group"], r["group"], last,
                   f"{r['group']}产业链 1–{last.month}月{column}累计同比 {r['yoy_pct']:+.2f}%，低于全市 {county:+.2f}%",
                   {"measure": column, "caliber": "comparable", "chain": r, "county": figures["total"]})
            for r in figures["rows"] if r["yoy_pct"] is not None and r["yoy_pct"] < county - gap]


def evaluate(wh: Warehouse, dataset: str, *, period: str | None = None, spark: Any = None) -> dict[str, Any]:
    """Run every rule on ``dataset`` at its latest month (or ``period``); nothing is stored.

    ``spark``: a Spark session running each rule's per-enterprise pass (:mod:`shucang.economy.scaleout`)."""
    b = load_binding(wh, dataset)
    rules = load_rules(wh.settings.home)
    found: list[dict[str, Any]] = []
    version = wh.dataset(dataset).current_version
    on_spark = spark is not None and version is not None  # the driver reads the version Spark reads
    with reader(wh, {dataset: version}, [dataset]) if on_spark and version is not None else reader(wh) as con:
        def source() -> Source:  # parameters are per query
            if not on_spark or version is None:
                return Source(wh, con, b)
            from shucang.economy.scaleout import SparkSource

            return SparkSource(wh, con, b, spark, version)

        last = parse_month(period) if period else latest_month(Source(wh, con, b))
        if last is None:
            return {"dataset": dataset, "period": None, "alerts": [], "rules": [r.id for r in rules]}
        for rule in rules:
            src = source()
            if rule.kind == "decline":
                found += _decline(src, rule, last)
            elif rule.kind == "divergence":
                found += _divergence(src, rule, last)
            elif rule.kind == "stopped":
                found += _stopped(src, rule, last)
            else:
                found += _chain_below(src, rule, last, wh.settings.home)
    return {"dataset": dataset, "period": str(last), "version": wh.dataset(dataset).current_version,
            "rules": [{"id": r.id, "title": r.title, "kind": r.kind, "severity": r.severity, **r.params}
                      for r in rules], "alerts": found}


def evaluate_and_store(wh: Warehouse, dataset: str, *, spark: Any = None) -> dict[str, Any]:
    """:func:`evaluate`, then replace the dataset's stored alerts with the result."""
    result = evaluate(wh, dataset, spark=spark)
    ensure_tables(wh.engine)
    now = datetime.now(UTC)
    with wh.engine.begin() as conn:
        conn.execute(alerts.delete().where(alerts.c.dataset == dataset))
        if result["alerts"]:
            conn.execute(alerts.insert(), [dict(dataset=dataset, version=result.get("version"), rule=a["rule"],
                                                severity=a["severity"], subject_kind=a["subject_kind"],
                                                subject=a["subject"], subject_name=a["subject_name"],
                                                period=a["period"], message=a["message"], evidence=a["evidence"],
                                                created_at=now) for a in result["alerts"]])
    return result


def stored_alerts(wh: Warehouse, *, dataset: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
    """Alerts of the last evaluation (every bound dataset, or one; optionally about one subject)."""
    ensure_tables(wh.engine)
    stmt = sa.select(alerts).order_by(alerts.c.dataset, alerts.c.rule, alerts.c.subject)
    if dataset:
        stmt = stmt.where(alerts.c.dataset == dataset)
    if subject:
        stmt = stmt.where(alerts.c.subject == subject)
    with wh.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [{"dataset": r.dataset, "version": r.version, "rule": r.rule, "severity": r.severity,
             "subject_kind": r.subject_kind, "subject": r.subject, "subject_name": r.subject_name,
             "period": r.period, "message": r.message, "evidence": r.evidence,
             "created_at": r.created_at.isoformat()} for r in rows]


def watch_all(wh: Warehouse, dataset: str | None = None, *, spark: Any = None) -> list[dict[str, Any]]:
    """Evaluate and store for one or every bound dataset (``spark``: see :func:`evaluate`)."""
    names = [dataset] if dataset else [b.dataset for b in bound_datasets(wh)]
    return [evaluate_and_store(wh, name, spark=spark) for name in names]
