"""The time extension (实施条例 Art.48 para.1) in a real browser on a phone (390 px): two of
five members declare the time too short at their workstations, the tenderer sets the new end,
and the supervisor's live board shows the moved end; no page scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone

from qinqing.bidding.conftest import build_world
from qinqing.bidding.evaluation.tests.test_browser_low_bids import _cookie, _fits
from qinqing.bidding.models import EvaluationSession, TimeExtension
from qinqing.bidding.seating import committee
from qinqing.bidding.seating.tests.test_evaluation_day import started_committee

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as_member(page, live_url, seat) -> None:
    page.context.clear_cookies()
    store = SessionStore()
    store["bidding_seat"] = seat.pk
    store.create()
    _cookie(page, live_url, store.session_key)


def _as_user(page, live_url, user) -> None:
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    _cookie(page, live_url, client.cookies["sessionid"].value)


def test_members_ask_and_the_tenderer_extends_on_a_phone(
    browser_page, live_url, demo_users, tmp_path
):
    world = build_world(demo_users)
    session, seats = started_committee(world)
    committee.chair_appoint(actor=world["tenderer"], session=session, seat=seats[0])
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    for seat, reason in ((seats[0], "投标文件较多"), (seats[1], "技术方案复杂")):
        _as_member(page, live_url, seat)
        page.goto(f"{live_url}/bidding/workstation/")
        page.get_by_role("link", name="评标时间不够？提出延长意见").click()
        page.get_by_role("heading", name="评标时间").wait_for()
        _fits(page)
        page.get_by_label("理由").fill(reason)
        page.get_by_role("button", name="提出评标时间不够").click()
        page.get_by_text("已提出评标时间不够的意见").wait_for()
        _fits(page)

    _as_user(page, live_url, world["tenderer"])
    page.goto(f"{live_url}/bidding/sessions/{session.pk}/time/")
    page.get_by_text("技术方案复杂").wait_for()
    _fits(page)
    new_end = timezone.localtime(session.ends_at + timedelta(hours=2))
    page.get_by_label("延长后的结束时间").fill(new_end.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("延长理由").fill("两名成员认为时间不够，延长两小时")
    page.get_by_role("button", name="确定延长").click()
    page.get_by_text("评标时间已延长").wait_for()
    _fits(page)
    page.screenshot(path=tmp_path / "time.png", full_page=True)
    assert TimeExtension.objects.get(session=session).requests == 2
    assert EvaluationSession.objects.get(pk=session.pk).ends_at == new_end.replace(
        second=0, microsecond=0
    )

    _as_user(page, live_url, world["supervisor"])
    page.goto(f"{live_url}/bidding/sessions/{session.pk}/live/")
    page.get_by_text("两名成员认为时间不够，延长两小时").wait_for()
    _fits(page)
    page.screenshot(path=tmp_path / "live.png", full_page=True)  # for a person to look at
