"""On a phone (390 × 844) no page scrolls sideways: every public page, and every page the firm
and the creditor reach from their home. The menu folds behind a button below 768 px."""

from io import StringIO

import pytest

from qinqing.core.tests.browser_pages import DESK, PHONE, load_demo, public_seeds, sign_in, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


def _too_wide(page, live_url, seeds, *, depth):
    offenders, walked = [], []
    for path in walk(page, live_url, seeds, depth=depth):
        walked.append(path)
        scroll_width, inner_width = page.evaluate(WIDTH)
        if scroll_width > inner_width:
            offenders.append(f"{path}: {scroll_width} px > {inner_width} px")
    return offenders, walked


def test_no_page_scrolls_sideways_on_a_phone(browser_page, live_url, demo_users):
    load_demo()
    page = browser_page
    page.set_viewport_size(PHONE)

    offenders, walked = _too_wide(page, live_url, public_seeds(), depth=1)
    assert "/bankruptcy/public/" in walked and any(p.startswith("/needs/q/") for p in walked)
    assert any(p.startswith("/briefing/p/") for p in walked), walked
    for username in ("enterprise", "creditor"):
        sign_in(page, live_url, username)
        found, pages = _too_wide(page, live_url, ["/"], depth=2)
        offenders += [f"{username} {line}" for line in found]
        walked += pages
    assert len(walked) > 20, walked
    assert not offenders, "\n".join(offenders)


def test_the_menu_folds_behind_a_button_on_a_phone(browser_page, live_url, demo_users):
    page = browser_page
    sign_in(page, live_url, "creditor")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/bankruptcy/my/")
    menu = page.get_by_role("navigation", name="主导航")
    button = page.get_by_role("button", name="菜单")
    assert button.is_visible() and not menu.is_visible()
    button.click()
    assert menu.is_visible() and button.get_attribute("aria-expanded") == "true"
    menu.get_by_role("link", name="我的消息").click()
    page.wait_for_url("**/notifications/")
    page.get_by_role("button", name="菜单").click()
    page.keyboard.press("Escape")
    assert not menu.is_visible()

    page.set_viewport_size(DESK)
    assert menu.is_visible() and not page.get_by_role("button", name="菜单").is_visible()


def test_a_wide_table_scrolls_in_its_own_box(browser_page, live_url, demo_users):
    from qinqing.bankruptcy import demo as bankruptcy_demo

    bankruptcy_demo.load(stdout=StringIO())
    page = browser_page
    sign_in(page, live_url, "creditor")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/bankruptcy/my/")
    box = page.locator(".table-wrap").first
    assert box.count() == 1
    scroll_width, client_width = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert scroll_width > client_width  # the claims table is wider than a phone...
    assert page.evaluate(WIDTH)[0] <= PHONE["width"]  # ...and only its box scrolls
    assert box.get_attribute("tabindex") == "0"  # reachable with the keyboard
    assert "可左右滑动" in box.get_attribute("aria-label")
