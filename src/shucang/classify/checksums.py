"""Check characters of Chinese identifiers, one value at a time.

These scalar functions are the reference definitions (used to generate demo data and to test the
vectorised validators in :mod:`shucang.classify.identifiers`). Sources: GB 11643 (ID numbers,
MOD 11-2), GB 32100 (unified social credit codes, 3^i mod 31), GB 11714 (organisation codes),
ISO 7064 MOD 11,10 (15-digit registration numbers), Luhn (bank cards, IMEI).
"""

from __future__ import annotations

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def id_card_check_char(body17: str) -> str:
    """The 18th character of a GB 11643 ID number whose first 17 digits are ``body17``."""
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def is_valid_id_card(value: str) -> bool:
    """Structure and check digit of an 18-character ID number (region/date not checked here)."""
    v = value.strip().upper()
    return len(v) == 18 and v[:17].isdigit() and v[17] in ID_CHECK and id_card_check_char(v[:17]) == v[17]


def uscc_check_char(body17: str) -> str:
    """The 18th character of a GB 32100 unified social credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    v = value.strip().upper()
    return (len(v) == 18 and all(c in USCC_ALPHABET for c in v)
            and uscc_check_char(v[:17]) == v[17])


def org_code_check_char(body8: str) -> str:
    """The 9th character of a GB 11714 organisation code (digits and A–Z in the body)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def is_valid_org_code(value: str) -> bool:
    v = value.strip().upper().replace("-", "")
    return len(v) == 9 and v[:8].isalnum() and org_code_check_char(v[:8]) == v[8]


def mod11_10_check_digit(body: str) -> str:
    """ISO 7064 MOD 11,10 check digit (15-digit business registration numbers)."""
    p = 10
    for c in body:
        s = (p + int(c)) % 10 or 10
        p = (s * 2) % 11
    return str((11 - p) % 10)


def is_valid_business_reg_no(value: str) -> bool:
    v = value.strip()
    return len(v) == 15 and v.isdigit() and mod11_10_check_digit(v[:14]) == v[14]


def luhn_check_digit(body: str) -> str:
    """The Luhn digit to append to ``body`` (bank cards, IMEI)."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def is_luhn_valid(value: str) -> bool:
    v = value.strip().replace(" ", "")
    return len(v) >= 2 and v.isdigit() and luhn_check_digit(v[:-1]) == v[-1]
