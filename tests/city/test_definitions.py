"""Signs as data: every bundled sign file is valid, and errors name the file, the line and the field."""

from __future__ import annotations

import pytest

from shucang.city.definitions import BUNDLED_DIR, load_signs, parse_signs
from shucang.errors import InputError

BAD = """signs:
  - id: water_level
    dataset: water_levels
    sql: SELECT station AS grp, level_m AS value FROM water_levels
    red_above: high
    yellow_above: 3
  - id: Bad Id
    dataset: water_levels
    sql: DELETE FROM water_levels
    colour: red
"""


def test_bundled_signs_are_valid_and_unique() -> None:
    signs = load_signs(None)
    assert signs and all(s.origin == "bundled" for s in signs.values())
    assert len({s.id for s in signs.values()}) == len(signs)
    assert any(BUNDLED_DIR.glob("*.yaml"))


def test_errors_name_line_and_field() -> None:
    with pytest.raises(InputError) as info:
        parse_signs(BAD, "bad.yaml")
    message = info.value.message
    assert "bad.yaml:5: signs[0].red_above" in message
    assert "bad.yaml:7: signs[1].id" in message
    assert "bad.yaml:9: signs[1].sql" in message and "SELECT" in message
    assert "bad.yaml:10: signs[1].colour" in message and "未知字段" in message


def test_a_sign_needs_a_band_and_grp_value_columns() -> None:
    text = "signs:\n  - id: x\n    dataset: d\n    sql: SELECT 1 AS n FROM d\n"
    with pytest.raises(InputError) as info:
        parse_signs(text, "x.yaml")
    assert "x.yaml:2: signs[0]" in info.value.message and "threshold" in info.value.message
    assert "grp" in info.value.message and "value" in info.value.message


def test_home_sign_replaces_bundled_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bundled = load_signs(None)
    first = next(iter(bundled.values()))
    (tmp_path / "signs").mkdir()
    (tmp_path / "signs" / "mine.yaml").write_text(
        f"signs:\n  - id: {first.id}\n    dataset: {first.dataset}\n"
        f"    sql: SELECT 'x' AS grp, 1 AS value FROM {first.dataset}\n    red_above: 99\n", encoding="utf-8")
    mine = load_signs(tmp_path)[first.id]
    assert mine.origin == "home" and mine.red_above == 99.0
