"""The bidding to-do providers: the supervisor, the centre staff, the expert and the bidder
each see what waits on them, and another department, centre, expert or bidder does not."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from qinqing.bidding import todos
from qinqing.bidding.draw import services
from qinqing.bidding.evaluation import clarifications
from qinqing.bidding.evaluation.tests.test_clarifications import (
    ask,
    bidder_account,
    in_progress,
    other_supervisor,
)
from qinqing.bidding.models import DrawOutcome, EvaluationSession, Expert, Incident, Seat
from qinqing.core.models import RoleGrant
from qinqing.core.roles import Role

pytestmark = pytest.mark.django_db


def _by_label(items):
    return {str(i.label): i for i in items}


def _counts(items):
    return {str(i.label): i.count for i in items if i.count}


def _account(username, role, org):
    user = get_user_model().objects.create_user(username)
    RoleGrant.objects.create(user=user, role=role, organisation=org)
    return user


def test_the_supervisor_witnesses_and_the_centre_chases_answers(world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    witness = _by_label(todos.supervisor(world["supervisor"]))["待见证的专家抽取"]
    assert witness.count == 1 and witness.url == f"/bidding/draws/{draw.draw_id}/"
    assert _counts(todos.supervisor(other_supervisor(world))) == {}
    services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="42")
    assert "待见证的专家抽取" not in _counts(todos.supervisor(world["supervisor"]))

    answers = _by_label(todos.centre(world["centre_wh"]))["专家尚未答复的抽取通知"]
    assert answers.count == 3 and answers.url == f"/bidding/draws/{draw.draw_id}/"
    respond_by = DrawOutcome.objects.filter(draw=draw, status="notified").earliest("respond_by")
    assert answers.due == timezone.localdate(respond_by.respond_by)
    assert "专家尚未答复的抽取通知" not in _counts(todos.centre(world["centre_jk"]))  # not its draw

    # The expert account linked to one of the drawn experts is asked to answer.
    drawn = DrawOutcome.objects.filter(draw=draw, status="notified").first()
    Expert.objects.filter(pk=drawn.expert_id).update(user=world["expert"])
    invitation = _by_label(todos.expert(world["expert"]))["待答复的评标邀请"]
    assert invitation.count == 1 and invitation.url == "" and invitation.note
    other_expert = _account("expert2", Role.EXPERT, world["orgs"]["whggzy-experts"])
    assert _counts(todos.expert(other_expert)) == {}
    assert todos.expert(world["centre_wh"]) == []


def test_todays_session_for_the_centres_and_the_seated_expert(world):
    session, seats = in_progress(world)
    now = timezone.localtime()
    start = now.replace(hour=23, minute=0, second=0, microsecond=0) - timedelta(hours=1)
    EvaluationSession.objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + timedelta(minutes=50)
    )
    for centre in ("centre_wh", "centre_jk"):  # host and guest
        today = _by_label(todos.centre(world[centre]))["今日评标场次"]
        assert today.count == 1 and today.url == f"/bidding/sessions/{session.pk}/"
    other = _account("centre_other", Role.CENTRE_ADMIN, world["orgs"]["hs-fgj"])
    assert _counts(todos.centre(other)) == {}

    seat = Seat.objects.select_related("workstation", "outcome").get(pk=seats[0].pk)
    Expert.objects.filter(pk=seat.outcome.expert_id).update(user=world["expert"])
    items = [i for i in todos.expert(world["expert"]) if str(i.label).startswith("今日评标")]
    assert len(items) == 1
    assert seat.workstation.code in str(items[0].note) and items[0].url == "/bidding/signin/"


def test_clarifications_wait_on_the_supervisor_then_the_bidder(world):
    session, seats = in_progress(world)
    bidder, account = bidder_account(session, 0)
    _other_bidder, other_account = bidder_account(session, 1)
    c = ask(session, seats, bidder)
    review = _by_label(todos.supervisor(world["supervisor"]))["待审核的澄清问题与答复"]
    assert review.count == 1 and review.url == f"/bidding/sessions/{session.pk}/clarifications/"
    assert _counts(todos.bidder(account)) == {}  # not approved yet
    clarifications.clarification_review_question(
        actor=world["supervisor"], clarification=c, approve=True
    )
    answer = _by_label(todos.bidder(account))["待答复的澄清要求"]
    assert answer.count == 1 and answer.url == f"/bidding/clarifications/{c.pk}/"
    assert _counts(todos.bidder(other_account)) == {}  # another bidder's request


def test_open_incidents_wait_on_the_supervisor_and_the_centre(world):
    session, _seats = in_progress(world)
    Incident.objects.create(
        session=session,
        centre=world["orgs"]["whggzy"],
        kind=Incident.Kind.NETWORK,
        during_evaluation=True,
        description="网络中断",
        started_at=timezone.now(),
        reported_by=world["centre_wh"],
    )
    for user in (world["supervisor"], world["centre_wh"]):
        items = _by_label(todos.supervisor(user) or todos.centre(user))
        assert items["未恢复的评标异常情况"].count == 1
        assert items["未恢复的评标异常情况"].url == f"/bidding/sessions/{session.pk}/live/"
    assert _counts(todos.supervisor(other_supervisor(world))) == {}


def test_an_expert_with_nothing_waiting_is_offered_its_own_pages(client, world):
    client.force_login(world["expert"])
    html = client.get("/").content.decode()
    assert "暂无待办" in html
    assert 'href="/bidding/expert/"' in html and 'href="/bidding/signin/"' in html
