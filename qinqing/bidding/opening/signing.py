"""The opening record (开标记录) as a sealed PDF (issue 21 item 7): rendered from the record
frozen at the close and sealed with the host centre's electronic seal, drawn in the slot the
print template reserves. Rendered on the task queue (`core.documents`); the seal's audit entry
(`pdf.sign`) is written by the run that stores the file. Keys: `qinqing.core.signing`."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from qinqing.bidding.opening.models import Opening
from qinqing.bidding.opening.record import SEAL_ANCHOR, print_html
from qinqing.core.documents import document_key
from qinqing.core.models import GeneratedDocument, SigningCertificate
from qinqing.core.signing import pdf as signing_pdf

SEAL_PURPOSE = "开标专用章"
RENDERER = "qinqing.bidding.opening.signing.sealed_record"
_CACHE_SECONDS = 300


def _host_centre(opening: Opening):
    return opening.section.project.host_centre


def sealed_record(opening: int) -> bytes:
    """A renderer (`core.documents`): the frozen record printed and sealed by the host centre,
    in the name of the person who closed the opening."""
    row = Opening.objects.select_related("section__project__host_centre", "closed_by").get(
        pk=opening
    )
    centre = _host_centre(row)
    pdf, slot = signing_pdf.render_with_slot(print_html(row, seal=True), SEAL_ANCHOR)
    return signing_pdf.pdf_sign(
        actor=row.closed_by,
        pdf=pdf,
        steps=[
            signing_pdf.SignStep(
                kind=SigningCertificate.Kind.SEAL,
                subject_key=centre.code,
                name=centre.name,
                organisation=centre,
                reason="开标记录封存",
                slot=slot,
                purpose=SEAL_PURPOSE,
            )
        ],
        audit_obj=row,
        organisation=centre,
        document="bidding.opening_record",
    )


def record_signatures(opening: Opening) -> list[signing_pdf.SignatureInfo] | None:
    """Who sealed the record's PDF and when, read from the stored file and checked by pyHanko;
    None while the PDF is not ready yet."""
    key = document_key(RENDERER, {"opening": opening.pk}, opening.record_sha256)
    document = GeneratedDocument.objects.filter(
        key=key, status=GeneratedDocument.Status.READY
    ).first()
    if document is None or not document.file:
        return None
    try:
        with document.file.open("rb") as handle:
            pdf = handle.read()
    except FileNotFoundError:
        return None
    cache_key = f"bidding:opening-record-signatures:{hashlib.sha256(pdf).hexdigest()}"
    found = cache.get(cache_key)
    if found is None:
        found = signing_pdf.pdf_signatures(pdf, validate=True)
        cache.set(cache_key, found, _CACHE_SECONDS)
    return found
