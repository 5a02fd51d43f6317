"""The to-do home on the full demo data: every demo account's home opens, and every link it
offers (to-do items, entry points, the menu) opens for that account."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

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
