"""Report charts: a CJK font is found when installed; without one the chart still comes out (ASCII labels)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from shucang.plan import charts

ROW = {"id": "digital_core_value_added", "name": "全市数字经济核心产业增加值", "unit": "亿元", "plan_id": "b",
       "baseline": 115.71, "baseline_year": 2020, "target": 330.0, "target_year": 2025,
       "series": [{"year": 2018, "value": 90.0, "plan": "a"}, {"year": 2021, "value": 138.5, "plan": "b"},
                  {"year": 2023, "value": 191.1, "plan": "b"}]}


def test_chart_with_the_installed_cjk_font() -> None:
    charts.cjk_font.cache_clear()
    if charts.cjk_font() is None:
        pytest.skip("no CJK font installed here (apt-get install fonts-wqy-microhei)")
    png = charts.indicator_chart(ROW)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_without_a_cjk_font_the_chart_falls_back_with_a_warning(monkeypatch: Any,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(charts, "CJK_NAMES", ("No Such CJK Font",))
    monkeypatch.setattr(charts, "FONT_DIRS", ())
    charts.cjk_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="shucang.plan"):
            png = charts.indicator_chart(ROW)  # filterwarnings=error: no glyph warning may escape
        assert png[:4] == b"\x89PNG"
        assert any("no CJK font" in r.getMessage() for r in caplog.records)
    finally:
        charts.cjk_font.cache_clear()
