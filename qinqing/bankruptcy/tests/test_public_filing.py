"""Filing without an account: announced cases are public; a verified phone is enough."""

import re

import pytest

from qinqing.bankruptcy import demo, services
from qinqing.bankruptcy.models import Case, Claim
from qinqing.bankruptcy.tests.scenarios import executing
from qinqing.core import notifier
from qinqing.core.errors import DomainError, ThrottledError
from qinqing.core.models import OneTimeCode


def last_code(phone: str) -> str:
    """The code as the phone received it (the database keeps no one-time codes)."""
    body = next(m.body for m in reversed(notifier.outbox) if m.address == phone)
    return re.search(r"验证码 (\d{6})", body).group(1)


@pytest.fixture
def fast(bk_demo):
    return Case.objects.get(number=demo.FAST_TRACK_NUMBER)


def test_public_list_shows_only_announced_open_cases(client, fast):
    page = client.get("/bankruptcy/public/").content.decode()
    assert demo.FAST_TRACK_NUMBER in page and demo.VOTING_NUMBER in page
    assert "（2022）鄂0111破5号" not in page  # closed
    closed = Case.objects.get(number="（2022）鄂0111破5号")
    assert client.get(f"/bankruptcy/public/{closed.pk}/file/").status_code == 404


def test_anonymous_creditor_files_with_a_verified_phone(client, fast):
    url = f"/bankruptcy/public/{fast.pk}/file/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"step": "send", "phone": "123"})
    assert "11 位" in response.content.decode()
    assert client.post(url, {"step": "send", "phone": "13912345678"}).status_code == 302
    challenge = OneTimeCode.objects.get(phone="13912345678")
    assert len(challenge.code_hash) == 64 and last_code("13912345678") not in challenge.code_hash
    claim_data = {"step": "file", "creditor_name": "张示例", "principal": "8800", "interest": "0"}
    response = client.post(url, {**claim_data, "code": "000000"})
    assert "验证码不正确" in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.attempts == 1 and challenge.used_at is None
    response = client.post(url, {**claim_data, "code": last_code("13912345678")})
    assert response.status_code == 200 and "申报已提交" in response.content.decode()
    claim = Claim.objects.get(case=fast, creditor__name="张示例")
    assert claim.creditor.phone == "13912345678" and claim.creditor.user is None
    assert claim.filed_by is None and claim.declared_amount == 8800
    challenge.refresh_from_db()
    assert challenge.used_at is not None


def test_codes_expire_lock_and_are_throttled(fast):
    challenge = services.phone_challenge_send(case=fast, phone="13800000009", ip="10.0.0.1")
    for _ in range(services.MAX_ATTEMPTS):
        with pytest.raises(DomainError):
            services.phone_challenge_verify(challenge=challenge, code="999999x")
    with pytest.raises(DomainError) as exc:
        services.phone_challenge_verify(challenge=challenge, code=last_code("13800000009"))
    assert exc.value.code == "locked"
    for _ in range(services.MAX_SENDS_PER_PHONE_HOUR - 1):
        services.phone_challenge_send(case=fast, phone="13800000009")
    with pytest.raises(ThrottledError):
        services.phone_challenge_send(case=fast, phone="13800000009")


def test_a_rejected_claim_leaves_the_code_usable(fast):
    challenge = services.phone_challenge_send(case=fast, phone="13700000001")
    code = last_code("13700000001")
    with pytest.raises(DomainError):
        services.claim_file_by_phone(
            challenge=challenge, code=code, creditor_name="李示例", principal="0"
        )
    claim = services.claim_file_by_phone(
        challenge=challenge, code=code, creditor_name="李示例", principal="10"
    )
    assert claim.creditor.phone == "13700000001"
    with pytest.raises(DomainError):
        services.claim_file_by_phone(
            challenge=challenge, code=code, creditor_name="李示例", principal="10"
        )


def test_a_phone_cannot_file_under_another_partys_creditor_name(fast):
    challenge = services.phone_challenge_send(case=fast, phone="13600000002")
    with pytest.raises(DomainError) as exc:  # filed earlier by the administrator for a firm
        services.claim_file_by_phone(
            challenge=challenge,
            code=last_code("13600000002"),
            creditor_name="武汉示例蔬菜配送有限公司",
            principal="5",
        )
    assert exc.value.field == "creditor_name"


def test_a_phone_creditor_signs_in_and_votes_without_an_account(client, bk_demo):
    from qinqing.bankruptcy.models import AgendaItem, Ballot, Meeting
    from qinqing.core.models import AuditEntry

    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    challenge = services.phone_challenge_send(case=voting, phone="13500000003")
    claim = services.claim_file_by_phone(
        challenge=challenge, code=last_code("13500000003"), creditor_name="赵示例", principal="6000"
    )
    services.claim_review(
        actor=bk_demo["administrator"], claim=claim, admitted_amount="6000", reason="借条属实"
    )
    services.claim_set_provisional(actor=bk_demo["judge"], claim=claim, amount="6000")

    url = f"/bankruptcy/public/meetings/{meeting.pk}/"
    assert "获取验证码" in client.get(url).content.decode()
    client.post(url, {"step": "send", "phone": "13500000003"})
    client.post(url, {"step": "verify", "code": "000000"})
    assert "赵示例" not in client.get(url).content.decode()  # wrong code: not identified
    client.post(url, {"step": "send", "phone": "13500000003"})
    client.post(url, {"step": "verify", "code": last_code("13500000003")})
    page = client.get(url).content.decode()
    assert "赵示例" in page and "在线签到" in page
    client.post(url, {"step": "sign_in", "creditor": claim.creditor_id})
    item = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    page = client.get(url).content.decode()
    assert "和解协议草案" in page and "我已阅读上面的和解协议草案和本人的清偿条件" in page
    vote = {"step": "vote", "creditor": claim.creditor_id, "item": item.pk, "vote": "yes"}
    refused = client.post(url, vote, follow=True).content.decode()
    assert "请先阅读和解协议草案和本人的清偿条件" in refused  # the box was not ticked
    assert not Ballot.objects.filter(item=item, creditor=claim.creditor).exists()
    client.post(url, {**vote, "read": "1"})
    ballot = Ballot.objects.get(item=item, creditor=claim.creditor)
    assert ballot.vote == "yes" and ballot.cast_by is None
    entry = AuditEntry.objects.filter(action="meeting.vote").latest("seq")
    assert entry.detail["via"] == "手机 135****0003"
    # another creditor of the case cannot be voted for from this session
    other = voting.creditors.exclude(pk=claim.creditor_id).first()
    client.post(
        url, {"step": "vote", "creditor": other.pk, "item": item.pk, "vote": "no", "read": "1"}
    )
    assert not Ballot.objects.filter(item=item, creditor=other, vote="no").exists()


def _identify(client, url, phone):
    assert client.post(url, {"step": "send", "phone": phone}).status_code == 302
    return client.post(url, {"step": "verify", "code": last_code(phone)}, follow=True)


def test_a_phone_creditor_follows_its_own_claim_and_objects(client, fast, bk_demo):
    from qinqing.core.models import AuditEntry

    challenge = services.phone_challenge_send(case=fast, phone="13512345678")
    claim = services.claim_file_by_phone(
        challenge=challenge, code=last_code("13512345678"), creditor_name="王示例", principal="900"
    )
    url = f"/bankruptcy/public/{fast.pk}/mine/"
    page = client.get(url).content.decode()
    assert "王示例" not in page and 'name="phone"' in page  # nothing before the phone is proved

    other = _identify(client, url, "13900000077").content.decode()  # a phone with no claim here
    assert "该手机号在本案没有申报记录" in other and "王示例" not in other

    page = _identify(client, url, "13512345678").content.decode()
    assert "王示例" in page and "900.00" in page and "已申报待审查" in page
    assert AuditEntry.objects.filter(action="claim.phone_lookup").exists()

    services.claim_review(
        actor=bk_demo["administrator"], claim=claim, admitted_amount="600", reason="利息无依据"
    )
    page = client.get(url).content.decode()
    assert "600.00" in page and "利息无依据" in page
    client.post(url, {"step": "object", "claim": claim.pk, "text": "利息有合同约定"})
    claim.refresh_from_db()
    assert claim.objection == "利息有合同约定"
    entry = AuditEntry.objects.filter(action="claim.object").latest("seq")
    assert entry.detail["via"] == "手机 135****5678"


def test_a_phone_creditor_confirms_a_payment_of_its_own_only(client, bk_demo):
    from qinqing.bankruptcy.models import Creditor, Payment

    closed = Case.objects.get(number="（2022）鄂0111破5号")  # performed and closed
    unconfirmed = Payment.objects.filter(
        term__agreement__case=closed, receipt_confirmed_on=None
    ).select_related("term__creditor")
    mine = unconfirmed.first()
    theirs = unconfirmed.exclude(term__creditor=mine.term.creditor).first()
    assert mine.term.creditor_id != theirs.term.creditor_id
    Creditor.objects.filter(pk=mine.term.creditor_id).update(
        phone="13711112222", organisation=None, user=None
    )
    url = f"/bankruptcy/public/{closed.pk}/mine/"
    page = _identify(client, url, "13711112222").content.decode()  # a closed case: still shown
    assert mine.term.creditor.name in page and theirs.term.creditor.name not in page
    client.post(url, {"step": "confirm", "payment": theirs.pk})
    client.post(url, {"step": "confirm", "payment": mine.pk})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.receipt_confirmed_on is not None and theirs.receipt_confirmed_on is None


def test_an_approved_agreement_closes_public_filing_pages_art100(client, meeting_case, world):
    case, _ = meeting_case
    executing(meeting_case, world)
    page = client.get("/bankruptcy/public/").content.decode()
    assert case.number in page and "不再受理申报（和解协议已获认可）" in page
    assert f"/bankruptcy/public/{case.pk}/file/" in page  # the link explains why
    response = client.get(f"/bankruptcy/public/{case.pk}/file/")
    body = response.content.decode()
    assert response.status_code == 200 and "第100条第3款" in body
    assert 'name="phone"' not in body and 'name="principal"' not in body
    client.post(f"/bankruptcy/public/{case.pk}/file/", {"step": "send", "phone": "13912345670"})
    assert not OneTimeCode.objects.filter(phone="13912345670").exists()
