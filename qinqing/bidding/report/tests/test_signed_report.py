"""The sealed report is a signed PDF (issue 21 item 7): one PAdES signature per member who
signed at the workstation (实施条例 Art.53), the centre's seal last with a visible seal image;
pyHanko and pdfsig report each intact, and one changed byte breaks them all."""

import io
import re
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from qinqing.bidding.models import Report
from qinqing.bidding.report import services as reports
from qinqing.bidding.report import signing as report_signing
from qinqing.bidding.report.tests.test_report import build, evaluated
from qinqing.core import crypto
from qinqing.core.models import AuditEntry, SigningCertificate
from qinqing.core.signing import pdf as signing_pdf
from qinqing.core.signing import pki

K = SigningCertificate.Kind


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _pdfsig(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603
        [shutil.which("pdfsig"), str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def _one_byte_changed(pdf: bytes) -> bytes:
    at = pdf.index(b"\n") + 2  # inside the binary comment after %PDF-x.y: every range covers it
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


@pytest.fixture
def sealed(world):
    """Three members sign (one dissenting), two refusals are recorded: five positions, three
    member signatures, one seal."""
    session, seats = evaluated(world)
    report = build(world, session)
    a, b, c, d, e = seats
    reports.report_sign(actor=None, seat=b, agree=True)
    reports.report_sign(actor=None, seat=a, agree=False, dissent_reason="价格分口径有保留")
    reports.report_record_refusal(actor=world["centre_wh"], report=report, seat=c)
    reports.report_record_refusal(actor=world["centre_wh"], report=report, seat=d, reason="不同意")
    reports.report_sign(actor=None, seat=e, agree=True)
    report = Report.objects.get(pk=report.pk)
    assert report.status == Report.Status.SEALED
    return report, [b, a, e]


def test_each_signing_member_then_the_centre_seal(world, sealed):
    report, signers = sealed
    pdf = report.pdf.read()
    found = signing_pdf.pdf_signatures(pdf, validate=True)
    names = [seat.outcome.expert.name for seat in signers]
    centre = report.session.host_centre
    # In signing order; the refusals (c, d) did not sign and carry no signature.
    assert [s.signer for s in found] == [*names, centre.name]
    assert [s.field for s in found][-1] == "Seal"
    assert all(s.intact and s.valid and s.trusted for s in found), found
    assert "保留意见" in found[1].reason and "同意" in found[0].reason
    # Each member's certificate names the expert's code (pseudonym), never an ID number.
    for seat, info in zip(signers, found[:-1], strict=True):
        expert, row = seat.outcome.expert, info.certificate
        assert row.kind == K.PERSON and row.subject_key == f"expert:{expert.code}"
        cert = pki.certificate_of(row)
        assert {a.value for a in cert.subject} == {"CN", expert.name, f"expert:{expert.code}"}
        der = cert.public_bytes(serialization.Encoding.DER)
        assert crypto.decrypt(expert.id_number_cipher).encode() not in der
    seal = found[-1].certificate
    assert seal.kind == K.SEAL and seal.organisation == centre
    assert seal.issuer == pki.ca_root()
    # Every signature audited; the seal entry records the signed file's digest.
    signs = AuditEntry.objects.filter(action="pdf.sign", object_id=str(report.pk))
    assert signs.count() == 4
    assert signs.order_by("-seq").first().detail["sha256"] == report.pdf_sha256
    assert AuditEntry.objects.get(action="report.seal").detail["pdf_signatures"] == 4
    assert AuditEntry.objects.filter(action="certificate.issue").count() == 4
    broken = signing_pdf.pdf_signatures(_one_byte_changed(pdf), validate=True)
    assert len(broken) == 4 and not any(s.intact for s in broken)


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils missing")
def test_pdfsig_reports_every_signature_valid_and_a_changed_byte_invalid(sealed, tmp_path):
    report, _signers = sealed
    pdf = report.pdf.read()
    out = _pdfsig(pdf, tmp_path)
    assert len(re.findall(r"^Signature #\d+:", out, re.M)) == 4, out
    assert out.count("Signature is Valid") == 4, out
    assert report.session.host_centre.name in out
    out = _pdfsig(_one_byte_changed(pdf), tmp_path)
    assert len(re.findall(r"^Signature #\d+:", out, re.M)) == 4, out
    assert "Signature is Valid" not in out, out


def test_the_seal_is_drawn_on_the_last_page_in_its_slot(sealed, tmp_path):
    report, _ = sealed
    reader = PdfFileReader(io.BytesIO(report.pdf.read()))
    pages = int(reader.root["/Pages"]["/Count"])
    seal = next(s for s in reader.embedded_signatures if s.field_name == "Seal")
    widget = seal.sig_field
    rect = [float(v) for v in widget["/Rect"]]
    assert 115 < rect[2] - rect[0] < 125 and 115 < rect[3] - rect[1] < 125  # 42 mm = 119 pt
    assert "/AP" in widget  # a visible appearance: the seal image
    kids = reader.root["/Pages"]["/Kids"]
    on_page = [
        n
        for n in range(pages)
        for a in kids[n].get_object().get("/Annots", [])
        if str(a.get_object().get("/T")) == "Seal"
    ]
    assert on_page == [pages - 1]
    members = [s for s in reader.embedded_signatures if s.field_name != "Seal"]
    assert all(float(s.sig_field.get("/Rect", [0, 0, 0, 0])[2]) == 0 for s in members)


def test_report_page_lists_the_signers_with_serials(client, world, sealed):
    report, _signers = sealed
    client.force_login(world["tenderer"])
    page = client.get(f"/bidding/sessions/{report.session_id}/report/").content.decode()
    for info in report_signing.pdf_signatures(report):
        assert info.serial in page and info.signer in page
    assert "签名失效" not in page and "/pki/" in page
    client.force_login(world["agent"])  # may open the page, not the file: no signer list
    page = client.get(f"/bidding/sessions/{report.session_id}/report/").content.decode()
    assert "封存版 PDF 的电子签名" not in page


def test_report_page_shows_a_changed_file_as_broken(client, world, sealed):
    report, _signers = sealed
    url = f"/bidding/sessions/{report.session_id}/report/"
    client.force_login(world["centre_wh"])
    assert "签名失效" not in client.get(url).content.decode()
    with report.pdf.open("rb") as handle:
        pdf = handle.read()
    with open(report.pdf.path, "wb") as handle:
        handle.write(_one_byte_changed(pdf))
    page = client.get(url).content.decode()
    assert page.count("签名失效：文件已被改动") == 4
