"""Issue 21 item 3: the evaluation time extended (招标投标法实施条例 Art.48 para.1) — the rule at
its boundaries, the members' declarations at the workstation, the tenderer's (or agency's)
decision, the new end on the live board and the seatings, the audit, the permission matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bidding.evaluation import rules, supervision, time_extension
from qinqing.bidding.evaluation.tests.test_clarifications import terminal
from qinqing.bidding.models import EvaluationSession, Seating, TimeExtension, TimeExtensionRequest
from qinqing.bidding.rules import RuleError
from qinqing.bidding.seating import committee
from qinqing.bidding.seating.tests.test_evaluation_day import full_committee, started_committee
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

OUTSIDERS = ["editor", "judge", "creditor", "enterprise", "expert"]


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requests", "members", "required"),
    [
        (3, 9, False),  # exactly a third is not "more than a third"
        (4, 9, True),
        (1, 5, False),
        (2, 5, True),
        (1, 3, False),
        (2, 3, True),
        (2, 7, False),
        (3, 7, True),
        (0, 5, False),
        (5, 5, True),
    ],
)
def test_more_than_a_third_at_the_boundary(requests, members, required):
    assert rules.time_extension_required(requests, members) is required


@given(st.integers(min_value=1, max_value=99), st.data())
def test_the_rule_is_the_statutes_strict_third(members, data):
    requests = data.draw(st.integers(min_value=0, max_value=members))
    assert rules.time_extension_required(requests, members) == (requests / members > 1 / 3)
    # monotone: one more declaration never turns "required" off
    if requests < members and rules.time_extension_required(requests, members):
        assert rules.time_extension_required(requests + 1, members)


@pytest.mark.parametrize(("requests", "members"), [(1, 0), (-1, 5), (6, 5)])
def test_impossible_counts_are_refused(requests, members):
    with pytest.raises(RuleError):
        rules.time_extension_required(requests, members)


# --- the flow -----------------------------------------------------------------------------------


@pytest.fixture
def running(world):
    session, seats = started_committee(world)
    committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[0])
    session.refresh_from_db()
    assert session.status == EvaluationSession.Status.IN_PROGRESS
    return {**world, "session": session, "seats": seats}


def _request(seat, reason="投标文件多，时间不够"):
    return time_extension.time_extension_request(actor=None, seat=seat, reason=reason)


def test_two_of_five_oblige_the_tenderer_to_extend(running):
    session, seats = running["session"], running["seats"]
    _request(seats[0])
    with pytest.raises(ConflictError, match="1/5"):
        time_extension.time_extension_decide(
            actor=running["tenderer"],
            session=session,
            new_ends_at=session.ends_at + timedelta(hours=2),
            reason="成员意见",
        )
    with pytest.raises(ConflictError, match="已提出"):
        _request(seats[0])
    with pytest.raises(DomainError, match="理由"):
        _request(seats[1], reason="  ")
    _request(seats[1])
    state = time_extension.status(session)
    assert (state["count"], state["members"], state["required"], state["threshold"]) == (
        2,
        5,
        True,
        2,
    )

    old = session.ends_at
    with pytest.raises(DomainError) as excinfo:
        time_extension.time_extension_decide(
            actor=running["agent"], session=session, new_ends_at=old, reason="延长"
        )
    assert excinfo.value.field == "new_ends_at"
    with pytest.raises(DomainError, match="7 天"):
        time_extension.time_extension_decide(
            actor=running["agent"],
            session=session,
            new_ends_at=old + timedelta(days=7, minutes=1),
            reason="延长",
        )
    new = old + timedelta(hours=2)
    extension = time_extension.time_extension_decide(
        actor=running["agent"], session=session, new_ends_at=new, reason="投标文件较多，延长两小时"
    )
    session.refresh_from_db()
    assert session.ends_at == new
    assert (extension.old_ends_at, extension.requests, extension.members) == (old, 2, 5)
    assert TimeExtensionRequest.objects.filter(extension=extension).count() == 2
    # the workstations stay held until the new end
    assert all(s.slot_end >= new for s in Seating.objects.filter(seats__in=seats))
    # answered: nothing pending, a new round may start
    assert time_extension.status(session)["count"] == 0
    _request(seats[0], reason="仍然不够")
    assert time_extension.status(session)["count"] == 1

    entries = AuditEntry.objects.filter(action__in=["time.request", "time.extend"])
    assert [e.action for e in entries.order_by("pk")] == [
        "time.request",
        "time.request",
        "time.extend",
        "time.request",
    ]
    extend = entries.get(action="time.extend")
    assert extend.detail["requests"] == 2 and extend.detail["reason"] == "投标文件较多，延长两小时"
    assert verify_chain().ok


def test_the_live_board_shows_the_requests_and_the_moved_end(running):
    session, seats = running["session"], running["seats"]
    _request(seats[0])
    board = supervision.live_board(session)
    t = board["time_extension"]
    assert (t["requests"], t["members"], t["required"]) == (1, 5, False)
    assert t["pending"][0]["workstation"] == seats[0].workstation.code
    late = session.ends_at + timedelta(minutes=1)
    assert supervision.live_board(session, now=late)["session"]["overtime"] is True
    _request(seats[1])
    time_extension.time_extension_decide(
        actor=running["tenderer"],
        session=session,
        new_ends_at=session.ends_at + timedelta(hours=1),
        reason="延长一小时",
    )
    session.refresh_from_db()
    board = supervision.live_board(session, now=late)
    assert board["session"]["overtime"] is False
    assert board["session"]["ends_at"] == session.ends_at
    assert board["time_extension"]["extensions"][0]["reason"] == "延长一小时"


def test_only_members_of_a_running_evaluation_declare(world):
    _session, seats = full_committee(world)
    with pytest.raises(ConflictError, match="尚未开始"):
        _request(seats[0])
    assert not TimeExtensionRequest.objects.exists()


def test_the_pages_for_a_member_and_the_tenderer(running, client):
    session, seats = running["session"], running["seats"]
    member = terminal(seats[0])
    assert "评标时间不够" in member.get("/bidding/workstation/").content.decode()
    page = member.get("/bidding/workstation/time/").content.decode()
    assert "0 / 5" in page and 'name="reason"' in page
    assert member.post("/bidding/workstation/time/", {"reason": ""}).status_code == 200
    response = member.post("/bidding/workstation/time/", {"reason": "时间不够"})
    assert response.status_code == 302
    assert "您已于" in member.get("/bidding/workstation/time/").content.decode()
    terminal(seats[1]).post("/bidding/workstation/time/", {"reason": "附件多"})

    url = f"/bidding/sessions/{session.pk}/time/"
    client.force_login(running["tenderer"])
    page = client.get(url).content.decode()
    assert seats[0].workstation.code in page and "附件多" in page and "确定延长" in page
    for name in (seats[0].outcome.expert.name, seats[0].outcome.expert.code):
        assert name not in page  # the committee stays secret: workstations only
    new = timezone.localtime(session.ends_at + timedelta(hours=3))
    response = client.post(
        url, {"new_ends_at": new.strftime("%Y-%m-%dT%H:%M"), "reason": "成员要求"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.ends_at == new.replace(second=0, microsecond=0)
    assert TimeExtension.objects.get().decided_by == running["tenderer"]
    # the supervisor sees it, without the form
    client.force_login(running["supervisor"])
    page = client.get(url).content.decode()
    assert "成员要求" in page and "确定延长" not in page


def test_permission_matrix_of_the_time_pages(client, running):
    session, seats = running["session"], running["seats"]
    url = f"/bidding/sessions/{session.pk}/time/"
    readers = dict.fromkeys(["centre_wh", "centre_jk", "supervisor", "tenderer", "agent"], 200)
    check_matrix(
        client, {url: {ANONYMOUS: 302, **readers, **dict.fromkeys(OUTSIDERS, 403)}}, running
    )
    check_matrix(
        client,
        {"/bidding/workstation/time/": {ANONYMOUS: 302, "centre_wh": 302, "expert": 302}},
        running,
    )
    _request(seats[0])
    _request(seats[1])
    data = {
        "new_ends_at": timezone.localtime(session.ends_at + timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "reason": "延长",
    }
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    check_matrix(
        client,
        {url: {"centre_wh": 404, "centre_jk": 404, "supervisor": 404, **nobody}},
        running,
        method="post",
        data=data,
    )
    assert not TimeExtension.objects.exists()
    check_matrix(client, {url: {"agent": 302}}, running, method="post", data=data)
    assert TimeExtension.objects.get().decided_by == running["agent"]
    assert EvaluationSession.objects.get(pk=session.pk).ends_at > session.ends_at


def test_the_tenderer_and_the_agency_are_told_to_extend(running):
    from django.contrib.auth import get_user_model

    from qinqing.bidding import todos
    from qinqing.core.models import Organisation, RoleGrant
    from qinqing.core.roles import Role

    def owed(user):
        return {str(i.label): i for i in todos.tenderer(user)}["待延长评标时间"]

    session, seats = running["session"], running["seats"]
    other = get_user_model().objects.create_user("other_tenderer")
    RoleGrant.objects.create(
        user=other,
        role=Role.TENDERER,
        organisation=Organisation.objects.create(
            code="other-tenderer", name="另一招标人", kind=Organisation.Kind.FIRM
        ),
    )
    _request(seats[0])
    assert owed(running["tenderer"]).count == 0  # 1 of 5 is not more than a third
    _request(seats[1])
    for name in ("tenderer", "agent"):
        item = owed(running[name])
        assert item.count == 1 and item.url == f"/bidding/sessions/{session.pk}/time/"
    assert owed(other).count == 0
    assert todos.tenderer(running["supervisor"]) == []
    time_extension.time_extension_decide(
        actor=running["tenderer"],
        session=session,
        new_ends_at=session.ends_at + timedelta(hours=1),
        reason="延长",
    )
    assert owed(running["agent"]).count == 0
