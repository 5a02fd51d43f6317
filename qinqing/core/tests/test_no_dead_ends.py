"""No dead ends (issue 18): on the full demo, every page a role's home offers and every link
those pages offer opens for that role — the menu rule applies inside pages too. Links of one
shape (ids replaced) are followed a few times, not for every row of a long list."""

import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from qinqing.core.demo import ACCOUNTS
from qinqing.core.tests.test_home import full_demo  # noqa: F401 (the module-wide demo)

HREF = re.compile(r'href="(/[^"#]*)(?:#[^"]*)?"')
# Not pages a person browses here: static files, the admin (its own permission system), the
# API and its docs, the language switch.
SKIP = ("/static/", "/admin/", "/api/", "/i18n/")
PER_SHAPE = 2


def _shape(url: str) -> str:
    path = urlsplit(url).path
    return re.sub(r"\d+", "N", re.sub(r"/QQD-[^/]+/", "/QQD/", path))


def _links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in HREF.findall(html) if not h.startswith(SKIP)]


@pytest.mark.django_db
@pytest.mark.parametrize("username", [a.username for a in ACCOUNTS])
def test_every_page_a_role_is_offered_opens_and_so_does_every_link_on_it(
    full_demo,  # noqa: F811
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
