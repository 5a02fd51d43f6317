"""Every page renders over the full demo (2024 facts and live 2026 orders) for its users."""

from io import StringIO

import pytest

from qinqing.activities.models import Event, Registration
from qinqing.enterprises.models import Firm
from qinqing.needs import selectors
from qinqing.needs.models import Need, QrCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(demo_users):
    from qinqing.activities import demo as activities_demo
    from qinqing.enterprises import demo as enterprises_demo
    from qinqing.needs import demo as needs_demo

    for module in (enterprises_demo, needs_demo, activities_demo):
        module.load(stdout=StringIO())
    return demo_users


# enterprises.manage_firm and activities.create_event: staff, instructors and organising
# departments; the dispatcher routes needs and does neither
DENIED = {"dispatcher": {"/enterprises/import/": 403, "/activities/new/": 403}}


def test_staff_pages_render(client, demo_world):
    urls = [
        "/enterprises/",
        "/enterprises/import/",
        "/needs/",
        "/needs/new/",
        "/needs/qr/",
        "/needs/rectifications/",
        "/needs/common/",
        "/needs/dashboard/",
        "/needs/dashboard/?start=2024-01-01&end=2024-09-30",
        "/activities/",
        "/activities/new/",
        "/activities/visits/",
        "/activities/supervisors/",
        f"/enterprises/{Firm.objects.first().pk}/",
        f"/needs/qr/{QrCode.objects.first().pk}/poster/",
    ]
    needs = list(Need.objects.all())
    events = [f"/activities/{e.pk}/" for e in Event.objects.all()]
    failures = []
    for username in ("admin", "liaison", "dispatcher"):
        user = demo_world[username]
        client.force_login(user)
        # a need another department's liaison may not see is a 404 (another organisation's)
        visible = set(selectors.needs(user=user).values_list("pk", flat=True))
        expected = {url: 200 for url in urls + events}
        expected |= {f"/needs/{n.pk}/": 200 if n.pk in visible else 404 for n in needs}
        expected |= DENIED.get(username, {})
        if username == "liaison":
            assert 0 < len(visible) < len(needs), "the demo gives the liaison some needs, not all"
        for url, status in expected.items():
            got = client.get(url).status_code
            if got != status:
                failures.append(f"{username} {url}: {got} != {status}")
    assert not failures, "\n".join(failures)


def test_the_dashboard_reads_the_2024_facts(client, demo_world):
    client.force_login(demo_world["editor"])
    html = client.get("/needs/dashboard/?start=2024-01-01&end=2024-09-30").content.decode()
    for text in ("走访企业", "联学共建活动", "参加警示教育人员", "专项培训", "122"):
        assert text in html
    assert "五环商圈服务业集聚区" in html and "创意天地文创产业集聚区" in html


def test_public_pages_render(client, demo_world):
    reg = Registration.objects.filter(checked_in_at__isnull=False).first()
    for url in [
        "/enterprises/clusters/",
        "/enterprises/clusters/cyds/",
        f"/needs/q/{QrCode.objects.first().key}/",
        f"/needs/t/{Need.objects.filter(state='closed').first().token}/",
        f"/activities/c/{reg.secret}/",
        f"/activities/r/{Event.objects.first().reg_key}/",
    ]:
        assert client.get(url).status_code == 200, url


def test_knowledge_base_finds_answered_questions(client, demo_world):
    client.force_login(demo_world["liaison"])
    html = client.get("/needs/answers/?q=加计扣除").content.decode()
    assert "研发费用加计扣除比例现在是多少" in html
    assert "残疾人就业保障金" not in html
    client.force_login(demo_world["enterprise"])
    assert client.get("/needs/answers/").status_code == 403


def test_menu_shows_the_entries_the_user_may_open(client, demo_world):
    client.force_login(demo_world["enterprise"])
    html = client.get("/").content.decode()
    assert "诉求工单" in html and "企业名录" in html and "服务看板" not in html
    client.force_login(demo_world["dispatcher"])
    html = client.get("/").content.decode()
    assert "服务看板" in html and "问需二维码" in html
