"""Master secrets of masking and fingerprinting, kept outside the catalog.

Secrets live in ``settings.keys_dir/master-keys.json`` (directory 0700, file 0600), generated on first
use, or come from ``$SHUCANG_MASTER_KEY`` (64 hex characters) when an operator keeps them in a vault.
Every key has an id so it can rotate: new extracts use the current key, old ones stay traceable
because the registry records the key id they were made with. Working keys are derived with HKDF
(RFC 5869, from ``cryptography``) per purpose, recipient, extract and domain; a derived key never
leaves the process and nothing here logs or prints a secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shucang.errors import InputError, StorageError
from shucang.settings import Settings

ENV_VAR = "SHUCANG_MASTER_KEY"
KEY_FILE = "master-keys.json"
_SALT = b"shucang-protect-v1"


@dataclass(frozen=True)
class KeyRing:
    """The master keys by id; ``current_id`` signs new work. ``repr`` never shows a secret."""

    current_id: str
    _keys: dict[str, bytes] = field(repr=False)
    _cache: dict[tuple[str, ...], bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key_ids(self) -> list[str]:
        """Every key id, current first (tracing tries them in this order)."""
        return [self.current_id] + sorted(k for k in self._keys if k != self.current_id)

    def derive(self, key_id: str, *context: str, length: int = 32) -> bytes:
        """An HKDF-SHA256 key for ``context`` (purpose, recipient, extract, domain …) under ``key_id``."""
        cache_key = (key_id, str(length), *context)
        found = self._cache.get(cache_key)
        if found is not None:
            return found
        try:
            master = self._keys[key_id]
        except KeyError:
            raise StorageError(f"主密钥 {key_id} 不存在 (master key {key_id} is missing)",
                               hint="restore the keys directory from backup or set SHUCANG_MASTER_KEY") from None
        info = "\x1f".join(context).encode("utf-8")
        derived = HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=info).derive(master)
        self._cache[cache_key] = derived
        return derived


def _key_id_for(secret: bytes, prefix: str) -> str:
    # A short digest names the key without revealing it (2^-64 of a 256-bit secret is public anyway).
    return f"{prefix}-{hashlib.sha256(b'shucang-key-id' + secret).hexdigest()[:10]}"


def _read_file(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StorageError(f"无法读取密钥文件 {path} (cannot read the key file)",
                           hint="check permissions, or restore it from backup") from exc
    if not isinstance(data, dict) or "keys" not in data or "current" not in data:
        raise StorageError(f"密钥文件已损坏 {path} (the key file is damaged)", hint="restore it from backup")
    return data


def _write_file(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.replace(tmp, path)


def _new_entry() -> tuple[str, str, bytes]:
    secret = secrets.token_bytes(32)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return _key_id_for(secret, f"k{stamp}"), base64.b64encode(secret).decode("ascii"), secret


def load_keyring(settings: Settings) -> KeyRing:
    """The key ring of this warehouse, creating the first key on first use."""
    path = settings.keys_dir / KEY_FILE
    keys: dict[str, bytes] = {}
    current: str | None = None
    if path.exists():
        data = _read_file(path)
        stored = data["keys"]
        assert isinstance(stored, dict)
        for key_id, entry in stored.items():
            keys[str(key_id)] = base64.b64decode(entry["secret"] if isinstance(entry, dict) else entry)
        current = str(data["current"])
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        try:
            secret = bytes.fromhex(env)
        except ValueError:
            secret = b""
        if len(secret) < 32:
            raise InputError(f"{ENV_VAR} 必须是 64 个十六进制字符 (must be 64 hex characters)",
                             hint="generate one with: python -c 'import secrets; print(secrets.token_hex(32))'")
        current = _key_id_for(secret, "env")
        keys[current] = secret
    if current is None:
        current, encoded, secret = _new_entry()
        keys[current] = secret
        _write_file(path, {"current": current, "keys": {current: {
            "secret": encoded, "created_at": datetime.now(UTC).isoformat()}}})
    return KeyRing(current, keys)


def rotate_key(settings: Settings) -> str:
    """Make a new current key (old keys stay for tracing old extracts); return its id."""
    if os.environ.get(ENV_VAR):
        raise InputError(f"密钥来自环境变量 {ENV_VAR}，请在外部轮换 (the key comes from the environment)",
                         hint=f"set a new {ENV_VAR}; keep the old one in the key file to trace old extracts")
    path = settings.keys_dir / KEY_FILE
    load_keyring(settings)  # make sure the file exists
    data = _read_file(path)
    key_id, encoded, _secret = _new_entry()
    stored = data["keys"]
    assert isinstance(stored, dict)
    stored[key_id] = {"secret": encoded, "created_at": datetime.now(UTC).isoformat()}
    data["current"] = key_id
    _write_file(path, data)
    return key_id
