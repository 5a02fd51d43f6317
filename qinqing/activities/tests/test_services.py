"""Events: registration, idempotent check-in (also under concurrent scans), manual check-in,
Q&A turned into needs, common needs turned into events, supervision reports."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.utils import timezone

from qinqing.activities import services
from qinqing.activities.models import Appointment, Event, Registration
from qinqing.core.demo import demo_uscc
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.testing import needs_concurrent_writers, race
from qinqing.enterprises.models import Firm
from qinqing.needs.models import Need, Rating, Rectification


@pytest.fixture
def world(demo_users):
    from qinqing.enterprises import demo as enterprises_demo
    from qinqing.needs import services as need_services

    enterprises_demo.load(stdout=StringIO())
    need_services.catalogue_ensure_defaults(actor=None)
    return demo_users


@pytest.fixture
def swj(world):
    return Organisation.objects.get(code="hs-swj")


def _event(world, swj, *, start=None, **kw) -> Event:
    start = start or timezone.now() + timedelta(days=3)
    kw.setdefault("kind", Event.Kind.TRAINING)
    kw.setdefault("title", "科技型企业研发费用加计扣除专项培训")
    return services.event_create(
        actor=world["liaison"],
        lead_department=swj,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="区税务局培训室",
        **kw,
    )


@pytest.mark.django_db
def test_check_in_is_idempotent_ok_then_already_then_invalid(world, swj):
    event = _event(world, swj)
    reg = services.registration_create(actor=None, event=event, name="张三", phone="13800000001")
    assert (
        services.registration_create(actor=None, event=event, name="张三", phone="13800000001")
        == reg
    )  # the same phone registers once
    first = services.registration_check_in(secret=reg.secret)
    assert first.status == "ok" and first.message == "签到成功"
    again = services.registration_check_in(secret=reg.secret)
    assert again.status == "already" and again.at == first.at
    assert again.message.startswith("已于 ") and again.message.endswith(" 签到")
    assert services.registration_check_in(secret="nope").status == "invalid"
    assert Registration.objects.get(pk=reg.pk).checked_in_at == first.at


@pytest.mark.django_db
def test_capacity_and_state_are_enforced(world, swj):
    event = _event(world, swj, capacity=1)
    services.registration_create(actor=None, event=event, name="甲", phone="13800000001")
    with pytest.raises(ConflictError, match="已满"):
        services.registration_create(actor=None, event=event, name="乙", phone="13800000002")
    services.event_complete(actor=world["liaison"], event=event)
    with pytest.raises(ConflictError):
        services.registration_create(actor=None, event=event, name="丙", phone="13800000003")


@pytest.mark.django_db
def test_manual_check_in_afterwards_by_the_host_only(world, swj):
    event = _event(world, swj)
    services.event_complete(actor=world["liaison"], event=event)
    with pytest.raises(PermissionDenied):
        services.registration_check_in_manual(
            actor=world["enterprise"], event=event, name="李四", phone="13800000009"
        )
    result = services.registration_check_in_manual(
        actor=world["liaison"], event=event, name="李四", phone="13800000009"
    )
    assert result.status == "ok" and result.registration.checkin_method == "manual"


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_check_in_once(world, swj):
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    event = _event(world, swj)
    reg = services.registration_create(actor=None, event=event, name="王五", phone="13800000005")

    def scan(_):
        try:
            return services.registration_check_in(secret=reg.secret).status
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(scan, range(16)))
    assert statuses.count("ok") == 1
    assert statuses.count("already") == 15


@pytest.mark.django_db
def test_materials_questions_and_a_question_becoming_a_need(world, swj):
    event = _event(world, swj)
    services.material_record(actor=world["liaison"], event=event, kind="handbook", count=120)
    with pytest.raises(DomainError):
        services.material_record(actor=world["liaison"], event=event, kind="handbook", count=0)
    q = services.question_record(
        actor=world["liaison"], event=event, text="加计扣除能否在预缴时享受？", answer="可以"
    )
    assert q.answered_by == world["liaison"]
    open_q = services.question_record(
        actor=world["liaison"], event=event, text="我们的研发费用归集口径需要专人辅导"
    )
    need = services.question_to_need(
        actor=world["liaison"], question=open_q, uscc=demo_uscc("91420111", 3), phone="13900000000"
    )
    assert need.channel == Need.Channel.EVENT_QA and open_q.need == need
    with pytest.raises(ConflictError):
        services.question_to_need(
            actor=world["liaison"], question=open_q, uscc=demo_uscc("91420111", 3), phone="139"
        )


@pytest.mark.django_db
def test_a_common_need_becomes_a_training_event(world, swj):
    from qinqing.needs import services as need_services

    needs = [
        need_services.need_submit(
            actor=None,
            channel=Need.Channel.PORTAL,
            uscc=demo_uscc("91420111", serial),
            phone=f"1390000{serial:04d}",
            text="数电票开票额度不够用，怎么申请提额？",
        )
        for serial in (110, 111, 113)
    ]
    start = timezone.now() + timedelta(days=7)
    event = services.event_from_common_need(
        actor=world["liaison"],
        needs=needs,
        lead_department=swj,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="创意天地",
    )
    assert event.kind == Event.Kind.TRAINING and event.title == "税费服务专题培训"
    assert set(event.source_needs.all()) == set(needs)
    assert event.audience_firms.count() == 3


@pytest.mark.django_db
def test_visits_record_the_firm_and_the_needs_raised(world, swj):
    firm = Firm.objects.get(organisation__uscc=demo_uscc("91420111", 100))
    visit = services.visit_record(
        actor=world["instructor"], firm=firm, department=swj, visited_on=date(2024, 3, 1)
    )
    need = services.visit_add_need(
        actor=world["instructor"],
        visit=visit,
        text="事务所想了解代理记账业务的发票税率",
        phone="13800000100",
    )
    assert need.channel == Need.Channel.VISIT and list(visit.needs.all()) == [need]
    with pytest.raises(PermissionDenied):
        services.visit_record(
            actor=world["enterprise"], firm=firm, department=swj, visited_on=date(2024, 3, 1)
        )


@pytest.mark.django_db
def test_supervision_findings_open_rectifications(world, swj):
    firm = Firm.objects.get(organisation__code="demo-taxagent")
    appt = services.appointment_create(
        actor=world["liaison"],
        role=Appointment.Role.NEIGHBOUR_SUPERVISOR,
        person_name="冯雪",
        firm=firm,
        department=swj,
        term_start=date(2024, 1, 1),
        term_end=date(2025, 12, 31),
        user=world["volunteer"],
    )
    ratings = {"overall": 4, "efficiency": 3, "level": 4, "attitude": 5}
    with pytest.raises(DomainError):
        services.report_submit(
            actor=world["volunteer"],
            appointment=appt,
            hall="第一办税服务厅",
            visited_on=date(2023, 12, 1),
            ratings=ratings,
        )
    with pytest.raises(DomainError):
        services.report_submit(
            actor=world["volunteer"],
            appointment=appt,
            hall="第一办税服务厅",
            visited_on=date(2024, 5, 1),
            ratings={**ratings, "overall": 6},
        )
    report = services.report_submit(
        actor=world["volunteer"],
        appointment=appt,
        hall="第一办税服务厅",
        visited_on=date(2024, 5, 1),
        ratings=ratings,
        findings=["叫号屏故障未及时维修", "自助终端缺少操作指引"],
    )
    rects = Rectification.objects.filter(finding__report=report)
    assert rects.count() == 2
    assert {r.source for r in rects} == {"supervision"}
    assert all(r.department == swj for r in rects)
    with pytest.raises(PermissionDenied):
        services.report_submit(
            actor=world["enterprise"],
            appointment=appt,
            hall="x",
            visited_on=date(2024, 5, 2),
            ratings=ratings,
        )
    tomorrow = timezone.localdate() + timedelta(days=1)
    Appointment.objects.filter(pk=appt.pk).update(term_end=tomorrow)
    appt.refresh_from_db()
    with pytest.raises(DomainError, match="体验日期不能晚于"):
        services.report_submit(
            actor=world["volunteer"],
            appointment=appt,
            hall="第一办税服务厅",
            visited_on=tomorrow,
            ratings=ratings,
        )


@pytest.mark.django_db
def test_event_rating_after_check_in_and_a_bad_one_opens_a_rectification(world, swj):
    event = _event(world, swj)
    reg = services.registration_create(actor=None, event=event, name="赵六", phone="13800000006")
    with pytest.raises(ConflictError):
        services.event_rate(secret=reg.secret, level=5)
    services.registration_check_in(secret=reg.secret)
    services.event_rate(secret=reg.secret, level=1, comment="讲得太快")
    with pytest.raises(ConflictError):
        services.event_rate(secret=reg.secret, level=5)
    assert Rectification.objects.filter(source="rating", department=swj).count() == 1


@pytest.mark.django_db
def test_event_times_and_kind_are_validated(world, swj):
    start = timezone.make_aware(datetime.combine(date(2024, 5, 1), time(9)))
    with pytest.raises(DomainError):
        services.event_create(
            actor=world["liaison"],
            kind="party",
            title="x",
            lead_department=swj,
            starts_at=start,
            ends_at=start,
            place="x",
        )
    with pytest.raises(DomainError):
        services.event_create(
            actor=world["liaison"],
            kind="training",
            title="x",
            lead_department=swj,
            starts_at=start,
            ends_at=start - timedelta(hours=1),
            place="x",
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_exceed_the_capacity(world, swj):
    needs_concurrent_writers()
    event = _event(world, swj, capacity=3)

    def register(i):
        return services.registration_create(
            actor=None,
            event=Event.objects.get(pk=event.pk),
            name=f"报名{i}",
            phone=f"1380000010{i}",
        )

    results = race(8, register)

    assert [type(r) for r in results].count(Registration) == 3, results
    assert all(isinstance(r, (Registration, ConflictError)) for r in results), results
    assert event.registrations.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_by_one_participant_are_one_rating(world, swj):
    needs_concurrent_writers()
    event = _event(world, swj)
    reg = services.registration_create(actor=None, event=event, name="赵六", phone="13800000006")
    services.registration_check_in(secret=reg.secret)

    results = race(6, lambda i: services.event_rate(secret=reg.secret, level=1 + i % 5))

    assert results.count(None) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if r is not None), results
    assert Rating.objects.filter(event_id=event.pk).count() == 1


@pytest.mark.django_db
def test_no_qr_check_in_or_registration_once_the_event_is_over(world, swj):
    """Completed by its host, or past its end time: a QR check-in is refused ("closed") and
    nobody registers; the host can still check someone in by hand (补签)."""
    held = _event(world, swj)
    reg = services.registration_create(actor=None, event=held, name="张三", phone="13800000001")
    services.event_complete(actor=world["liaison"], event=held)
    result = services.registration_check_in(secret=reg.secret)
    assert result.status == "closed" and result.message.startswith("活动已结束，不能签到")
    assert Registration.objects.get(pk=reg.pk).checked_in_at is None
    manual = services.registration_check_in(secret=reg.secret, method="manual")
    assert manual.status == "ok"
    assert services.registration_check_in(secret=reg.secret).status == "already"

    start = timezone.now() - timedelta(hours=3)
    past = _event(world, swj, start=start, title="已过结束时间的培训")  # ended an hour ago
    late = services.registration_create(
        actor=None, event=past, name="李四", phone="13800000002", at=start
    )
    assert services.registration_check_in(secret=late.secret).status == "closed"
    during = services.registration_check_in(secret=late.secret, at=start + timedelta(hours=1))
    assert during.status == "ok"
    with pytest.raises(ConflictError, match="活动已结束，不能报名"):
        services.registration_create(actor=None, event=past, name="王五", phone="13800000003")
