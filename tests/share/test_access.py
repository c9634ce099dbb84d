"""The one permission check: roles × actions × resource facts."""

from __future__ import annotations

import pytest

from shucang.errors import AuthenticationRequired, PermissionDenied
from shucang.share.access import ACTIONS, PUBLIC, Actor, Resource, allowed, require

ADMIN = Actor("root", "admin", clearance=4)
STEWARD = Actor("st_gaj", "steward", department="gaj", clearance=3)
OTHER_STEWARD = Actor("st_tjj", "steward", department="tjj", clearance=3)
CONSUMER = Actor("ana", "consumer", department="fgj")

DATASET = Resource("dataset", "population", "gaj")
GRANTED = Resource("dataset", "population", "gaj", has_grant=True)
OPEN = Resource("dataset", "population", "gaj", is_open=True)


@pytest.mark.parametrize(("actor", "resource", "expected"), [
    (ADMIN, DATASET, True),
    (STEWARD, DATASET, True),
    (OTHER_STEWARD, DATASET, False),
    (OTHER_STEWARD, GRANTED, True),
    (CONSUMER, DATASET, False),
    (CONSUMER, GRANTED, True),
    (PUBLIC, DATASET, False),
    (PUBLIC, OPEN, False),  # the public reads open data only through the portal
])
def test_dataset_read(actor: Actor, resource: Resource, expected: bool) -> None:
    assert allowed(actor, "dataset:read", resource) is expected


def test_open_read_is_only_for_open_datasets() -> None:
    assert allowed(PUBLIC, "dataset:open_read", OPEN)
    assert not allowed(PUBLIC, "dataset:open_read", DATASET)


def test_nobody_approves_their_own_request() -> None:
    own = Resource("request", "1", "gaj", owner="st_gaj")
    theirs = Resource("request", "2", "gaj", owner="ana")
    assert not allowed(STEWARD, "request:decide", own)
    assert allowed(STEWARD, "request:decide", theirs)
    assert not allowed(OTHER_STEWARD, "request:decide", theirs)
    assert not allowed(CONSUMER, "request:decide", theirs)


def test_request_visibility_is_owner_or_owning_steward() -> None:
    req = Resource("request", "2", "gaj", owner="ana")
    assert allowed(CONSUMER, "request:view", req)
    assert not allowed(Actor("bob", "consumer"), "request:view", req)
    assert allowed(STEWARD, "request:view", req)
    assert not allowed(OTHER_STEWARD, "request:view", req)


def test_unknown_action_is_refused_even_for_admin() -> None:
    assert not allowed(ADMIN, "dataset:delete_everything")
    assert all(allowed(ADMIN, action) for action in ACTIONS)


def test_tokens_cannot_mint_tokens() -> None:
    via_token = Actor("ana", "consumer", via="token", token_id=3)
    assert not allowed(via_token, "token:create", Resource("token", owner="ana"))
    assert allowed(Actor("ana", "consumer", via="session"), "token:create", Resource("token", owner="ana"))


def test_require_answers_401_for_anonymous_and_403_for_others() -> None:
    with pytest.raises(AuthenticationRequired):
        require(PUBLIC, "request:create")
    with pytest.raises(PermissionDenied):
        require(CONSUMER, "audit:view")
    require(STEWARD, "audit:view", Resource("audit", department="gaj"))
