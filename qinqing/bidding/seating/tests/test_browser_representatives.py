"""The tenderer names its representative on a phone (390 px): the form, the limit's message
and the list, without sideways scrolling (招标投标法 Art.37 para.2)."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.bidding.conftest import build_world
from qinqing.bidding.evaluation.tests.test_browser_low_bids import _cookie, _fits
from qinqing.bidding.models import TendererRepresentative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_tenderer_names_a_representative_on_a_phone(
    browser_page, live_url, demo_users, tmp_path
):
    world = build_world(demo_users)
    session = world["session"]
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    client = Client()
    client.force_login(world["tenderer"])
    _cookie(page, live_url, client.cookies["sessionid"].value)
    page.goto(f"{live_url}/bidding/sessions/{session.pk}/")
    page.get_by_role("link", name="招标人代表").click()
    page.get_by_role("heading", name="指派招标人代表").wait_for()
    _fits(page)
    for n in (1, 2, 3):  # 5 experts planned: the third would leave 5 of 8 < 2/3
        page.get_by_label("姓名").fill(f"招标人代表{n}")
        page.get_by_label("手机号").fill(f"1370000000{n}")
        page.get_by_label("身份证号后四位").fill(f"123{n}")
        page.get_by_role("button", name="指派").click()
        if n < 3:
            page.get_by_text("已指派招标人代表").wait_for()
    page.get_by_text("第三十七条").first.wait_for()
    _fits(page)
    page.screenshot(path=tmp_path / "representatives.png", full_page=True)
    assert TendererRepresentative.objects.filter(session=session).count() == 2
