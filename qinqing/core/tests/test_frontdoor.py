"""The public front door: an anonymous `/` offers what the public may do, each in one tap,
and every link it offers opens for a visitor."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"]*)"')


@pytest.fixture(scope="module")
def full_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _links(html: str) -> list[str]:
    return sorted(
        {h.replace("&amp;", "&") for h in HREF.findall(html) if not h.startswith("/static/")}
    )


def test_the_front_door_offers_the_public_services_and_a_login(full_demo, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["提交诉求", "查询进度", "破产和解公告与债权申报", "工作简报", "近期惠企活动"]:
        assert text in html
    assert "评标专家抽取公开" in html
    links = _links(html)
    for url in ["/needs/web/", "/needs/track/", "/bankruptcy/public/", "/bidding/proofs/"]:
        assert url in links
    assert "/activities/upcoming/" in links
    assert any(u.startswith("/briefing/p/") for u in links)
    assert any(u.startswith("/bankruptcy/public/") and u.endswith("/file/") for u in links)
    assert '<a class="btn-login" href="/login/">登录</a>' in html
    assert "/api/v1/docs" not in html and "接口文档" not in html


def test_every_link_of_the_front_door_opens_for_a_visitor(full_demo, client):
    failures = []
    for url in _links(client.get("/").content.decode()):
        status = client.get(url).status_code
        if status != 200:
            failures.append(f"{url}: {status}")
    assert not failures


def test_every_link_of_the_public_proofs_opens_for_a_visitor(full_demo, client):
    html = client.get("/bidding/proofs/").content.decode()
    assert "抽取编号" in html
    proofs = [u for u in _links(html) if u.startswith("/bidding/proofs/QQD-")]
    assert proofs  # the demo's sealed sessions published theirs
    for url in _links(html):
        assert client.get(url).status_code == 200, url
    page = client.get(proofs[0]).content.decode()
    assert "验证本次抽取" in page and 'id="draw-proof"' in page


def test_upcoming_events_for_any_firm_are_offered_and_visits_are_not(full_demo, client):
    from qinqing.activities.models import Event
    from qinqing.core.models import Organisation

    dept = Organisation.objects.filter(code="hs-swj").get()
    start = timezone.now() + timedelta(days=3)
    common = dict(lead_department=dept, place="区政务服务中心", starts_at=start)
    Event.objects.create(
        kind=Event.Kind.TRAINING,
        title="研发费用加计扣除新政宣讲",
        reg_key="open-training",
        ends_at=start + timedelta(hours=2),
        **common,
    )
    Event.objects.create(
        kind=Event.Kind.VISIT,
        title="走访某企业",
        reg_key="a-visit",
        ends_at=start + timedelta(hours=1),
        **common,
    )
    front = client.get("/").content.decode()
    upcoming = client.get("/activities/upcoming/").content.decode()
    for html in (front, upcoming):
        assert "研发费用加计扣除新政宣讲" in html and "/activities/r/open-training/" in html
        assert "走访某企业" not in html and "a-visit" not in html
    assert client.get("/activities/r/open-training/").status_code == 200


def test_a_signed_in_user_does_not_get_the_front_door(full_demo, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="liaison"))
    response = client.get("/")
    assert response.status_code == 200
    assert "企业有事，找亲清" not in response.content.decode()
