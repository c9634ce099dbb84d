"""12345热线工单: tickets whose free text embeds personal data the way call-takers write it.

About half of the texts carry a caller's name, phone number (plain, ``138-1234-5678``,
``138 1234 5678`` or ``+86 …``), ID number or home address — the material the redaction and
classification stages must find; the rest are anonymous or describe only a place.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shucang.demo.codes import phone_styles
from shucang.demo.columns import day, group_rank, join, num, pick, timestamps, weighted
from shucang.demo.design import YEARS
from shucang.demo.people import Population
from shucang.demo.places import GAZETTEER, PER_TOWN, TOWN_NAMES, towns_weighted
from shucang.demo.quotas import random_days
from shucang.demo.vocab import HOTLINE_CATEGORIES

TICKETS = 50_000
"""Tickets over 2020–2025 at scale 1."""
YEAR_WEIGHTS = (0.13, 0.15, 0.17, 0.18, 0.18, 0.19)
OUTCOMES = ("已安排人员现场处理完毕", "已督促责任单位限期整改", "已向来电人解释相关政策", "问题已解决",
            "已协调相关单位处理，来电人表示认可", "经核实情况属实，已立案处理")
PHONE_STYLE_WEIGHTS = (0.5, 0.2, 0.2, 0.1)

# Templates: literal text and slots. Slots: name, phone, id, address, place, problem, sir.
TEMPLATES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("市民", "{name}", "来电反映：", "{place}", "附近", "{problem}", "，已持续多日，希望相关部门尽快处理。联系电话",
      "{phone}", "。"), 3.0),
    (("来电人", "{name}", "（身份证号", "{id}", "）咨询", "{problem}", "相关事宜，请相关部门答复。"), 1.0),
    (("{name}", "反映其位于", "{address}", "的住处", "{problem}", "，要求处理，回电", "{phone}", "。"), 2.0),
    (("来电人称", "{place}", "{problem}", "，影响日常生活，请尽快核实处理。"), 2.5),
    (("{name}", "{sir}", "反映：", "{problem}", "。本人电话", "{phone}", "，身份证", "{id}", "，住", "{address}", "。"), 1.0),
    (("匿名来电：", "{place}", "{problem}", "，请相关部门核查。"), 1.5),
)

ASKING = 1
ANONYMOUS = 5


def _fill(parts: tuple[str, ...], slots: dict[str, pa.Array]) -> pa.Array:
    return join(*(slots[p[1:-1]] if p.startswith("{") else p for p in parts))


def hotline_12345(rng: np.random.Generator, scale: float, population: Population,
                  end_day: int | None = None) -> pa.Table:
    """Tickets from 2020 to 2025 (daily cadence) and, when ``end_day`` is later, on at 2025's daily rate
    up to that day (the city feeds run to the latest complete day; drawn after the yearly part, so
    2020–2025 stay the same whatever the date)."""
    n = max(500, round(TICKETS * scale))
    year = np.asarray(YEARS)[weighted(rng, YEAR_WEIGHTS, n)]
    days = random_days(rng, year)
    seconds = rng.integers(7 * 3600, 22 * 3600, n)
    order = np.lexsort((seconds, days))
    yearly = _tickets(rng, days[order], seconds[order], year[order], population)
    first = day(YEARS[-1] + 1)
    if end_day is None or end_day < first:
        return yearly
    count = end_day - first + 1
    m = max(1, round(n * YEAR_WEIGHTS[-1] * count / 365))
    days = first + (rng.random(m) * count).astype(np.int64)
    seconds = rng.integers(7 * 3600, 22 * 3600, m)
    order = np.lexsort((seconds, days))
    recent = _tickets(rng, days[order], seconds[order], np.full(m, YEARS[-1]), population)
    return pa.concat_tables([yearly, recent])


def _tickets(rng: np.random.Generator, days: np.ndarray, seconds: np.ndarray, year: np.ndarray,
             population: Population) -> pa.Table:
    """The tickets received at ``days``/``seconds`` (sorted); ``year`` sets the satisfaction rate."""
    n = len(days)
    serial, _, _ = group_rank(days)

    who = population.take(population.sample(rng, n), ("name", "id_card", "mobile", "address", "gender"))
    towns = towns_weighted(rng, n)
    place = join(pick(TOWN_NAMES, towns),
                 pick(GAZETTEER.roads, towns * PER_TOWN + rng.integers(0, PER_TOWN, n)))
    cat = weighted(rng, [w for *_, w in HOTLINE_CATEGORIES], n)
    problems = [p for _, _, ps, _ in HOTLINE_CATEGORIES for p in ps]
    start = np.cumsum([0] + [len(ps) for _, _, ps, _ in HOTLINE_CATEGORIES])[:-1]
    count = np.array([len(ps) for _, _, ps, _ in HOTLINE_CATEGORIES])
    problem = pick(problems, start[cat] + (rng.random(n) * count[cat]).astype(np.int64))
    styles = weighted(rng, PHONE_STYLE_WEIGHTS, n)
    slots = {
        "name": who["name"], "phone": phone_styles(who["mobile"], styles), "id": who["id_card"],
        "address": who["address"], "place": place, "problem": problem,
        "sir": pc.if_else(pc.equal(who["gender"], "男"), pa.scalar("先生"), pa.scalar("女士")),
    }
    template = weighted(rng, [w for _, w in TEMPLATES], n)
    asking = cat == next(i for i, (c, *_) in enumerate(HOTLINE_CATEGORIES) if c == "咨询")
    template = np.where(asking, ASKING, template)  # questions are written as questions, not as complaints
    pieces, rows = [], []
    for t, (parts, _) in enumerate(TEMPLATES):  # one vectorised fill per template
        idx = np.flatnonzero(template == t)
        taken = {k: pc.take(v, pa.array(idx)) for k, v in slots.items()}
        pieces.append(_fill(parts, taken))
        rows.append(idx)
    content = pc.take(pa.concat_arrays(pieces), pa.array(np.argsort(np.concatenate(rows), kind="stable")))

    dept = pick([d for _, d, _, _ in HOTLINE_CATEGORIES], cat)
    outcome = pick(OUTCOMES, rng.integers(0, len(OUTCOMES), n))
    result = join("已转", dept, "办理。", dept, "回复：经核实，", outcome, "。")
    satisfied = rng.random(n) < (0.84 + 0.02 * (year - YEARS[0]))
    date_text = pc.strftime(pa.array(days.astype(np.int32)).cast(pa.date32()), format="%Y%m%d")
    return pa.table({
        "ticket_no": join("GD", date_text, num(serial + 1, 5)),
        "received_at": timestamps(days * 86_400 + seconds),
        "caller_name": pc.if_else(pa.array(template == ANONYMOUS), pa.scalar(None, pa.string()), who["name"]),
        "caller_phone": who["mobile"],
        "town": pick(TOWN_NAMES, towns),
        "category": pick([c for c, *_ in HOTLINE_CATEGORIES], cat),
        "content": content,
        "handling_department": dept,
        "result": result,
        "satisfied": pa.array(satisfied),
    })

