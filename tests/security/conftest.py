"""The security tests reuse the share tests' small governed warehouse (people: gaj, firms: scjgj)."""

from __future__ import annotations

from tests.share.conftest import (  # noqa: F401 — fixtures
    PASSWORD,
    TOKENS,
    app,
    base_home,
    bearer,
    client,
    share_home,
    wh,
)
