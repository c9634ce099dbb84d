"""Users, passwords, sessions and API tokens — who may call the sharing door and how they prove it.

Users are also the protection stage's *recipients* (one model, one clearance): every create/update
calls ``shucang.protect.recipients.upsert_recipient`` so extracts and API reads are fingerprinted and
traced the same way. Passwords are argon2id hashes; session ids and token secrets are random and only
their SHA-256 is stored; a session cookie is additionally HMAC-signed with a key kept outside the
catalog. Repeated failed logins lock an account with exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shucang.errors import AuthenticationRequired, Conflict, InputError, NotFound, RateLimited
from shucang.share.access import ROLES, Actor
from shucang.share.cache import MISSING, attached, caches, changed
from shucang.share.tables import aware, ensure_tables, now, sessions, tokens, users
from shucang.warehouse.catalog import inserted_id

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse

DEFAULT_CLEARANCE = {"admin": 4, "steward": 3, "consumer": 1}
LOCK_AFTER = 5
"""Consecutive failed logins before the account locks."""
LOCK_BASE_SECONDS = 30
LOCK_MAX_SECONDS = 3600
SESSION_HOURS = 12
TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 366
MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
# argon2id with OWASP's minimum profile (19 MiB, t=2, p=1): ~0.1 s on a 2-core server, so a login
# burst cannot starve the API; argon2-cffi's default (64 MiB, p=4) took 0.7 s here.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_dummy: list[str] = []


def _dummy_hash() -> str:
    """A real hash to verify against when the user does not exist, so timing does not reveal names."""
    if not _dummy:
        _dummy.append(_hasher.hash("not-a-password-" + secrets.token_hex(8)))
    return _dummy[0]


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    display_name: str
    role: str
    kind: str
    department: str | None
    clearance: int
    disabled: bool
    locked_until: datetime | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["locked_until"] = self.locked_until.isoformat() if self.locked_until else None
        data["created_at"] = self.created_at.isoformat()
        return data

    def actor(self, via: str, *, token_id: int | None = None, csrf: str | None = None,
              rate_per_minute: int | None = None) -> Actor:
        return Actor(name=self.name, role=self.role, department=self.department, clearance=self.clearance,
                     via=via, user_id=self.id, token_id=token_id, csrf=csrf, rate_per_minute=rate_per_minute)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    label: str
    prefix: str
    rate_per_minute: int | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("created_at", "expires_at", "revoked_at", "last_used_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["active"] = self.active
        return data


def _user(row: Any) -> UserInfo:
    return UserInfo(row.id, row.name, row.display_name or "", row.role, row.kind, row.department,
                    int(row.clearance), bool(row.disabled), aware(row.locked_until), aware(row.created_at))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sync_recipient(wh: Warehouse, user: UserInfo) -> None:
    """Keep the protection stage's recipient in step with the user (same name, department, clearance)."""
    from shucang.protect.recipients import upsert_recipient

    upsert_recipient(wh, user.name, department=user.department, clearance=user.clearance, disabled=user.disabled)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"密码太短，至少 {MIN_PASSWORD} 个字符 (password must have at least {MIN_PASSWORD} characters)")


# ---------------------------------------------------------------------------------------------- users
def _committed(wh: Warehouse, audit_as: Actor | None, action: str, work: Any, **details: Any) -> dict[str, Any]:
    """Run ``work(conn)`` in one transaction — with ``audit_as``, the audit entry's own transaction,
    so the change and its entry commit together or not at all. Returns what ``work`` returned."""
    if audit_as is None:
        with ensure_tables(wh.engine).begin() as conn:
            return dict(work(conn) or {})
    from shucang.share.audit import record_event

    out: dict[str, Any] = {}

    def run(conn: sa.Connection) -> dict[str, Any]:
        found = dict(work(conn) or {})
        out.update(found)
        return found

    record_event(wh, audit_as, action, work=run, **details)
    return out


def create_user(wh: Warehouse, name: str, *, role: str, department: str | None = None, clearance: int | None = None,
                password: str | None = None, display_name: str = "", kind: str = "person",
                audit_as: Actor | None = None) -> UserInfo:
    """Add a user (or application, ``kind="app"``); stewards and consumers belong to a department.
    With ``audit_as`` the user and its audit entry commit together."""
    ensure_tables(wh.engine)
    if not _NAME.match(name or ""):
        raise InputError(f"用户名无效 (invalid user name): {name!r}",
                         hint="lower-case letters, digits, '.', '_' or '-', starting with a letter")
    if role not in ROLES or role == "public":
        raise InputError(f"未知角色 (unknown role) {role!r}", hint="one of admin, steward, consumer")
    if role == "steward" and not department:
        raise InputError("数据管理员必须属于一个部门 (a steward needs --department)")
    if kind not in ("person", "app"):
        raise InputError(f"未知用户类型 (unknown kind) {kind!r}", hint="person or app")
    level = DEFAULT_CLEARANCE[role] if clearance is None else int(clearance)
    if not 1 <= level <= 4:
        raise InputError(f"密级授权必须在 1–4 之间 (clearance must be 1–4), got {clearance}")
    if password is not None:
        _check_password(password)
    if department:
        wh.ensure_department(department)
    stamp = now()
    hashed = _hasher.hash(password) if password else None

    def insert(conn: sa.Connection) -> None:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise Conflict(f"用户 {name} 已存在 (user {name} already exists)", hint="use `shucang users passwd` or update")
        conn.execute(users.insert().values(
            name=name, display_name=display_name, role=role, kind=kind, department=department, clearance=level,
            password_hash=hashed, disabled=False, failed_logins=0, created_at=stamp, updated_at=stamp))

    _committed(wh, audit_as, "user.create", insert, holder=name, role_given=role, department=department,
               clearance=level)
    user = get_user(wh, name)
    _sync_recipient(wh, user)
    return user


def user_exists(wh: Warehouse, name: str) -> bool:
    """Whether an account of that name exists (disabled ones too)."""
    with ensure_tables(wh.engine).connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.name == (name or ""))).first() is not None


def get_user(wh: Warehouse, name: str) -> UserInfo:
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"没有用户 {name} (no user named {name})", hint="`shucang users list` shows them")
    return _user(row)


def list_users(wh: Warehouse, *, department: str | None = None) -> list[UserInfo]:
    stmt = sa.select(users).order_by(users.c.name)
    if department:
        stmt = stmt.where(users.c.department == department)
    with ensure_tables(wh.engine).connect() as conn:
        return [_user(r) for r in conn.execute(stmt)]


def update_user(wh: Warehouse, name: str, *, audit_as: Actor | None = None, **fields: Any) -> UserInfo:
    """Change role, department, clearance, display_name or disabled; a disabled user's sessions end.
    With ``audit_as`` the change and its audit entry commit together."""
    user = get_user(wh, name)
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in ("role", "department", "clearance", "display_name", "disabled"):
            raise InputError(f"不能修改字段 {key!r} (field cannot be changed)")
        values[key] = value
    if "role" in values and values["role"] not in ("admin", "steward", "consumer"):
        raise InputError(f"未知角色 (unknown role) {values['role']!r}")
    if "clearance" in values and not 1 <= int(values["clearance"]) <= 4:
        raise InputError("密级授权必须在 1–4 之间 (clearance must be 1–4)")
    if values.get("department"):
        wh.ensure_department(values["department"])
    changes = dict(values)
    values["updated_at"] = now()

    def update(conn: sa.Connection) -> None:
        conn.execute(users.update().where(users.c.id == user.id).values(**values))
        if values.get("disabled"):
            conn.execute(sessions.delete().where(sessions.c.user_id == user.id))

    try:
        _committed(wh, audit_as, "user.update", update, holder=name, changes=changes)
    finally:
        changed(wh)  # role, department, clearance or disabled: cached actors and grants are stale
    user = get_user(wh, name)
    _sync_recipient(wh, user)
    return user


def set_password(wh: Warehouse, name: str, password: str) -> None:
    """Set a new password; it also clears a lock-out and ends the user's sessions."""
    _check_password(password)
    user = get_user(wh, name)
    with wh.engine.begin() as conn:
        conn.execute(users.update().where(users.c.id == user.id).values(
            password_hash=_hasher.hash(password), failed_logins=0, locked_until=None, updated_at=now()))
        conn.execute(sessions.delete().where(sessions.c.user_id == user.id))
    changed(wh)  # the ended sessions must not live on in a cache


def lock_seconds(failures: int) -> int:
    """Backoff after ``failures`` consecutive failures: 0 below the threshold, then doubling, capped."""
    if failures < LOCK_AFTER:
        return 0
    return min(LOCK_MAX_SECONDS, LOCK_BASE_SECONDS * 2 ** (failures - LOCK_AFTER))


def _take_turn(engine: sa.Engine, user_id: int, stamp: datetime) -> None:
    """Count a login attempt *before* its password is checked, as if it failed (with the lock it would
    earn); a success clears both. The count moves by compare-and-set, so concurrent guesses each take
    their own numbered turn and none is tried once the lock is on: at most LOCK_AFTER passwords are ever
    tried before it, however many arrive at once."""
    for _ in range(100):
        with engine.begin() as conn:
            row = conn.execute(sa.select(users.c.failed_logins, users.c.locked_until)
                               .where(users.c.id == user_id)).one()
            locked = aware(row.locked_until)
            if locked is not None and locked > stamp:
                wait = max(1, int((locked - stamp).total_seconds()))
                raise RateLimited(f"登录失败次数过多，账户已锁定 {wait} 秒 (too many failed logins; locked for {wait} s)",
                                  retry_after=wait, hint="wait, or ask an admin to reset the password")
            failures = int(row.failed_logins or 0) + 1
            seconds = lock_seconds(failures)
            taken = conn.execute(users.update().where(
                (users.c.id == user_id) & (users.c.failed_logins == int(row.failed_logins or 0))
                & sa.or_(users.c.locked_until.is_(None), users.c.locked_until <= stamp)).values(
                failed_logins=failures, locked_until=stamp + timedelta(seconds=seconds) if seconds else None)).rowcount
        if taken:
            return
    raise RateLimited("登录过于频繁 (too many concurrent logins)", retry_after=1)


def authenticate(wh: Warehouse, name: str, password: str) -> UserInfo:
    """Check a password; count failures and lock the account with backoff after repeated ones."""
    engine = ensure_tables(wh.engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == (name or ""))).first()
    bad = AuthenticationRequired("用户名或密码错误 (wrong user name or password)")
    if row is None or not row.password_hash:
        try:  # spend the same time as a real check
            _hasher.verify(_dummy_hash(), password or "")
        except (VerificationError, InvalidHashError):
            pass
        raise bad
    stamp = now()
    _take_turn(engine, row.id, stamp)
    try:
        _hasher.verify(row.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise bad from None  # already counted (and locked, at the threshold) by the turn
    if row.disabled:
        raise AuthenticationRequired(f"账户 {name} 已停用 (account disabled)", hint="ask an admin")
    with engine.begin() as conn:
        changes: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if _hasher.check_needs_rehash(row.password_hash):
            changes["password_hash"] = _hasher.hash(password)
        conn.execute(users.update().where(users.c.id == row.id).values(**changes))
    return _user(row)


# ---------------------------------------------------------------------------------------------- sessions
def _session_key(wh: Warehouse) -> bytes:
    """The cookie-signing key: ``$SHUCANG_SESSION_KEY`` or a 0600 file under keys/ (never in the catalog)."""
    env = os.environ.get("SHUCANG_SESSION_KEY")
    if env:
        return env.encode()
    return attached(wh, "_share_session_key", lambda: _read_session_key(wh))


def _read_session_key(wh: Warehouse) -> bytes:
    path = Path(wh.settings.keys_dir) / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _sign(wh: Warehouse, value: str) -> str:
    return hmac.new(_session_key(wh), value.encode(), hashlib.sha256).hexdigest()[:32]


def create_session(wh: Warehouse, user: UserInfo) -> tuple[str, str]:
    """Start a session; returns (cookie value, CSRF token)."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    stamp = now()
    with ensure_tables(wh.engine).begin() as conn:
        conn.execute(sessions.delete().where(sessions.c.expires_at < stamp))
        conn.execute(sessions.insert().values(id_hash=_sha(sid), user_id=user.id, csrf=csrf, created_at=stamp,
                                              expires_at=stamp + timedelta(hours=SESSION_HOURS)))
    return f"{sid}.{_sign(wh, sid)}", csrf


def resolve_session(wh: Warehouse, cookie: str | None) -> Actor | None:
    """The actor of a session cookie, or None when it is missing, forged, expired or the user is disabled."""
    if not cookie or "." not in cookie:
        return None
    sid, _, signature = cookie.rpartition(".")
    if not hmac.compare_digest(signature, _sign(wh, sid)):
        return None
    memo, key = caches(wh).sessions, _sha(sid)
    gen = memo.generation.current()  # read before the catalog: a change committed meanwhile makes it stale
    hit = memo.get(key, gen)
    if hit is not MISSING and hit[1] > now():
        return hit[0]
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(sa.select(users, sessions.c.csrf, sessions.c.expires_at)
                           .select_from(sessions.join(users, sessions.c.user_id == users.c.id))
                           .where(sessions.c.id_hash == _sha(sid))).first()
    if row is None or row.disabled or aware(row.expires_at) <= now():
        return None
    actor = _user(row).actor("session", csrf=row.csrf)
    memo.put(key, gen, (actor, aware(row.expires_at)))
    return actor


def end_session(wh: Warehouse, cookie: str | None) -> None:
    if cookie and "." in cookie:
        sid = cookie.rpartition(".")[0]
        with ensure_tables(wh.engine).begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == _sha(sid)))
        changed(wh)


# ---------------------------------------------------------------------------------------------- tokens
def _token(row: Any, user: str) -> TokenInfo:
    return TokenInfo(row.id, user, row.label or "", row.prefix, row.rate_per_minute, aware(row.created_at),
                     aware(row.expires_at), aware(row.revoked_at), aware(row.last_used_at))


def create_token(wh: Warehouse, user_name: str, *, label: str = "", days: int = TOKEN_DEFAULT_DAYS,
                 rate_per_minute: int | None = None, audit_as: Actor | None = None) -> tuple[TokenInfo, str]:
    """Issue an API token; the secret is returned once and only its hash is kept. With ``audit_as``
    the token and its audit entry commit together."""
    user = get_user(wh, user_name)
    if user.disabled:
        raise InputError(f"用户 {user_name} 已停用 (user disabled)")
    if not 1 <= int(days) <= TOKEN_MAX_DAYS:
        raise InputError(f"有效期必须在 1–{TOKEN_MAX_DAYS} 天 (days must be 1–{TOKEN_MAX_DAYS})")
    if rate_per_minute is not None and rate_per_minute < 1:
        raise InputError("速率上限必须为正数 (rate must be positive)")
    secret = secrets.token_urlsafe(32)
    stamp = now()
    expires = stamp + timedelta(days=int(days))

    def insert(conn: sa.Connection) -> dict[str, Any]:
        token_id = inserted_id(conn.execute(tokens.insert().values(
            user_id=user.id, label=label, secret_hash=_sha(secret), prefix="", rate_per_minute=rate_per_minute,
            created_at=stamp, expires_at=expires)))
        conn.execute(tokens.update().where(tokens.c.id == token_id).values(prefix=f"sct_{token_id}_{secret}"[:12]))
        return {"token_id": token_id}

    made = _committed(wh, audit_as, "token.create", insert, holder=user.name, expires_at=expires.isoformat(),
                      rate_per_minute=rate_per_minute)
    token_id = int(made["token_id"])
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(sa.select(tokens).where(tokens.c.id == token_id)).one()
    return _token(row, user.name), f"sct_{token_id}_{secret}"


def list_tokens(wh: Warehouse, user_name: str | None = None) -> list[TokenInfo]:
    stmt = (sa.select(tokens, users.c.name.label("user_name"))
            .select_from(tokens.join(users, tokens.c.user_id == users.c.id)).order_by(tokens.c.id))
    if user_name:
        stmt = stmt.where(users.c.name == user_name)
    with ensure_tables(wh.engine).connect() as conn:
        return [_token(r, r.user_name) for r in conn.execute(stmt)]


def get_token(wh: Warehouse, token_id: int) -> TokenInfo:
    for token in list_tokens(wh):
        if token.id == token_id:
            return token
    raise NotFound(f"没有令牌 #{token_id} (no such token)")


def revoke_token(wh: Warehouse, token_id: int, *, audit_as: Actor | None = None) -> TokenInfo:
    """Revoke a token; it stops working on the next request (with ``audit_as``: together with its entry)."""
    token = get_token(wh, token_id)

    def revoke(conn: sa.Connection) -> None:
        conn.execute(tokens.update().where((tokens.c.id == token_id) & tokens.c.revoked_at.is_(None))
                     .values(revoked_at=now()))

    try:
        _committed(wh, audit_as, "token.revoke", revoke, token_id=token_id, holder=token.user)
    finally:
        changed(wh)  # stops on the next request, in every server process
    return get_token(wh, token.id)


_TOKEN_ID = re.compile(r"[1-9][0-9]{0,17}")


def resolve_token(wh: Warehouse, bearer: str) -> Actor:
    """The actor of an API token; raises 401 for an unknown, revoked or expired token."""
    bad = AuthenticationRequired("API 令牌无效、已撤销或已过期 (API token invalid, revoked or expired)",
                                 hint="create a new one with `shucang tokens create USER`")
    parts = (bearer or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "sct" or not _TOKEN_ID.fullmatch(parts[1]) or not parts[2].isascii():
        raise bad  # (an id beyond 64 bits or a non-ASCII secret would fail in the catalog, not here)
    memo, key, stamp_now = caches(wh).tokens, _sha(bearer), now()
    gen = memo.generation.current()  # read before the catalog: a change committed meanwhile makes it stale
    hit = memo.get(key, gen)
    if hit is not MISSING and hit[1] > stamp_now:
        actor, expires_at, last = hit
        if last is None or stamp_now - last > timedelta(minutes=1):
            _touch_token(wh, actor.token_id, stamp_now)
            memo.put(key, gen, (actor, expires_at, stamp_now))
        return actor
    with ensure_tables(wh.engine).connect() as conn:
        row = conn.execute(sa.select(tokens.c.id.label("token_id"), tokens.c.secret_hash, tokens.c.expires_at, tokens.c.revoked_at,
                                     tokens.c.last_used_at, tokens.c.rate_per_minute.label("token_rate"), users)
                           .select_from(tokens.join(users, tokens.c.user_id == users.c.id))
                           .where(tokens.c.id == int(parts[1]))).first()
    stamp = now()
    if (row is None or not hmac.compare_digest(row.secret_hash, _sha(parts[2])) or row.revoked_at is not None
            or aware(row.expires_at) <= stamp or row.disabled):
        raise bad
    last = aware(row.last_used_at)
    if last is None or stamp - last > timedelta(minutes=1):  # at most one write a minute per token
        _touch_token(wh, int(row.token_id), stamp)
        last = stamp
    actor = _user(row).actor("token", token_id=int(row.token_id), rate_per_minute=row.token_rate)
    memo.put(key, gen, (actor, aware(row.expires_at), last))
    return actor


def _touch_token(wh: Warehouse, token_id: int | None, stamp: datetime) -> None:
    with wh.engine.begin() as conn:
        conn.execute(tokens.update().where(tokens.c.id == token_id).values(last_used_at=stamp))
