"""专家自助: sign-in by SMS code and ID digits, leave, employment history, declarations."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.draw import services
from qinqing.bidding.experts import self_service
from qinqing.bidding.experts import services as expert_services
from qinqing.bidding.experts.self_service_views import EXPERT_KEY
from qinqing.bidding.models import (
    DrawOutcome,
    Expert,
    ExpertDeclaredRelation,
    ExpertLeave,
    ExpertRelation,
)
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, OneTimeCode

pytestmark = pytest.mark.django_db


def _code(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1].body).group()


def _sign_in(client, outbox, expert: Expert) -> None:
    client.post("/bidding/expert/", {"op": "phone", "phone": expert.phone})
    client.post(
        "/bidding/expert/", {"op": "code", "code": _code(outbox), "id_last4": expert.id_last4}
    )


def test_sign_in_needs_the_code_and_the_id_digits(client, world, outbox):
    expert = Expert.objects.get(code="WH-001")
    page = client.post("/bidding/expert/", {"op": "phone", "phone": expert.phone}, follow=True)
    assert "验证码已发送" in page.content.decode()
    assert outbox[-1].address == expert.phone and "专家自助" in outbox[-1].body
    code = _code(outbox)
    wrong = "0000" if expert.id_last4 != "0000" else "1111"
    page = client.post("/bidding/expert/", {"op": "code", "code": code, "id_last4": wrong})
    assert "验证码或身份证号后四位不正确" in page.content.decode()
    assert OneTimeCode.objects.get(purpose=self_service.POLICY.purpose).attempts == 1
    assert client.get("/bidding/expert/me/").status_code == 302  # not signed in
    page = client.post(
        "/bidding/expert/", {"op": "code", "code": code, "id_last4": expert.id_last4}
    )
    assert page.status_code == 302 and page["Location"] == "/bidding/expert/me/"
    home = client.get("/bidding/expert/me/").content.decode()
    assert expert.name in home and expert.masked_id_number in home
    assert expert.id_number_cipher not in home
    assert AuditEntry.objects.filter(action="expert.self_signin", object_id=str(expert.pk)).exists()
    # the code is used up
    page = client.post(
        "/bidding/expert/", {"op": "code", "code": code, "id_last4": expert.id_last4}
    )
    assert page.status_code == 302  # already signed in: straight to the page


def test_an_unknown_or_removed_phone_gets_the_same_answer_and_no_sms(client, world, outbox):
    removed = Expert.objects.get(code="WH-002")
    expert_services.expert_status_set(
        actor=world["centre_wh"], expert=removed, status="removed", reason="违规"
    )
    for phone in ("13312345678", removed.phone):
        page = client.post("/bidding/expert/", {"op": "phone", "phone": phone}, follow=True)
        assert "验证码已发送" in page.content.decode()
    assert outbox == []
    assert (
        OneTimeCode.objects.filter(purpose=self_service.POLICY.purpose, subject_id=None).count()
        == 2
    )
    page = client.post("/bidding/expert/", {"op": "phone", "phone": "12345"})
    assert "请填写 11 位中国大陆手机号" in page.content.decode()


def test_the_page_lapses_after_thirty_minutes(client, world, outbox):
    expert = Expert.objects.get(code="WH-003")
    _sign_in(client, outbox, expert)
    assert client.get("/bidding/expert/me/").status_code == 200
    session = client.session
    held = session[EXPERT_KEY]
    held["until"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    session[EXPERT_KEY] = held
    session.save()
    assert client.get("/bidding/expert/me/")["Location"] == "/bidding/expert/"


def test_leave_from_today_for_at_most_a_year_and_audited(world):
    expert = Expert.objects.get(code="WH-004")
    today = timezone.localdate()
    with pytest.raises(DomainError, match="不能早于今天"):
        self_service.self_leave_add(expert=expert, start=today - timedelta(days=1), end=today)
    with pytest.raises(DomainError, match="不能超过 366 天"):
        self_service.self_leave_add(expert=expert, start=today, end=today + timedelta(days=366))
    with pytest.raises(DomainError, match="不能早于开始日期"):
        self_service.self_leave_add(expert=expert, start=today, end=today - timedelta(days=1))
    leave = self_service.self_leave_add(
        expert=expert, start=today, end=today + timedelta(days=365), reason="出差"
    )
    entry = AuditEntry.objects.filter(action="expert.add_leave").order_by("-seq").first()
    assert entry.detail["source"] == self_service.SOURCE and entry.detail["leave"] == leave.pk
    assert entry.actor is None and entry.organisation == expert.database


def test_leave_over_a_session_the_expert_was_called_to_is_refused(world):
    wh = world["centre_wh"]
    draw = services.draw_commit(actor=wh, quota=world["host"])
    services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="42")
    called = DrawOutcome.objects.filter(draw=draw, status=DrawOutcome.Status.NOTIFIED).first()
    day = timezone.localtime(world["session"].starts_at).date()
    with pytest.raises(ConflictError, match="已被抽取或已确认参加"):
        self_service.self_leave_add(expert=called.expert, start=day, end=day)
    # the day before is free
    before = day - timedelta(days=1)
    assert self_service.self_leave_add(expert=called.expert, start=before, end=before)
    assert not ExpertLeave.objects.filter(expert=called.expert, start=day).exists()


def test_only_leave_not_yet_begun_is_cancelled_and_only_ones_own(world):
    expert, other = Expert.objects.get(code="WH-005"), Expert.objects.get(code="WH-006")
    today = timezone.localdate()
    future = self_service.self_leave_add(
        expert=expert, start=today + timedelta(days=2), end=today + timedelta(days=3)
    )
    running = self_service.self_leave_add(expert=expert, start=today, end=today)
    with pytest.raises(DomainError, match="没有这条请假记录"):
        self_service.self_leave_cancel(expert=other, leave_id=future.pk)
    with pytest.raises(ConflictError, match="已开始的请假不能撤销"):
        self_service.self_leave_cancel(expert=expert, leave_id=running.pk)
    self_service.self_leave_cancel(expert=expert, leave_id=future.pk)
    assert list(ExpertLeave.objects.filter(expert=expert)) == [running]
    assert AuditEntry.objects.filter(action="expert.cancel_leave").count() == 1


def test_history_and_declarations_are_checked_and_not_doubled(world):
    expert = Expert.objects.get(code="WH-007")
    today = timezone.localdate()
    bidder = BIDDER_USCCS[1]
    with pytest.raises(DomainError, match="统一社会信用代码不正确"):
        self_service.self_relation_add(
            expert=expert,
            org_uscc=bidder[:-1] + ("0" if bidder[-1] != "0" else "1"),
            org_name="示例投标人1",
            kind="employee",
            start=today,
            end=None,
        )
    with pytest.raises(DomainError, match="起始日期不能晚于今天"):
        self_service.self_relation_add(
            expert=expert,
            org_uscc=bidder,
            org_name="示例投标人1",
            kind="employee",
            start=today + timedelta(days=1),
            end=None,
        )
    start = today - timedelta(days=400)
    self_service.self_relation_add(
        expert=expert,
        org_uscc=bidder,
        org_name="示例投标人1",
        kind="director",
        start=start,
        end=None,
    )
    with pytest.raises(DomainError, match="已登记"):
        self_service.self_relation_add(
            expert=expert,
            org_uscc=bidder,
            org_name="示例投标人1",
            kind="director",
            start=start,
            end=None,
        )
    self_service.self_declare(expert=expert, org_uscc=BIDDER_USCCS[2], org_name="示例投标人2")
    with pytest.raises(DomainError, match="该单位已申报"):
        self_service.self_declare(expert=expert, org_uscc=BIDDER_USCCS[2], org_name="示例投标人2")
    assert ExpertRelation.objects.filter(expert=expert).count() == 1
    assert ExpertDeclaredRelation.objects.filter(expert=expert).count() == 1
    actions = set(
        AuditEntry.objects.filter(object_id=str(expert.pk)).values_list("action", flat=True)
    )
    assert {"expert.add_relation", "expert.declare_relation"} <= actions


def test_the_page_records_what_the_expert_enters(client, world, outbox):
    expert = Expert.objects.get(code="WH-008")
    _sign_in(client, outbox, expert)
    start = timezone.localdate() + timedelta(days=5)
    page = client.post(
        "/bidding/expert/me/",
        {"op": "leave", "start": start.isoformat(), "end": start.isoformat(), "reason": "体检"},
        follow=True,
    )
    assert "请假已登记" in page.content.decode()
    page = client.post(
        "/bidding/expert/me/",
        {"op": "declare", "org_uscc": "not-a-code", "org_name": "某公司"},
    )
    assert "统一社会信用代码不正确" in page.content.decode()
    assert not ExpertDeclaredRelation.objects.filter(expert=expert).exists()
    leave = ExpertLeave.objects.get(expert=expert)
    client.post("/bidding/expert/me/", {"op": "cancel", "leave": leave.pk})
    assert not ExpertLeave.objects.filter(expert=expert).exists()
    client.post("/bidding/expert/signout/")
    assert client.get("/bidding/expert/me/").status_code == 302
