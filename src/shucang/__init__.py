"""shucang (数仓): a county data warehouse — ingest, classify, protect, share, and monitor the plan.

The public API is small: open a :class:`Warehouse` from :class:`Settings` and call its methods;
the CLI, the JSON API and the web cockpit are thin shells over the same calls.
"""

from __future__ import annotations

__version__ = "0.1.0"

from shucang.errors import ShucangError
from shucang.settings import Settings

__all__ = ["Settings", "ShucangError", "__version__"]
