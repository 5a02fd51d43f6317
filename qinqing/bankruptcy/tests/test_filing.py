"""Filing a claim (issue 22): the same claim twice while the first is pending is refused,
evidence is checked by its content, a secured claim needs collateral worth more than zero;
on the web form, the public (phone) form, the API and the service."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bankruptcy import demo, rules, services
from qinqing.bankruptcy.models import Case, Claim
from qinqing.core import notifier
from qinqing.core.errors import ConflictError, DomainError

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
TEXT = "这是一份文字材料，不是 PDF。".encode()


# ------------------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("合同.pdf", PDF, "pdf"),
        ("A.PDF", PDF, "pdf"),
        ("欠条.png", PNG, "png"),
        ("x.jpg", JPEG, "jpeg"),
        ("x.jpeg", JPEG, "jpeg"),
        ("x.pdf", b"%PDF-", "pdf"),  # exactly the signature
    ],
)
def test_evidence_whose_content_matches_its_name_is_accepted(name, head, kind) -> None:
    assert rules.evidence_check(name, head) == kind


@pytest.mark.parametrize(
    ("name", "head", "words"),
    [
        ("合同.pdf", TEXT, "内容不是"),  # a text file named .pdf
        ("合同.pdf", b"%PDF", "内容不是"),  # one byte short of the signature
        ("合同.pdf", PNG, "扩展名不符"),
        ("照片.png", JPEG, "扩展名不符"),
        ("照片.jpg", b"\xff\xd8", "内容不是"),
        ("合同.docx", PDF, "只接受"),
        ("合同", PDF, "只接受"),
    ],
)
def test_evidence_whose_content_does_not_match_is_refused(name, head, words) -> None:
    with pytest.raises(rules.RuleError, match=words):
        rules.evidence_check(name, head)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.binary(max_size=16), st.sampled_from(["a.pdf", "a.jpg", "a.jpeg", "a.png"]))
def test_evidence_is_accepted_only_with_its_signature(head, name) -> None:
    expected = rules.EVIDENCE_EXTENSIONS[name.rsplit(".", 1)[1]]
    signed = any(head.startswith(s) for s in rules.EVIDENCE_SIGNATURES[expected])
    try:
        assert rules.evidence_check(name, head) == expected
    except rules.RuleError:
        assert not signed
    else:
        assert signed


def _claim(principal="100.00", interest="0.00", other="0.00", *, pending=True, **kw):
    values = {"rank": "ordinary", "nature": "", "secured": False, **kw}
    return rules.FiledClaim(
        Decimal(principal), Decimal(interest), Decimal(other), pending=pending, **values
    )


def test_a_duplicate_is_the_same_amounts_and_nature_while_pending() -> None:
    first = _claim()
    assert rules.duplicate_of(_claim(), [first]) is first
    assert rules.duplicate_of(_claim(), [_claim(pending=False)]) is None  # reviewed: allowed
    assert rules.duplicate_of(_claim(interest="0.01"), [first]) is None  # one cent differs
    assert rules.duplicate_of(_claim("100.01"), [first]) is None
    assert rules.duplicate_of(_claim(other="0.01"), [first]) is None
    assert rules.duplicate_of(_claim(nature="penalty"), [first]) is None
    assert rules.duplicate_of(_claim(secured=True), [first]) is None
    assert rules.duplicate_of(_claim(rank="tax_social"), [first]) is None


# ------------------------------------------------------------------------------------------
# Service, web, public page, API
# ------------------------------------------------------------------------------------------


@pytest.fixture
def fast(bk_demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # never the real var/
    return Case.objects.get(number=demo.FAST_TRACK_NUMBER)


def test_service_refuses_a_pending_duplicate_and_allows_it_after_review(fast, bk_demo) -> None:
    admin = bk_demo["administrator"]
    kwargs = dict(actor=admin, case=fast, creditor_name="重复申报示例", principal="5000")
    first = services.claim_file(**kwargs)
    with pytest.raises(ConflictError) as exc:
        services.claim_file(**kwargs)
    assert exc.value.code == "duplicate_claim"
    assert "请勿重复申报" in exc.value.message and "5000.00" in exc.value.message
    assert Claim.objects.filter(creditor=first.creditor).count() == 1
    services.claim_file(**{**kwargs, "interest": "0.01"})  # a different claim
    services.claim_review(actor=admin, claim=first, admitted_amount="5000", reason="证据充分")
    services.claim_file(**kwargs)  # the first is reviewed: a further declaration is reviewed
    assert Claim.objects.filter(creditor=first.creditor).count() == 3


def test_a_secured_claim_needs_collateral_above_zero(fast, bk_demo) -> None:
    kwargs = dict(actor=bk_demo["administrator"], case=fast, principal="1000", secured=True)
    for value in ("0", "0.00", "", None):
        with pytest.raises(DomainError) as exc:
            services.claim_file(creditor_name="担保示例", collateral_value=value, **kwargs)
        assert exc.value.field == "collateral_value" and "大于零" in exc.value.message
    claim = services.claim_file(creditor_name="担保示例", collateral_value="0.01", **kwargs)
    assert claim.collateral_value == Decimal("0.01")
    # without security the value is not asked for (and not kept)
    plain = services.claim_file(
        actor=bk_demo["administrator"], case=fast, creditor_name="无担保", principal="1"
    )
    assert plain.collateral_value == 0


def test_a_tax_late_fee_is_filed_as_an_ordinary_claim(fast, bk_demo) -> None:
    claim = services.claim_file(
        actor=bk_demo["administrator"],
        case=fast,
        creditor_name="国家税务总局武汉市洪山区税务局",
        principal="3000",
        rank=Claim.Rank.TAX_SOCIAL,
        nature=Claim.Nature.TAX_LATE_FEE,
    )
    assert (claim.rank, claim.nature) == (Claim.Rank.ORDINARY, Claim.Nature.TAX_LATE_FEE)
    with pytest.raises(DomainError):  # the court marks court-ordered subordination
        services.claim_file(
            actor=bk_demo["administrator"],
            case=fast,
            creditor_name="某",
            principal="1",
            nature=Claim.Nature.COURT_SUBORDINATED,
        )


def test_the_web_form_refuses_a_duplicate_a_fake_pdf_and_a_zero_collateral(
    client, fast, bk_demo
) -> None:
    client.force_login(bk_demo["creditor"])
    url = f"/bankruptcy/cases/{fast.pk}/file/"
    data = {"principal": "7000", "interest": "0", "other": "0"}
    fake = SimpleUploadedFile("合同.pdf", TEXT, content_type="application/pdf")
    page = client.post(url, {**data, "evidence": fake}).content.decode()
    assert "内容不是 PDF" in page
    assert not Claim.objects.filter(case=fast, principal=7000).exists()
    page = client.post(url, {**data, "secured": "on", "collateral_value": "0"}).content.decode()
    assert "大于零" in page
    real = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    assert client.post(url, {**data, "evidence": real}).status_code == 302
    page = client.post(url, data).content.decode()
    assert "请勿重复申报" in page
    assert Claim.objects.filter(case=fast, principal=7000).count() == 1


def _code(phone: str) -> str:
    body = next(m.body for m in reversed(notifier.outbox) if m.address == phone)
    return re.search(r"验证码 (\d{6})", body).group(1)


def test_the_public_form_refuses_a_duplicate_and_a_fake_pdf(client, fast) -> None:
    url = f"/bankruptcy/public/{fast.pk}/file/"
    phone = "13912340022"
    data = {"step": "file", "creditor_name": "李示例", "principal": "6600", "interest": "0"}

    def file(**extra):
        client.post(url, {"step": "send", "phone": phone})
        return client.post(url, {**data, "code": _code(phone), **extra}).content.decode()

    page = file(evidence=SimpleUploadedFile("欠条.pdf", TEXT, content_type="application/pdf"))
    assert "内容不是 PDF" in page
    assert "申报已提交" in file()
    assert "请勿重复申报" in file()
    assert Claim.objects.filter(case=fast, creditor__name="李示例").count() == 1


def test_the_api_refuses_a_duplicate_409_and_zero_collateral_400(client, fast, bk_demo) -> None:
    client.force_login(bk_demo["creditor"])
    url = f"/api/v1/bankruptcy/cases/{fast.pk}/claims"

    def post(body):
        return client.post(url, json.dumps(body), content_type="application/json")

    body = {"principal": "4321", "interest": "12"}
    assert post(body).status_code == 201
    again = post(body)
    assert again.status_code == 409 and again.json()["code"] == "duplicate_claim"
    assert "请勿重复申报" in again.json()["detail"]
    zero = post({"principal": "1", "secured": True, "collateral_value": "0"})
    assert zero.status_code == 400 and zero.json()["field"] == "collateral_value"
    late_fee = post({"principal": "88", "nature": "tax_late_fee"})
    assert late_fee.status_code == 201 and late_fee.json()["nature"] == "tax_late_fee"
    assert post({"principal": "1", "nature": "bogus"}).status_code == 400
