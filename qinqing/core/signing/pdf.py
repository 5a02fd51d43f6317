"""Signing a PDF with PAdES signatures (pyHanko), one incremental revision each, and reading
back who signed it.

A caller renders its HTML with `render_with_slot` (WeasyPrint; the template reserves the seal's
place with an element whose id is the anchor), then `pdf_sign` applies its steps in order:
people first (invisible signatures), the organisation's seal last, drawn as the round red seal
in the reserved slot. Every signature is audited. The time in each signature is the platform's
clock at signing (the /M entry); no RFC 3161 time-stamping authority is asked.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from qinqing.core.audit import audit_log
from qinqing.core.models import Organisation, SigningCertificate
from qinqing.core.signing import backends, pki
from qinqing.core.signing.seal_image import seal_image

PT_PER_PX = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF user space is 1/72 in


def _outside_event_loop(fn, /, *args, **kwargs):
    """pyHanko's synchronous calls run an event loop of their own (asyncio.run), which cannot
    start in a thread whose loop is running (an async caller; Playwright's sync API in the
    browser tests): there the call runs in a worker thread. It touches no database."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


@dataclass(frozen=True)
class Slot:
    """Where the seal goes: a page (0-based) and a box in PDF points (x1, y1, x2, y2)."""

    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class SignStep:
    """One signature to apply: `kind` person or seal (`SigningCertificate.Kind`), the subject's
    pseudonymous key and name, the reason shown in PDF readers; a seal with a `slot` is
    visible (`purpose` is the line under the star, e.g. 评标报告专用章)."""

    kind: str
    subject_key: str
    name: str
    reason: str
    organisation: Organisation | None = None
    location: str = ""
    slot: Slot | None = None
    purpose: str = ""


@dataclass(frozen=True)
class SignatureInfo:
    """One signature found in a PDF, with pyHanko's verdict when asked to validate."""

    field: str
    signer: str
    serial: str
    issuer: str
    signed_at: datetime | None
    reason: str
    intact: bool | None = None
    valid: bool | None = None
    trusted: bool | None = None
    certificate: SigningCertificate | None = None


def render_with_slot(html: str, anchor: str) -> tuple[bytes, Slot | None]:
    """Render `html` to PDF and find the element `id=anchor`: the seal's slot is that element's
    box (the template reserves it, e.g. 42 mm square — GA 241 gives 38–45 mm for an
    institution's seal — so nothing is printed under the seal). None without such an element."""
    from weasyprint import HTML

    document = HTML(string=html).render()
    slot = None
    for index, page in enumerate(document.pages):
        if anchor in page.anchors:
            x1, y1, x2, y2 = (v * PT_PER_PX for v in page.anchors[anchor])
            height = page.height * PT_PER_PX
            slot = Slot(index, (x1, height - y2, x2, height - y1))
            break
    return document.write_pdf(), slot


def _apply(pdf: bytes, step: SignStep, handle: backends.SignerHandle, field: str) -> bytes:
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    meta = signers.PdfSignatureMetadata(
        field_name=field,
        reason=step.reason,
        location=step.location or None,
        name=handle.common_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    options = {}
    if step.slot is not None:
        options["new_field_spec"] = fields.SigFieldSpec(
            sig_field_name=field, on_page=step.slot.page, box=step.slot.box
        )
        options["stamp_style"] = StaticStampStyle(
            background=PdfImage(seal_image(step.name, step.purpose)),
            border_width=0,
            background_opacity=0.92,
        )
    out = io.BytesIO()
    signer = signers.PdfSigner(meta, signer=handle.signer, **options)
    _outside_event_loop(signer.sign_pdf, writer, output=out)
    return out.getvalue()


def pdf_sign(
    *,
    actor,
    pdf: bytes,
    steps: list[SignStep],
    audit_obj,
    organisation: Organisation | None,
    document: str,
) -> bytes:
    """Apply `steps` in order (each an incremental revision covering all before it) and audit
    each (`pdf.sign`, on `audit_obj`). Call it in the caller's transaction: the certificates
    issued on the way and the audit rows commit with the document, or not at all."""
    import hashlib

    with transaction.atomic():
        for n, step in enumerate(steps, start=1):
            handle = backends.signer_for(
                actor=actor,
                kind=step.kind,
                subject_key=step.subject_key,
                name=step.name,
                organisation=step.organisation,
            )
            field = "Seal" if step.kind == SigningCertificate.Kind.SEAL else f"Signature{n}"
            try:
                pdf = _apply(pdf, step, handle, field)
            finally:
                handle.close()
            audit_log(
                actor=actor,
                action="pdf.sign",
                obj=audit_obj,
                organisation=organisation,
                detail={
                    "document": document,
                    "field": field,
                    "kind": step.kind,
                    "subject": step.subject_key,
                    "serial": handle.serial,
                    "backend": "platform" if handle.certificate else "pkcs11",
                    "sha256": hashlib.sha256(pdf).hexdigest(),
                },
            )
    return pdf


def _roots() -> list:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return [
        asn1_x509.Certificate.load(pki.certificate_of(row).public_bytes(serialization.Encoding.DER))
        for row in SigningCertificate.objects.filter(
            kind=SigningCertificate.Kind.ROOT, revoked_at__isnull=True
        )
    ]


def _validation_context(roots: list, moment: datetime | None):
    """Certificates are checked at the signature's own time (no time-stamp authority vouches
    for it: the platform's clock, backed by the audit chain), so a certificate that expired
    since does not make an older signature untrusted."""
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(trust_roots=roots, allow_fetching=False, moment=moment)


def pdf_signatures(pdf: bytes, *, validate: bool = False) -> list[SignatureInfo]:
    """The signatures `pdf` carries, in the order they were applied, with the platform's
    certificate row where the serial is one of ours; with `validate`, pyHanko's verdict
    (intact: the signed bytes are unchanged; valid: the signature matches them; trusted: the
    chain ends at the platform's root in force)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    roots = _roots() if validate else []
    rows = []
    for sig in reader.embedded_signatures:
        cert = sig.signer_cert
        serial = format(cert.serial_number, "x")
        reason = sig.sig_object.get("/Reason")
        info = {
            "field": sig.field_name,
            "signer": cert.subject.native.get("common_name", ""),
            "serial": serial,
            "issuer": cert.issuer.native.get("common_name", ""),
            "signed_at": sig.self_reported_timestamp,
            "reason": str(reason) if reason is not None else "",
            "certificate": SigningCertificate.objects.filter(serial=serial).first(),
        }
        if validate:
            try:
                context = _validation_context(roots, sig.self_reported_timestamp)
                status = _outside_event_loop(validate_pdf_signature, sig, context)
                info.update(intact=status.intact, valid=status.valid, trusted=status.trusted)
            except Exception:  # a damaged signature is reported as not intact, never raised
                info.update(intact=False, valid=False, trusted=False)
        rows.append(SignatureInfo(**info))
    return rows
