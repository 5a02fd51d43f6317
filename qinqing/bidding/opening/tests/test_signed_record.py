"""The opening record's PDF carries the host centre's electronic seal (issue 21 item 7): pyHanko
and pdfsig report it intact, one changed byte breaks it, and the public record page says who
sealed it and when."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from qinqing.bidding.models import Bid
from qinqing.bidding.opening import services, signing
from qinqing.bidding.opening.models import OpeningBid
from qinqing.bidding.opening.tests.conftest import browser_key, pass_deadline, submit
from qinqing.core.documents import document_render
from qinqing.core.models import AuditEntry, GeneratedDocument, SigningCertificate
from qinqing.core.signing import pdf as signing_pdf


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def closed(opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    opening = services.opening_start(actor=w["agent"], section=w["section"])
    for who in ("bidder", "bidder2", "bidder4"):
        bid = Bid.objects.get(
            section=w["section"], bidder__uscc=w["usccs"][who], status="submitted"
        )
        services.opening_decrypt(
            actor=w[who],
            opening_bid=OpeningBid.objects.get(bid=bid),
            content_key=browser_key(bid, who),
        )
    opening.refresh_from_db()
    opening = services.opening_close(actor=w["agent"], opening=opening)
    document = GeneratedDocument.objects.get(renderer=signing.RENDERER)
    document_render.func.body(document.pk)  # what the worker runs
    document.refresh_from_db()
    return w, opening, document


def _one_byte_changed(pdf: bytes) -> bytes:
    at = pdf.index(b"\n") + 2  # inside the binary comment after %PDF-x.y: every range covers it
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def test_the_record_is_sealed_by_the_host_centre(closed):
    w, opening, document = closed
    assert document.status == GeneratedDocument.Status.READY
    pdf = document.file.read()
    found = signing_pdf.pdf_signatures(pdf, validate=True)
    centre = w["section"].project.host_centre
    assert [(s.field, s.signer) for s in found] == [("Seal", centre.name)]
    assert found[0].intact and found[0].valid and found[0].trusted
    assert found[0].reason == "开标记录封存"
    assert found[0].certificate.kind == SigningCertificate.Kind.SEAL
    assert found[0].certificate.organisation == centre
    sign = AuditEntry.objects.get(action="pdf.sign", object_id=str(opening.pk))
    assert sign.detail["document"] == "bidding.opening_record"
    assert sign.detail["sha256"] == document.sha256
    assert sign.actor == w["agent"]  # the person who closed the opening
    broken = signing_pdf.pdf_signatures(_one_byte_changed(pdf), validate=True)
    assert len(broken) == 1 and not broken[0].intact


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils missing")
def test_pdfsig_reports_the_seal_valid_and_a_changed_byte_invalid(closed, tmp_path):
    _w, _opening, document = closed
    pdf = document.file.read()
    for body, valid in ((pdf, True), (_one_byte_changed(pdf), False)):
        path = tmp_path / "record.pdf"
        path.write_bytes(body)
        out = subprocess.run(  # noqa: S603
            [shutil.which("pdfsig"), str(path)], capture_output=True, text=True, check=False
        )
        text = out.stdout + out.stderr
        assert len(re.findall(r"^Signature #\d+:", text, re.M)) == 1, text
        assert ("Signature is Valid" in text) is valid, text


def test_the_public_record_page_names_the_seal(client, closed):
    w, _opening, _document = closed
    page = client.get(f"/bidding/openings/records/{w['section'].pk}/").content.decode()
    assert "开标记录 PDF 的电子印章" in page
    assert w["section"].project.host_centre.name in page and "完好" in page


def test_before_the_pdf_is_ready_the_page_says_so(client, opening_world, closed):
    w, _opening, document = closed
    GeneratedDocument.objects.filter(pk=document.pk).update(status=GeneratedDocument.Status.QUEUED)
    page = client.get(f"/bidding/openings/records/{w['section'].pk}/").content.decode()
    assert "PDF 正在生成" in page and "完好" not in page
