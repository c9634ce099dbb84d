"""Who is calling and what they may do: the one permission check used by the CLI, the API and the web.

``allowed(actor, action, resource)`` is a pure function over an :class:`Actor` and a small
:class:`Resource` description; callers look up the facts (owning department, whether an active grant
exists) and this module decides. Keeping the rules in one table-like function is what lets the access
matrix test prove them once for every front end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shucang.errors import AuthenticationRequired, PermissionDenied

ROLES = ("admin", "steward", "consumer", "public")
"""admin: everything; steward: its department's datasets and their requests; consumer: a department
or application using data under grants; public: anonymous visitors of the open-data portal."""


@dataclass(frozen=True)
class Actor:
    """Who is calling: a user, an application token, or the anonymous public."""

    name: str
    role: str  # admin | steward | consumer | public
    department: str | None = None
    clearance: int = 1
    via: str = "anonymous"  # session | token | anonymous | cli
    user_id: int | None = None
    token_id: int | None = None
    csrf: str | None = None
    """The session's CSRF token (web forms and cookie-authenticated API writes must echo it)."""
    rate_per_minute: int | None = None
    """The API token's own rate limit (None: the server default)."""

    @property
    def is_authenticated(self) -> bool:
        return self.role != "public"

    @property
    def key(self) -> str:
        """Rate-limit bucket: per token, else per user, else the shared public bucket."""
        if self.token_id is not None:
            return f"token:{self.token_id}"
        return f"user:{self.name}" if self.is_authenticated else "public"

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "department": self.department,
                "clearance": self.clearance, "via": self.via}


PUBLIC = Actor(name="public", role="public")


def cli_actor(home: object = None) -> Actor:
    """The local operator of a CLI command: the OS user (with the home in the audit details via
    ``via``), admin rights — the person at the server's console. Every CLI data access is audited
    under this name, so ``audit search`` answers who read a dataset whatever the door."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "operator"
    return Actor(name=f"cli:{who}"[:64], role="admin", clearance=4, via="cli")


@dataclass(frozen=True)
class Resource:
    """The facts about the thing acted on that the rules need (looked up by the caller)."""

    kind: str = "none"  # dataset | request | grant | user | token | audit | none
    name: str | None = None
    department: str | None = None
    """Owning department code (of the dataset, request or grant)."""
    owner: str | None = None
    """User the request, grant or token belongs to."""
    is_open: bool = False
    """Dataset published on the open-data portal."""
    has_grant: bool = False
    """The actor holds an active (approved, unexpired, unrevoked) grant on the dataset."""


NOTHING = Resource()


def _steward_of(actor: Actor, resource: Resource) -> bool:
    """The rule "steward of the owning department": both departments known and equal (a steward or a
    resource without a department owns nothing). Admins pass every rule in :func:`allowed`."""
    return actor.role == "steward" and actor.department is not None and actor.department == resource.department


def allowed(actor: Actor, action: str, resource: Resource = NOTHING) -> bool:
    """Whether ``actor`` may perform ``action`` on ``resource``. Unknown actions are refused."""
    if action in NOBODY_FOR_THEMSELVES and resource.owner is not None and resource.owner == actor.name:
        return False  # admins included
    if actor.role == "admin":
        return action in ACTIONS
    rule = ACTIONS.get(action)
    return bool(rule and rule(actor, resource))


NOBODY_FOR_THEMSELVES = frozenset({"request:decide"})
"""Actions nobody may take on their own things, admins included (the docs promise it)."""


def _plan_editor(actor: Actor, resource: Resource) -> bool:
    """Stewards of the indicator's responsible department (any steward when it names none)."""
    return actor.role == "steward" and (resource.department is None or actor.department == resource.department)


ACTIONS: dict[str, Callable[[Actor, Resource], bool]] = {
    # catalog metadata: everyone logged in sees the catalog (not the data); the public sees open datasets
    "dataset:list": lambda a, r: True,
    "dataset:view": lambda a, r: a.is_authenticated or r.is_open,
    # rows and aggregates: own department's steward, or an active grant; public only via the portal
    "dataset:read": lambda a, r: _steward_of(a, r) or (a.role in ("consumer", "steward") and r.has_grant),
    "dataset:open_read": lambda a, r: r.is_open,
    "dataset:publish": lambda a, r: _steward_of(a, r),
    # self-service upload (web): stewards load their department's files; admins any
    "dataset:upload": lambda a, r: a.role == "steward" and a.department is not None,
    "sql:raw": lambda a, r: False,
    # the request/approval workflow
    "request:create": lambda a, r: a.role in ("consumer", "steward"),
    "request:view": lambda a, r: a.is_authenticated and (r.owner == a.name or _steward_of(a, r)),
    "request:withdraw": lambda a, r: a.is_authenticated and r.owner == a.name,
    # nobody approves their own request, even a steward of the owning department
    "request:decide": lambda a, r: _steward_of(a, r) and r.owner != a.name,
    "grant:view": lambda a, r: a.is_authenticated and (r.owner == a.name or _steward_of(a, r)),
    "grant:revoke": lambda a, r: _steward_of(a, r),
    # identity
    "user:manage": lambda a, r: False,
    "user:view": lambda a, r: a.is_authenticated and r.owner == a.name,
    "user:passwd": lambda a, r: a.is_authenticated and r.owner == a.name,
    "token:create": lambda a, r: a.is_authenticated and a.via != "token" and r.owner == a.name,
    "token:view": lambda a, r: a.is_authenticated and r.owner == a.name,
    "token:revoke": lambda a, r: a.is_authenticated and r.owner == a.name,
    "token:raise_rate": lambda a, r: False,  # a token faster than the server default: admins only
    # audit: stewards see events about their department's datasets; verification is for admins
    "audit:view": lambda a, r: _steward_of(a, r) or (a.role == "steward" and a.department is not None
                                                      and r.department is None),
    "audit:verify": lambda a, r: False,
    # "admin, or steward of the owning department" of anything that has one (a dataset, a sign, an
    # alert): the one copy of that rule; callers pass Resource(kind, department=…)
    "department:own": _steward_of,
    # plan values (indicator actuals): the indicator's department
    "plan:write": _plan_editor,
}


def owns(actor: Actor, department: str | None, kind: str = "dataset") -> bool:
    """Admin, or the steward of ``department`` (never when either department is missing)."""
    return allowed(actor, "department:own", Resource(kind, department=department))


def audit_scope(actor: Actor) -> str | None:
    """The department whose audit entries ``actor`` may search (None: every entry, for admins);
    refused (401/403) for everyone else, and for a steward without a department."""
    scope = actor.department if actor.role == "steward" else None
    require(actor, "audit:view", Resource("audit", department=scope))
    return scope


def require(actor: Actor, action: str, resource: Resource = NOTHING) -> None:
    """Raise the error a user should see when ``allowed`` says no (401 for anonymous, else 403)."""
    if allowed(actor, action, resource):
        return
    if not actor.is_authenticated and action not in ("dataset:open_read", "dataset:view"):
        raise AuthenticationRequired("请先登录或提供 API 令牌 (login or an API token is required)",
                                     hint="POST /api/v1/auth/login, or send 'Authorization: Bearer <token>'")
    what = f" {resource.kind} {resource.name}" if resource.name else ""
    hint = None
    if action == "dataset:read":
        hint = "file an access request: POST /api/v1/requests (or `shucang requests create`)"
    raise PermissionDenied(f"{actor.name}（{actor.role}）无权执行 {action}{what} "
                           f"({actor.name} may not {action}{what})", hint=hint)
