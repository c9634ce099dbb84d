"""Demo identities and demo open data."""

from __future__ import annotations

from typing import Any

from shucang.share.demo import DEMO_DEPARTMENTS, seed_demo_identities, seed_demo_opendata
from shucang.share.identity import authenticate, get_user


def test_demo_identities_log_in_and_are_labelled(wh: Any) -> None:
    accounts = seed_demo_identities(wh)
    names = {a["name"] for a in accounts}
    assert {"admin", "analyst_fgj", "app_screen"} <= names
    assert {f"steward_{code}" for code in DEMO_DEPARTMENTS} <= names
    assert all("演示" in a["note"] and a["password"] for a in accounts)
    steward = next(a for a in accounts if a["name"] == "steward_gaj")
    assert authenticate(wh, "steward_gaj", steward["password"]).department == "gaj"
    again = seed_demo_identities(wh)  # re-running resets the passwords it prints
    assert authenticate(wh, "admin", next(a for a in again if a["name"] == "admin")["password"])
    assert get_user(wh, "app_screen").kind == "app"


def test_demo_open_data_skips_what_cannot_be_opened(wh: Any) -> None:
    assert seed_demo_opendata(wh, ("firms", "no_such_dataset")) == ["firms"]
    assert wh.dataset("firms").is_open
