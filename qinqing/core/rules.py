"""Pure rules of the core: identifiers, the login delay. No Django here."""

from __future__ import annotations

import math
from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """Check character of a Unified Social Credit Code (GB 32100-2015, clause 5.2 / annex B).

    c18 = (31 - sum(w_i * v(c_i), i=1..17) mod 31) mod 31, v = index in USCC_ALPHABET.
    Raises ValueError when `first17` is not 17 characters of the alphabet.
    """
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("统一社会信用代码前17位不合法")
    total = sum(w * USCC_ALPHABET.index(c) for w, c in zip(USCC_WEIGHTS, first17, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """True when `code` is a well-formed USCC whose 18th character checks (GB 32100-2015).

    Upper case only, as issued; no surrounding spaces (callers normalise input first).
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    if any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def uscc_normalise(raw: str) -> str:
    """Upper-case and strip a USCC typed by a person (full-width characters folded)."""
    folded = raw.strip().translate(
        {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII
    )
    return folded.upper()


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty string of the digits 0-9 only. `str.isdigit()` also takes "²", "①"
    or "٣" (int() refuses the first two, and no number, phone or code here is written so)."""
    return text.isascii() and text.isdigit()


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """Check character of a resident identity number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    if len(first17) != 17 or not is_ascii_digits(first17):
        raise ValueError("公民身份号码前17位必须是数字")
    return ID_CHECK[sum(w * int(c) for w, c in zip(ID_WEIGHTS, first17, strict=True)) % 11]


def resident_id_birth_date(code: str) -> date | None:
    """The birth date encoded in characters 7–14, or None when it is not a real date."""
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def resident_id_is_valid(code: str) -> bool:
    """True for an 18-character resident identity number whose check character and birth date
    are valid (GB 11643-1999). Upper-case X only; callers normalise input first."""
    if not isinstance(code, str) or len(code) != 18 or not is_ascii_digits(code[:17]):
        return False
    if resident_id_birth_date(code) is None:
        return False
    return resident_id_check_char(code[:17]) == code[17]


def mask_resident_id(last4: str) -> str:
    """How an identity number is shown: only its last four characters (PIPL minimum)."""
    return "*" * 14 + last4


# Failures of the window allowed without a wait: an account (its owner mistyping), an address
# (an office or a mobile network behind one address, many people mistyping).
LOGIN_FREE_FAILURES_ACCOUNT = 3
LOGIN_FREE_FAILURES_ADDRESS = 10


def login_delay(failures: int, *, free: int, cap: int) -> int:
    """Seconds the next login attempt waits after the last failure: none while `failures` is
    below `free`, then 1, 2, 4, … seconds, doubling with each further failure, never more
    than `cap`. Slows guessing (about one try per `cap` seconds at the cap) without ever
    locking the owner out."""
    if failures < free:
        return 0
    return min(cap, 2 ** min(failures - free, 62))


def login_retry_after(failures: int, seconds_since_last: float, *, free: int, cap: int) -> int:
    """Whole seconds still to wait (0: may try now)."""
    left = login_delay(failures, free=free, cap=cap) - seconds_since_last
    return max(0, math.ceil(left))
