"""``python -m shucang`` runs the CLI."""

from shucang.cli import main

main()
