"""Regular expressions (RE2 syntax, usable by pyarrow.compute and DuckDB) for identifiers in text.

Each ``*_IN_TEXT`` pattern has exactly one capture group before the entity — the character that
bounds it (or the start of the string) — because RE2 has no look-behind; a replacement keeps it
with ``\\1``. The ``*_VALUE`` patterns match a whole cell (after trimming). All are the sensitive-type
registry's patterns (:mod:`shucang.classify.types`), spelled for this use.
"""

from __future__ import annotations

from shucang.classify import types as ST

MOBILE_VALUE = r"^(?:\+?86[- ]?)?1[3-9][0-9]{9}$"
MOBILE_IN_TEXT = ST.get("mobile_phone").in_text("left")
ID_CARD_VALUE = "^" + (ST.get("id_card").text or "") + "$"
ID_CARD_IN_TEXT = ST.get("id_card").in_text("left")
EMAIL_IN_TEXT = ST.get("email").in_text("left")
BANK_CARD_IN_TEXT = ST.get("bank_card").in_text("left")
PLATE_IN_TEXT = ST.get("license_plate").in_text("left")
LANDLINE_IN_TEXT = ST.get("landline_phone").in_text("left")
