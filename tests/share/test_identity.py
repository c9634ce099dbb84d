"""Users, passwords, lock-out, sessions and API tokens."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from shucang.errors import AuthenticationRequired, Conflict, InputError, RateLimited
from shucang.share import identity
from shucang.share.tables import tokens, users

from .conftest import PASSWORD, TOKENS


def test_users_are_protection_recipients_with_the_same_clearance(wh: Any) -> None:
    from shucang.protect.recipients import get_recipient

    identity.create_user(wh, "carol", role="consumer", department="fgj", clearance=2, password=PASSWORD)
    assert get_recipient(wh, "carol").clearance == 2
    identity.update_user(wh, "carol", clearance=3)
    assert get_recipient(wh, "carol").clearance == 3
    identity.update_user(wh, "carol", disabled=True)
    assert get_recipient(wh, "carol").disabled


def test_passwords_are_argon2_hashes_never_clear(wh: Any) -> None:
    with wh.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.name == "ana")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert identity.authenticate(wh, "ana", PASSWORD).name == "ana"


@pytest.mark.parametrize(("name", "role", "department"), [
    ("Bad Name", "consumer", None), ("x", "consumer", None), ("eve", "root", None), ("eve", "steward", None),
    ("eve", "public", None)])
def test_bad_users_are_refused(wh: Any, name: str, role: str, department: str | None) -> None:
    with pytest.raises(InputError):
        identity.create_user(wh, name, role=role, department=department)


def test_duplicates_and_short_passwords(wh: Any) -> None:
    with pytest.raises(Conflict):
        identity.create_user(wh, "ana", role="consumer")
    with pytest.raises(InputError):
        identity.create_user(wh, "dave", role="consumer", password="short")


def test_lockout_with_backoff_then_reset(wh: Any) -> None:
    for _ in range(identity.LOCK_AFTER):
        with pytest.raises(AuthenticationRequired):
            identity.authenticate(wh, "bob", "wrong password!")
    with pytest.raises(RateLimited) as locked:  # even the right password is refused while locked
        identity.authenticate(wh, "bob", PASSWORD)
    assert locked.value.retry_after >= identity.LOCK_BASE_SECONDS - 1
    assert identity.lock_seconds(identity.LOCK_AFTER + 3) == identity.LOCK_BASE_SECONDS * 8
    assert identity.lock_seconds(100) == identity.LOCK_MAX_SECONDS
    identity.set_password(wh, "bob", "another-long-password")
    assert identity.authenticate(wh, "bob", "another-long-password").name == "bob"


def test_unknown_user_and_disabled_user(wh: Any) -> None:
    with pytest.raises(AuthenticationRequired):
        identity.authenticate(wh, "nobody", PASSWORD)
    identity.update_user(wh, "ana", disabled=True)
    with pytest.raises(AuthenticationRequired):
        identity.authenticate(wh, "ana", PASSWORD)


def test_sessions_are_signed_and_end(wh: Any) -> None:
    user = identity.get_user(wh, "ana")
    cookie, csrf = identity.create_session(wh, user)
    actor = identity.resolve_session(wh, cookie)
    assert actor is not None and actor.name == "ana" and actor.csrf == csrf
    sid, _, sig = cookie.rpartition(".")
    assert identity.resolve_session(wh, f"{sid}.{'0' * len(sig)}") is None  # forged signature
    other = "A" if sid[-1] != "A" else "B"
    assert identity.resolve_session(wh, f"{sid[:-1]}{other}.{sig}") is None  # another id, same signature
    identity.update_user(wh, "ana", disabled=True)  # disabling ends sessions
    assert identity.resolve_session(wh, cookie) is None


def test_tokens_shown_once_stored_hashed_revocable_expiring(wh: Any) -> None:
    info, secret = identity.create_token(wh, "ana", label="etl", days=1)
    with wh.engine.connect() as conn:
        stored = conn.execute(sa.select(tokens).where(tokens.c.id == info.id)).one()
    assert secret.split("_", 2)[2] not in repr(stored._mapping)
    assert identity.resolve_token(wh, secret).name == "ana"
    with pytest.raises(AuthenticationRequired):
        identity.resolve_token(wh, secret[:-2] + ("xx" if not secret.endswith("xx") else "yy"))
    identity.revoke_token(wh, info.id)
    with pytest.raises(AuthenticationRequired):
        identity.resolve_token(wh, secret)
    # expiry: move it into the past
    _info2, secret2 = identity.create_token(wh, "ana", days=1)
    with wh.engine.begin() as conn:
        conn.execute(tokens.update().where(tokens.c.id == _info2.id).values(expires_at=identity.now()))
    with pytest.raises(AuthenticationRequired):
        identity.resolve_token(wh, secret2)
    assert identity.resolve_token(wh, TOKENS["bob"]).name == "bob"


@pytest.mark.parametrize("junk", ["", "sct_", "sct_x_y", "Bearer", "sct_99999_abc", "sct_1_" + "a" * 5000])
def test_junk_tokens_are_401(wh: Any, junk: str) -> None:
    with pytest.raises(AuthenticationRequired):
        identity.resolve_token(wh, junk)
