"""shucang (数仓): a county data warehouse — ingest, classify, protect, share, and monitor the plan.

The public API is small: open a :class:`Warehouse` from :class:`Settings` and call its methods;
the CLI, the JSON API and the web cockpit are thin shells over the same calls.
"""

from __future__ import annotations

from shucang.reexports import lazy_exports

__version__ = "0.1.0"

# Imported on first use: every ``shucang`` process imports this package, and the one that hands its
# command line to a warm server (shucang.cli.warm) should import nothing else.
__getattr__ = lazy_exports(__name__, {"Settings": "settings", "ShucangError": "errors"})

__all__ = ["Settings", "ShucangError", "__version__"]
