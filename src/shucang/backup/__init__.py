"""灾备: consistent, verifiable backups of a whole home, taken while it serves, and their restore.

A backup is one tar file: the catalog (SQLite's online backup API — a consistent snapshot even while
writers commit), every Delta table up to the version that snapshot calls current, rejects, plans,
policies and other home files, the audit chain head as of the snapshot, and the keys encrypted with
a passphrase (scrypt + AES-GCM from ``cryptography``; the keys are never written in clear). A
manifest lists every member's SHA-256, so ``verify`` proves a file whole before it is ever needed.

This package sits above the stages (like the shells): it knows the home's layout and the share
stage's audit head.
"""

from __future__ import annotations

from shucang.backup.archive import BackupReport, create_backup, restore_backup, verify_backup

__all__ = ["BackupReport", "create_backup", "restore_backup", "verify_backup"]
