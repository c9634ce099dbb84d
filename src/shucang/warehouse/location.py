"""Where the Delta tables live: the home's ``tables/`` directory, or an object store (``s3://bucket/prefix``).

``SHUCANG_TABLES_URL`` names the root (``{home_id}`` in it becomes the home's short id, as in the catalog URL);
unset, tables stay in ``HOME/tables``. An object store is reached through delta-rs *storage options*
(``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ALLOW_HTTP`` …),
taken from the environment, else from the key file ``HOME/keys/storage.env`` (``NAME=value`` lines, mode 0600).
They are never written to the catalog: the catalog names versions, and the root is configuration.

Rejected rows and the other files of a home stay in the home directory.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shucang.errors import InputError, StorageError

if TYPE_CHECKING:
    from shucang.settings import Settings

TABLES_URL_ENV = "SHUCANG_TABLES_URL"
KEY_FILE = "storage.env"
OPTION_PREFIXES = ("AWS_", "GOOGLE_", "AZURE_")
"""Environment variables passed to delta-rs as storage options (S3-compatible, GCS and Azure names)."""
SCHEMES = ("s3", "s3a", "gs", "az", "abfs", "abfss", "memory")


@dataclass(frozen=True)
class TableLocation:
    """One Delta table's address: a local directory (``local``) or an object-store URI with its options."""

    uri: str
    options: Mapping[str, str] | None = field(default=None, compare=False, repr=False)
    local: Path | None = None

    def __str__(self) -> str:
        return self.uri

    def storage_options(self) -> dict[str, str] | None:
        return dict(self.options) if self.options else None


def as_location(where: Path | TableLocation) -> TableLocation:
    """A plain directory path is a local table."""
    if isinstance(where, TableLocation):
        return where
    return TableLocation(str(where), None, where)


def is_remote(url: str) -> bool:
    scheme, sep, _rest = url.partition("://")
    return bool(sep) and scheme.lower() != "file"


def storage_options(settings: Settings) -> dict[str, str]:
    """The storage options: the key file's lines, overridden by the environment's ``AWS_*`` (etc.) variables."""
    options: dict[str, str] = {}
    path = settings.keys_dir / KEY_FILE
    if path.exists():
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise StorageError(f"对象存储密钥文件权限过宽 (key file readable by others): {path}", hint=f"chmod 600 {path}")
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise StorageError(f"对象存储密钥文件格式错误 (expected NAME=value lines): {path}",
                                   hint="e.g. AWS_ACCESS_KEY_ID=…")
            options[name.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    options.update({k: v for k, v in os.environ.items() if k.startswith(OPTION_PREFIXES)})
    return options


@dataclass(frozen=True)
class TableRoot:
    """The root all tables of a home live under."""

    url: str
    options: Mapping[str, str] | None = field(default=None, compare=False, repr=False)
    local: Path | None = None

    @property
    def remote(self) -> bool:
        return self.local is None

    def table(self, name: str) -> TableLocation:
        if self.local is not None:
            return TableLocation(str(self.local / name), None, self.local / name)
        return TableLocation(self.url.rstrip("/") + "/" + name, self.options)


def table_root(settings: Settings) -> TableRoot:
    """The home's table root (``SHUCANG_TABLES_URL`` or ``HOME/tables``), with its storage options."""
    url = settings.tables_url
    if not url:
        return TableRoot(str(settings.tables_dir), None, settings.tables_dir)
    url = url.replace("{home_id}", settings.home_id())
    if not is_remote(url):
        local = Path(url.removeprefix("file://")).expanduser()
        return TableRoot(str(local), None, local)
    scheme = url.partition("://")[0].lower()
    if scheme not in SCHEMES:
        raise InputError(f"不支持的表存储地址 (unsupported tables URL scheme): {scheme}://",
                         hint=f"{TABLES_URL_ENV}=s3://bucket/prefix (or a local directory)")
    return TableRoot(url, storage_options(settings))
