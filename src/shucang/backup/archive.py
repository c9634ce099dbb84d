"""Writing, checking and restoring a backup file (see the package docstring for what it holds)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from shucang import __version__
from shucang.backup import crypto
from shucang.errors import InputError, StorageError
from shucang.settings import Settings

FORMAT = "shucang-backup/1"
MANIFEST = "manifest.json"
KEYS_BLOB = "keys.enc"
SKIP_TOP = {"catalog.db", "catalog.db-wal", "catalog.db-shm", "catalog.db-journal", "tables", "keys", "extracts",
            "audit.head", "audit.lock"}
"""Home entries not copied as plain files: written from the snapshot, encrypted, or outputs (extract
files are the recipients' copies; their registry rows and keys are what tracing needs)."""


@dataclass
class BackupReport:
    path: str
    datasets: dict[str, dict[str, Any]]
    files: int
    bytes: int
    keys_encrypted: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "path": self.path, "datasets": self.datasets, "files": self.files,
                "bytes": self.bytes, "keys_encrypted": self.keys_encrypted, "problems": self.problems}


# ---------------------------------------------------------------------------------------------- backup
def _snapshot_catalog(settings: Settings, target: Path) -> None:
    """A consistent copy of the catalog as one SQLite file, taken while others write."""
    url = settings.catalog_sqlalchemy_url()
    if url.startswith("sqlite"):
        source = sqlite3.connect(f"file:{settings.home / 'catalog.db'}?mode=ro", uri=True)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)  # SQLite's online backup API: one consistent snapshot
        finally:
            dest.close()
            source.close()
        return
    copy_catalog(sa.create_engine(url), sa.create_engine(f"sqlite:///{target}"), snapshot=True)


def copy_catalog(source: sa.Engine, target: sa.Engine, *, snapshot: bool = False) -> int:
    """Every table of ``source`` re-created in ``target`` with its rows (schema by reflection; on
    PostgreSQL dates become timestamptz, as the app declares them, and blobs bytea). Returns the rows copied."""
    meta = sa.MetaData()
    copied = 0
    with source.connect() as src:
        if snapshot and source.dialect.name == "postgresql":
            src.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        meta.reflect(bind=src)
        if target.dialect.name == "postgresql":
            for table in meta.tables.values():
                for column in table.columns:
                    if isinstance(column.type, sa.DateTime):
                        column.type = sa.DateTime(timezone=True)
                    elif type(column.type).__name__ in ("JSON", "JSONB"):
                        column.type = sa.JSON()
                    elif isinstance(column.type, sa.LargeBinary):  # SQLite's BLOB: bytea
                        column.type = sa.LargeBinary()
        with target.begin() as dst:
            meta.create_all(dst)
            for table in meta.sorted_tables:
                rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
                for start in range(0, len(rows), 5000):
                    dst.execute(table.insert(), rows[start:start + 5000])
                copied += len(rows)
                if target.dialect.name == "postgresql":
                    _advance_sequences(dst, table)
    return copied


def _advance_sequences(conn: sa.Connection, table: sa.Table) -> None:
    """Rows came with their ids: move each serial column's sequence past them (else the next insert collides)."""
    quote = conn.dialect.identifier_preparer.quote
    for column in table.primary_key.columns:
        if isinstance(column.type, sa.Integer):
            sql = (f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE((SELECT max({quote(column.name)}) "
                   f"FROM {quote(table.name)}), 0) + 1, false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL")
            conn.execute(sa.text(sql), {"t": table.name, "c": column.name})


def _pinned_tables(catalog: Path) -> dict[str, dict[str, Any]]:
    """Per dataset, the version the snapshot calls current and the newest Delta version it recorded."""
    from shucang.warehouse import catalog as cat

    engine = sa.create_engine(f"sqlite:///{catalog}")
    try:
        with engine.connect() as conn:
            d, v = cat.datasets, cat.dataset_versions
            out: dict[str, dict[str, Any]] = {}
            for row in conn.execute(sa.select(d.c.id, d.c.name, d.c.current_version, d.c.row_count)):
                newest = conn.execute(sa.select(sa.func.max(v.c.delta_version)).where(
                    (v.c.dataset_id == row.id) & (v.c.status == "committed"))).scalar()
                out[row.name] = {"version": row.current_version, "delta_version": newest, "rows": int(row.row_count)}
    finally:
        engine.dispose()
    return out


def _audit_head(catalog: Path) -> bytes | None:
    """``audit.head`` as of the snapshot (the live file may already name later entries)."""
    con = sqlite3.connect(catalog)
    try:
        row = con.execute("SELECT seq, hash FROM share_audit ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        con.close()
    return f"{row[0]:>20d} {row[1]}\n".encode() if row else None


def _delta_files(table_dir: Path, delta_version: int | None) -> Iterator[Path]:
    """A Delta table's files as of ``delta_version``: its log up to that commit and the data files
    (immutable; a newer commit's files, if any, are unreferenced and harmless)."""
    for path in sorted(table_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(table_dir)
        if rel.parts[0] == "_delta_log":
            if rel.name == "_last_checkpoint":
                continue  # a hint only; it may name a checkpoint newer than the pin
            stem = rel.name.split(".", 1)[0]
            if delta_version is not None and stem.isdigit() and int(stem) > delta_version:
                continue
        yield path


def _keys_archive(keys_dir: Path) -> bytes:
    sink = io.BytesIO()
    with tarfile.open(fileobj=sink, mode="w") as tar:
        for path in sorted(keys_dir.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(keys_dir)))
    return sink.getvalue()


def passphrase_from(file: Path | None) -> str | None:
    """``--passphrase-file`` (first line), else ``SHUCANG_BACKUP_PASSPHRASE``, else None."""
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").splitlines()[0].strip() if file.stat().st_size else ""
        except (OSError, IndexError) as exc:
            raise InputError(f"无法读取口令文件 {file} (cannot read the passphrase file): {exc}") from None
    return os.environ.get("SHUCANG_BACKUP_PASSPHRASE") or None


class _Writer:
    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.files: dict[str, dict[str, Any]] = {}
        self.bytes = 0

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
        self.tar.addfile(info, io.BytesIO(data))
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        self.bytes += len(data)

    def add_file(self, name: str, path: Path) -> None:
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as handle:
            info = self.tar.gettarinfo(fileobj=handle, arcname=name)
            data = handle.read()  # files of a home are small enough (parquet parts, logs)
        digest.update(data)
        size = len(data)
        info.size = size
        self.tar.addfile(info, io.BytesIO(data))
        self.files[name] = {"sha256": digest.hexdigest(), "size": size}
        self.bytes += size


def create_backup(settings: Settings, out: Path, *, passphrase: str | None) -> BackupReport:
    """Write a backup of ``settings.home`` to ``out`` (temp file + rename: never a half-written ``out``)."""
    home = settings.home
    if not (home / "catalog.db").exists() and settings.catalog_url is None:
        raise InputError(f"{home} 不是数仓目录 (not a shucang home: no catalog)")
    keys_dir = settings.keys_dir
    has_keys = keys_dir.is_dir() and any(p.is_file() for p in keys_dir.rglob("*"))
    if has_keys and not passphrase:
        raise InputError("备份含密钥，须提供口令 (the backup holds keys: a passphrase is required)",
                         hint="--passphrase-file FILE or SHUCANG_BACKUP_PASSPHRASE")
    out = out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shucang-backup-") as tmp:
        catalog = Path(tmp) / "catalog.db"
        _snapshot_catalog(settings, catalog)  # first: everything else is pinned to it
        pinned = _pinned_tables(catalog)
        fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as tar:
                writer = _Writer(tar)
                writer.add_file("catalog.db", catalog)
                head = _audit_head(catalog)
                if head is not None:
                    writer.add_bytes("home/audit.head", head)
                for name, pin in pinned.items():
                    table_dir = settings.tables_dir / name
                    if table_dir.is_dir():
                        for path in _delta_files(table_dir, pin["delta_version"]):
                            writer.add_file(f"home/tables/{name}/{path.relative_to(table_dir).as_posix()}", path)
                for path in sorted(home.rglob("*")):
                    rel = path.relative_to(home)
                    if rel.parts[0] in SKIP_TOP or not path.is_file() or path.name.endswith((".lock", ".partial")):
                        continue
                    writer.add_file(f"home/{rel.as_posix()}", path)
                keys: dict[str, Any] | None = None
                if has_keys:
                    blob, keys = crypto.encrypt(_keys_archive(keys_dir), passphrase or "")
                    writer.add_bytes(KEYS_BLOB, blob)
                manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "shucang": __version__,
                            "home": str(home), "datasets": pinned, "keys": keys, "files": writer.files}
                writer.add_bytes(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, out)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
    return BackupReport(str(out), pinned, len(writer.files), writer.bytes, has_keys)


# ---------------------------------------------------------------------------------------------- verify
def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not name or "\\" in name:
        raise StorageError(f"备份中有不安全的路径 (unsafe path in the backup): {name!r}", status=400)
    return name


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    """A member's content; a member that is not a regular file is a damaged backup."""
    handle = tar.extractfile(member)
    if handle is None:
        raise InputError(f"备份成员不是文件 (a backup member is not a file): {member.name!r}")
    return handle.read()


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
        data = _member_bytes(tar, member)
        manifest: dict[str, Any] = json.loads(data)
    except (KeyError, InputError, ValueError):
        raise InputError("不是 shucang 备份文件或清单损坏 (not a shucang backup, or its manifest is damaged)") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"未知备份格式 (unknown backup format) {manifest.get('format')!r}")
    return manifest


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r")
    except (OSError, tarfile.TarError) as exc:
        raise InputError(f"无法读取备份 {path} (cannot read the backup): {exc}") from None


def verify_backup(path: Path, *, passphrase: str | None = None) -> BackupReport:
    """Every member against the manifest (SHA-256, size, nothing missing or extra); the catalog's own
    integrity check; the keys' authentication when a passphrase is given."""
    problems: list[str] = []
    with _open(path) as tar:
        manifest = _read_manifest(tar)
        expected: dict[str, dict[str, Any]] = manifest["files"]
        seen: set[str] = set()
        total = 0
        for member in tar:
            if member.name == MANIFEST:
                continue
            name = _safe_name(member.name)
            want = expected.get(name)
            if want is None or not member.isfile():
                problems.append(f"多余的成员 (unexpected member) {name}")
                continue
            data = _member_bytes(tar, member)
            total += len(data)
            seen.add(name)
            if hashlib.sha256(data).hexdigest() != want["sha256"] or len(data) != want["size"]:
                problems.append(f"校验和不符 (checksum mismatch) {name}")
            elif name == "catalog.db":
                problems.extend(_catalog_integrity(data))
            elif name == KEYS_BLOB and passphrase is not None:
                try:
                    crypto.decrypt(data, passphrase, manifest["keys"])
                except InputError as exc:
                    problems.append(exc.message)
        problems.extend(f"缺少成员 (missing member) {n}" for n in sorted(set(expected) - seen))
    return BackupReport(str(path), manifest.get("datasets", {}), len(seen), total, bool(manifest.get("keys")),
                        problems)


def _catalog_integrity(data: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".db") as tmp:
        tmp.write(data)
        tmp.flush()
        con = sqlite3.connect(tmp.name)
        try:
            result = con.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.Error as exc:
            result = str(exc)
        finally:
            con.close()
    return [] if result == "ok" else [f"目录数据库损坏 (catalog damaged): {result}"]


# ---------------------------------------------------------------------------------------------- restore
def restore_backup(path: Path, settings: Settings, *, passphrase: str | None) -> BackupReport:
    """Recreate a home from a verified backup in ``settings.home`` (which must be empty or absent);
    the catalog goes to ``SHUCANG_CATALOG_URL`` when one is set (e.g. PostgreSQL), else SQLite."""
    report = verify_backup(path, passphrase=passphrase)
    if not report.ok:
        raise InputError("备份校验失败，未恢复 (the backup does not verify; nothing restored)",
                         hint="; ".join(report.problems[:5]))
    home = settings.home
    if home.exists() and any(home.iterdir()):
        raise InputError(f"目标目录 {home} 不为空 (the target home is not empty)", hint="restore into a new --home")
    with _open(path) as tar:
        manifest = _read_manifest(tar)
        if manifest.get("keys") and not passphrase:
            raise InputError("备份含加密密钥，须提供口令 (the backup holds encrypted keys: a passphrase is required)",
                             hint="--passphrase-file FILE or SHUCANG_BACKUP_PASSPHRASE")
        home.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home))
        try:
            for member in tar:
                name = _safe_name(member.name)
                if name == MANIFEST:
                    continue
                data = _member_bytes(tar, member)
                if name == KEYS_BLOB:
                    _restore_keys(crypto.decrypt(data, passphrase or "", manifest["keys"]), settings.keys_dir)
                    continue
                target = staging / "catalog.db" if name == "catalog.db" else home / PurePosixPath(name).relative_to("home")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            _place_catalog(staging / "catalog.db", settings)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _restore_keys(archive: bytes, keys_dir: Path) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(keys_dir, 0o700)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
        for member in tar:
            if not member.isfile():
                continue
            target = keys_dir / PurePosixPath(_safe_name(member.name))
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_member_bytes(tar, member))


def _place_catalog(snapshot: Path, settings: Settings) -> None:
    url = settings.catalog_sqlalchemy_url()
    if url.startswith("sqlite"):
        shutil.move(str(snapshot), settings.home / "catalog.db")
        return
    from shucang.warehouse.engine import create_catalog_engine

    source = sa.create_engine(f"sqlite:///{snapshot}")
    target = create_catalog_engine(settings)  # creates a missing PostgreSQL database, as opening a home does
    try:
        with target.connect() as conn:
            if sa.inspect(conn).get_table_names():
                raise InputError("目标目录数据库不为空 (the target catalog database is not empty)")
        copy_catalog(source, target)
    finally:
        source.dispose()
        target.dispose()
