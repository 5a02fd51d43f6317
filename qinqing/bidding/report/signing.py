"""The sealed report as a signed PDF (issue 21 item 7): one PAdES signature for each member who
signed at the workstation (实施条例 Art.53), in the order they signed, then the host centre's
seal as the last signature, drawn as a round red seal in the slot the print template reserves.
A member whose refusal the centre recorded did not sign and gets no signature: the PDF states
their position and the centre's seal covers it. Keys: `qinqing.core.signing` (the platform CA,
or a PKCS#11 token); docs/signatures.md."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from qinqing.bidding.models import Report, Seat, Signature
from qinqing.core.models import SigningCertificate
from qinqing.core.signing import pdf as signing_pdf

SEAL_ANCHOR = "qq-seal"
SEAL_PURPOSE = "评标报告专用章"
_CACHE_SECONDS = 300


def member_subject(seat: Seat) -> tuple[str, str]:
    """(pseudonymous key, name) of the member at `seat`: the expert's register code or the
    tenderer's representative's code, never an ID number."""
    member = seat.member
    kind = "representative" if seat.is_representative else "expert"
    return f"{kind}:{member.code}", member.name


def signed_pdf(*, actor, report: Report, html: str) -> bytes:
    """Render `html` (the print template with the seal slot) and sign it: members, then the
    centre's seal. Runs in the sealing transaction (`services._seal`): certificates issued and
    every signature audited with the seal, or none of it."""
    pdf, slot = signing_pdf.render_with_slot(html, SEAL_ANCHOR)
    steps = []
    signed = report.signatures.filter(signed=True).select_related(
        "seat__outcome__expert", "seat__outcome__representative", "seat__workstation"
    )
    for signature in signed.order_by("at", "pk"):
        key, name = member_subject(signature.seat)
        position = Signature.Position(signature.position).label
        steps.append(
            signing_pdf.SignStep(
                kind=SigningCertificate.Kind.PERSON,
                subject_key=key,
                name=name,
                reason=f"评标委员会成员签署评标报告：{position}",
                location=f"工位 {signature.seat.workstation.code}",
            )
        )
    centre = report.session.host_centre
    steps.append(
        signing_pdf.SignStep(
            kind=SigningCertificate.Kind.SEAL,
            subject_key=centre.code,
            name=centre.name,
            organisation=centre,
            reason="评标报告封存",
            slot=slot,
            purpose=SEAL_PURPOSE,
        )
    )
    return signing_pdf.pdf_sign(
        actor=actor,
        pdf=pdf,
        steps=steps,
        audit_obj=report,
        organisation=centre,
        document="bidding.report",
    )


def pdf_signatures(report: Report) -> list[signing_pdf.SignatureInfo]:
    """Who signed the sealed PDF and when, read from the stored file itself and checked by
    pyHanko (cached a few minutes per digest of the bytes read, so a changed file is checked
    afresh)."""
    if report.status != Report.Status.SEALED or not report.pdf:
        return []
    with report.pdf.open("rb") as handle:
        pdf = handle.read()
    key = f"bidding:report-signatures:{hashlib.sha256(pdf).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = signing_pdf.pdf_signatures(pdf, validate=True)
        cache.set(key, found, _CACHE_SECONDS)
    return found
