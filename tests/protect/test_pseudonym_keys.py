"""Keys (file 0600, env var, rotation) and keyed pseudonyms (reference HMAC, joinable, unlinkable, decodable)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from shucang.classify.checksums import is_valid_id_card
from shucang.errors import InputError
from shucang.protect.keyed_hash import keyed_u64, keyed_u64_reference
from shucang.protect.keys import ENV_VAR, KEY_FILE, load_keyring, rotate_key
from shucang.protect.pseudonym import CODE_SPACE, decode_slots, keys_for, pseudonymise
from shucang.settings import Settings

IDS = ["330282199001011234", "33028219900101123X", "110105194912310021"]


@pytest.fixture
def ring(settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv(ENV_VAR, raising=False)
    return load_keyring(settings)


def test_key_file_is_private_and_stable(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    first = load_keyring(settings)
    path = settings.keys_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.keys_dir.stat().st_mode) == 0o700
    again = load_keyring(settings)
    assert again.current_id == first.current_id
    assert again.derive(first.current_id, "x") == first.derive(first.current_id, "x")
    secret = first._keys[first.current_id]
    assert secret.hex() not in repr(first) and str(secret) not in repr(first)


def test_rotation_keeps_old_keys(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    old = load_keyring(settings)
    new_id = rotate_key(settings)
    ring = load_keyring(settings)
    assert ring.current_id == new_id != old.current_id
    assert ring.key_ids[0] == new_id and old.current_id in ring.key_ids
    assert ring.derive(old.current_id, "a") == old.derive(old.current_id, "a")
    assert ring.derive(new_id, "a") != ring.derive(old.current_id, "a")


def test_env_key_takes_over(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "ab" * 32)
    ring = load_keyring(settings)
    assert ring.current_id.startswith("env-")
    assert not (settings.keys_dir / KEY_FILE).exists()
    monkeypatch.setenv(ENV_VAR, "short")
    with pytest.raises(InputError):
        load_keyring(settings)
    monkeypatch.setenv(ENV_VAR, "ab" * 32)
    with pytest.raises(InputError):
        rotate_key(settings)


def _independent_prf(key: bytes, value: str) -> int:
    """The PRF written out from its specification, without the module's code paths."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    data = value.encode()
    if len(data) <= 15:
        block = data.ljust(15, b"\0") + bytes([len(data)])
    elif 16 <= len(data) <= 19 and data.isdigit():
        block = int(data).to_bytes(8, "little") + bytes(7) + bytes([0x40 + len(data)])
    elif len(data) == 18 and data[:17].isdigit() and data.endswith(b"X"):
        block = int(data[:17]).to_bytes(8, "little") + bytes(7) + bytes([0x80 + 18])
    else:
        return int.from_bytes(hashlib.blake2b(data, key=key, digest_size=16).digest()[:8], "big")
    aes_key = hashlib.blake2b(b"", key=key, digest_size=32, person=b"shucang-aes-prf").digest()
    enc = Cipher(algorithms.AES(aes_key), modes.ECB()).encryptor()
    return int.from_bytes((enc.update(block) + enc.finalize())[:8], "big")


def test_batch_keyed_hash_matches_its_specification() -> None:
    values = ["330282199001011234", "33028219900101123X", "中文", "", "x" * 100, "1" * 19, "0" * 16, "a" * 15,
              "a" * 16, "12345678901234567890"]
    got = keyed_u64(pa.array(values + [None, "中文"]), b"k" * 32).to_pylist()
    assert got[:len(values)] == [keyed_u64_reference(b"k" * 32, v) for v in values]
    assert got[:len(values)] == [_independent_prf(b"k" * 32, v) for v in values]
    assert got[len(values)] is None and got[-1] == got[2]
    assert len(set(got[:len(values)])) == len(values)
    assert keyed_u64(pa.array(["中文"]), b"j" * 32).to_pylist()[0] != got[2]


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=22), st.from_regex(r"[0-9]{15,20}X?", fullmatch=True)), max_size=40))
def test_batch_keyed_hash_equals_reference(values: list[str]) -> None:
    key = b"p" * 32
    batch = keyed_u64(pa.array(values, pa.string()), key).to_pylist()
    assert batch == [_independent_prf(key, v) for v in values]


def test_id18_tokens_look_like_ids_and_join(ring) -> None:  # type: ignore[no-untyped-def]
    keys = keys_for(ring, ring.current_id, 42, "id_card", "id18")
    tokens = pseudonymise(pa.array(IDS + [" 330282199001011234 ", None, ""]), keys, "id18").to_pylist()
    assert all(len(t) == 18 and is_valid_id_card(t) for t in tokens[:4])
    assert tokens[0] == tokens[3]  # same person → same token (whitespace ignored)
    assert len(set(tokens[:3])) == 3
    assert tokens[4] is None and tokens[5] == ""
    assert not set(tokens[:3]) & set(IDS)
    # The same value in another dataset for the same recipient joins; another recipient is unlinkable.
    again = pseudonymise(pa.array([IDS[0]]), keys_for(ring, ring.current_id, 42, "id_card", "id18"), "id18")
    other = pseudonymise(pa.array([IDS[0]]), keys_for(ring, ring.current_id, 43, "id_card", "id18"), "id18")
    assert again.to_pylist()[0] == tokens[0] != other.to_pylist()[0]
    assert other.to_pylist()[0][:13] != tokens[0][:13]


def test_tokens_decode_to_their_recipient(ring) -> None:  # type: ignore[no-untyped-def]
    for shape in ("id18", "token"):
        for slot in (1, 7, 9999, 123456):
            keys = keys_for(ring, ring.current_id, slot, "domain", shape)
            tokens = pseudonymise(pa.array([f"value-{i}" for i in range(400)]), keys, shape)
            decoded = [d for d in decode_slots(tokens, ring, ring.current_id, shape).to_pylist() if d is not None]
            assert 50 <= len(decoded) <= 150  # one token in four carries the code
            assert set(decoded) == {slot % CODE_SPACE[shape]}
    # Real ID numbers decode to scattered slots, not to one recipient.
    from shucang.classify.checksums import id_card_check_char

    valid = [b + id_card_check_char(b) for b in ("33028219900101123", "33028219900101124", "11010519491231002")]
    more = [f"3302821990{i:07d}" for i in range(400)]
    valid += [b + id_card_check_char(b) for b in more]
    real = [d for d in decode_slots(pa.array(valid), ring, ring.current_id, "id18").to_pylist() if d is not None]
    assert len(real) > 50 and max(real.count(r) for r in set(real)) <= 3
    assert decode_slots(pa.array(["not a token", None]), ring, ring.current_id, "id18").to_pylist() == [None, None]


def test_mobile_and_digit_shapes(ring) -> None:  # type: ignore[no-untyped-def]
    keys = keys_for(ring, ring.current_id, 5, "mobile_phone", "mobile")
    got = pseudonymise(pa.array(["13812345678", "+86 138-1234-5678", "13912345678"]), keys, "mobile").to_pylist()
    assert got[0] == got[1] != got[2]
    # phone-shaped, but 1[0-2]…: never a real mobile number, so never a real third party's
    assert all(len(t) == 11 and t[0] == "1" and t[1] in "012" and t.isdigit() for t in got)
    from shucang.classify.identifiers import mobile_valid

    assert not any(mobile_valid(pa.array(got)).to_pylist())
    cards = pseudonymise(pa.array(["6222021234567890123", "6222021234567890"]),
                         keys_for(ring, ring.current_id, 5, "bank_card", "digits"), "digits").to_pylist()
    assert [len(c) for c in cards] == [19, 16] and all(c.isdigit() for c in cards)
    tokens = pseudonymise(pa.array(["E12345678"]), keys_for(ring, ring.current_id, 5, "passport", "token"), "token")
    assert len(tokens.to_pylist()[0]) == 28  # 120 keyed bits + recipient code


def test_derived_keys_differ_by_context(ring, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = ring.derive(ring.current_id, "pseudonym", "r1", "id_card")
    assert a != ring.derive(ring.current_id, "pseudonym", "r2", "id_card")
    assert a != ring.derive(ring.current_id, "pseudonym", "r1", "mobile_phone")
    assert len(a) == 32
    assert os.environ.get(ENV_VAR) is None
