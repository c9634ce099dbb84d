"""Where a source's password or token comes from — never from the catalog.

In order: the environment variable ``SHUCANG_SOURCE_<NAME>_SECRET`` (the source name upper-cased,
anything but letters and digits turned into ``_``), then the key file ``HOME/keys/sources/<name>.secret``,
which must be readable by its owner only (mode 0600). A password given inside ``--url`` at
``sources add`` is moved into that key file, and the URL is stored without it.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from shucang.errors import InputError
from shucang.settings import Settings


def env_name(source: str) -> str:
    """The environment variable that holds ``source``'s secret."""
    return "SHUCANG_SOURCE_" + re.sub(r"[^A-Za-z0-9]", "_", source).upper() + "_SECRET"


def key_file(settings: Settings, source: str) -> Path:
    return settings.keys_dir / "sources" / f"{source}.secret"


def save_secret(settings: Settings, source: str, secret: str) -> Path:
    """Write the secret to the source's 0600 key file (the folder 0700)."""
    path = key_file(settings, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret)
    path.chmod(0o600)
    return path


def read_secret(settings: Settings, source: str) -> str | None:
    """The source's secret, or None when neither the variable nor the key file is there."""
    value = os.environ.get(env_name(source))
    if value:
        return value
    path = key_file(settings, source)
    if not path.exists():
        return None
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"密钥文件权限过宽 (key file readable by others): {path}",
                         hint=f"chmod 600 {path}")
    return path.read_text(encoding="utf-8").strip("\r\n")


def delete_secret(settings: Settings, source: str) -> None:
    key_file(settings, source).unlink(missing_ok=True)
