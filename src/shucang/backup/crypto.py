"""Passphrase encryption of the keys in a backup: scrypt → AES-256-GCM (``cryptography``; nothing
home-made). The salt and scrypt cost travel in the manifest; a wrong passphrase or any change to the
ciphertext fails authentication."""

from __future__ import annotations

import os
from typing import Any

from shucang.errors import InputError

AAD = b"shucang-backup-keys/1"
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
MIN_PASSPHRASE = 12


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def encrypt(data: bytes, passphrase: str) -> tuple[bytes, dict[str, Any]]:
    """``data`` sealed under ``passphrase``; returns the blob and the parameters to keep beside it."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(passphrase) < MIN_PASSPHRASE:
        raise InputError(f"备份口令至少 {MIN_PASSPHRASE} 个字符 (backup passphrase: at least {MIN_PASSPHRASE} characters)")
    salt, nonce = os.urandom(16), os.urandom(12)
    blob = nonce + AESGCM(_key(passphrase, salt, **SCRYPT)).encrypt(nonce, data, AAD)
    return blob, {"cipher": "AES-256-GCM", "kdf": "scrypt", "salt": salt.hex(), **SCRYPT}


def decrypt(blob: bytes, passphrase: str, params: dict[str, Any]) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _key(passphrase, bytes.fromhex(params["salt"]), int(params["n"]), int(params["r"]), int(params["p"]))
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], AAD)
    except InvalidTag:
        raise InputError("备份口令错误或密钥文件已损坏 (wrong passphrase, or the keys in the backup were altered)",
                         hint="--passphrase-file FILE or SHUCANG_BACKUP_PASSPHRASE") from None
