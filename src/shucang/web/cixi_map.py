"""A schematic map of Cixi (示意图) drawn as SVG from coarse public coordinates — no online tiles.

The outline and the town points are rounded to about 0.01° (≈ 1 km) and only meant to place the six
zones of "一核二带三园" relative to each other; the page says so. A zone is drawn as a rounded blob
around its towns (its convex hull stroked with a wide round pen), so the plan file decides which
towns belong to which zone and the map follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# (longitude, latitude), rounded; the northern edge is the Hangzhou Bay shore.
OUTLINE: tuple[tuple[float, float], ...] = (
    (121.03, 30.13), (121.02, 30.20), (121.05, 30.245), (121.12, 30.30), (121.17, 30.33),
    (121.23, 30.345), (121.30, 30.32), (121.36, 30.28), (121.42, 30.255), (121.49, 30.235),
    (121.56, 30.205), (121.57, 30.15), (121.52, 30.12), (121.44, 30.105), (121.35, 30.075),
    (121.27, 30.06), (121.20, 30.085), (121.12, 30.105),
)

TOWNS: dict[str, tuple[float, float]] = {
    "浒山街道": (121.245, 30.172), "白沙路街道": (121.265, 30.195), "古塘街道": (121.222, 30.165),
    "坎墩街道": (121.205, 30.205), "宗汉街道": (121.168, 30.192), "龙山镇": (121.500, 30.170),
    "掌起镇": (121.410, 30.160), "观海卫镇": (121.340, 30.172), "附海镇": (121.318, 30.228),
    "桥头镇": (121.298, 30.135), "匡堰镇": (121.272, 30.105), "逍林镇": (121.240, 30.232),
    "新浦镇": (121.285, 30.262), "胜山镇": (121.192, 30.242), "横河镇": (121.178, 30.138),
    "崇寿镇": (121.140, 30.262), "庵东镇": (121.195, 30.300), "长河镇": (121.110, 30.212),
    "周巷镇": (121.070, 30.180), "天元镇": (121.118, 30.160),
}
"""The 20 towns and streets (镇街) of the demo data, at coarse public coordinates."""

ZONE_COLOURS = ("#d1495b", "#0b6fd6", "#e07b00", "#1f8a4c", "#8e44ad", "#16a5a5")
"""Zone fills in plan order (each zone is also named in text, never by colour alone)."""

WIDTH, HEIGHT, MARGIN = 800.0, 520.0, 30.0
_LON0, _LON1, _LAT0, _LAT1 = 121.0, 121.6, 30.04, 30.36
_COS = math.cos(math.radians(30.2))
_SCALE = min((WIDTH - 2 * MARGIN) / ((_LON1 - _LON0) * _COS), (HEIGHT - 2 * MARGIN) / (_LAT1 - _LAT0))


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular projection at Cixi's latitude, in SVG pixels (north up)."""
    x = MARGIN + (lon - _LON0) * _COS * _SCALE
    y = MARGIN + (_LAT1 - lat) * _SCALE
    return round(x, 1), round(y, 1)


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain); fewer than three points come back as they are."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


@dataclass
class MapZone:
    """One zone as drawn: where its blob and label go."""

    id: str
    name: str
    colour: str
    towns: list[str]
    path: str
    """SVG path data of the blob's skeleton (stroked wide with round joins)."""
    label_x: float
    label_y: float
    dot: bool
    """True when the zone has one point only (drawn as a circle at label_x/label_y)."""
    short: str = ""
    """Short label drawn on the map (the full name is in the link's title)."""


@dataclass
class MapTown:
    name: str
    x: float
    y: float


@dataclass
class CixiMap:
    width: float
    height: float
    outline: str
    towns: list[MapTown]
    zones: list[MapZone]


def build_map(zones: list[tuple[str, str, list[str]]]) -> CixiMap:
    """Lay out ``(zone id, zone name, towns)`` on the schematic map; unknown towns are skipped."""
    outline = "M " + " L ".join(f"{x} {y}" for x, y in (project(*p) for p in OUTLINE)) + " Z"
    towns = [MapTown(name, *project(*coord)) for name, coord in TOWNS.items()]
    drawn: list[MapZone] = []
    for index, (zone_id, name, zone_towns) in enumerate(zones):
        points = [project(*TOWNS[t]) for t in zone_towns if t in TOWNS]
        if not points:
            continue
        hull = _hull(points)
        cx = round(sum(p[0] for p in hull) / len(hull), 1)
        cy = round(sum(p[1] for p in hull) / len(hull), 1)
        path = "M " + " L ".join(f"{x} {y}" for x, y in hull) + (" Z" if len(hull) > 2 else "")
        drawn.append(MapZone(zone_id, name, ZONE_COLOURS[index % len(ZONE_COLOURS)],
                             [t for t in zone_towns if t in TOWNS], path, cx, cy, len(hull) == 1))
    return CixiMap(WIDTH, HEIGHT, outline, towns, drawn)


@dataclass
class TownTile:
    """One town as a square of a tile map (行政区划方块图): its grid cell, roughly where it lies."""

    name: str
    col: int
    row: int


def tile_layout(cell: float = 66.0) -> list[TownTile]:
    """The towns snapped to a grid of ``cell`` SVG units, keeping their relative positions.

    On a wall the towns' real outlines would be too small to read and their labels would overlap,
    so each town becomes one equal square (a tile map); a town whose cell is taken moves to the
    nearest free cell. Rows and columns left empty are dropped so the map stays compact.
    """
    points = {name: project(*coord) for name, coord in TOWNS.items()}
    x0 = min(p[0] for p in points.values())
    y0 = min(p[1] for p in points.values())
    taken: dict[tuple[int, int], str] = {}
    # Place towns nearest to the centre of mass first so the dense middle keeps its shape.
    cx = sum(p[0] for p in points.values()) / len(points)
    cy = sum(p[1] for p in points.values()) / len(points)
    for name, (x, y) in sorted(points.items(), key=lambda kv: (kv[1][0] - cx) ** 2 + (kv[1][1] - cy) ** 2):
        want = (round((x - x0) / cell), round((y - y0) / cell))
        free = [(c, r) for c in range(want[0] - 3, want[0] + 4) for r in range(max(0, want[1] - 3), want[1] + 4)
                if (c, r) not in taken and c >= 0]
        best = min(free, key=lambda cr: ((cr[0] * cell + x0 - x) ** 2 + (cr[1] * cell + y0 - y) ** 2, cr))
        taken[best] = name
    cols = sorted({c for c, _ in taken})
    rows = sorted({r for _, r in taken})
    return sorted((TownTile(name, cols.index(c), rows.index(r)) for (c, r), name in taken.items()),
                  key=lambda t: (t.row, t.col))
