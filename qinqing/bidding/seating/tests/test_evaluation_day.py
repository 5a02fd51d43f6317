"""The evaluation day: rooms, seating, sign-in at the workstation, recusal, start, chair."""

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from qinqing.bidding.criteria import standard_template
from qinqing.bidding.draw import services
from qinqing.bidding.draw.tests.test_draw_flow import overlapping_quota
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import DrawOutcome, EvaluationSession, Seat, Workstation
from qinqing.bidding.projects import rules as project_rules
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.seating import committee, rules
from qinqing.bidding.seating import services as seating_services
from qinqing.core.audit import verify_chain
from qinqing.core.demo import recorded_at
from qinqing.core.errors import ConflictError, DomainError, ThrottledError
from qinqing.core.models import AuditEntry, Notification, OneTimeCode

S = DrawOutcome.Status


def confirm_all(world, quota, entropy="1"):
    admin = world["centre_wh"] if quota.centre.code == "whggzy" else world["centre_jk"]
    draw = services.draw_commit(actor=admin, quota=quota)
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy=entropy)
    for outcome in draw.outcomes.filter(status=S.NOTIFIED):
        services.outcome_respond(actor=None, outcome=outcome, answer="confirm", channel="link")
    return draw


def rooms(world, centre_code, prefix, sizes):
    admin = world["centre_wh"] if centre_code == "whggzy" else world["centre_jk"]
    centre = world["orgs"][centre_code]
    seating_services.centre_prefix_set(actor=admin, centre=centre, prefix=prefix)
    return [
        seating_services.room_add(
            actor=admin, centre=centre, number=str(n), name=f"第{n}评标室", seats=s
        )
        for n, s in enumerate(sizes, start=1)
    ]


def seat_host(world, sizes=(2, 2, 2), second=True):
    """Host session (3 experts) and, when `second`, an overlapping one (3) at 武汉市."""
    confirm_all(world, world["host"])
    if second:
        confirm_all(world, overlapping_quota(world, "whggzy", count=3, backups=0), "2")
    rooms(world, "whggzy", "H", sizes)
    session = world["session"]
    return seating_services.seating_assign(
        actor=world["centre_wh"],
        centre=world["orgs"]["whggzy"],
        slot_start=session.starts_at,
        slot_end=session.ends_at + timedelta(hours=1),
    )


def by_committee(seating):
    rooms_of = {}
    for seat in seating.seats.select_related("outcome", "workstation__room"):
        rooms_of.setdefault(seat.outcome.session_id, []).append(seat.workstation.room.number)
    return rooms_of


# --- rooms ----------------------------------------------------------------------------------


def test_rooms_are_numbered_by_the_centres_own_prefix(world):
    rooms(world, "whggzy", "H", [3])
    rooms(world, "jkggzy", "G", [2])
    codes = list(Workstation.objects.values_list("code", flat=True))
    assert codes == ["G-1-01", "G-1-02", "H-1-01", "H-1-02", "H-1-03"]
    with pytest.raises(DomainError):  # another centre's prefix
        seating_services.centre_prefix_set(
            actor=world["centre_jk"], centre=world["orgs"]["jkggzy"], prefix="H"
        )
    with pytest.raises(ConflictError):  # codes already printed
        seating_services.centre_prefix_set(
            actor=world["centre_jk"], centre=world["orgs"]["jkggzy"], prefix="K"
        )
    room = world["orgs"]["whggzy"].evaluation_rooms.get()
    assert seating_services.workstation_add(actor=world["centre_wh"], room=room).code == "H-1-04"
    assert AuditEntry.objects.filter(action="room.add").count() == 2


# --- seating --------------------------------------------------------------------------------


def test_seating_keeps_each_committee_in_separate_rooms_when_capacity_allows(world):
    seating = seat_host(world, sizes=(2, 2, 2))
    assert seating.collisions == 0
    committees = by_committee(seating)
    assert sorted(len(r) for r in committees.values()) == [3, 3]
    for room_numbers in committees.values():
        assert len(set(room_numbers)) == 3
    entry = AuditEntry.objects.get(action="seating.assign")
    assert entry.detail["seed"] == seating.seed_hex and len(seating.seed_hex) == 64
    assert entry.detail["collisions"] == 0
    # The allocation can be re-computed from the audited inputs and seed.
    again = rules.allocate_rooms(
        entry.detail["committees"], entry.detail["rooms"], bytes.fromhex(entry.detail["seed"])
    )
    assert {int(c): sorted(r) for c, r in again.items()} == {
        c: sorted(r) for c, r in committees.items()
    }
    assert verify_chain().ok


def test_seating_reports_the_fewest_collisions_when_rooms_are_too_few(world):
    seating = seat_host(world, sizes=(3, 3))
    assert seating.collisions == 2  # 3 + 3 experts in two rooms of 3: one pair each at best
    for room_numbers in by_committee(seating).values():
        assert sorted(Counter(room_numbers).values()) == [1, 2]


def test_seating_refuses_without_enough_workstations_and_skips_out_of_service(world):
    confirm_all(world, world["host"])
    (room,) = rooms(world, "whggzy", "H", [3])
    ws = room.workstations.get(seat=2)
    seating_services.workstation_status_set(
        actor=world["centre_wh"], workstation=ws, status="out_of_service", reason="显示器故障"
    )
    session = world["session"]
    with pytest.raises(DomainError, match="工位不足"):
        seating_services.seating_assign(
            actor=world["centre_wh"],
            centre=world["orgs"]["whggzy"],
            slot_start=session.starts_at,
            slot_end=session.ends_at,
        )
    seating_services.workstation_add(actor=world["centre_wh"], room=room)
    seating = seating_services.seating_assign(
        actor=world["centre_wh"],
        centre=world["orgs"]["whggzy"],
        slot_start=session.starts_at,
        slot_end=session.ends_at,
    )
    assert ws.pk not in set(seating.seats.values_list("workstation_id", flat=True))
    with pytest.raises(ConflictError):  # a seated workstation cannot be taken out of service
        seating_services.workstation_status_set(
            actor=world["centre_wh"],
            workstation=seating.seats.first().workstation,
            status="out_of_service",
            reason="维修",
        )
    with pytest.raises(DomainError):  # everybody is seated already
        seating_services.seating_assign(
            actor=world["centre_wh"],
            centre=world["orgs"]["whggzy"],
            slot_start=session.starts_at,
            slot_end=session.ends_at,
        )


# --- sign-in --------------------------------------------------------------------------------


def _day(world, minutes_before=30):
    return recorded_at(world["session"].starts_at - timedelta(minutes=minutes_before))


def _code(outbox):
    return re.search(r"\d{6}", outbox[-1].body).group()


def test_sign_in_with_code_and_last_four(world, outbox):
    seating = seat_host(world, second=False)
    seat = seating.seats.select_related("outcome__expert").first()
    expert = seat.outcome.expert
    with _day(world):
        challenge = committee.signin_code_send(phone=expert.phone, ip="10.0.0.1")
        code = _code(outbox)
        assert seat.workstation.code not in outbox[-1].body
        assert world["session"].section.project.name not in outbox[-1].body
        stored = Notification.objects.filter(subject="评标签到验证码").get().body
        assert code not in stored
        with pytest.raises(DomainError, match="不正确"):
            committee.signin_verify(challenge=challenge, code=code, id_last4="0000")
        signed = committee.signin_verify(challenge=challenge, code=code, id_last4=expert.id_last4)
    assert signed.pk == seat.pk and signed.signed_in_at and signed.sign_in_method == "code"
    assert OneTimeCode.objects.get(pk=challenge.pk).attempts == 1
    with _day(world), pytest.raises(DomainError, match="失效"):
        committee.signin_verify(challenge=challenge, code=code, id_last4=expert.id_last4)


def test_wrong_attempts_lock_the_code_and_sends_are_limited(world, outbox):
    seating = seat_host(world, second=False)
    expert = seating.seats.first().outcome.expert
    with _day(world):
        challenge = committee.signin_code_send(phone=expert.phone)
        code = _code(outbox)
        for _ in range(committee.SIGNIN.max_attempts):
            with pytest.raises(DomainError, match="不正确"):
                committee.signin_verify(challenge=challenge, code="000000", id_last4="1234")
        with pytest.raises(DomainError, match="次数过多"):
            committee.signin_verify(challenge=challenge, code=code, id_last4=expert.id_last4)
        for _ in range(committee.SIGNIN.per_phone - 1):
            committee.signin_code_send(phone=expert.phone)
        with pytest.raises(ThrottledError):
            committee.signin_code_send(phone=expert.phone)
    assert not Seat.objects.filter(signed_in_at__isnull=False).exists()


def test_unknown_phone_or_wrong_day_gets_no_code(world, outbox):
    seating = seat_host(world, second=False)
    expert = seating.seats.first().outcome.expert
    with _day(world):
        challenge = committee.signin_code_send(phone="13900000000")
        assert challenge.seat is None
        assert not [m for m in outbox if m.subject == "评标签到验证码"]
        with pytest.raises(DomainError):
            committee.signin_verify(challenge=challenge, code="123456", id_last4="1234")
    with _day(world, minutes_before=60 * 24):  # the day before: sign-in is not open yet
        assert committee.signin_code_send(phone=expert.phone).seat is None


def test_staff_fallback_is_logged_with_a_reason(world):
    seating = seat_host(world, second=False)
    seat = seating.seats.first()
    with pytest.raises(DomainError):
        committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="")
    terminal = committee.seat_signin_staff(
        actor=world["centre_wh"], seat=seat, reason="手机无信号，已核对身份证原件"
    )
    seat.refresh_from_db()
    assert seat.sign_in_method == "staff" and seat.verified_by == world["centre_wh"]
    entry = AuditEntry.objects.get(action="seat.sign_in_staff")
    assert entry.detail["reason"] == "手机无信号，已核对身份证原件"
    assert terminal not in str(entry.detail)
    assert committee.seat_terminal_claim(terminal_code=terminal.lower()).pk == seat.pk
    assert committee.seat_terminal_claim(terminal_code=terminal) is None  # once only


# --- recusal --------------------------------------------------------------------------------


def test_recusal_at_sign_in_calls_the_next_backup(world):
    seating = seat_host(world, second=False)
    seat = seating.seats.select_related("outcome__draw").first()
    draw = seat.outcome.draw
    committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="核对身份证原件")
    seat.refresh_from_db()
    waiting = draw.outcomes.filter(status=S.WAITING).order_by("position").first()
    outcome = committee.seat_recuse(actor=None, seat=seat, reason="曾在投标人处任职")
    assert outcome.status == S.RECUSED
    waiting.refresh_from_db()
    assert waiting.status == S.NOTIFIED  # the next backup in order is called
    entry = AuditEntry.objects.get(action="outcome.recuse_at_signin")
    assert entry.detail["voided_entries"] == 0
    with pytest.raises(ConflictError):
        committee.seat_declare(actor=None, seat=Seat.objects.get(pk=seat.pk))


def test_a_replacement_is_seated_on_confirming_away_from_its_committee(world):
    # three rooms of two: each holds one member of the host committee and one free place
    seating = seat_host(world, sizes=(2, 2, 2), second=False)
    seat = seating.seats.select_related("outcome__draw", "workstation__room").first()
    committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="核对身份证原件")
    committee.seat_recuse(actor=None, seat=Seat.objects.get(pk=seat.pk), reason="曾在投标人处任职")
    backup = seat.outcome.draw.outcomes.get(status=S.NOTIFIED)
    assert not Seat.objects.filter(outcome=backup).exists()
    services.outcome_respond(actor=None, outcome=backup, answer="confirm", channel="link")
    new_seat = Seat.objects.select_related("workstation__room", "seating").get(outcome=backup)
    # the only room without another member is the one the recused expert left
    assert new_seat.workstation.room == seat.workstation.room
    assert new_seat.workstation != seat.workstation
    assert new_seat.seating.collisions == 0
    entry = AuditEntry.objects.filter(action="seating.assign").order_by("-seq").first()
    assert entry.detail["occupied"] == {
        str(world["session"].pk): {
            room: 1 for room in ("1", "2", "3") if room != seat.workstation.room.number
        }
    }


def test_a_replacement_without_a_free_workstation_waits_with_a_reason(world):
    seating = seat_host(world, sizes=(1, 1, 1), second=False)  # every workstation taken
    seat = seating.seats.select_related("outcome__draw").first()
    committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="核对身份证原件")
    committee.seat_recuse(actor=None, seat=Seat.objects.get(pk=seat.pk), reason="利害关系")
    backup = seat.outcome.draw.outcomes.get(status=S.NOTIFIED)
    services.outcome_respond(actor=None, outcome=backup, answer="confirm", channel="link")
    backup.refresh_from_db()
    assert backup.status == S.CONFIRMED and not Seat.objects.filter(outcome=backup).exists()
    entry = AuditEntry.objects.get(action="seating.replacement_waiting")
    assert "工位不足" in entry.detail["reason"]


def test_recusal_needs_sign_in_first(world):
    seat = seat_host(world, second=False).seats.first()
    with pytest.raises(ConflictError, match="签到"):
        committee.seat_recuse(actor=None, seat=seat, reason="利害关系")


# --- session start and chair ----------------------------------------------------------------


def full_committee(world):
    """Host (3) and guest (2) experts seated, signed in and declared."""
    seat_host(world, second=False)
    confirm_all(world, world["guest"], "3")
    rooms(world, "jkggzy", "G", [1, 1])
    session = world["session"]
    seating_services.seating_assign(
        actor=world["centre_jk"],
        centre=world["orgs"]["jkggzy"],
        slot_start=session.starts_at,
        slot_end=session.ends_at,
    )
    seats = list(Seat.objects.filter(outcome__session=session).select_related("outcome"))
    for seat in seats:
        committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="核对身份证原件")
        seat.refresh_from_db()
        committee.seat_declare(actor=None, seat=seat)
    return EvaluationSession.objects.get(pk=session.pk), seats


PRICES = [Decimal("1000000.00"), Decimal("950000.00"), Decimal("1100000.00")]


def prepare_scoring(world, session, **plan):
    """The opening record (bid prices) and the standard scoring plan, ready to start."""
    bidders = list(session.section.bidders.order_by("pk"))
    project_services.bid_prices_record(
        actor=world["centre_wh"],
        section=session.section,
        prices={b.pk: PRICES[i % len(PRICES)] for i, b in enumerate(bidders)},
    )
    template = standard_template(session.section.project.method)
    return evaluation_services.plan_set(
        actor=world["centre_wh"], session=session, template=template, **plan
    )


def started_committee(world, **plan):
    session, seats = full_committee(world)
    prepare_scoring(world, session, **plan)
    session = evaluation_services.session_start(actor=world["centre_wh"], session=session)
    return session, seats


def test_start_is_refused_without_a_plan_or_bid_prices(world):
    session, _ = full_committee(world)
    with pytest.raises(DomainError) as excinfo:
        evaluation_services.session_start(actor=world["centre_wh"], session=session)
    assert "评标方案" in excinfo.value.message and "投标报价" in excinfo.value.message


def test_start_is_refused_with_two_bidders(world):
    session, _ = full_committee(world)
    session.section.bidders.first().delete()
    with pytest.raises(DomainError, match="第四十四条"):
        evaluation_services.session_start(actor=world["centre_wh"], session=session)


def test_start_is_refused_with_an_invalid_committee(world):
    session, seats = full_committee(world)
    seats[0].declared_at = None  # 4 members: fewer than 5, and even
    seats[0].save(update_fields=["declared_at"])
    with pytest.raises(DomainError) as excinfo:
        evaluation_services.session_start(actor=world["centre_wh"], session=session)
    assert "不少于 5 人" in excinfo.value.message and "单数" in excinfo.value.message
    assert session.status != EvaluationSession.Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("total", "experts", "ok"),
    [(5, 5, True), (5, 4, True), (5, 3, False), (6, 6, False), (4, 4, False), (7, 5, True)],
)
def test_committee_rule_boundaries(total, experts, ok):
    ruleset = project_rules.RuleSet(name="t", kind="construction")
    assert (project_rules.committee_is_valid(total, experts, ruleset, None) == []) is ok


def test_bidders_boundary():
    assert project_rules.bidders_sufficient(2) and not project_rules.bidders_sufficient(3)


def test_start_then_chair_election_with_a_tie_and_a_revote(world):
    session, seats = started_committee(world)
    assert session.status == EvaluationSession.Status.IN_PROGRESS
    a, b, c, d, e = seats
    for voter, candidate in [(a, a), (b, a), (c, b), (d, b), (e, c)]:
        session = committee.chair_vote(actor=None, seat=voter, candidate=candidate)
    assert session.chair_id is None and session.chair_round == 2
    assert session.chair_candidates == sorted([str(a.pk), str(b.pk)])
    with pytest.raises(DomainError):  # only the tied stand in the re-vote
        committee.chair_vote(actor=None, seat=a, candidate=c)
    committee.chair_vote(actor=None, seat=a, candidate=b)
    with pytest.raises(ConflictError):
        committee.chair_vote(actor=None, seat=a, candidate=a)
    for voter in (b, c, d, e):
        session = committee.chair_vote(actor=None, seat=voter, candidate=b)
    assert session.chair_id == b.pk and session.chair_method == "elected"


def test_tenderer_appoints_the_chair(world):
    session, seats = started_committee(world)
    session = committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[2])
    assert session.chair_method == "appointed"
    with pytest.raises(ConflictError):
        committee.chair_vote(actor=None, seat=seats[0], candidate=seats[0])


def test_chair_tally():
    assert rules.chair_tally({"a": "x", "b": "x", "c": "y"}, ["x", "y"]) == ("x", [])
    assert rules.chair_tally({"a": "x", "b": "y"}, ["x", "y"]) == (None, ["x", "y"])
    with pytest.raises(rules.RuleError):
        rules.chair_tally({"a": "z"}, ["x"])
