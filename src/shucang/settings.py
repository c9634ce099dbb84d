"""One typed settings object, loaded explicitly and passed down (no globals).

The warehouse home is ``--home DIR``, else ``$SHUCANG_HOME``, else ``$XDG_DATA_HOME/shucang`` (by default
``~/.local/share/shucang``). Layout of a home::

    catalog.db      SQLite catalog (unless SHUCANG_CATALOG_URL names e.g. PostgreSQL; a PostgreSQL
                    database that does not exist yet is created on first use, like the home)
    tables/NAME/    one Delta Lake table per dataset (or under SHUCANG_TABLES_URL, e.g. s3://bucket/prefix)
    rejects/NAME/   quarantined rows of every ingest of that dataset (Delta Lake)
    keys/           masking and fingerprint secrets (0600), never in the catalog
    extracts/       default place for extract files
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path


def default_home() -> Path:
    """Where the warehouse lives when nobody says otherwise."""
    env = os.environ.get("SHUCANG_HOME")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "shucang"


@dataclass(frozen=True)
class Settings:
    """Where the warehouse lives and how it runs."""

    home: Path = field(default_factory=default_home)
    """Warehouse home directory (created on first use)."""
    catalog_url: str | None = None
    """SQLAlchemy URL of the catalog; None means SQLite in ``home/catalog.db``."""
    debug: bool = False
    """Show tracebacks (CLI) and internal errors (API)."""
    tables_url: str | None = None
    """Root of the Delta tables (``s3://bucket/prefix``, see :mod:`shucang.warehouse.location`); None: ``home/tables``."""

    @classmethod
    def load(cls, home: str | Path | None = None, *, debug: bool = False) -> Settings:
        """Settings from arguments first, then the environment."""
        resolved = Path(home).expanduser() if home else default_home()
        return cls(home=resolved.resolve(), catalog_url=os.environ.get("SHUCANG_CATALOG_URL") or None,
                   debug=debug, tables_url=os.environ.get("SHUCANG_TABLES_URL") or None)

    @property
    def tables_dir(self) -> Path:
        return self.home / "tables"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    def catalog_sqlalchemy_url(self) -> str:
        """The catalog's URL; ``{home_id}`` in ``SHUCANG_CATALOG_URL`` becomes a short, stable id of
        the home, so several homes (a test home, a staging home) can share one database server."""
        if not self.catalog_url:
            return f"sqlite:///{self.home / 'catalog.db'}"
        return self.catalog_url.replace("{home_id}", self.home_id())

    def home_id(self) -> str:
        """A short, stable id of the home (``{home_id}`` in the catalog and tables URLs)."""
        return "shucang_" + hashlib.sha256(str(self.home).encode("utf-8")).hexdigest()[:16]
