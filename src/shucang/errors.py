"""The small hierarchy of errors a user may see.

Every error carries a message a person can act on, an optional hint ("try …"), a stable machine
code and the HTTP status the API answers with. Front ends print ``message`` (and ``hint``) and never
a traceback unless asked for one.
"""

from __future__ import annotations


class ShucangError(Exception):
    """Base of every error meant for a user."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"

    def to_dict(self) -> dict[str, object]:
        return {"ok": False, "error": self.message, "hint": self.hint, "code": self.code,
                "status": self.status}


class InputError(ShucangError):
    """A file or argument that cannot be used as given (bad format, empty file, bad option)."""

    code = "bad_input"


def unstorable_value() -> InputError:
    """What a caller is told when the catalog database refuses a value it sent (PostgreSQL refuses
    NUL characters in text and integers beyond 32 bits where SQLite takes them)."""
    return InputError("输入值无效：含有空字符 (NUL) 或数字超出范围 (invalid value: a NUL character or a number "
                      "out of range)", hint="请检查参数 (check the parameters)")


class NotFound(ShucangError):
    """A dataset, version, user, plan … that does not exist."""

    code = "not_found"
    status = 404


class Conflict(ShucangError):
    """The request clashes with the current state (already exists, version moved on)."""

    code = "conflict"
    status = 409


class PermissionDenied(ShucangError):
    """The caller is not allowed to do this."""

    code = "forbidden"
    status = 403


class AuthenticationRequired(ShucangError):
    """The caller must log in or present a token."""

    code = "unauthenticated"
    status = 401


class RateLimited(ShucangError):
    """Too many requests: try again after ``retry_after`` seconds."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 1, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class StorageError(ShucangError):
    """The warehouse's own files or catalog are damaged or unreachable."""

    code = "storage"
    status = 500
