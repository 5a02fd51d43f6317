"""Pages and API of activities: the permission matrix, public registration and check-in."""

from datetime import timedelta
from io import StringIO

import pytest
from django.utils import timezone

from qinqing.activities import services
from qinqing.activities.models import Event, Registration
from qinqing.core.models import Organisation
from qinqing.core.testing import ANONYMOUS, check_matrix

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(demo_users):
    from qinqing.enterprises import demo as enterprises_demo

    enterprises_demo.load(stdout=StringIO())
    start = timezone.now() + timedelta(days=2)
    return services.event_create(
        actor=demo_users["liaison"],
        kind=Event.Kind.TRAINING,
        title="个体工商户税费优惠政策专项培训",
        lead_department=Organisation.objects.get(code="hs-swj"),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="区税务局培训室",
        capacity=50,
    )


def test_public_registration_then_personal_qr_then_check_in(client, event):
    html = client.get(f"/activities/r/{event.reg_key}/").content.decode()
    assert event.title in html and "报名" in html
    response = client.post(
        f"/activities/r/{event.reg_key}/", {"name": "张三", "phone": "13800000001"}
    )
    reg = Registration.objects.get()
    assert response["Location"] == f"/activities/c/{reg.secret}/"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "张三" in page
    first = client.post(f"/activities/c/{reg.secret}/").content.decode()
    assert 'data-result="ok"' in first and "签到成功" in first
    second = client.post(f"/activities/c/{reg.secret}/").content.decode()
    assert 'data-result="already"' in second and "已于" in second
    invalid = client.post("/activities/c/forged/")
    assert invalid.status_code == 404 and "签到码无效" in invalid.content.decode()


def test_registration_errors_are_shown(client, event):
    response = client.post(f"/activities/r/{event.reg_key}/", {"name": "", "phone": "1"})
    assert response.status_code == 400 and "请填写姓名" in response.content.decode()


def test_check_in_api(client, event):
    reg = services.registration_create(actor=None, event=event, name="李四", phone="13800000002")
    url = "/api/v1/activities/checkin"
    ok = client.post(url, {"secret": reg.secret}, content_type="application/json").json()
    assert ok["result"] == "ok" and ok["name"] == "李四"
    again = client.post(url, {"secret": reg.secret}, content_type="application/json").json()
    assert again["result"] == "already" and again["at"] == ok["at"]
    bad = client.post(url, {"secret": "x"}, content_type="application/json").json()
    assert bad["result"] == "invalid"
    assert client.post(url, {}, content_type="application/json").status_code == 422
    response = client.post(url, {"secret": ""}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_a_retried_check_in_gets_the_first_answer(client, event):
    """The API with an Idempotency-Key and the page's form with its one-time token: the
    retry is answered as the first request was (ok), not as a second check-in (already)."""
    reg = services.registration_create(actor=None, event=event, name="李四", phone="13800000002")
    url = "/api/v1/activities/checkin"
    headers = {"Idempotency-Key": "scan-1"}
    body = {"secret": reg.secret}
    ok = client.post(url, body, content_type="application/json", headers=headers)
    again = client.post(url, body, content_type="application/json", headers=headers)
    assert again.json() == ok.json() and ok.json()["result"] == "ok"

    other = services.registration_create(actor=None, event=event, name="王五", phone="13800000003")
    page = client.get(f"/activities/c/{other.secret}/").content.decode()
    token = page.split('name="once_token" value="')[1].split('"')[0]
    first = client.post(f"/activities/c/{other.secret}/", {"once_token": token}).content.decode()
    second = client.post(f"/activities/c/{other.secret}/", {"once_token": token}).content.decode()
    assert 'data-result="ok"' in first and 'data-result="ok"' in second
    expired = client.post(f"/activities/c/{other.secret}/", {"once_token": "x:y:z"})
    assert "页面已过期" in expired.content.decode()


def test_host_records_materials_and_questions_through_the_page(client, demo_users, event):
    client.force_login(demo_users["liaison"])
    client.post(f"/activities/{event.pk}/act/material/", {"kind": "handbook", "count": "80"})
    client.post(
        f"/activities/{event.pk}/act/question/", {"text": "定额怎么核定？", "answer": "按规定核定"}
    )
    client.post(f"/activities/{event.pk}/act/complete/", {"summary": "顺利举办"})
    event.refresh_from_db()
    assert event.state == "done"
    assert event.materials.get().count == 80 and event.questions.get().answer == "按规定核定"
    html = client.get(f"/activities/{event.pk}/").content.decode()
    assert "宣传手册 × 80" in html


def test_permission_matrix(client, demo_users, event):
    reg = services.registration_create(actor=None, event=event, name="李四", phone="13800000002")
    gov = {"admin": 200, "editor": 200, "dispatcher": 200, "liaison": 200, "instructor": 200}
    check_matrix(
        client,
        {
            "/activities/": {**gov, "enterprise": 403, "judge": 403, ANONYMOUS: 302},
            f"/activities/{event.pk}/": {**gov, "enterprise": 403, "volunteer": 403},
            "/activities/new/": {
                "liaison": 200,
                "instructor": 200,
                "editor": 403,
                "enterprise": 403,
            },
            "/activities/visits/": {**gov, "enterprise": 403, "judge": 403},
            "/activities/supervisors/": {
                "liaison": 200,
                "volunteer": 200,
                "editor": 200,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            f"/activities/r/{event.reg_key}/": {ANONYMOUS: 200, "enterprise": 200},
            "/activities/r/unknown/": {ANONYMOUS: 404},
            "/activities/upcoming/": {ANONYMOUS: 200, "enterprise": 200},  # public
            "/activities/for-me/": {
                "enterprise": 200,
                "volunteer": 200,
                "liaison": 403,
                "judge": 403,
                ANONYMOUS: 302,
            },
            "/activities/new/from-needs/": {
                "liaison": 200,
                "instructor": 200,
                "editor": 403,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            # the participant's own QR code: whoever holds the secret, nobody else
            f"/activities/c/{reg.secret}/": {ANONYMOUS: 200, "enterprise": 200},
            "/activities/c/forged/": {ANONYMOUS: 404},
        },
        demo_users,
    )
    # Rating an event goes back to the QR page with the outcome (a forged code rates nothing).
    check_matrix(
        client,
        {
            f"/activities/c/{reg.secret}/rate/": {ANONYMOUS: 302},
            "/activities/c/x/rate/": {ANONYMOUS: 302},
        },
        demo_users,
        method="post",
    )
    # The check-in API is public (a door scanner): bad input is a 4xx JSON answer.
    check_matrix(
        client,
        {"/api/v1/activities/checkin": {ANONYMOUS: 422, "liaison": 422}},
        demo_users,
        method="post",
        data={},
        content_type="application/json",
    )
    # Only the hosting department manages the event.
    check_matrix(
        client,
        {
            f"/activities/{event.pk}/act/material/": {
                "liaison": 302,
                "editor": 403,
                "dispatcher": 403,
                "enterprise": 403,
            }
        },
        demo_users,
        method="post",
        data={"kind": "handbook", "count": "1"},
    )
    assert event.materials.count() == 1


def test_visit_and_report_forms(client, demo_users, event):
    from qinqing.activities.models import Appointment, Visit
    from qinqing.enterprises.models import Firm

    client.force_login(demo_users["instructor"])
    firm = Firm.objects.get(organisation__code="demo-taxagent")
    response = client.post(
        "/activities/visits/",
        {
            "uscc": firm.uscc,
            "visited_on": "2024-03-01",
            "summary": "问需走访",
            "need_text": "希望辅导执业备案相关的税务问题",
            "phone": "13800000004",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.needs.count() == 1
    bad = client.post("/activities/visits/", {"uscc": "X", "visited_on": "2024-03-01"})
    assert bad.status_code == 400 and "未找到" in bad.content.decode()
    client.force_login(demo_users["liaison"])
    appt = services.appointment_create(
        actor=demo_users["liaison"],
        role=Appointment.Role.TAX_VOLUNTEER,
        person_name="冯雪",
        firm=firm,
        department=Organisation.objects.get(code="hs-swj"),
        term_start=timezone.localdate() - timedelta(days=30),
        term_end=timezone.localdate() + timedelta(days=300),
        user=demo_users["volunteer"],
    )
    client.force_login(demo_users["volunteer"])
    response = client.post(
        "/activities/supervisors/",
        {
            "appointment": appt.pk,
            "hall": "第一办税服务厅",
            "visited_on": timezone.localdate().isoformat(),
            "overall": "4",
            "efficiency": "4",
            "level": "5",
            "attitude": "5",
            "findings": "叫号屏故障\n",
        },
    )
    assert response.status_code == 302
    assert appt.reports.get().findings.count() == 1


def test_appointment_through_the_page(client, demo_users, event):
    from qinqing.activities.models import Appointment
    from qinqing.enterprises.models import Firm

    firm = Firm.objects.get(organisation__code="demo-taxagent")
    data = {
        "form": "appoint",
        "role": "tax_volunteer",
        "person_name": "褚墨",
        "uscc": firm.uscc,
        "term_start": "2024-01-15",
        "term_end": "2025-12-31",
    }
    client.force_login(demo_users["volunteer"])
    assert client.post("/activities/supervisors/", data).status_code == 403
    client.force_login(demo_users["liaison"])
    assert client.post("/activities/supervisors/", data).status_code == 302
    appt = Appointment.objects.get()
    assert appt.department.code == "hs-swj" and appt.get_role_display() == "税收志愿者"
    bad = client.post("/activities/supervisors/", {**data, "term_end": "2023-01-01"})
    assert bad.status_code == 400 and "聘期结束不能早于开始" in bad.content.decode()


def test_a_firm_sees_the_events_meant_for_it(client, demo_users, event):
    from qinqing.enterprises.models import Cluster, Tag

    start = event.starts_at
    swj = Organisation.objects.get(code="hs-swj")
    tech = services.event_create(
        actor=demo_users["liaison"],
        kind=Event.Kind.TRAINING,
        title="科技型企业专场",
        lead_department=swj,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place="x",
        tags=[Tag.objects.get(name="科技型企业")],
    )
    culture = services.event_create(
        actor=demo_users["liaison"],
        kind=Event.Kind.TRAINING,
        title="文创集聚区专场",
        lead_department=swj,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place="x",
        clusters=[Cluster.objects.get(code="cyds")],
    )
    client.force_login(demo_users["enterprise"])  # 武汉示例科技有限公司: tag 科技型企业
    html = client.get("/activities/for-me/").content.decode()
    assert tech.title in html and event.title in html  # `event` is open to all
    assert culture.title not in html
    assert client.get("/activities/for-me/").status_code == 200
    client.force_login(demo_users["liaison"])
    assert client.get("/activities/for-me/").status_code == 403


def test_check_in_after_the_event_is_refused_on_the_page_and_the_api(client, demo_users, event):
    reg = services.registration_create(actor=None, event=event, name="李四", phone="13800000002")
    services.event_complete(actor=demo_users["liaison"], event=event)
    page = client.post(f"/activities/c/{reg.secret}/")
    assert page.status_code == 409
    assert 'data-result="closed"' in page.content.decode() and "活动已结束" in page.content.decode()
    url = "/api/v1/activities/checkin"
    refused = client.post(url, {"secret": reg.secret}, content_type="application/json").json()
    assert refused["result"] == "closed" and refused["at"] is None
    assert Registration.objects.get(pk=reg.pk).checked_in_at is None
    form = client.post(f"/activities/r/{event.reg_key}/", {"name": "张三", "phone": "13800000001"})
    assert form.status_code == 409 and "活动已结束，不能报名" in form.content.decode()


def test_dates_beyond_the_calendar_and_counts_beyond_the_column_are_refused(
    client, demo_users, event
):
    """Year 9999 (or 1) and 99,999,999,999 people were accepted: PostgreSQL kept the count
    wrapped round to 1,215,752,191, and a year-1 start answered 500."""
    from qinqing.activities.models import Appointment, MaterialHandout, Visit
    from qinqing.core.limits import latest_date
    from qinqing.enterprises.models import Firm

    latest = f"{latest_date():%Y-%m-%d}"
    today = f"{timezone.localdate():%Y-%m-%d}"
    client.force_login(demo_users["liaison"])
    new = {"kind": "training", "title": "远期培训", "place": "区税务局", "capacity": "30"}
    for starts, ends, message in [
        ("9999-12-31T09:00", "9999-12-31T11:00", f"开始时间不能晚于 {latest}"),
        ("0001-01-01T09:00", "2025-01-01T11:00", "开始时间不能早于 2000-01-01"),
        ("2025-01-01T09:00", "9999-12-31T11:00", f"结束时间不能晚于 {latest}"),
    ]:
        response = client.post("/activities/new/", {**new, "starts_at": starts, "ends_at": ends})
        assert response.status_code == 400 and message in response.content.decode()
    start = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/activities/new/",
        {**new, "starts_at": start, "ends_at": start, "capacity": "99999999999"},
    )
    assert response.status_code == 400 and "容量不能超过 100000 人" in response.content.decode()
    assert Event.objects.count() == 1
    client.post(
        f"/activities/{event.pk}/act/material/", {"kind": "handbook", "count": "99999999999"}
    )
    assert not MaterialHandout.objects.exists()

    firm = Firm.objects.get(organisation__code="demo-taxagent")
    client.force_login(demo_users["instructor"])
    visit = {"uscc": firm.uscc, "visited_on": "9999-12-31", "summary": "问需走访"}
    response = client.post("/activities/visits/", visit)
    assert response.status_code == 400 and f"走访日期不能晚于 {today}" in response.content.decode()
    assert not Visit.objects.exists()

    client.force_login(demo_users["liaison"])
    appoint = {
        "form": "appoint",
        "role": "tax_volunteer",
        "person_name": "褚墨",
        "uscc": firm.uscc,
        "term_start": "2024-01-15",
        "term_end": "9999-12-31",
    }
    response = client.post("/activities/supervisors/", appoint)
    assert (
        response.status_code == 400 and "聘期结束不能晚于 2029-12-31" in response.content.decode()
    )
    assert not Appointment.objects.exists()
