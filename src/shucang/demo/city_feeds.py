"""Synthetic feeds of the 专栏12 city systems for the 城市大脑 demo: 智慧水利 water levels, air quality,
数字公路 traffic counts and power load — hourly, per station, for the 60 days up to the latest complete
day (the day before the build date, as the economy demo ends at the latest complete month; never
before 2025-12-31, the yearly data's last day) — plus the daily 市场主体 changes of the 365 days up to
it and the 12345 ticket flow. Fixed trailing windows: the build takes as long whatever the date.

Each feed has a designed situation on the last day so the bundled signs show every band: a river
gauge rising over its warning level, a reservoir close to it, one air station with a pollution
episode, a checkpoint with unusual traffic, towns whose evening peak nears the substation capacity.
Sizes do not depend on ``scale`` (a few thousand rows each). Deterministic per random stream and
end day.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from shucang.demo.columns import dates, day, pick, timestamps

DAYS = 60
HOURS = DAYS * 24
ENTERPRISE_DAYS = 365
YEARLY_END = day(2025, 12, 31)
"""The last day of the yearly (2020–2025) demo data: the feeds never end before it."""


def last_complete_day(as_of: date | None = None) -> int:
    """The day before ``as_of`` (default: today) as days since 1970 — the latest complete day, decided
    from the date as ``economy.last_complete_month`` decides the month — but not before 2025-12-31."""
    d = (as_of or date.today()) - timedelta(days=1)
    return max(day(d.year, d.month, d.day), YEARLY_END)

WATER_STATIONS = (  # name, kind, town, normal level (m), warning level (m), situation on the last day
    ("四灶浦水库", "水库", "掌起镇", 9.2, 10.5, "near"),
    ("梅湖水库", "水库", "匡堰镇", 14.1, 16.0, "calm"),
    ("上林湖水库", "水库", "桥头镇", 21.3, 23.0, "calm"),
    ("杜湖水库", "水库", "观海卫镇", 18.6, 20.5, "calm"),
    ("潮塘江浒山闸", "河道", "浒山街道", 2.4, 3.2, "over"),
    ("淞浦江周巷站", "河道", "周巷镇", 2.1, 3.0, "calm"),
    ("新城河宗汉站", "河道", "宗汉街道", 2.2, 3.1, "calm"),
    ("三八江崇寿站", "河道", "崇寿镇", 2.0, 2.9, "calm"),
)
AIR_STATIONS = (("慈溪市监测站", "浒山街道", 0), ("白沙路子站", "白沙路街道", 0), ("周巷子站", "周巷镇", 0),
                ("观海卫子站", "观海卫镇", 0), ("庵东子站", "庵东镇", 1), ("龙山子站", "龙山镇", 0))
"""(station, town, episode on the last day)."""
CHECKPOINTS = (("G92杭州湾环线慈溪段", "宗汉街道", 1800, 0), ("329国道周巷卡口", "周巷镇", 900, 0),
               ("杭州湾跨海大桥南岸", "庵东镇", 2400, 1), ("中横线坎墩卡口", "坎墩街道", 700, 0),
               ("慈东大道掌起卡口", "掌起镇", 600, 0), ("三北大街浒山卡口", "浒山街道", 1100, 0))
"""(checkpoint, town, vehicles per hour at the daily peak, unusual last day)."""
POWER_TOWNS = (("浒山街道", 180.0, 0.70), ("白沙路街道", 150.0, 0.72), ("古塘街道", 120.0, 0.74),
               ("周巷镇", 160.0, 0.93), ("观海卫镇", 140.0, 0.88), ("庵东镇", 110.0, 0.76),
               ("龙山镇", 130.0, 0.71), ("宗汉街道", 125.0, 0.79))
"""(town, substation capacity MW, peak load share of capacity on the last day)."""


def _hours(end_day: int) -> np.ndarray:
    start = (end_day - DAYS + 1) * 86_400
    return start + np.arange(HOURS, dtype=np.int64) * 3600


def _cycle(hours: np.ndarray, peak_hour: float) -> np.ndarray:
    """A daily wave peaking at ``peak_hour`` (0..1)."""
    hour = (hours // 3600) % 24
    return 0.5 + 0.5 * np.cos((hour - peak_hour) / 24 * 2 * np.pi)


def water_levels(rng: np.random.Generator, end_day: int = YEARLY_END) -> pa.Table:
    """智慧水利: hourly levels of reservoirs and river gauges with their warning levels."""
    hours = _hours(end_day)
    cols: dict[str, list[pa.Array]] = {k: [] for k in ("station_id", "station_name", "station_kind", "town",
                                                       "measured_at", "level_m", "warning_level_m")}
    for i, (name, kind, town, normal, warning, situation) in enumerate(WATER_STATIONS):
        tide = 0.15 * np.sin(hours / 3600 / 12.4 * 2 * np.pi) if kind == "河道" else 0.0
        drift = np.cumsum(rng.normal(0, 0.01, HOURS))
        level = normal + tide + drift - drift.mean() + rng.normal(0, 0.02, HOURS)
        # the last day and a half: heavy rain upstream raises two gauges
        ramp = np.clip((np.arange(HOURS) - (HOURS - 36)) / 30, 0, 1)
        if situation == "over":
            level = level + ramp * (warning - normal + 0.25)
        elif situation == "near":
            level = level + ramp * (warning - normal - 0.2)
        n = HOURS
        cols["station_id"].append(pa.array([f"SW{i + 1:03d}"] * n))
        cols["station_name"].append(pa.array([name] * n))
        cols["station_kind"].append(pa.array([kind] * n))
        cols["town"].append(pa.array([town] * n))
        cols["measured_at"].append(timestamps(hours))
        cols["level_m"].append(pa.array(np.round(level, 2)))
        cols["warning_level_m"].append(pa.array(np.full(n, warning)))
    return pa.table({k: pa.concat_arrays(v) for k, v in cols.items()})


def air_quality(rng: np.random.Generator, end_day: int = YEARLY_END) -> pa.Table:
    """Hourly AQI and PM2.5 per monitoring station."""
    hours = _hours(end_day)
    n = HOURS
    out: dict[str, list[pa.Array]] = {k: [] for k in ("station_name", "town", "measured_at", "aqi", "pm25")}
    regional = 55 + 20 * np.sin(np.arange(n) / (24 * 9) * 2 * np.pi) + np.cumsum(rng.normal(0, 1.2, n)) * 0.3
    for name, town, episode in AIR_STATIONS:
        aqi = regional + 10 * _cycle(hours, 8) + rng.normal(0, 6, n)
        if episode:
            aqi = aqi + np.where(np.arange(n) >= n - 24, 130, 0)  # a burning / dust episode on the last day
        aqi = np.clip(np.round(aqi), 10, 500)
        out["station_name"].append(pa.array([name] * n))
        out["town"].append(pa.array([town] * n))
        out["measured_at"].append(timestamps(hours))
        out["aqi"].append(pa.array(aqi.astype(np.int64)))
        out["pm25"].append(pa.array(np.round(aqi * 0.68 + rng.normal(0, 3, n), 1)))
    return pa.table({k: pa.concat_arrays(v) for k, v in out.items()})


def traffic_counts(rng: np.random.Generator, end_day: int = YEARLY_END) -> pa.Table:
    """数字公路: vehicles per hour and mean speed at road checkpoints."""
    hours = _hours(end_day)
    n = HOURS
    weekday = ((hours // 86_400) + 3) % 7  # Monday = 0
    out: dict[str, list[pa.Array]] = {k: [] for k in ("checkpoint", "town", "counted_at", "vehicles", "avg_speed_kmh")}
    for name, town, peak, unusual in CHECKPOINTS:
        shape = 0.15 + 0.85 * (0.6 * _cycle(hours, 8) ** 3 + 0.4 * _cycle(hours, 17.5) ** 3)
        week = np.where(weekday >= 5, 0.8, 1.0)
        vehicles = peak * shape * week * rng.normal(1, 0.04, n)
        if unusual:
            vehicles = vehicles * np.where(np.arange(n) >= n - 24, 1.55, 1.0)  # holiday traffic on the bridge
        speed = np.clip(75 - 40 * (vehicles / (peak * 1.6)) ** 2 + rng.normal(0, 2, n), 8, 90)
        out["checkpoint"].append(pa.array([name] * n))
        out["town"].append(pa.array([town] * n))
        out["counted_at"].append(timestamps(hours))
        out["vehicles"].append(pa.array(np.round(vehicles).astype(np.int64)))
        out["avg_speed_kmh"].append(pa.array(np.round(speed, 1)))
    return pa.table({k: pa.concat_arrays(v) for k, v in out.items()})


def power_load(rng: np.random.Generator, end_day: int = YEARLY_END) -> pa.Table:
    """Hourly load of each town's substations against their capacity (MW)."""
    hours = _hours(end_day)
    n = HOURS
    out: dict[str, list[pa.Array]] = {k: [] for k in ("town", "measured_at", "load_mw", "capacity_mw")}
    for town, capacity, last_peak in POWER_TOWNS:
        base_peak = 0.68 + rng.uniform(-0.04, 0.04)
        daily = 0.45 + 0.55 * (0.5 * _cycle(hours, 10) + 0.5 * _cycle(hours, 19))
        daily = daily / daily.max()  # 1.0 at the daily peak
        peak_share = np.where(np.arange(n) >= n - 24, last_peak, base_peak)  # a cold snap: heating load
        load = capacity * peak_share * daily * rng.normal(1, 0.015, n)
        out["town"].append(pa.array([town] * n))
        out["measured_at"].append(timestamps(hours))
        out["load_mw"].append(pa.array(np.round(load, 1)))
        out["capacity_mw"].append(pa.array(np.full(n, capacity)))
    return pa.table({k: pa.concat_arrays(v) for k, v in out.items()})


def hotline_flow(rng: np.random.Generator, tickets: pa.Table, end_day: int = YEARLY_END) -> pa.Table:
    """The 12345 ticket flow (全畅通): 受理 → 派单 → 签收 → 办结 → 回访 times and the deadline of each
    ticket of ``hotline_12345``. One department is designed slow; tickets of the last days are open."""
    n = tickets.num_rows
    received = tickets.column("received_at").cast(pa.int64()).to_numpy() // 1_000_000
    dept = tickets.column("handling_department").to_pylist()
    slow = np.array([d in ("市住房和城乡建设局", "市综合行政执法局") for d in dept])
    category = tickets.column("category").to_pylist()
    limit_days = np.array([1 if c == "咨询" else 5 for c in category])
    dispatched = received + rng.integers(300, 4 * 3600, n)
    signed = dispatched + rng.integers(600, 12 * 3600, n)
    work = rng.lognormal(np.log(2.2 * 86_400), 0.5, n) * np.where(slow, 2.4, 1.0) * np.where(limit_days == 1, 0.08, 1)
    finished = signed + work.astype(np.int64)
    visited = finished + rng.integers(3600, 3 * 86_400, n)
    end = (end_day + 1) * 86_400
    finished_known = finished <= end
    visited_known = visited <= end
    signed_known = signed <= end
    return pa.table({
        "ticket_no": tickets.column("ticket_no"),
        "town": tickets.column("town"),
        "category": tickets.column("category"),
        "handling_department": tickets.column("handling_department"),
        "received_at": tickets.column("received_at"),
        "dispatched_at": pa.array(np.where(dispatched <= end, dispatched, 0) * 1_000_000,
                                  mask=dispatched > end).cast(pa.timestamp("us")),
        "signed_at": pa.array(np.where(signed_known, signed, 0) * 1_000_000, mask=~signed_known).cast(pa.timestamp("us")),
        "finished_at": pa.array(np.where(finished_known, finished, 0) * 1_000_000,
                                mask=~finished_known).cast(pa.timestamp("us")),
        "visited_at": pa.array(np.where(visited_known, visited, 0) * 1_000_000,
                               mask=~visited_known).cast(pa.timestamp("us")),
        "time_limit_days": pa.array(limit_days.astype(np.int64)),
        "status": pick(("办理中", "已办结", "已回访"), np.where(visited_known, 2, np.where(finished_known, 1, 0))),
    })


ENTERPRISE_TOWNS = ("浒山街道", "白沙路街道", "古塘街道", "坎墩街道", "宗汉街道", "龙山镇", "掌起镇", "观海卫镇",
                    "附海镇", "桥头镇", "匡堰镇", "逍林镇", "新浦镇", "胜山镇", "横河镇", "崇寿镇", "庵东镇",
                    "长河镇", "周巷镇", "天元镇")
WAVE_TOWN = "龙山镇"
"""The town where a wave of cancellations (注销) starts in the last weeks of the demo."""


def enterprise_changes(rng: np.random.Generator, end_day: int = YEARLY_END) -> pa.Table:
    """市场主体变动日报: registrations (设立) and cancellations (注销) per town and day, the last 365 days."""
    days = np.arange(end_day - ENTERPRISE_DAYS + 1, end_day + 1)
    weekday = (days + 3) % 7
    workday = np.where(weekday >= 5, 0.25, 1.0)
    rows: dict[str, list[pa.Array]] = {k: [] for k in ("change_date", "town", "change_type", "entities")}
    for i, town in enumerate(ENTERPRISE_TOWNS):
        size = 1.0 + 0.8 * ((i * 7) % 5) / 4
        setup = rng.poisson(6.0 * size * workday)
        cancel_rate = np.full(days.size, 3.0 * size)
        if town == WAVE_TOWN:
            cancel_rate = np.where(days > end_day - 30, 9.0 * size, cancel_rate)
        cancel = rng.poisson(cancel_rate * workday)
        for kind, counts in (("设立", setup), ("注销", cancel)):
            rows["change_date"].append(dates(days))
            rows["town"].append(pa.array([town] * days.size))
            rows["change_type"].append(pa.array([kind] * days.size))
            rows["entities"].append(pa.array(counts.astype(np.int64)))
    return pa.table({k: pa.concat_arrays(v) for k, v in rows.items()})
