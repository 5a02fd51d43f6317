"""axe-core (the copy axe-playwright-python ships) finds no serious or critical violation on the
public pages and on every demo account's home, on a desk and on a phone."""

import pytest

from qinqing.core.tests.browser_pages import DESK, PHONE, load_demo, public_seeds, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def _violations(axe, page, where):
    found = []
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(f"{where}: {violation['impact']} {violation['id']} {targets}")
    return found


def test_axe_finds_nothing_serious_on_public_pages_and_homes(browser_page, live_url, demo_users):
    sync_axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = sync_axe.Axe()
    load_demo()
    page = browser_page
    found = []
    seeds = public_seeds()
    for viewport in (DESK, PHONE):
        page.set_viewport_size(viewport)
        for path in seeds:
            response = page.goto(live_url + path)
            assert response.status == 200, path
            found += _violations(axe, page, f"{viewport['width']} {path}")
    from django.contrib.auth import get_user_model

    # every account a person can sign in to (the demo's other bidding firms have no password)
    usernames = [
        user.username
        for user in get_user_model().objects.order_by("username")
        if user.has_usable_password()
    ]
    assert {"enterprise", "creditor", "dispatcher", "expert", "judge"} <= set(usernames)
    for username in usernames:
        sign_in(page, live_url, username)
        for viewport in (DESK, PHONE):
            page.set_viewport_size(viewport)
            page.goto(f"{live_url}/")
            found += _violations(axe, page, f"{viewport['width']} {username} /")
    assert not found, "\n".join(found)


def test_axe_sees_a_violation_when_there_is_one(browser_page, live_url):
    """The check can fail: an input without a label is reported as critical."""
    sync_axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    page = browser_page
    page.goto(f"{live_url}/login/")
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any("label" in line for line in _violations(sync_axe.Axe(), page, "login"))
