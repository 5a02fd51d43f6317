"""Filing a claim (Art.49): evidence files checked by their content; duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from qinqing.bankruptcy.rules.common import RuleError

# The first bytes of each accepted evidence format, and the file name endings that announce it.
EVIDENCE_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
EVIDENCE_EXTENSIONS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
EVIDENCE_HEAD_BYTES = 8


def evidence_format(head: bytes) -> str | None:
    """The format ("pdf", "jpeg", "png") a file's first bytes show, or None (the content
    check of ``evidence_check``, 企业破产法 Art.49)."""
    for kind, signatures in EVIDENCE_SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return kind
    return None


def evidence_check(filename: str, head: bytes) -> str:
    """Accept an evidence file whose content is what its name says: a PDF, JPEG or PNG by its
    first bytes (企业破产法 Art.49: the declaration comes with its evidence, which the
    administrator must be able to open). Returns the format; ``RuleError`` otherwise (a text
    file named ``.pdf``, a PNG named ``.pdf``, an unknown ending)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    expected = EVIDENCE_EXTENSIONS.get(extension)
    if expected is None:
        raise RuleError("证据文件只接受 PDF、JPG、PNG")
    found = evidence_format(head)
    if found is None:
        raise RuleError(f"文件“{filename}”的内容不是 PDF、JPG 或 PNG，请上传原始文件或扫描件")
    if found != expected:
        raise RuleError(
            f"文件“{filename}”的内容是 {found.upper()}，与扩展名不符，请改正扩展名后重新上传"
        )
    return found


@dataclass(frozen=True)
class FiledClaim:
    """A claim as the duplicate check sees it (amounts in cents, its nature, pending or not)."""

    principal: Decimal
    interest: Decimal
    other: Decimal
    rank: str
    nature: str
    secured: bool
    pending: bool


def duplicate_of(new: FiledClaim, earlier: Iterable[FiledClaim]) -> FiledClaim | None:
    """The pending claim of the same creditor that ``new`` repeats, or None (企业破产法 Art.49,
    57: one declaration per debt; a second identical one while the first is under review is a
    mistake or a retry, not a new debt). Same amounts (principal, interest, other), rank,
    nature and security; a reviewed or rejected earlier claim does not block a new filing (a
    corrected or further declaration, which the administrator reviews)."""
    key = (new.principal, new.interest, new.other, new.rank, new.nature, new.secured)
    for claim in earlier:
        if claim.pending and key == (
            claim.principal,
            claim.interest,
            claim.other,
            claim.rank,
            claim.nature,
            claim.secured,
        ):
            return claim
    return None
