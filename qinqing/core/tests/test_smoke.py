"""Every menu page of every demo account opens (no 4xx/5xx) on the full demo data."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from qinqing.core.demo import ACCOUNTS


@pytest.fixture(scope="module")
def full_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


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
