"""The activities to-do providers: organisers close their events and follow-ups, instructors
make their planned visits, firms see the events addressed to them, a volunteer follows the
rectification of what it found — each for its own, nothing for another's."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from qinqing.activities import services, todos
from qinqing.activities.models import Appointment, Event
from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.enterprises.models import Firm

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_users):
    from qinqing.enterprises import demo as enterprises_demo
    from qinqing.needs import services as need_services

    enterprises_demo.load(stdout=StringIO())
    need_services.catalogue_ensure_defaults(actor=None)
    return demo_users


def _counts(items):
    return {str(i.label): i.count for i in items if i.count}


def _account(username, role, code):
    user = get_user_model().objects.create_user(username)
    RoleGrant.objects.create(user=user, role=role, organisation=Organisation.objects.get(code=code))
    return user


def _event(world, start, **kw):
    return services.event_create(
        actor=world["liaison"],
        kind=Event.Kind.TRAINING,
        title="科技型企业研发费用加计扣除专项培训",
        lead_department=Organisation.objects.get(code="hs-swj"),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="区税务局培训室",
        **kw,
    )


def test_organisers_close_their_events_and_follow_ups(world):
    past = _event(world, timezone.now() - timedelta(days=2))
    due = timezone.localdate() + timedelta(days=10)
    services.follow_up_add(
        actor=world["liaison"], event=past, text="回复企业关于加计扣除的问题", due_date=due
    )
    items = {str(i.label): i for i in todos.organiser(world["liaison"])}
    assert items["已结束、待登记小结的活动"].count == 1
    assert items["已结束、待登记小结的活动"].url == f"/activities/{past.pk}/"
    follow = items["活动待办的跟进事项"]
    assert follow.count == 1 and follow.due == due and not follow.overdue
    other = _account("staff_fgj", Role.STAFF, "hs-fgj")
    assert _counts(todos.organiser(other)) == {}
    services.event_complete(actor=world["liaison"], event=past, summary="已举办")
    assert "已结束、待登记小结的活动" not in _counts(todos.organiser(world["liaison"]))


def test_an_instructor_sees_its_own_planned_visits(world):
    firm = Firm.objects.get(organisation__code="demo-firm")
    services.visit_record(
        actor=world["instructor"],
        firm=firm,
        department=Organisation.objects.get(code="hs-swj"),
        visited_on=timezone.localdate() + timedelta(days=5),
        done=False,
    )
    visits = {str(i.label): i for i in todos.organiser(world["instructor"])}["计划中的走访"]
    assert visits.count == 1 and visits.due == timezone.localdate() + timedelta(days=5)
    assert "计划中的走访" not in _counts(todos.organiser(world["liaison"]))  # not its visit


def test_a_firm_sees_the_events_addressed_to_it_only(world):
    own = Firm.objects.get(organisation__code="demo-firm")
    _event(world, timezone.now() + timedelta(days=3), firms=[own])
    assert _counts(todos.firm(world["enterprise"])) == {"面向本企业的近期活动": 1}
    assert _counts(todos.firm(world["volunteer"])) == {}  # another firm
    assert todos.firm(world["liaison"]) == []


def test_a_volunteer_follows_the_rectification_of_its_findings(world):
    firm = Firm.objects.get(organisation__code="demo-taxagent")
    appointment = services.appointment_create(
        actor=world["liaison"],
        role=Appointment.Role.NEIGHBOUR_SUPERVISOR,
        person_name="冯雪",
        firm=firm,
        department=Organisation.objects.get(code="hs-swj"),
        term_start=timezone.localdate() - timedelta(days=30),
        term_end=timezone.localdate() + timedelta(days=300),
        user=world["volunteer"],
    )
    services.report_submit(
        actor=world["volunteer"],
        appointment=appointment,
        hall="第一办税服务厅",
        visited_on=timezone.localdate(),
        ratings={"overall": 3, "efficiency": 3, "level": 3, "attitude": 3},
        findings=["叫号屏故障未及时维修"],
    )
    found = {str(i.label): i for i in todos.volunteer(world["volunteer"])}["我反映的问题整改中"]
    assert found.count == 1 and found.due is not None
    other = _account("volunteer2", Role.VOLUNTEER, "demo-firm")
    assert _counts(todos.volunteer(other)) == {}
