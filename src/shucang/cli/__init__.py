"""The ``shucang`` command line: one command = its options + one core call.

Commands live in one module per stage (``warehouse_cmds``, ``classify_cmds`` …), each exposing
``register(app)``; the group and the in-process run are in :mod:`shucang.cli.root`. Errors meant for
users print as one line on stderr with a non-zero exit; tracebacks appear only with ``--debug``.
``--home DIR`` and ``--debug`` are accepted anywhere on the command line.

This module imports nothing else at first: a ``shucang`` process first offers its command line to a
warm server (:mod:`shucang.cli.warm`), which only the standard library may stand between.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``shucang`` script (``argv``: run in this process, never handed over)."""
    if argv is None:
        from shucang.cli.warm import hand_over

        hand_over()  # exits with the command's status when a warm server ran it
    from shucang.cli.root import main as run_here

    run_here(argv)
