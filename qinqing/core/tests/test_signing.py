"""The platform CA and PAdES signing: certificates issued once, revoked, sealed keys; a PDF
signed by people and sealed by an organisation verifies with pyHanko and poppler's pdfsig, and
one changed byte inside the signed range breaks every signature for both."""

import re
import shutil
import subprocess
from datetime import datetime, timedelta
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command
from django.utils import timezone

from qinqing.core import crypto
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Organisation, SigningCertificate
from qinqing.core.signing import pdf as signing_pdf
from qinqing.core.signing import pki
from qinqing.core.testing import ANONYMOUS, check_matrix

K = SigningCertificate.Kind
needs_pdfsig = pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils missing")

HTML = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm; } body { font-family: "Noto Serif CJK SC"; }
#seal { width: 42mm; height: 42mm; margin-left: auto; }</style></head>
<body><h1>评标报告</h1><p>签署测试文本。</p><div id="seal"></div></body></html>"""


@pytest.fixture
def centre(demo_users):
    return Organisation.objects.filter(kind=Organisation.Kind.TRADING_CENTRE).first()


def _signed(admin, centre, people=2):
    pdf, slot = signing_pdf.render_with_slot(HTML, "seal")
    assert slot is not None and slot.page == 0
    steps = [
        signing_pdf.SignStep(
            kind=K.PERSON, subject_key=f"expert:E{n:04d}", name=f"专家{n}", reason="同意"
        )
        for n in range(1, people + 1)
    ]
    steps.append(
        signing_pdf.SignStep(
            kind=K.SEAL,
            subject_key=centre.code,
            name=centre.name,
            organisation=centre,
            reason="封存",
            slot=slot,
            purpose="评标报告专用章",
        )
    )
    return signing_pdf.pdf_sign(
        actor=admin, pdf=pdf, steps=steps, audit_obj=centre, organisation=centre, document="t"
    )


def _pdfsig(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603
        [shutil.which("pdfsig"), str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def _tampered(pdf: bytes) -> bytes:
    """One byte changed inside the first signed range (which every signature covers): a
    character of the binary comment after the header, so the file still parses."""
    at = pdf.index(b"\n") + 2
    assert at < 20
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def test_root_is_made_once_and_its_key_is_sealed_under_the_data_keys(demo_users):
    admin = demo_users["admin"]
    root, created = pki.ca_init(actor=admin)
    again, created_again = pki.ca_init(actor=admin)
    assert (created, created_again) == (True, False) and again.pk == root.pk
    assert root.key_cipher.startswith("v2:") and "PRIVATE KEY" not in root.key_cipher
    assert "PRIVATE KEY" in crypto.decrypt(root.key_cipher)
    cert = pki.certificate_of(root)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert AuditEntry.objects.filter(action="certificate.ca_init").count() == 1


def test_person_certificate_names_a_pseudonym_and_is_reused_until_revoked(demo_users, centre):
    admin = demo_users["admin"]
    first = pki.certificate_for(actor=admin, kind=K.PERSON, subject_key="expert:E0007", name="张三")
    assert (
        pki.certificate_for(actor=admin, kind=K.PERSON, subject_key="expert:E0007", name="张三").pk
        == first.pk
    )
    cert = pki.certificate_of(first)
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.COMMON_NAME] == "张三"
    assert subject[NameOID.SERIAL_NUMBER] == "expert:E0007"
    assert cert.issuer == pki.certificate_of(first.issuer).subject
    assert format(cert.serial_number, "x") == first.serial
    # Issued by the root: the signature checks out with the root's public key.
    cert.verify_directly_issued_by(pki.certificate_of(first.issuer))
    with pytest.raises(DomainError):
        pki.certificate_revoke(actor=admin, certificate=first, reason="  ")
    pki.certificate_revoke(actor=admin, certificate=first, reason="密钥疑似泄露")
    with pytest.raises(ConflictError):
        pki.certificate_revoke(actor=admin, certificate=first, reason="再次")
    second = pki.certificate_for(
        actor=admin, kind=K.PERSON, subject_key="expert:E0007", name="张三"
    )
    assert second.pk != first.pk and second.serial != first.serial
    crl = x509.load_pem_x509_crl(pki.crl_pem(first.issuer))
    assert crl.get_revoked_certificate_by_serial_number(int(first.serial, 16)) is not None
    assert crl.get_revoked_certificate_by_serial_number(int(second.serial, 16)) is None
    assert crl.is_signature_valid(pki.certificate_of(first.issuer).public_key())
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("certificate.issue") == 2 and actions.count("certificate.revoke") == 1
    with pytest.raises(DomainError):  # a seal names its organisation
        pki.certificate_for(actor=admin, kind=K.SEAL, subject_key=centre.code, name=centre.name)


def test_certificate_near_its_end_is_replaced(demo_users):
    admin = demo_users["admin"]
    row = pki.certificate_for(actor=admin, kind=K.PERSON, subject_key="expert:E1", name="李四")
    # One day more than the renewal margin: still used; one day less: a new one.
    SigningCertificate.objects.filter(pk=row.pk).update(
        not_after=timezone.now() + pki.RENEW_BEFORE + timedelta(days=1)
    )
    assert (
        pki.certificate_for(actor=admin, kind=K.PERSON, subject_key="expert:E1", name="李四").pk
        == row.pk
    )
    SigningCertificate.objects.filter(pk=row.pk).update(
        not_after=timezone.now() + pki.RENEW_BEFORE - timedelta(days=1)
    )
    assert (
        pki.certificate_for(actor=admin, kind=K.PERSON, subject_key="expert:E1", name="李四").pk
        != row.pk
    )


def test_signed_pdf_verifies_with_pyhanko_and_breaks_on_one_byte(demo_users, centre):
    pdf = _signed(demo_users["admin"], centre)
    found = signing_pdf.pdf_signatures(pdf, validate=True)
    assert [s.field for s in found] == ["Signature1", "Signature2", "Seal"]
    assert [s.signer for s in found] == ["专家1", "专家2", centre.name]
    assert all(s.intact and s.valid and s.trusted for s in found), found
    assert all(s.certificate is not None and s.signed_at for s in found)
    assert AuditEntry.objects.filter(action="pdf.sign").count() == 3
    broken = signing_pdf.pdf_signatures(_tampered(pdf), validate=True)
    assert len(broken) == 3 and not any(s.intact for s in broken)


@needs_pdfsig
def test_signed_pdf_verifies_with_pdfsig_and_breaks_on_one_byte(demo_users, centre, tmp_path):
    pdf = _signed(demo_users["admin"], centre)
    report = _pdfsig(pdf, tmp_path)
    assert len(re.findall(r"^Signature #\d+:", report, re.M)) == 3, report
    assert report.count("Signature is Valid") == 3, report
    assert "专家1" in report and centre.name in report
    report = _pdfsig(_tampered(pdf), tmp_path)
    assert len(re.findall(r"^Signature #\d+:", report, re.M)) == 3, report
    assert "Signature is Valid" not in report, report


def test_ca_page_and_files_are_public(client, demo_users):
    check_matrix(client, {"/pki/": {ANONYMOUS: 200, "admin": 200}}, demo_users)
    check_matrix(
        client,
        {
            "/pki/ca.pem": {ANONYMOUS: 404},
            "/pki/ca.cer": {ANONYMOUS: 404},
            "/pki/crl.pem": {ANONYMOUS: 404},
        },
        demo_users,
    )
    root, _ = pki.ca_init(actor=demo_users["admin"])
    check_matrix(
        client,
        {
            "/pki/ca.pem": {ANONYMOUS: 200, "expert": 200},
            "/pki/ca.cer": {ANONYMOUS: 200, "expert": 200},
            "/pki/crl.pem": {ANONYMOUS: 200},
        },
        demo_users,
    )
    pem = client.get("/pki/ca.pem").content
    assert (
        x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.PEM).decode()
        == root.certificate_pem
    )
    page = client.get("/pki/").content.decode()
    assert pki.fingerprint(root) in page and "演示" in page


def test_pki_commands_make_the_root_once_and_revoke_by_serial(demo_users):
    out = StringIO()
    call_command("pki_init", stdout=out)
    call_command("pki_init", stdout=out)
    root = pki.ca_root()
    assert out.getvalue().count(pki.fingerprint(root)) == 2
    assert SigningCertificate.objects.filter(kind=K.ROOT).count() == 1
    row = pki.certificate_for(actor=None, kind=K.PERSON, subject_key="expert:E9", name="王五")
    with pytest.raises(CommandError):
        call_command("pki_revoke", "ffff", reason="x", stdout=out)
    call_command("pki_revoke", row.serial.upper(), reason="离职", stdout=out)
    row.refresh_from_db()
    assert row.revoked_at and row.revocation_reason == "离职"


def test_signer_backend_setting(demo_users, settings):
    """`pkcs11` signs a subject listed in QINQING_PKCS11["keys"] with the token (signing with a
    real token is not tested here: there is none); anyone else still with the platform CA. An
    unknown backend is refused."""
    from django.core.exceptions import ImproperlyConfigured

    from qinqing.core.signing import backends

    settings.QINQING_SIGNER_BACKEND = "pkcs11"
    settings.QINQING_PKCS11 = {"module": "/nonexistent.so", "keys": {"seal:other": "k"}}
    handle = backends.signer_for(actor=None, kind=K.PERSON, subject_key="expert:E5", name="赵六")
    assert handle.certificate is not None and handle.certificate.issuer == pki.ca_root()
    # A listed subject whose token cannot be used: a clear refusal, no platform certificate.
    issued = SigningCertificate.objects.count()
    with pytest.raises(ConflictError, match="PKCS#11"):
        backends.signer_for(actor=None, kind=K.SEAL, subject_key="other", name="其他中心")
    assert SigningCertificate.objects.count() == issued
    settings.QINQING_SIGNER_BACKEND = "hsm"
    with pytest.raises(ImproperlyConfigured):
        backends.signer_for(actor=None, kind=K.PERSON, subject_key="expert:E5", name="赵六")


def test_a_signature_stays_trusted_after_its_certificate_expires(demo_users, centre, monkeypatch):
    """Checked at the signature's own time: a member's two-year certificate that has expired
    since does not turn an older signature untrusted (one made after expiry would be)."""
    past = pki.clock() - timedelta(days=3 * 365)

    class Then(datetime):
        @classmethod
        def now(cls, tz=None):
            return (past + timedelta(days=30)).astimezone(tz)

    monkeypatch.setattr(pki, "clock", lambda: past)
    monkeypatch.setattr("pyhanko.sign.signers.pdf_signer.datetime", Then)
    pdf = _signed(demo_users["admin"], centre, people=1)
    monkeypatch.undo()
    found = signing_pdf.pdf_signatures(pdf, validate=True)
    person = found[0].certificate
    assert person.not_after < pki.clock()  # expired by now
    assert person.not_before < found[0].signed_at < person.not_after
    assert all(s.intact and s.valid and s.trusted for s in found), found


@pytest.mark.django_db(transaction=True)  # with a loop running, Django takes another connection
def test_signing_and_reading_work_while_an_event_loop_runs_in_the_thread(
    demo_users, centre, monkeypatch
):
    """pyHanko runs asyncio.run(), which refuses to start while a loop runs in the thread. The
    browser tests are such a thread (Playwright's sync API keeps its loop running while the
    test's synchronous code, the demo's signed reports included, runs): signing and reading
    must still work there, not raise or report every signature broken."""
    import asyncio

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as the browser tests do
    loop = asyncio.new_event_loop()
    asyncio.events._set_running_loop(loop)  # what Playwright's sync API leaves in the thread
    try:
        pdf = _signed(demo_users["admin"], centre, people=1)
        found = signing_pdf.pdf_signatures(pdf, validate=True)
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()
    assert len(found) == 2
    assert all(s.intact and s.valid and s.trusted for s in found), found
