"""Unit tests of the cockpit's pure parts: number formats, tables, sparklines, the map, the catalogue."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shucang.share.titleblock import TitleBlock, spreadsheet_value
from shucang.web import numbers
from shucang.web.cixi_map import TOWNS, build_map, project
from shucang.web.exports import to_csv
from shucang.web.plan_data import SPARK_H, SPARK_W, sparkline
from shucang.web.tables import Column, Table


def test_chinese_number_conventions() -> None:
    assert numbers.fmt_value(115.71, "亿元", "zh") == "115.71 亿元"
    assert numbers.fmt_value(81.6, "%", "zh") == "81.6%"
    assert numbers.fmt_value(9271, "家", "zh") == "9,271 家"
    assert numbers.fmt_value(16.6, "万元/人", "en") == "16.6 ×10k yuan/person"
    assert numbers.fmt_value(None, "家", "zh") == "–"
    assert numbers.fmt_value(float("nan"), "家", "zh") == "–"
    assert numbers.fmt_count(1_000_000, "zh") == "100万"
    assert numbers.fmt_count(123_456_789, "zh") == "1.23亿"
    assert numbers.fmt_count(1_000_000, "en") == "1,000,000"
    assert numbers.fmt_wan_yuan(776580, "zh") == "77.66 亿元"
    assert numbers.fmt_wan_yuan(5230, "zh") == "5,230 万元"
    assert numbers.fmt_ratio(0.732, "zh") == "73.2%"


@given(st.text())
@settings(deadline=None)
def test_neutralised_cells_never_start_like_a_formula(text: str) -> None:
    out = str(spreadsheet_value(text))
    plain_number = re.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", text) is not None
    assert plain_number or not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out in (text, "'" + text)


def test_csv_keeps_numbers_and_neutralises_text() -> None:
    table = Table("t", "T", [Column("a", "A"), Column("b", "B")], [{"a": "=1+2", "b": 3.5}, {"a": "@x", "b": None}])
    block = TitleBlock(subject="=cmd", period="2026", sources="d v1", exported_at="2026-12-07 11:00",
                       exported_by="@who", label="真实数据")
    rows = list(csv.reader(io.StringIO(to_csv(table, block).decode("utf-8-sig"))))
    assert rows[0] == ["导出内容", "'=cmd"] and ["导出人", "'@who"] in rows
    assert rows[rows.index([]) + 1:] == [["A", "B"], ["'=1+2", "3.5"], ["'@x", ""]]


@given(st.lists(st.tuples(st.integers(2015, 2030), st.floats(-1e9, 1e9)), min_size=1, max_size=12),
       st.one_of(st.none(), st.floats(-1e9, 1e9)))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_sparkline_stays_inside_its_box(points: list[tuple[int, float]], target: float | None) -> None:
    spark = sparkline(points, target, "x")
    assert spark is not None
    for pair in spark.points.split():
        x, y = map(float, pair.split(","))
        assert -5 <= x <= SPARK_W + 0.01 and 0 <= y <= SPARK_H
    if target is not None:
        assert spark.target_y is not None and 0 <= spark.target_y <= SPARK_H


def test_sparkline_rises_for_rising_values() -> None:
    spark = sparkline([(2020, 1.0), (2021, 2.0), (2022, 3.0)], None, "x")
    ys = [float(p.split(",")[1]) for p in spark.points.split()]
    assert ys[0] > ys[1] > ys[2]  # SVG y grows downwards
    assert sparkline([], 5, "x") is None


def test_map_projection_keeps_geography() -> None:
    west, east = project(*TOWNS["周巷镇"]), project(*TOWNS["龙山镇"])
    north, south = project(*TOWNS["庵东镇"]), project(*TOWNS["匡堰镇"])
    assert west[0] < east[0] and north[1] < south[1]
    drawn = build_map([("a", "A", ["周巷镇", "长河镇"]), ("b", "B", ["龙山镇"]), ("c", "C", ["无此镇"])])
    assert [z.id for z in drawn.zones] == ["a", "b"]
    assert drawn.zones[1].dot and not drawn.zones[0].dot
    assert len(drawn.towns) == 20


def test_every_ui_string_has_a_chinese_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    from shucang.web.i18n import gettext, translations

    web = Path(__file__).parents[2] / "src" / "shucang" / "web"
    translations.cache_clear()
    found = 0
    for filename, _line, msg, _comments, _ctx in extract_from_dir(
            str(web), [("**.py", "python"), ("**/templates/**.html", "jinja2")],
            {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords={"_": None, "gettext": (2,), "N_": None}):
        if filename.startswith(("share_views", "templates/share", "templates/opendata")):
            continue
        text = msg[0] if isinstance(msg, tuple) else msg
        found += 1
        assert gettext("zh", text) != text or not any(c.isalpha() and c.isascii() for c in text), text
    assert found > 150
    assert gettext("en", "Overview") == "Overview"


def test_lang_normalisation() -> None:
    from shucang.web.i18n import normalise_lang

    assert normalise_lang("zh-CN") == "zh" and normalise_lang("EN_us") == "en"
    assert normalise_lang("fr") is None and normalise_lang(None) is None
