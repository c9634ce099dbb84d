"""An ingest mode given as text (a CLI option) is checked once, with IngestOptions' own refusal."""

from __future__ import annotations

import pytest

from shucang.errors import InputError
from shucang.warehouse.models import INGEST_MODES, IngestOptions, ingest_mode


@pytest.mark.parametrize("mode", INGEST_MODES)
def test_known_modes_pass(mode: str) -> None:
    assert ingest_mode(mode) == mode


def test_an_unknown_mode_is_refused_alike_by_both() -> None:
    with pytest.raises(InputError) as by_text:
        ingest_mode("upsert")
    with pytest.raises(InputError) as by_options:
        IngestOptions(dataset="d", mode="upsert")
    assert by_text.value.message == by_options.value.message and "upsert" in by_text.value.message
