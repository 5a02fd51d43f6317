"""Written clarifications (实施条例 Art.52): committee asks → supervisor approves → the bidder
answers → supervisor approves → the committee sees it. The bidder's login sees only its own
requests and never asks on its own initiative; notifications name no expert."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.evaluation import clarifications
from qinqing.bidding.models import (
    Bidder,
    Clarification,
    EvaluationSession,
    Project,
    RuleSet,
    Seat,
    Section,
)
from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Notification, Organisation, RoleGrant
from qinqing.core.roles import Role

S = Clarification.Status


def in_progress(world, chair=0):
    """The committee of the world's session, started (by the ORM: the scoring plan is not
    this module's business) with seats[chair] appointed chair."""
    session, seats = full_committee(world)
    EvaluationSession.objects.filter(pk=session.pk).update(
        status=EvaluationSession.Status.IN_PROGRESS,
        started_at=timezone.now(),
        chair=seats[chair] if chair is not None else None,
        chair_method="appointed" if chair is not None else "",
    )
    session.refresh_from_db()
    return session, seats


def bidder_account(session, index: int, username: str | None = None):
    """A login holding the bidder role on the organisation whose USCC is the bidder's."""
    bidder = Bidder.objects.get(section=session.section, uscc=BIDDER_USCCS[index])
    org, _ = Organisation.objects.get_or_create(
        uscc=bidder.uscc,
        defaults={"kind": Organisation.Kind.FIRM, "name": bidder.name, "code": f"bidder-{index}"},
    )
    user = get_user_model().objects.create_user(username=username or f"bidder{index}")
    RoleGrant.objects.create(user=user, role=Role.BIDDER, organisation=org)
    return bidder, user


def other_supervisor(world):
    """A supervisor of another department (not the project's)."""
    dept = world["orgs"]["hs-spj"]
    user = get_user_model().objects.create_user(username="supervisor_other")
    RoleGrant.objects.create(user=user, role=Role.SUPERVISOR, organisation=dept)
    return user


def ask(session, seats, bidder, question="请说明投标文件第 3.2 节所述设备的生产厂家。", chair=0):
    return clarifications.clarification_ask(
        actor=None, seat=seats[chair], bidder=bidder, question=question
    )


def terminal(seat):
    client = Client()
    store = client.session
    store["bidding_seat"] = seat.pk
    store.save()
    return client


def expert_identities(seats):
    """Everything that would identify a member: codes, names, phones, workstation codes."""
    found = []
    for seat in Seat.objects.filter(pk__in=[s.pk for s in seats]).select_related(
        "outcome__expert", "workstation"
    ):
        expert = seat.outcome.expert
        found += [expert.code, expert.name, expert.phone, seat.workstation.code]
    return found


# --- the state machine ----------------------------------------------------------------------


def test_each_transition_is_audited_and_the_chain_holds(world, outbox):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    supervisor = world["supervisor"]

    c = ask(session, seats, bidder)
    assert c.status == S.QUESTION_PENDING and c.asked_by_id == seats[0].pk

    c = clarifications.clarification_review_question(
        actor=supervisor, clarification=c, approve=True
    )
    assert c.status == S.AWAITING_ANSWER and c.question_reviewed_by == supervisor

    c = clarifications.clarification_answer(
        actor=account, clarification=c, answer="生产厂家为某某机电有限公司。"
    )
    assert c.status == S.ANSWER_PENDING and c.answered_by == account

    with pytest.raises(DomainError, match="理由"):  # a returned answer needs a reason
        clarifications.clarification_review_answer(actor=supervisor, clarification=c, approve=False)
    c = clarifications.clarification_review_answer(
        actor=supervisor, clarification=c, approve=False, note="答复改变了投标报价，属实质性内容"
    )
    assert c.status == S.ANSWER_REJECTED and c.review_note.startswith("答复改变")

    c = clarifications.clarification_answer(
        actor=account, clarification=c, answer="生产厂家为某某机电有限公司，报价不变。"
    )
    assert c.status == S.ANSWER_PENDING
    c = clarifications.clarification_review_answer(actor=supervisor, clarification=c, approve=True)
    assert c.status == S.PUBLISHED and c.answer_reviewed_by == supervisor

    actions = list(
        AuditEntry.objects.filter(object_id=str(c.pk), action__startswith="clarification.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "clarification.ask",
        "clarification.review_question",
        "clarification.answer",
        "clarification.review_answer",
        "clarification.answer",
        "clarification.review_answer",
    ]
    first = AuditEntry.objects.filter(action="clarification.answer").order_by("seq").first()
    assert first.detail["answer"] == "生产厂家为某某机电有限公司。"  # the returned answer is kept
    assert first.organisation == session.section.project.supervising_department
    assert verify_chain().ok


def test_a_refused_question_goes_no_further(world):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    c = ask(session, seats, bidder)
    with pytest.raises(DomainError, match="理由"):
        clarifications.clarification_review_question(
            actor=world["supervisor"], clarification=c, approve=False
        )
    c = clarifications.clarification_review_question(
        actor=world["supervisor"], clarification=c, approve=False, note="问题涉及投标报价的修改"
    )
    assert c.status == S.QUESTION_REJECTED
    with pytest.raises(ConflictError):
        clarifications.clarification_answer(actor=account, clarification=c, answer="答复")
    with pytest.raises(ConflictError):
        clarifications.clarification_review_question(
            actor=world["supervisor"], clarification=c, approve=True
        )
    with pytest.raises(ConflictError):
        clarifications.clarification_review_answer(
            actor=world["supervisor"], clarification=c, approve=True
        )


def test_wrong_states_are_refused(world):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    supervisor = world["supervisor"]
    c = ask(session, seats, bidder)
    with pytest.raises(ConflictError):  # not yet approved: nothing to answer
        clarifications.clarification_answer(actor=account, clarification=c, answer="主动说明")
    with pytest.raises(ConflictError):
        clarifications.clarification_review_answer(actor=supervisor, clarification=c, approve=True)
    c = clarifications.clarification_review_question(
        actor=supervisor, clarification=c, approve=True
    )
    with pytest.raises(ConflictError):  # approved once
        clarifications.clarification_review_question(
            actor=supervisor, clarification=c, approve=True
        )
    with pytest.raises(ConflictError):  # no answer yet
        clarifications.clarification_review_answer(actor=supervisor, clarification=c, approve=True)
    c = clarifications.clarification_answer(actor=account, clarification=c, answer="答复")
    with pytest.raises(ConflictError):  # awaiting review: cannot answer again
        clarifications.clarification_answer(actor=account, clarification=c, answer="再答复")
    c = clarifications.clarification_review_answer(actor=supervisor, clarification=c, approve=True)
    with pytest.raises(ConflictError):  # published: final
        clarifications.clarification_answer(actor=account, clarification=c, answer="补充")
    with pytest.raises(ConflictError):
        clarifications.clarification_review_answer(
            actor=supervisor, clarification=c, approve=False, note="撤回"
        )
    # Nothing moves once the session is closed.
    c2 = ask(session, seats, bidder, question="第二个问题")
    EvaluationSession.objects.filter(pk=session.pk).update(status=EvaluationSession.Status.CLOSED)
    with pytest.raises(ConflictError):
        clarifications.clarification_review_question(
            actor=supervisor, clarification=c2, approve=True
        )


def test_only_the_chair_asks_during_the_evaluation(world):
    session, seats = in_progress(world, chair=None)
    bidder = Bidder.objects.get(section=session.section, uscc=BIDDER_USCCS[0])
    with pytest.raises(ConflictError, match="负责人尚未产生"):
        ask(session, seats, bidder)
    EvaluationSession.objects.filter(pk=session.pk).update(chair=seats[1])
    with pytest.raises(ConflictError, match="负责人"):  # a member who is not the chair
        ask(session, seats, bidder, chair=0)
    with pytest.raises(DomainError):  # empty question
        ask(session, seats, bidder, question="  ", chair=1)
    other = Section.objects.create(
        project=Project.objects.create(
            code="P-OTHER",
            name="另一项目",
            tenderer=world["orgs"]["demo-tenderer"],
            supervising_department=world["orgs"]["hs-zgj"],
            host_centre=world["orgs"]["whggzy"],
            region_code="420111",
            method="comprehensive",
            rule_set=RuleSet.objects.get(),
        ),
        code="01",
        name="另一标段",
    )
    stranger = Bidder.objects.create(section=other, uscc=BIDDER_USCCS[0], name="别的投标人")
    with pytest.raises(DomainError, match="不属于本标段"):
        ask(session, seats, stranger, chair=1)
    assert ask(session, seats, bidder, chair=1).status == S.QUESTION_PENDING
    EvaluationSession.objects.filter(pk=session.pk).update(status=EvaluationSession.Status.CLOSED)
    with pytest.raises(ConflictError):
        ask(session, seats, bidder, chair=1)
    assert Clarification.objects.count() == 1


def test_the_bidder_has_no_service_to_clarify_on_its_own_initiative():
    """Art.52: every clarification starts with the committee's question."""
    writes = [
        name
        for name in dir(clarifications)
        if name.startswith("clarification_") and callable(getattr(clarifications, name))
    ]
    assert sorted(writes) == [
        "clarification_answer",
        "clarification_ask",
        "clarification_review_answer",
        "clarification_review_question",
    ]


def test_who_may_act(world):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    _, other_bidder = bidder_account(session, 1)
    c = ask(session, seats, bidder)
    for intruder in (other_supervisor(world), world["centre_wh"], world["tenderer"], account):
        with pytest.raises(PermissionDenied):
            clarifications.clarification_review_question(
                actor=intruder, clarification=c, approve=True
            )
    c = clarifications.clarification_review_question(
        actor=world["supervisor"], clarification=c, approve=True
    )
    for intruder in (other_bidder, world["supervisor"], world["enterprise"], None):
        with pytest.raises(PermissionDenied):
            clarifications.clarification_answer(actor=intruder, clarification=c, answer="冒名")


# --- notifications --------------------------------------------------------------------------


def test_notifications_name_no_expert(world, outbox):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    c = ask(session, seats, bidder)
    c = clarifications.clarification_review_question(
        actor=world["supervisor"], clarification=c, approve=True
    )
    to_bidder = Notification.objects.filter(recipient=account)
    assert to_bidder.count() == 1
    assert session.section.project.code in to_bidder.get().body
    c = clarifications.clarification_answer(actor=account, clarification=c, answer="答复")
    clarifications.clarification_review_answer(
        actor=world["supervisor"], clarification=c, approve=False, note="请补充厂家授权书编号"
    )
    assert to_bidder.count() == 2  # returned, with the reason
    assert Notification.objects.filter(recipient=world["supervisor"]).count() == 2
    identities = expert_identities(seats)
    texts = [n.subject + n.body for n in Notification.objects.all()]
    texts += [m.subject + m.body for m in outbox]
    assert texts
    for text in texts:
        assert not any(identity in text for identity in identities), text


# --- pages ----------------------------------------------------------------------------------


def test_the_bidder_sees_only_its_own_approved_requests(client, world):
    session, seats = in_progress(world)
    bidder0, account0 = bidder_account(session, 0)
    bidder1, account1 = bidder_account(session, 1)
    supervisor = world["supervisor"]
    mine = clarifications.clarification_review_question(
        actor=supervisor, clarification=ask(session, seats, bidder0, "问题甲"), approve=True
    )
    ask(session, seats, bidder0, "问题乙尚未审核")
    theirs = clarifications.clarification_review_question(
        actor=supervisor, clarification=ask(session, seats, bidder1, "问题丙"), approve=True
    )
    client.force_login(account0)
    page = client.get("/bidding/clarifications/").content.decode()
    assert "问题甲" in page and "问题乙" not in page and "问题丙" not in page
    assert 'name="question"' not in page  # no way to clarify on its own initiative
    assert client.post("/bidding/clarifications/", {"question": "主动澄清"}).status_code == 405
    assert client.get(f"/bidding/clarifications/{mine.pk}/").status_code == 200
    assert client.get(f"/bidding/clarifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/bidding/clarifications/{theirs.pk}/", {"answer": "x"}).status_code == 404
    pending = Clarification.objects.get(question="问题乙尚未审核")
    assert client.get(f"/bidding/clarifications/{pending.pk}/").status_code == 404
    detail = client.get(f"/bidding/clarifications/{mine.pk}/").content.decode()
    assert not any(identity in detail for identity in expert_identities(seats))
    # Nothing else of the bidding module.
    for url in (
        "/bidding/",
        f"/bidding/sessions/{session.pk}/",
        f"/bidding/sessions/{session.pk}/live/",
        f"/bidding/sessions/{session.pk}/clarifications/",
        "/bidding/experts/",
        "/bidding/live/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/api/v1/bidding/sessions/{session.pk}/live").status_code == 403
    assert client.get("/api/v1/bidding/sessions").status_code == 403
    home = client.get("/").content.decode()
    assert "澄清答复" in home and "评标场次" not in home
    client.force_login(account1)
    assert client.get(f"/bidding/clarifications/{mine.pk}/").status_code == 404
    # The answer form works for the owner.
    client.force_login(account0)
    response = client.post(f"/bidding/clarifications/{mine.pk}/", {"answer": "书面答复内容"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == S.ANSWER_PENDING and mine.answer == "书面答复内容"


def test_the_committee_sees_an_answer_only_once_published(world):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    supervisor = world["supervisor"]
    chair, member = terminal(seats[0]), terminal(seats[3])
    page = chair.get("/bidding/workstation/clarifications/").content.decode()
    assert 'name="question"' in page
    assert (
        'name="question"' not in member.get("/bidding/workstation/clarifications/").content.decode()
    )
    # A member who is not the chair cannot ask through the page either.
    member.post(
        "/bidding/workstation/clarifications/", {"bidder": bidder.pk, "question": "成员提问"}
    )
    assert not Clarification.objects.exists()
    chair.post(
        "/bidding/workstation/clarifications/", {"bidder": bidder.pk, "question": "请说明工期安排"}
    )
    c = Clarification.objects.get()
    assert c.question == "请说明工期安排" and c.asked_by_id == seats[0].pk
    c = clarifications.clarification_review_question(
        actor=supervisor, clarification=c, approve=True
    )
    c = clarifications.clarification_answer(actor=account, clarification=c, answer="工期一百二十天")
    page = member.get("/bidding/workstation/clarifications/").content.decode()
    assert "请说明工期安排" in page and "答复待监督审核" in page
    assert "工期一百二十天" not in page
    c = clarifications.clarification_review_answer(actor=supervisor, clarification=c, approve=True)
    for client in (chair, member):
        page = client.get("/bidding/workstation/clarifications/").content.decode()
        assert "工期一百二十天" in page
    # Without a bound workstation: back to sign-in.
    assert Client().get("/bidding/workstation/clarifications/").status_code == 302


def test_supervisor_pages_and_404_for_another_department(client, world):
    session, seats = in_progress(world)
    bidder, _ = bidder_account(session, 0)
    c = ask(session, seats, bidder, "请说明项目经理资格")
    client.force_login(world["supervisor"])
    page = client.get(f"/bidding/sessions/{session.pk}/clarifications/").content.decode()
    assert "请说明项目经理资格" in page and "批准并送达投标人" in page
    live = client.get(f"/bidding/sessions/{session.pk}/live/").content.decode()
    assert "请说明项目经理资格" in live
    response = client.post(
        f"/bidding/clarifications/{c.pk}/review/",
        {"step": "question", "decision": "approve", "back": "live"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/live/")
    c.refresh_from_db()
    assert c.status == S.AWAITING_ANSWER
    client.force_login(other_supervisor(world))
    assert client.get(f"/bidding/sessions/{session.pk}/clarifications/").status_code == 404
    assert (
        client.post(
            f"/bidding/clarifications/{c.pk}/review/", {"step": "answer", "decision": "approve"}
        ).status_code
        == 404
    )
    for who, status in (("centre_wh", 403), ("tenderer", 403), ("enterprise", 403)):
        client.force_login(world[who])
        assert client.get(f"/bidding/sessions/{session.pk}/clarifications/").status_code == status
