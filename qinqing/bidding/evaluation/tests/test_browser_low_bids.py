"""The abnormally-low-bid procedure in a real browser on a phone (390 px): the chair sees the
flagged bid and asks for the written explanation; the host centre's scoring page with the
price rule, the K draw and the low-bid table does not scroll sideways."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from qinqing.bidding.conftest import build_world
from qinqing.bidding.evaluation.tests.test_low_bids import _prepared, _review, _start
from qinqing.bidding.models import LowBidFlag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"


def _cookie(page, live_url, key: str) -> None:
    page.context.add_cookies([{"name": "sessionid", "value": key, "url": live_url}])


def _fits(page) -> None:
    scroll_width, inner_width = page.evaluate(WIDTH)
    assert scroll_width <= inner_width, (scroll_width, inner_width)


def test_the_chair_asks_a_flagged_bidder_on_a_phone(browser_page, live_url, demo_users):
    world = build_world(demo_users)
    session, seats, bidders = _prepared(
        world,
        price_formula="k_drawn",
        k_min="0.95",
        k_max="1.05",
        k_step="0.01",
        deduct_above="1",
        deduct_below="0.5",
    )
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    # the host centre's page before the start: the price rule and the K draw to commit
    staff = Client()
    staff.force_login(world["centre_wh"])
    _cookie(page, live_url, staff.cookies["sessionid"].value)
    page.goto(f"{live_url}/bidding/sessions/{session.pk}/scoring/")
    page.get_by_text("价格评审规则（招标文件）").wait_for()
    _fits(page)
    page.get_by_role("button", name="承诺 K 值抽取").click()
    page.get_by_text("已承诺 K 值抽取").wait_for()
    _fits(page)
    page.context.clear_cookies()
    supervisor = Client()
    supervisor.force_login(world["supervisor"])
    _cookie(page, live_url, supervisor.cookies["sessionid"].value)
    page.goto(f"{live_url}/bidding/sessions/{session.pk}/scoring/")
    page.get_by_label("见证人输入（如掷骰结果）").fill("3-1-4")
    page.get_by_role("button", name="见证并抽取 K 值").click()
    page.get_by_text("已见证，抽取的 K 值为").wait_for()
    _fits(page)
    page.context.clear_cookies()

    session = _start(world, session, seats)
    _review(session, seats, bidders)
    store = SessionStore()
    store["bidding_seat"] = seats[0].pk
    store.create()
    _cookie(page, live_url, store.session_key)
    page.goto(f"{live_url}/bidding/workstation/")
    page.get_by_role("link", name="异常低价处理").click()
    page.get_by_role("heading", name="异常低价投标").wait_for()
    assert page.get_by_text("781,333.33", exact=False).first.is_visible()
    _fits(page)
    page.get_by_label("答复期限（分钟）").fill("30")
    page.get_by_role("button", name="要求书面说明").click()
    page.get_by_text("书面说明要求已提交").wait_for()
    _fits(page)
    assert LowBidFlag.objects.get(session=session).status == LowBidFlag.Status.REQUESTED
