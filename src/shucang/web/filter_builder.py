"""What the row-filter condition builder offers: columns, operators and, for non-sensitive columns
with few distinct values, the values themselves (so 周巷镇 is picked, not typed).

Values are offered only for level-1 (不敏感) columns of few values, as the sharing stage decides
(``shucang.share.choices``): offering the values of a sensitive column to someone who is still asking
for access would disclose them. The builder writes the same filter language the API takes (``{"and": [{"column", "op", "value"}]}``, see ``shucang.share.query``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shucang.share.choices import offered_values
from shucang.web.dictionary import column_label
from shucang.web.i18n import N_, gettext

if TYPE_CHECKING:
    from shucang.share.access import Actor
    from shucang.warehouse import Warehouse

OPERATORS = (("=", N_("equals")), ("!=", N_("does not equal")), (">", N_("greater than")),
             (">=", N_("at least")), ("<", N_("less than")), ("<=", N_("at most")), ("in", N_("is one of")),
             ("like", N_("matches")), ("is null", N_("is empty")), ("is not null", N_("is not empty")))


def column_choices(wh: Warehouse, actor: Actor, dataset: str, columns: list[dict[str, Any]],
                   lang: str) -> list[dict[str, Any]]:
    """``[{name, label, level, type, values}]`` for the builder (``values`` empty when not offered;
    which are offered is the sharing stage's decision: :func:`shucang.share.choices.offered_values`)."""
    offered = offered_values(wh, actor, dataset)
    return [{"name": col["name"], "label": column_label(col["name"], lang), "level": int(col.get("level") or 4),
             "type": col.get("type") or "", "values": offered.get(col["name"], [])} for col in columns]


def operators(lang: str) -> list[dict[str, str]]:
    return [{"op": op, "label": gettext(lang, label)} for op, label in OPERATORS]
