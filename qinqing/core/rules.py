"""Pure rules of the core: identifiers. No Django here."""

from __future__ import annotations

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
