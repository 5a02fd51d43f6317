"""The award's to-dos: the tenderer's side publishes, answers and issues; the supervising
department accepts and decides complaints; another organisation sees none of it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qinqing.bidding.award import services, todos
from qinqing.bidding.award.tests.test_services import _bidder, end_publication, publish
from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.core.services import organisation_create


def _counts(items):
    return {str(i.label): i.count for i in items if i.count}


def _outsider(username, role, kind):
    from django.contrib.auth import get_user_model

    org = organisation_create(
        actor=None, kind=kind, name=f"{username} 单位", code=f"{username}-org"
    )
    user = get_user_model().objects.create_user(username)
    RoleGrant.objects.create(user=user, role=role, organisation=org)
    return user


def test_tenderer_publishes_answers_then_issues(award_world):
    w = award_world
    other = _outsider("other-tenderer", Role.TENDERER, Organisation.Kind.DEPARTMENT)
    assert _counts(todos.award_tenderer(w["tenderer"])) == {"待公示的中标候选人": 1}
    assert _counts(todos.award_tenderer(w["agent"])) == {"待公示的中标候选人": 1}
    assert _counts(todos.award_tenderer(other)) == {}
    assert todos.award_tenderer(w["second"]) == []
    publication = publish(w)
    objection = services.objection_raise(
        actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="异议"
    )
    items = {str(i.label): i for i in todos.award_tenderer(w["tenderer"])}
    assert items["待答复的评标结果异议"].count == 1
    assert items["待答复的评标结果异议"].due == timezone.localdate(objection.raised_at) + timedelta(
        days=3
    )
    assert items["待公示的中标候选人"].count == 0
    end_publication(publication)
    assert _counts(todos.award_tenderer(w["tenderer"])) == {"待答复的评标结果异议": 1}
    services.objection_answer(actor=w["tenderer"], objection=objection, answer="已核查")
    assert _counts(todos.award_tenderer(w["tenderer"])) == {"待发出的中标通知书": 1}
    assert _counts(todos.award_tenderer(other)) == {}


def test_supervisor_accepts_then_decides(award_world):
    w = award_world
    other = _outsider("other-supervisor", Role.SUPERVISOR, Organisation.Kind.DEPARTMENT)
    publication = publish(w)
    objection = services.objection_raise(
        actor=w["second"], publication=publication, bidder=_bidder(w, 0), text="异议"
    )
    services.objection_answer(actor=w["tenderer"], objection=objection, answer="已核查")
    complaint = services.complaint_lodge(
        actor=w["second"],
        section=w["section"],
        bidder=_bidder(w, 0),
        objection=objection,
        text="投诉",
        knew_on=timezone.localdate(),
    )
    items = {str(i.label): i for i in todos.award_supervisor(w["supervisor"])}
    assert items["待决定是否受理的投诉"].count == 1
    assert items["待决定是否受理的投诉"].due == complaint.accept_due
    assert _counts(todos.award_supervisor(other)) == {}
    services.complaint_accept(actor=w["supervisor"], complaint=complaint)
    assert _counts(todos.award_supervisor(w["supervisor"])) == {"待作出处理决定的投诉": 1}
    assert todos.award_supervisor(w["tenderer"]) == []
