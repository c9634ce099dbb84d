"""Recipients of data and their clearance (1–4): who an extract or API answer is masked for.

The sharing stage's users are these recipients (it calls :func:`upsert_recipient` when it creates a
user). A recipient's row id is its *slot*, the number pseudonym codes carry, so rows are never
deleted — a recipient who leaves is ``disabled`` and stays traceable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from shucang.errors import InputError, NotFound, PermissionDenied
from shucang.protect.tables import ensure_tables, recipients

if TYPE_CHECKING:
    from shucang.warehouse import Warehouse


@dataclass(frozen=True)
class Recipient:
    """One recipient: a person, department or application that receives data."""

    id: int
    name: str
    department: str | None
    clearance: int
    created_at: datetime
    disabled: bool

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


def _row(row: Any) -> Recipient:
    return Recipient(row.id, row.name, row.department, int(row.clearance), row.created_at, bool(row.disabled))


def _check(name: str, clearance: int) -> str:
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise InputError("接收方名称不能为空且不超过 128 字符 (recipient name must be 1–128 characters)")
    if clearance not in (1, 2, 3, 4):
        raise InputError(f"密级必须为 1–4 (clearance must be 1–4), got {clearance}",
                         hint="1 = only public data as stored … 4 = every column as stored")
    return name


def upsert_recipient(wh: Warehouse, name: str, *, department: str | None = None, clearance: int = 1,
                     disabled: bool | None = None) -> Recipient:
    """Create the recipient, or update its department/clearance (and ``disabled`` when given)."""
    name = _check(name, int(clearance))
    ensure_tables(wh.engine)
    values: dict[str, Any] = {"clearance": int(clearance)}
    if department is not None:
        values["department"] = department
    if disabled is not None:
        values["disabled"] = bool(disabled)
    with wh.engine.begin() as conn:
        found = conn.execute(sa.select(recipients.c.id).where(recipients.c.name == name)).first()
        if found is None:
            conn.execute(recipients.insert().values(name=name, department=department, clearance=int(clearance),
                                                    created_at=datetime.now(UTC), disabled=bool(disabled)))
        else:
            conn.execute(recipients.update().where(recipients.c.id == found.id).values(**values))
    return get_recipient(wh, name)


def get_recipient(wh: Warehouse, name: str) -> Recipient:
    """The recipient called ``name``; :class:`NotFound` with a hint otherwise."""
    ensure_tables(wh.engine)
    with wh.engine.connect() as conn:
        row = conn.execute(sa.select(recipients).where(recipients.c.name == name)).first()
    if row is None:
        raise NotFound(f"接收方不存在 (no such recipient): {name}",
                       hint=f"add it first: shucang recipients add {name} --clearance 1")
    return _row(row)


def list_recipients(wh: Warehouse, *, include_disabled: bool = True) -> list[Recipient]:
    """Every recipient, by name."""
    ensure_tables(wh.engine)
    query = sa.select(recipients).order_by(recipients.c.name)
    if not include_disabled:
        query = query.where(recipients.c.disabled.is_(False))
    with wh.engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def active_recipient(wh: Warehouse, name: str) -> Recipient:
    """Like :func:`get_recipient`, but a disabled recipient may receive nothing."""
    found = get_recipient(wh, name)
    if found.disabled:
        raise PermissionDenied(f"接收方已停用 (recipient is disabled): {name}",
                               hint=f"re-enable it: shucang recipients add {name} --clearance {found.clearance}")
    return found
