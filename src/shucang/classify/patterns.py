"""Regular expressions (RE2 syntax, usable by pyarrow.compute and DuckDB) for identifiers in text.

Each ``*_IN_TEXT`` pattern has exactly one capture group before the entity — the character that
bounds it (or the start of the string) — because RE2 has no look-behind; a replacement keeps it
with ``\\1``. The ``*_VALUE`` patterns match a whole cell (after trimming).
"""

from __future__ import annotations

# A digit may not touch the entity on the left; (^|…) stands in for a look-behind.
_LEFT = r"(^|[^0-9A-Za-z])"

MOBILE_VALUE = r"^(?:\+?86[- ]?)?1[3-9][0-9]{9}$"
MOBILE_IN_TEXT = _LEFT + r"(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?:[^0-9]|$)"
ID_CARD_VALUE = r"^[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]$"
ID_CARD_IN_TEXT = _LEFT + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?:[^0-9A-Za-z]|$)"
EMAIL_IN_TEXT = r"()[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
BANK_CARD_IN_TEXT = _LEFT + r"62[0-9]{14,17}(?:[^0-9]|$)"
PLATE_IN_TEXT = r"()[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]"
LANDLINE_IN_TEXT = _LEFT + r"0[1-9][0-9]{1,2}-?[0-9]{7,8}(?:[^0-9]|$)"
