"""The Spark tests' one skip rule; their one session is the ``spark`` fixture of ``tests/conftest.py``
(local[2], started once per test process: a JVM start costs seconds, so modules share it)."""

from __future__ import annotations

import shutil

import pytest


def require_spark() -> None:
    """Skip the calling module (call it at module level) when pyspark or a Java runtime is missing."""
    pytest.importorskip("pyspark", reason="pyspark not installed: Spark engine tests skipped")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: Spark engine tests skipped", allow_module_level=True)
