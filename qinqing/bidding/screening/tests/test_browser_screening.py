"""The screening report in Chromium, as the supervisor: every sign with its evidence, the copied
passages side by side; readable at 1280 px and at 390 px without horizontal scrolling; no axe
violation; and a committee member reads it from its workstation. Screenshots go to $QINQING_SCREENSHOTS when set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
from qinqing.core.tests.test_browser_a11y import _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_supervisor_reads_the_report(browser_page, live_url, collusive):
    w = collusive
    page = browser_page
    shots = os.environ.get("QINQING_SCREENSHOTS")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/bidding/screening/{w['section'].pk}/")
    page.get_by_text("文本异常相似").first.wait_for()
    assert page.locator("blockquote").count() >= 2
    assert page.get_by_text("无法读取：").count() == 1
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    found = _violations(axe, page, "screening")
    if shots:
        page.screenshot(path=str(Path(shots) / "screening-desk.png"), full_page=False)
        page.locator(".passage").first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(shots) / "screening-desk-passages.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.get_by_text("文本异常相似").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    if shots:
        page.screenshot(path=str(Path(shots) / "screening-phone.png"))
        page.locator(".passage").first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(shots) / "screening-phone-passages.png"))

    # a committee member at its workstation (the seat in the browser session), on a phone
    from importlib import import_module

    from django.conf import settings

    _session, seats = full_committee(w)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["bidding_seat"] = seats[0].pk
    store.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live_url}]
    )
    page.goto(f"{live_url}/bidding/workstation/")
    page.get_by_role("link", name="清标报告（串通投标迹象）").click()
    page.get_by_text("文本异常相似").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert page.get_by_text("重新清标").count() == 0
    found += _violations(axe, page, "screening at the workstation")
    if shots:
        page.screenshot(path=str(Path(shots) / "screening-workstation-phone.png"))
    assert not found, "\n".join(found)
