"""The values the request form's condition builder offers come from the sharing stage, which offers
only level-1 columns of few values, of datasets the caller may see (shucang.share.choices)."""

from __future__ import annotations

from typing import Any

import pytest

from shucang.errors import NotFound
from shucang.share.access import PUBLIC
from shucang.share.choices import offered_values

from .conftest import PEOPLE_LEVELS, TOWNS, actor_of


def test_a_requester_without_a_grant_is_offered_only_level_one_values(wh: Any) -> None:
    offered = offered_values(wh, actor_of(wh, "bob"), "people")
    assert offered["town"] == sorted(TOWNS)
    assert {c for c in offered if PEOPLE_LEVELS[c][1] > 1} == set()  # no name, id card, age or income
    assert set(offered) <= {c for c, (_t, level) in PEOPLE_LEVELS.items() if level == 1}


def test_columns_with_many_values_are_not_offered(wh: Any) -> None:
    offered = offered_values(wh, actor_of(wh, "bob"), "people", limit=3)
    assert "town" not in offered  # four towns are more than three


def test_the_public_is_not_told_of_a_dataset_that_is_not_open(wh: Any) -> None:
    with pytest.raises(NotFound):
        offered_values(wh, PUBLIC, "people")
