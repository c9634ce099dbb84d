"""What a registry record is, and the rules records name to read a column's evidence.

Part of the registry (:mod:`shucang.classify.types` holds the records, :mod:`typedata` their word
lists): :class:`SensitiveType` is one record; :class:`Evidence` is what a column shows (detector shares,
facts about the values and the header); the functions below are the rules a record's ``values_say``
and ``fits_header`` name. Type codes appear here only inside those rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

COMPANY_CONTEXT = "company_ctx"
"""The header concept of 单位/企业名称 words (a company name if the values are company names)."""
# what may touch a free-text entity on either side
_BOUNDS = {"digit": ("[^0-9]", "[^0-9]"), "alnum": ("[^0-9A-Za-z]", "[^0-9A-Za-z]"), "none": ("", "")}


class Evidence:
    """What a column shows, as the records' rules read it: ``v["number"]`` is the share of values the
    ``number`` detector accepts (0 when not measured); the rest are facts about the values and header."""

    def __init__(self, shares: Mapping[str, float], facts: Mapping[str, Any], *, n: int,
                 header: str | None = None, head: str | None = None, guessed: bool = False,
                 distinct: Callable[[], int] | None = None) -> None:
        self._shares = shares
        self._facts = facts
        self.n = n
        """Non-blank values."""
        self.header = header
        """The type the header names (None: none)."""
        self.head = head
        """The header's head concept (a type code, or a :mod:`vocab` concept such as :data:`COMPANY_CONTEXT`)."""
        self.guessed = guessed
        """The header was read as pinyin initials after an unknown leading syllable (a guess)."""
        self._distinct = distinct
        self._kinds: int | None = None

    def __getitem__(self, detector: str) -> float:
        return float(self._shares.get(detector, 0.0))

    @property
    def avg_len(self) -> float:
        return float(self._facts.get("avg_len", 0.0))

    @property
    def serial(self) -> bool:
        """The 11-digit values are a running serial number, not phone numbers."""
        return bool(self._facts.get("serial"))

    @property
    def kinds(self) -> int:
        """Distinct values (counted once, when a rule first asks)."""
        if self._kinds is None:
            self._kinds = self._distinct() if self._distinct else self.n
        return self._kinds

    def diverse(self, ratio: float) -> bool:
        """Few values, or at least ``ratio`` of them distinct (names vary; a category column repeats)."""
        return self.n < 30 or self.kinds / max(1, self.n) >= ratio


Rule = Callable[[Evidence], float]


@dataclass(frozen=True)
class SensitiveType:
    """Everything about one sensitive type (敏感数据类型)."""

    code: str
    """Taxonomy code (``id_card``), as in scan reports and labels."""
    name_zh: str
    """Name shown to stewards."""
    level: int
    """Default level 1–4 (DB33/T 2351: 1 不敏感 … 4 敏感)."""
    zh: tuple[str, ...] = ()
    """Chinese header words (their pinyin initials are derived)."""
    initials: tuple[str, ...] = ()
    """Hand-made pinyin-initial spellings (``sfzh``); they win over derived ones."""
    pinyin: tuple[str, ...] = ()
    """Full-pinyin fragments (``shenfenzheng``)."""
    en: tuple[str, ...] = ()
    """English header phrases, as ``_``-joined tokens (``id_card``)."""
    threshold: float | None = None
    """Share of non-blank values its value detector needs to decide the type whatever the header."""
    priority: int = 0
    """Tie-break between types whose values both pass (checksummed identifiers highest)."""
    words: frozenset[str] = frozenset()
    """The values that name the type itself (汉族, 已婚, 佛教; in :mod:`typedata`): its dictionary detector,
    named like it, counts the share of values among them."""
    validators: tuple[str, ...] = ()
    """Names of the value detectors (:func:`shucang.classify.shares.count_values` keys) that count for it."""
    groups: tuple[str, ...] = ()
    """Groups of :data:`GROUPS` used by the grading context rules."""
    mask: str = "redact"
    """Name of its display masking rule (a key of ``protect.masking.STRATEGIES``)."""
    mask_params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Parameters of that rule."""
    pseudonym: str | None = None
    """Token shape of its keyed pseudonym (``id18``, ``mobile``, ``digits``, ``token``); None: not pseudonymised."""
    decoy: str | None = None
    """Decoy generator kind (``id``, ``mobile``, ``name``); None: the decoy keeps its donor's value."""
    never_shown: bool = False
    """Masked for every recipient whatever the clearance (密码)."""
    open_data_drop: bool = False
    """Dropped from open-data releases when graded above the release's level (names, addresses…)."""
    check: str | None = None
    """Check character a synthesised value must get right (``luhn``, ``uscc``), by name."""
    text: str | None = None
    """RE2 pattern of the entity inside free text (no boundaries), used to find *and* to redact it."""
    text_bound: str = "none"
    """What may not touch the entity on either side: ``digit``, ``alnum`` or ``none``."""
    text_label: str | None = None
    """Placeholder that replaces the entity in labelled redaction (``[身份证号]``)."""
    text_in_context: tuple[str, ...] = ()
    """RE2 patterns, one group each (the entity), that find it in free text by what surrounds it (a
    surname after 来电人); found to count and to overwrite, not to redact by label."""
    values_say: Rule | None = None
    """The share with which a column's values alone claim the type (0: they do not). None: its own
    detector's share, when that reaches :attr:`threshold`."""
    fits_header: Rule | None = None
    """How well the values fit the type when a header names it and the values decided nothing (≥ 0.6
    settles it). None: a header alone never settles it."""
    header_means: Callable[[Evidence], str | None] | None = None
    """The sibling type a header naming this one really means, given the values (手机 over 7-digit
    local numbers: a landline); None or a None result: this one."""
    header_vetoes: bool = False
    """Values that look like it are overruled by a header naming something else (版本号 looks like an IP
    address, 文件MD5 like a password hash). Never for checksummed identifiers."""
    refines: str | None = None
    """The type it is a role of (a legal representative is a person's name): that type's values under a
    header naming this one are this one."""
    gives_way_below: float | None = None
    """Below this share, another type the values show at 0.5 or more wins over it (free text)."""
    full_scan_hunt: bool = False
    """A full scan re-measures every value of a column the sample typed as nothing when the sample saw
    any value of it (an evenly spaced sample misses rare identifiers)."""
    carries: tuple[str, ...] = ()
    """Facts each value carries that other columns are checked against (an ID number: ``birth``, ``birth_year``,
    ``sex``)."""
    agrees_with: str | None = None
    """The carried fact a column of this type matches (a birth-date column agrees with the ``birth`` of
    the table's ID numbers)."""

    def claim(self, v: Evidence) -> float:
        """The share with which the values alone claim this type (0: they do not)."""
        if self.values_say is not None:
            return self.values_say(v)
        if self.threshold is None:
            return 0.0
        share = v[self.code]  # its own detector, named like it
        return share if share >= self.threshold else 0.0

    def fit(self, v: Evidence) -> float:
        """How well the values fit this type under a header naming it (0: a header cannot settle it)."""
        return self.fits_header(v) if self.fits_header is not None else 0.0

    def in_text(self, captures: str = "entity") -> str:
        """The free-text pattern with its boundaries. ``captures``: ``entity`` — one group, the entity
        (to find it); ``sides`` — two groups, the characters left and right of it (to replace it and keep
        them); ``left`` — one group, the character on the left (RE2 has no look-behind)."""
        if self.text is None:
            raise KeyError(f"{self.code} has no free-text pattern")
        left, right = _BOUNDS[self.text_bound]
        lo, ro = (f"^|{left}", f"{right}|$") if left else ("", "")
        if captures == "entity":
            return (f"(?:{lo})" if lo else "") + "(" + self.text + ")" + (f"(?:{ro})" if ro else "")
        if captures == "sides":
            return f"({lo})" + self.text + f"({ro})"
        if captures == "left":
            return f"({lo})" + self.text + (f"(?:{ro})" if ro else "")
        raise ValueError(captures)


# ---------------------------------------------------------------------------------------------
# How values claim a type, and fit it under a header: the rules the records name (``values_say``,
# ``fits_header``). Shares are of non-blank values; the detectors are :func:`shares.count_values`'.

def amount(v: Evidence) -> float:
    # a guessed abbreviation over small counts (家庭人口数 jt·rks) is not money
    return 0.0 if v.guessed and v["int_small"] >= 0.5 else v["number"]


def coded(code: str, bonus: float = 0.3) -> Rule:
    """A category column: its code values (GB/T code tables) or its words."""
    return lambda v: max(v["code2"], v[code] + bonus)


def phone(mobile: bool) -> Rule:
    """Mobile and landline numbers count together; the more common kind names the column."""
    def rule(v: Evidence) -> float:
        mob, land = v["mobile_phone"], v["landline_phone"]
        if mob + land < 0.6 or v.serial or v["decimal"] >= 0.1 or (mob >= land) != mobile:
            return 0.0
        return mob + land
    return rule


_DOCUMENTS = ("passport", "travel_permit", "social_security_no")


def document(code: str) -> Rule:
    """Letter + digits documents: the header says which; otherwise the leading letter."""
    from shucang.classify import types  # (the registry imports this module)

    def rule(v: Evidence) -> float:
        if v["doc_code"] < 0.6:
            return 0.0
        if v.header in _DOCUMENTS:
            return v["doc_code"] if v.header == code else 0.0
        for kind in _DOCUMENTS[:2]:
            if v[kind] >= (types.BY_CODE[kind].threshold or 0.0):
                return v[kind] if kind == code else 0.0
        return 0.0
    return rule


def person(v: Evidence) -> float:
    """Diverse values (a category column of short words is not a name column); under a name header
    fewer need to look like names."""
    s = v["person_name"]
    need = 0.4 if v.header in ("person_name", "legal_representative") else 0.6
    return s if s >= need and v.diverse(0.2) else 0.0


def company(v: Evidence) -> float:
    """Legal names, not government bodies (banks and shop display names are not counted at all)."""
    s = v["company_name"]
    return s if s >= (0.4 if v.head == COMPANY_CONTEXT else 0.6) and s > v["government"] else 0.0


def gps(v: Evidence) -> float:
    pair = v["gps_pair"] if v["gps_pair"] >= 0.6 else 0.0
    axis = v["coord_cn"] if v["coord_cn"] >= 0.9 and v.diverse(0.5) else 0.0
    return max(pair, axis)


def religion(v: Evidence) -> float:
    """The dictionary includes 无: at least one actual religion in the column, or a religion header."""
    s = v["religion"]
    return s if s >= 0.85 and (v["religion_marker"] > 0 or v.header == "religion") else 0.0


def medical(v: Evidence) -> float:
    # ICD-10-shaped values alone are weak evidence (5G bands n78/n41, grid squares A12): a diagnosis
    # column either says so in its name or holds many different codes.
    icd, words = v["icd"], v["medical_words"]
    s = 0.0
    if (icd >= 0.7 and (v.header == "medical_info" or v.kinds >= 12)) or (words >= 0.6 and v["crime_words"] < 0.3):
        s = max(icd, words)
    if v["care"] >= 0.8:  # care and disability grades
        s = max(s, v["care"])
    if v["health"] >= 0.9 and (v.header == "medical_info" or words >= 0.05):
        s = max(s, v["health"])
    return s


def criminal(v: Evidence) -> float:
    crime, correction = v["crime_words"], v["correction"]
    return max(crime, correction) if crime >= 0.6 or correction >= 0.9 else 0.0


def vin(v: Evidence) -> float:
    s = v["vin_format"]
    return s if s >= 0.6 and (v["vin_check"] >= 0.5 or v.header == "vin") else 0.0


def free_text(v: Evidence) -> float:
    s = v["free_text_pii"]
    return s if s >= 0.25 and v.avg_len >= 15 else 0.0


def not_values(v: Evidence) -> float:
    """Words of a diagnosis or a sentence: anything but numbers, dates and names of wards or units."""
    return 1.0 - v["number"] - v["date"] - v["org_unit"]


def own(code: str, weight: float = 2.0) -> Rule:
    """Under a header naming it, 1/weight of the values valid (or masked) is enough."""
    return lambda v: v[code] * weight
