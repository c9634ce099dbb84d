"""亩均效益评价 (亩均论英雄): per enterprise and year, five indicators → weighted score → class A/B/C/D.

The method (weights, cap, class shares, who is evaluated) is data: ``data/mujun.yaml``, overridable per
county in ``<home>/economy/mujun.yaml``. Each indicator is scored against the county figure (the sum
over evaluated enterprises divided by the sum of its denominator), capped, and weighted. Enterprises
with an input missing (or a zero denominator) are listed as not evaluable with what is missing — never
estimated; those below the land threshold are listed as not eligible. One SQL query computes the
indicators; ranks and classes follow from the method.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shucang.economy.binding import bound_datasets
from shucang.economy.monthly import reader
from shucang.economy.reference import load_chains
from shucang.economy.roles import normalise_header
from shucang.errors import InputError, NotFound
from shucang.warehouse import Warehouse
from shucang.warehouse.query import quote_identifier as q

INPUTS: dict[str, tuple[str, ...]] = {
    "enterprise": ("统一社会信用代码", "信用代码", "社会信用代码"),
    "name": ("企业名称", "单位详细名称", "单位名称"),
    "year": ("年度", "年份", "评价年度"),
    "land": ("用地面积(亩)", "用地面积", "土地面积(亩)", "占地面积(亩)"),
    "tax": ("税收实际贡献(万元)", "税收实际贡献", "实缴税金(万元)", "税收(万元)"),
    "added_value": ("工业增加值(万元)", "工业增加值", "增加值(万元)"),
    "revenue": ("营业收入(万元)", "营业收入", "主营业务收入(万元)"),
    "rd": ("研发经费(万元)", "研发经费", "R&D经费支出(万元)", "研发费用(万元)"),
    "energy": ("综合能耗(吨标准煤)", "综合能耗", "综合能源消费量(吨标准煤)"),
    "employees": ("年平均职工人数(人)", "年平均职工人数", "从业人员平均人数(人)", "从业人员平均人数"),
}
NEEDS = {"tax_per_mu": ("tax", "land"), "added_value_per_mu": ("added_value", "land"),
         "labour_productivity": ("added_value", "employees"), "added_value_per_energy": ("added_value", "energy"),
         "rd_share": ("rd", "revenue")}
"""Indicator → (numerator, denominator) inputs."""
INPUT_LABELS = {"land": "用地面积", "tax": "税收实际贡献", "added_value": "工业增加值", "revenue": "营业收入",
                "rd": "研发经费", "energy": "综合能耗", "employees": "年平均职工人数"}


def load_method(home: Path | None = None) -> dict[str, Any]:
    text = resources.files("shucang.economy").joinpath("data", "mujun.yaml").read_text(encoding="utf-8")
    method: dict[str, Any] = yaml.safe_load(text)
    path = home / "economy" / "mujun.yaml" if home else None
    if path is not None and path.is_file():
        method.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    unknown = set(method["indicators"]) - set(NEEDS)
    if unknown:
        raise InputError(f"亩均评价方法含未知指标 {', '.join(sorted(unknown))} (unknown indicators)",
                         hint="indicators: " + ", ".join(NEEDS))
    return method


def input_columns(headers: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Role → column of a yearly 亩均 dataset, from its headers (``overrides``: column → role)."""
    found: dict[str, str] = {role: col for col, role in (overrides or {}).items()}
    lookup = {normalise_header(s): role for role, names in INPUTS.items() for s in names}
    for h in headers:
        role = lookup.get(normalise_header(h))
        if role and role not in found:
            found[role] = h
    return found


def default_land_dataset(wh: Warehouse) -> str:
    for d in wh.list_datasets():
        roles = input_columns([c.name for c in wh.columns(d.name)])
        if {"enterprise", "year", "land"} <= set(roles):
            return d.name
    raise NotFound("没有含用地面积的年度数据集 (no yearly dataset with land area)",
                   hint="ingest one with 统一社会信用代码, 年度, 用地面积(亩) … and pass --dataset")


def _attributes(wh: Warehouse, con: Any, spark: Any = None) -> tuple[str, dict[str, Any]]:
    """SQL of (ent, town, industry) from the first bound monthly report (latest report), and its params
    (``spark``: that pass over the whole report computed on Spark, :mod:`shucang.economy.scaleout`)."""
    from shucang.economy.monthly import Source

    found = bound_datasets(wh)
    if not found:
        return "SELECT NULL::VARCHAR AS ent, NULL::VARCHAR AS town, NULL::VARCHAR AS industry WHERE FALSE", {}
    version = wh.dataset(found[0].dataset).current_version
    if spark is not None and version is not None:
        from shucang.economy.scaleout import SparkSource

        on_spark = SparkSource(wh, con, found[0], spark, version)
        return on_spark.relation(f"SELECT ent, arg_max(town, ym) AS town, arg_max(industry, ym) AS industry FROM "
                                 f"({on_spark.monthly([])}) GROUP BY ent"), {}
    src = Source(wh, con, found[0])
    return (f"SELECT ent, arg_max(town, ym) AS town, arg_max(industry, ym) AS industry FROM ({src.monthly([])}) "
            "GROUP BY ent"), src.params


def evaluate(wh: Warehouse, year: int | None = None, *, dataset: str | None = None,
             overrides: dict[str, str] | None = None, spark: Any = None) -> dict[str, Any]:
    """The evaluation of one year (default: the latest in the data) — see the module docstring; ``spark``: a
    Spark session for the pass over the monthly report (see :func:`_attributes`)."""
    dataset = dataset or default_land_dataset(wh)
    method = load_method(wh.settings.home)
    cols = input_columns([c.name for c in wh.columns(dataset)], overrides)
    missing_roles = [r for r in ("enterprise", "year", "land") if r not in cols]
    if missing_roles:
        raise InputError(f"数据集 {dataset} 缺少 {', '.join(missing_roles)} 列 (columns not recognised)",
                         hint="name them with --map COLUMN=ROLE; roles: " + ", ".join(INPUTS))

    def col(role: str, kind: str = "num") -> str:
        if role not in cols:
            return "CAST(NULL AS DOUBLE)" if kind == "num" else "CAST(NULL AS VARCHAR)"
        c = q(cols[role])
        return f"TRY_CAST({c} AS DOUBLE)" if kind == "num" else f"CAST({c} AS VARCHAR)"

    with reader(wh) as con:
        attrs, params = _attributes(wh, con, spark)
        years = [int(r[0]) for r in con.execute(f"SELECT DISTINCT TRY_CAST({q(cols['year'])} AS INTEGER) FROM "
                                                  f"{q(dataset)} WHERE {q(cols['year'])} IS NOT NULL ORDER BY 1")
                 .fetchall() if r[0] is not None]
        if not years:
            raise NotFound(f"数据集 {dataset} 没有年度数据 (no years in the data)")
        year = year or years[-1]
        if year not in years:
            raise NotFound(f"{dataset} 没有 {year} 年的数据 (no data for that year)", hint=f"years: {years}")
        inputs = ["land", "tax", "added_value", "revenue", "rd", "energy", "employees"]
        sql = (f"WITH a AS ({attrs}), y AS (SELECT {col('enterprise', 'text')} AS ent, {col('name', 'text')} AS name, "
               + ", ".join(f"{col(r)} AS {r}" for r in inputs)
               + f" FROM {q(dataset)} WHERE TRY_CAST({q(cols['year'])} AS INTEGER) = $year) "
               "SELECT y.*, a.town, a.industry FROM y LEFT JOIN a USING (ent) ORDER BY ent")
        cur = con.execute(sql, {**params, "year": year})
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return score_rows(rows, method, year, dataset, wh)


def score_rows(rows: list[dict[str, Any]], method: dict[str, Any], year: int, dataset: str,
               wh: Warehouse | None = None) -> dict[str, Any]:
    """Eligibility, completeness, indicators against the county figure, score and class (a few thousand rows)."""
    threshold = float(method.get("eligible", {}).get("min_land_mu", 0))
    indicators: dict[str, dict[str, Any]] = method["indicators"]
    evaluable, not_evaluable, not_eligible = [], [], []
    for r in rows:
        needed = {i for k in indicators for i in NEEDS[k]}
        missing = sorted(i for i in needed if r.get(i) is None)
        zero = sorted(NEEDS[k][1] for k in indicators if r.get(NEEDS[k][1]) == 0)
        if r.get("land") is not None and r["land"] < threshold:
            not_eligible.append({**_ident(r), "land": r["land"], "reason": f"用地面积 {r['land']} 亩 < {threshold:g} 亩"})
        elif missing or zero:
            not_evaluable.append({**_ident(r), "missing": [INPUT_LABELS[m] for m in missing],
                                  "zero": [INPUT_LABELS[z] for z in zero],
                                  "reason": "缺少" + "、".join(INPUT_LABELS[m] for m in missing) if missing
                                  else "为零：" + "、".join(INPUT_LABELS[z] for z in zero)})
        else:
            evaluable.append(r)
    county = {k: _ratio(sum(r[NEEDS[k][0]] for r in evaluable), sum(r[NEEDS[k][1]] for r in evaluable),
                        100 if k == "rd_share" else 1) for k in indicators}
    cap = float(method.get("cap", 3))
    out = []
    for r in evaluable:
        values = {k: _ratio(r[NEEDS[k][0]], r[NEEDS[k][1]], 100 if k == "rd_share" else 1) for k in indicators}
        points = {k: _points(values[k], county[k], cap, float(v["weight"])) for k, v in indicators.items()}
        out.append({**_ident(r), "town": r.get("town"), "industry": r.get("industry"), "land": r["land"],
                    **{k: None if v is None else round(v, 4) for k, v in values.items()},
                    "points": points, "score": round(sum(points.values()), 2)})
    out.sort(key=lambda e: (-e["score"], e["enterprise"]))
    classes = method["classes"]
    bounds, acc = [], 0.0
    for name, spec in classes.items():
        acc += float(spec["share"])
        bounds.append((name, round(acc * len(out))))
    for rank, e in enumerate(out, start=1):
        e["rank"] = rank
        e["class"] = next((name for name, upto in bounds if rank <= upto), list(classes)[-1])
    chains = load_chains(wh.settings.home if wh else None)
    for e in out:
        e["chains"] = [c.name for c in chains if c.covers(e.get("industry"))]
    sources = [{"dataset": dataset, "version": wh.dataset(dataset).current_version}] if wh else []
    return {"year": year, "dataset": dataset, "sources": sources, "method": method,
            "county": {k: None if v is None else round(v, 4) for k, v in county.items()},
            "evaluated": out, "not_evaluable": not_evaluable, "not_eligible": not_eligible,
            "distribution": {"town": _distribution(out, "town"), "chain": _distribution(out, "chains"),
                             "total": _counts(out)}}


def _points(value: float | None, county: float | None, cap: float, weight: float) -> float:
    """min(value ÷ county figure, cap) × weight; a negative value scores 0."""
    if not county:
        return 0.0
    return round(min(max(value or 0.0, 0.0) / county, cap) * weight, 4)


def _ident(r: dict[str, Any]) -> dict[str, Any]:
    return {"enterprise": r.get("ent"), "name": r.get("name")}


def _ratio(num: float | None, den: float | None, factor: float) -> float | None:
    return None if num is None or not den else num / den * factor


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"A": 0, "B": 0, "C": 0, "D": 0}
    for r in rows:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    return {**counts, "enterprises": len(rows)}


def _distribution(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        names = r.get(key) if key == "chains" else [r.get(key) or "（未知）"]
        for g in names or []:
            groups.setdefault(str(g), []).append(r)
    return [{"group": g, **_counts(rs)} for g, rs in sorted(groups.items(), key=lambda kv: -len(kv[1]))]


LIST_COLUMNS = [("rank", "排名"), ("enterprise", "统一社会信用代码"), ("name", "企业名称"), ("town", "镇街"),
                ("industry", "行业代码"), ("land", "用地面积(亩)"), ("tax_per_mu", "亩均税收(万元/亩)"),
                ("added_value_per_mu", "亩均增加值(万元/亩)"), ("labour_productivity", "全员劳动生产率(万元/人)"),
                ("added_value_per_energy", "单位能耗增加值(万元/吨标准煤)"), ("rd_share", "R&D占比(%)"),
                ("score", "综合得分"), ("class", "分类")]


def to_xlsx_file(wh: Warehouse, out: dict[str, Any], *, exported_by: str = "–") -> bytes:
    """The evaluation list (evaluated, then not evaluable and not eligible with the reason) as XLSX."""
    from shucang.economy.export import to_xlsx

    rows = [*out["evaluated"], *({**r, "class": "不可评价：" + r["reason"]} for r in out["not_evaluable"]),
            *({**r, "class": "不参评：" + r["reason"]} for r in out["not_eligible"])]
    return to_xlsx(f"{out['year']}年度工业企业亩均效益评价", LIST_COLUMNS, rows, period=str(out["year"]),
                   caliber=str(out["method"].get("source", "")), sources=out["sources"],
                   synthetic=wh.dataset(out["dataset"]).synthetic, exported_by=exported_by)


def visible_evaluation(wh: Warehouse, actor: Any, year: int | None = None) -> dict[str, Any]:
    """:func:`evaluate` as ``actor`` may see it: the lists only for callers allowed to see single
    enterprises (of both the yearly and the monthly dataset); for others, the distribution with groups
    of fewer than five enterprises left out (admins see everything)."""
    from shucang.economy.binding import default_dataset
    from shucang.economy.visibility import MIN_GROUP, can_see_enterprises

    out = evaluate(wh, year)
    try:
        monthly = default_dataset(wh, None)
    except NotFound:
        monthly = out["dataset"]
    if can_see_enterprises(wh, actor, monthly) and can_see_enterprises(wh, actor, out["dataset"]):
        return out
    out = {**out, "evaluated": [], "not_evaluable": [], "not_eligible": [], "enterprise_list_hidden": True}
    if getattr(actor, "role", None) != "admin":
        for key in ("town", "chain"):
            out["distribution"][key] = [g for g in out["distribution"][key] if g["enterprises"] >= MIN_GROUP]
    return out
