"""On the full demo data: every menu page of every demo account opens (no 4xx/5xx); the
public front door offers the public services and every link it offers opens for a visitor;
every demo account's to-do home opens, and every link on it opens for that account (one demo
load for all of them)."""

import re
from collections import defaultdict
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from qinqing.core.demo import ACCOUNTS

HREF = re.compile(r'href="(/[^"]*)"')
SKIP = ("/static/", "/admin/", "/api/v1/docs")


@pytest.fixture(scope="module")
def full_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
    # (conftest's _process_caches_cleared empties the scoring's per-process cache after each
    # test, this module's last included)


@pytest.mark.django_db
@pytest.mark.parametrize("username", [a.username for a in ACCOUNTS])
def test_every_menu_page_opens(full_demo, client, username):
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    home = client.get("/")
    assert home.status_code == 200
    urls = [item["url"] for section in home.context["nav_sections"] for item in section["items"]]
    failures = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{url}: {response.status_code}")
    assert not failures, f"{username}: " + ", ".join(failures)


# --- the public front door (issue 18) -----------------------------------------------------


def _front_links(html: str) -> list[str]:
    return sorted(
        {h.replace("&amp;", "&") for h in HREF.findall(html) if not h.startswith("/static/")}
    )


@pytest.mark.django_db
def test_the_front_door_offers_the_public_services_and_a_login(full_demo, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["提交诉求", "查询进度", "破产和解公告与债权申报", "工作简报", "近期惠企活动"]:
        assert text in html
    assert "评标专家抽取公开" in html
    links = _front_links(html)
    for url in ["/needs/web/", "/needs/track/", "/bankruptcy/public/", "/bidding/proofs/"]:
        assert url in links
    assert "/activities/upcoming/" in links
    assert any(u.startswith("/briefing/p/") for u in links)
    assert any(u.startswith("/bankruptcy/public/") and u.endswith("/file/") for u in links)
    assert '<a class="btn-login" href="/login/">登录</a>' in html
    assert "/api/v1/docs" not in html and "接口文档" not in html


@pytest.mark.django_db
def test_every_link_of_the_front_door_opens_for_a_visitor(full_demo, client):
    failures = []
    for url in _front_links(client.get("/").content.decode()):
        status = client.get(url).status_code
        if status != 200:
            failures.append(f"{url}: {status}")
    assert not failures


@pytest.mark.django_db
def test_every_link_of_the_public_proofs_opens_for_a_visitor(full_demo, client):
    html = client.get("/bidding/proofs/").content.decode()
    assert "抽取编号" in html
    proofs = [u for u in _front_links(html) if u.startswith("/bidding/proofs/QQD-")]
    assert proofs  # the demo's sealed sessions published theirs
    for url in _front_links(html):
        assert client.get(url).status_code == 200, url
    page = client.get(proofs[0]).content.decode()
    assert "验证本次抽取" in page and 'id="draw-proof"' in page


@pytest.mark.django_db
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


@pytest.mark.django_db
def test_a_signed_in_user_does_not_get_the_front_door(full_demo, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="liaison"))
    response = client.get("/")
    assert response.status_code == 200
    assert "企业有事，找亲清" not in response.content.decode()


# --- the to-do home (issue 18) --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", [a.username for a in ACCOUNTS])
def test_every_link_of_every_home_opens(full_demo, client, username):
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    home = client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert "我的待办" in html
    todo_urls = [i.url for i in home.context["todos"] if i.url]
    if not home.context["todos"]:
        assert "暂无待办" in html
    links = {h.replace("&amp;", "&") for h in HREF.findall(html)} | set(todo_urls)
    failures = []
    for url in sorted(links):
        if url.startswith(SKIP):
            continue
        response = client.get(url.split("#")[0])
        if response.status_code != 200:
            failures.append(f"{url}: {response.status_code}")
    assert not failures, f"{username}: " + ", ".join(failures)


# --- no dead ends (issue 18): two links deep ----------------------------------------------
# Every page a role's home offers and every link those pages offer opens for that role — the
# menu rule applies inside pages too. Links of one shape (ids replaced) are followed a few
# times, not for every row of a long list. Not walked: static files, the admin (its own
# permission system), the API and its docs, the language switch.

DEEP_HREF = re.compile(r'href="(/[^"#]*)(?:#[^"]*)?"')
# Not pages a person browses here: static files, the admin (its own permission system), the
# API and its docs, the language switch.
DEEP_SKIP = ("/static/", "/admin/", "/api/", "/i18n/")
PER_SHAPE = 2


def _shape(url: str) -> str:
    path = urlsplit(url).path
    return re.sub(r"\d+", "N", re.sub(r"/QQD-[^/]+/", "/QQD/", path))


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in DEEP_HREF.findall(html) if not h.startswith(DEEP_SKIP)]


@pytest.mark.django_db
@pytest.mark.parametrize("username", [a.username for a in ACCOUNTS])
def test_every_page_a_role_is_offered_opens_and_so_does_every_link_on_it(
    full_demo,
    client,
    username,
):
    client.force_login(get_user_model().objects.get(username=username))
    home = client.get("/")
    assert home.status_code == 200
    first = list(dict.fromkeys(_links(home.content.decode())))
    seen_shapes: dict[str, int] = defaultdict(int)
    visited: set[str] = {"/"}
    failures = []

    def visit(url: str, offered_by: str) -> str | None:
        if url in visited:
            return None
        shape = _shape(url)
        if seen_shapes[shape] >= PER_SHAPE:
            return None
        seen_shapes[shape] += 1
        visited.add(url)
        response = client.get(url, follow=True)
        if response.status_code != 200:
            failures.append(f"{url} (on {offered_by}): {response.status_code}")
            return None
        if response.redirect_chain and urlsplit(response.redirect_chain[-1][0]).path == "/login/":
            failures.append(f"{url} (on {offered_by}): sent to the login page")
            return None
        kind = response.get("Content-Type", "")
        return response.content.decode() if kind.startswith("text/html") else ""

    second: list[tuple[str, str]] = []
    for url in first:
        html = visit(url, "/")
        if html:
            second += [(link, url) for link in _links(html)]
    for url, offered_by in second:
        visit(url, offered_by)
    assert len(visited) > 5, f"{username}: the walk reached only {sorted(visited)}"
    assert not failures, f"{username}: " + "; ".join(failures)
