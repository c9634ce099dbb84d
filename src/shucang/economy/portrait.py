"""企业画像 and the enterprise list: single-enterprise figures, for callers allowed to see them.

The monthly figures come from the bound report (the caller must be allowed to read that dataset).
Every other part — registration, cloud, robots, patents, high-tech status, smart factories — is read
through the sharing stage's door (``read_rows``): per dataset, the caller's grants decide whether the
part is shown, columns above their level are masked, and each read is audited. A part the caller may
not read says so instead of failing the whole portrait.
"""

from __future__ import annotations

from typing import Any

from shucang.economy.binding import default_dataset, load_binding
from shucang.economy.monitor import latest, sources
from shucang.economy.monthly import Source, month_range, parse_month, reader
from shucang.economy.reference import load_chains
from shucang.economy.visibility import require_enterprises
from shucang.errors import InputError, NotFound, ShucangError
from shucang.share.access import Actor
from shucang.warehouse import Warehouse

PARTS: tuple[tuple[str, str, str], ...] = (
    ("registration", "enterprise_registry", "uscc"),
    ("cloud", "enterprise_cloud", "uscc"),
    ("robots", "industrial_robots", "uscc"),
    ("patents", "patents", "applicant_uscc"),
    ("high_tech", "high_tech_enterprises", "uscc"),
    ("smart_factories", "smart_factories", "uscc"),
)
"""(part, dataset, column holding the credit code) — parts whose dataset is absent are skipped."""
LIMIT = 200


def _part(wh: Warehouse, actor: Actor, dataset: str, column: str, uscc: str, channel: str,
          fmt: str) -> dict[str, Any]:
    from shucang.share.reads import read_rows

    try:
        result = read_rows(wh, actor, dataset, filter={"column": column, "op": "=", "value": uscc}, limit=LIMIT,
                           channel=channel, fmt=fmt)
    except ShucangError as exc:
        return {"dataset": dataset, "available": False, "reason": exc.message}
    rows = result.table.to_pylist()
    return {"dataset": dataset, "available": True, "version": result.version, "rows": rows, "count": len(rows),
            "more": result.next_cursor is not None, "masked_columns": result.masked_columns}


def portrait(wh: Warehouse, actor: Actor, uscc: str, *, dataset: str | None = None, months: int = 24,
             channel: str = "api", fmt: str = "json") -> dict[str, Any]:
    """One enterprise: its monthly figures (last ``months``), YoY, chains, alerts, 亩均 class and the parts.

    ``channel`` decides the masking of the parts; ``fmt`` other than json audits their reads as an export."""
    from shucang.economy.watch import stored_alerts

    uscc = uscc.strip()
    if not uscc or len(uscc) > 64:
        raise InputError("请提供统一社会信用代码 (give a credit code)")
    name = default_dataset(wh, dataset)
    require_enterprises(wh, actor, name)
    b = load_binding(wh, name)
    measures = [m.column for m in b.measures]
    with reader(wh) as con:
        src = Source(wh, con, b)
        last = latest(src)
        span = month_range(last.minus_months(months - 1 + 12), last)
        src.params["uscc"] = uscc
        sql = (f"SELECT * FROM ({src.monthly(measures, span)}) WHERE ent = $uscc ORDER BY ym")
        cur = con.execute(sql, {k: v for k, v in src.params.items() if "$" + k in sql})
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        raise NotFound(f"{name} 中没有企业 {uscc} 的月报 (no monthly reports for this enterprise)")
    by_ym = {r["ym"]: r for r in rows}
    series = []
    for ym in span[12:]:
        r = by_ym.get(ym)
        entry: dict[str, Any] = {"period": f"{ym // 100}-{ym % 100:02d}", "reported": r is not None}
        for i, m in enumerate(measures):
            v = r[f"m{i}"] if r else None
            p = by_ym.get(ym - 100, {}).get(f"m{i}")
            entry[m] = v
            if b.measure_key(m) == "output":
                entry["output_yoy_pct"] = round((v / p - 1) * 100, 2) if v is not None and p else None
        entry["corrected"] = bool(r and r["reports"] > 1)
        series.append(entry)
    head = rows[-1]
    chains = [c.name for c in load_chains(wh.settings.home) if c.covers(head.get("industry"))]
    parts = {part: _part(wh, actor, ds, col, uscc, channel, fmt) for part, ds, col in PARTS
             if ds in {d.name for d in wh.list_datasets()}}
    mujun = _mujun(wh, uscc)
    return {"enterprise": uscc, "name": head.get("name"), "town": head.get("town"), "industry": head.get("industry"),
            "chains": chains, "dataset": name, "period": str(last), "sources": sources(wh, name),
            "monthly": series, "measures": measures, "alerts": stored_alerts(wh, dataset=name, subject=uscc),
            "mujun": mujun, "parts": parts}


def _mujun(wh: Warehouse, uscc: str) -> dict[str, Any] | None:
    from shucang.economy.mujun import evaluate

    try:
        out = evaluate(wh)
    except ShucangError:
        return None
    for key in ("evaluated", "not_evaluable", "not_eligible"):
        for r in out[key]:
            if r["enterprise"] == uscc:
                return {"year": out["year"], "status": key, **r}
    return None


def enterprise_list(wh: Warehouse, actor: Actor, *, dataset: str | None = None, period: str | None = None,
                    town: str | None = None, chain: str | None = None, industry: str | None = None,
                    q: str | None = None, limit: int = 500) -> dict[str, Any]:
    """Enterprises with their 1–N月 output, YoY and alert count, filtered; single-enterprise figures."""
    from shucang.economy.watch import stored_alerts
    from shucang.economy.yoy import enterprise_sql

    name = default_dataset(wh, dataset)
    require_enterprises(wh, actor, name)
    b = load_binding(wh, name)
    output = b.measure_column("output") if b.has_measure("output") else b.measures[0].column
    chains = {c.id: c for c in load_chains(wh.settings.home)}
    if chain and chain not in chains:
        raise NotFound(f"没有产业链 {chain!r} (no such chain)", hint="chains: " + ", ".join(chains))
    with reader(wh) as con:
        src = Source(wh, con, b)
        month = parse_month(period) if period else latest(src)
        sql = f"SELECT ent, name, town, industry, cur, prev, in_cur FROM ({enterprise_sql(src, output, month)})"
        found = src.run(sql)
    alerts: dict[str, int] = {}
    for a in stored_alerts(wh, dataset=name):
        alerts[a["subject"]] = alerts.get(a["subject"], 0) + 1
    rows = []
    for ent, nm, tw, ind, cur, prev, in_cur in found:
        if not in_cur or (town and tw != town) or (industry and not str(ind or "").startswith(industry)):
            continue
        if chain and not chains[chain].covers(ind):
            continue
        if q and q not in (nm or "") and q not in ent:
            continue
        rows.append({"enterprise": ent, "name": nm, "town": tw, "industry": ind,
                     "chains": [c.name for c in chains.values() if c.covers(ind)],
                     "current": round(cur or 0.0, 2), "previous": None if prev is None else round(prev, 2),
                     "yoy_pct": round((cur / prev - 1) * 100, 2) if cur is not None and prev else None,
                     "alerts": alerts.get(ent, 0)})
    rows.sort(key=lambda r: -r["current"])
    return {"dataset": name, "period": str(month), "measure": output, "caliber": "enterprise",
            "count": len(rows), "rows": rows[:limit], "sources": sources(wh, name)}
