"""Issue 21 item 4: the tenderer's representatives on the committee (招标投标法 Art.37 para.2;
87号令 Art.47–48) — named by the tenderer or its agency within the two-thirds rule, seated at
the host centre, signed in by SMS code like the experts, counted at the start as members but not
as experts, given a sheet, without an expert fee; the page's permission matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.evaluation.tests.test_clarifications import terminal
from qinqing.bidding.models import (
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    ScoreSheet,
    Seat,
    TendererRepresentative,
)
from qinqing.bidding.report import services as report_services
from qinqing.bidding.report.tests.test_report import set_standards
from qinqing.bidding.seating import committee, representatives
from qinqing.bidding.seating import services as seating_services
from qinqing.bidding.seating.tests.test_evaluation_day import (
    _code,
    _day,
    confirm_all,
    prepare_scoring,
    rooms,
)
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

OUTSIDERS = ["editor", "judge", "creditor", "enterprise", "expert", "bidder"]


def _name(world, n=1, who="tenderer", phone=None):
    return representatives.representative_name(
        actor=world[who],
        session=world["session"],
        name=f"招标人代表{n}",
        phone=phone or f"1370000000{n}",
        id_last4=f"123{n}",
    )


def _four_experts(world):
    DrawQuota.objects.filter(pk=world["guest"].pk).update(count=1)
    world["guest"].refresh_from_db()


def test_at_most_the_share_the_experts_leave(world):
    _four_experts(world)  # 3 host + 1 guest experts to draw
    first = _name(world, 1)
    assert first.code == f"REP-{world['session'].pk}-1"
    assert first.organisation == world["session"].section.project.tenderer
    outcome = DrawOutcome.objects.get(representative=first)
    assert (outcome.draw, outcome.expert, outcome.status) == (None, None, "confirmed")
    _name(world, 2, who="agent")  # 2 of 6: experts 4/6 = 2/3, enough
    with pytest.raises(DomainError, match="第三十七条"):
        _name(world, 3)  # 3 of 7: experts 4/7 < 2/3
    with pytest.raises(DomainError, match="已指派"):
        _name(world, 9, phone="13700000001")
    with pytest.raises(DomainError) as excinfo:
        representatives.representative_name(
            actor=world["tenderer"], session=world["session"], name="甲", phone="1", id_last4="1"
        )
    assert excinfo.value.field == "phone"
    assert TendererRepresentative.objects.count() == 2
    actions = list(
        AuditEntry.objects.filter(action__startswith="representative.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["representative.name", "representative.name"]
    representatives.representative_remove(actor=world["tenderer"], representative=first)
    assert not DrawOutcome.objects.filter(representative_id=first.pk).exists()
    assert verify_chain().ok


def test_a_drawn_expert_is_not_the_tenderers_representative(world):
    draw = confirm_all(world, world["host"])
    expert = draw.outcomes.filter(status="confirmed").first().expert
    with pytest.raises(DomainError, match="第四十八条"):
        _name(world, 1, phone=expert.phone)


@pytest.fixture
def seated(world):
    """4 experts drawn (3 host, 1 guest) and one representative, all seated."""
    _four_experts(world)
    rep = _name(world, 1)
    confirm_all(world, world["host"])
    confirm_all(world, world["guest"], "3")
    rooms(world, "whggzy", "H", [2, 2, 2])
    rooms(world, "jkggzy", "G", [1, 1])
    session = world["session"]
    for centre, admin in (("whggzy", "centre_wh"), ("jkggzy", "centre_jk")):
        seating_services.seating_assign(
            actor=world[admin],
            centre=world["orgs"][centre],
            slot_start=session.starts_at,
            slot_end=session.ends_at,
        )
    return {**world, "rep": rep}


def test_seated_signed_in_counted_scoring_and_unpaid(seated, outbox):
    world, rep = seated, seated["rep"]
    session = world["session"]
    seat = Seat.objects.get(outcome__representative=rep)
    assert seat.seating.centre == session.host_centre and seat.is_representative
    with pytest.raises(ConflictError):
        representatives.representative_remove(actor=world["tenderer"], representative=rep)
    # the representative signs in like an expert: SMS code and the ID's last four
    with _day(world):
        challenge = committee.signin_code_send(phone=rep.phone)
        signed = committee.signin_verify(
            challenge=challenge, code=_code(outbox), id_last4=rep.id_last4
        )
    assert signed.pk == seat.pk
    committee.seat_declare(actor=None, seat=signed)
    page = terminal(seat).get("/bidding/workstation/").content.decode()
    assert f"招标人代表 {rep.code}" in page and "专家编号" not in page
    for other in Seat.objects.exclude(pk=seat.pk):
        committee.seat_signin_staff(actor=world["centre_wh"], seat=other, reason="核对身份证原件")
        other.refresh_from_db()
        committee.seat_declare(actor=None, seat=other)
    prepare_scoring(world, session)
    session = evaluation_services.session_start(actor=world["centre_wh"], session=session)
    assert EvaluationSession.objects.get(pk=session.pk).status == "evaluating"
    assert ScoreSheet.objects.filter(seat=seat).exists()  # the representative scores
    # no expert fee for the representative
    set_standards(world)
    seats = list(Seat.objects.select_related("seating__centre", "outcome__representative"))
    fees = report_services._fee_plan(session, seats)
    assert len(fees) == 4 and seat.pk not in {f.seat_id for f in fees}


def test_six_members_with_two_representatives_do_not_start(world):
    _four_experts(world)
    _name(world, 1)
    _name(world, 2)
    confirm_all(world, world["host"])
    confirm_all(world, world["guest"], "3")
    rooms(world, "whggzy", "H", [2, 2, 2])
    rooms(world, "jkggzy", "G", [1, 1])
    session = world["session"]
    for centre, admin in (("whggzy", "centre_wh"), ("jkggzy", "centre_jk")):
        seating_services.seating_assign(
            actor=world[admin],
            centre=world["orgs"][centre],
            slot_start=session.starts_at,
            slot_end=session.ends_at + timedelta(minutes=1),
        )
    for seat in Seat.objects.all():
        committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="核对身份证原件")
        seat.refresh_from_db()
        committee.seat_declare(actor=None, seat=seat)
    prepare_scoring(world, session)
    problems = evaluation_services.session_start_problems(
        EvaluationSession.objects.get(pk=session.pk)
    )
    assert any("单数" in p for p in problems)
    assert not any("专家应不少于" in p for p in problems)  # 4 experts of 6 = two thirds


def test_permission_matrix_of_the_representatives_page(client, world):
    url = f"/bidding/sessions/{world['session'].pk}/representatives/"
    readers = dict.fromkeys(["centre_wh", "centre_jk", "supervisor", "tenderer", "agent"], 200)
    check_matrix(client, {url: {ANONYMOUS: 302, **readers, **dict.fromkeys(OUTSIDERS, 403)}}, world)
    data = {"name": "招标人代表", "phone": "13700000009", "id_last4": "1234"}
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    check_matrix(
        client,
        {url: {"centre_wh": 404, "centre_jk": 404, "supervisor": 404, **nobody}},
        world,
        method="post",
        data=data,
    )
    assert not TendererRepresentative.objects.exists()
    check_matrix(client, {url: {"agent": 302}}, world, method="post", data=data)
    rep = TendererRepresentative.objects.get()
    assert rep.named_by == world["agent"]
    client.force_login(world["tenderer"])
    assert rep.name in client.get(url).content.decode()
