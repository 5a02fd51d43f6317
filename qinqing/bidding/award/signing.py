"""Who sealed a notice and when, read from the stored file itself and checked by pyHanko
(cached a few minutes per digest of the bytes read, like the report's)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from qinqing.bidding.award.models import AwardNotice
from qinqing.core.signing import pdf as signing_pdf

_CACHE_SECONDS = 300


def pdf_bytes(notice: AwardNotice) -> bytes:
    with notice.pdf.open("rb") as handle:
        return handle.read()


def pdf_signatures(notice: AwardNotice) -> list[signing_pdf.SignatureInfo]:
    if not notice.pdf:
        return []
    pdf = pdf_bytes(notice)
    key = f"bidding:notice-signatures:{hashlib.sha256(pdf).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = signing_pdf.pdf_signatures(pdf, validate=True)
        cache.set(key, found, _CACHE_SECONDS)
    return found
