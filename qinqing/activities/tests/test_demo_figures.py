"""The demo records the facts behind brief no. 7 (2024-09-30); the figures API reproduces the
seed's numbers for 2024-01-01 … 2024-09-30 — as queries over those facts."""

from io import StringIO

import pytest

pytestmark = pytest.mark.django_db

SEED = {
    "firms_visited": 6,  # 走访税务师行业企业 6 家
    "joint_study_events": 3,  # 开展联学共建活动 3 次
    "warning_education_attendees": 122,  # 组织 122 名从业人员参与警示教育学习
    "supervisors_engaged": 8,  # 邀请 8 名“近邻监督员”及税收志愿者参与
    "training_sessions": 7,  # 惠企政策专项培训 7 场
}
AT_LEAST = {
    "materials_handed_out": 1000,  # 发放宣传手册 1000 余份
    "questions_answered": 60,  # 解答个性问题 60 余个
}


@pytest.fixture
def demo_world(demo_users):
    from qinqing.activities import demo as activities_demo
    from qinqing.enterprises import demo as enterprises_demo
    from qinqing.needs import demo as needs_demo

    for module in (enterprises_demo, needs_demo, activities_demo):
        module.load(stdout=StringIO())
    return demo_users


def _figures(client, user, start="2024-01-01", end="2024-09-30"):
    client.force_login(user)
    response = client.get(f"/api/v1/figures?from={start}&to={end}")
    assert response.status_code == 200
    return {f["name"]: f["value"] for f in response.json()["figures"]}


def test_the_figures_api_reproduces_the_seed(client, demo_world):
    figures = _figures(client, demo_world["editor"])
    for name, value in SEED.items():
        assert figures[name] == value, name
    for name, floor in AT_LEAST.items():
        assert figures[name] >= floor, name
    assert figures["needs_received"] >= 2 and figures["needs_closed"] >= 2
    assert figures["on_time_rate"] is not None and figures["satisfaction_rate"] is not None
    assert figures["events_held"] == 3 + 2 + 7 + 5  # joint study, warning, training, group
    assert figures["participants_checked_in"] == 122


def test_the_demo_is_idempotent(client, demo_world):
    from qinqing.activities import demo as activities_demo
    from qinqing.activities.models import Event, Registration
    from qinqing.enterprises import demo as enterprises_demo
    from qinqing.needs import demo as needs_demo
    from qinqing.needs.models import Need

    before = (Event.objects.count(), Registration.objects.count(), Need.objects.count())
    for module in (enterprises_demo, needs_demo, activities_demo):
        module.load(stdout=StringIO())
    assert (Event.objects.count(), Registration.objects.count(), Need.objects.count()) == before
    assert _figures(client, demo_world["editor"])["warning_education_attendees"] == 122


def test_figures_follow_the_facts_not_typed_numbers(client, demo_world):
    """Outside the period nothing counts; one more check-in moves the figure by one."""
    from qinqing.activities import services
    from qinqing.activities.models import Event, Registration

    assert (
        _figures(client, demo_world["editor"], "2023-01-01", "2023-12-31")[
            "warning_education_attendees"
        ]
        == 0
    )
    first_half = _figures(client, demo_world["editor"], "2024-01-01", "2024-06-30")
    assert first_half["warning_education_attendees"] == 70
    event = Event.objects.filter(kind="warning_education").order_by("starts_at").first()
    absent = Registration.objects.filter(event=event, checked_in_at__isnull=True).first()
    services.registration_check_in(secret=absent.secret, method="manual")
    assert _figures(client, demo_world["editor"])["warning_education_attendees"] == 123


def test_every_state_is_present_in_the_live_demo(demo_world):
    from qinqing.needs.models import Need

    states = set(Need.objects.values_list("state", flat=True))
    assert states == set(Need.State.values)
    assert set(Need.objects.values_list("escalation_level", flat=True)) >= {0, 1, 2}


def test_figures_scope_by_department(client, demo_world):
    client.force_login(demo_world["editor"])
    response = client.get("/api/v1/figures?from=2024-01-01&to=2024-09-30&organisation=hs-court")
    values = {f["name"]: f["value"] for f in response.json()["figures"]}
    assert values["training_sessions"] == 0 and values["firms_visited"] == 0
    response = client.get("/api/v1/figures?from=2024-01-01&to=2024-09-30&organisation=hs-swj")
    values = {f["name"]: f["value"] for f in response.json()["figures"]}
    assert values["training_sessions"] == 7
