"""The expert's own task in Chromium on a phone: from the account's home, 专家自助 — signed in by
the SMS code and the last four digits of the ID number — registers a leave, after which the
expert is not drawn for a session in it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_expert_registers_a_leave_from_the_home(browser_page, live_url, demo_users, outbox):
    from qinqing.bidding.conftest import build_world
    from qinqing.bidding.draw import services
    from qinqing.bidding.models import Expert

    world = build_world(demo_users)
    expert = Expert.objects.get(code="WH-001")
    start = timezone.localdate() + timedelta(days=2)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("expert")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="专家自助").first.click()
    page.get_by_label("手机号").fill(expert.phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").wait_for()
    code = re.search(r"\d{6}", outbox[-1].body).group()
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("身份证号后四位").fill(expert.id_last4)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/bidding/expert/me/")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill((start + timedelta(days=3)).isoformat())
    page.get_by_label("事由（选填）").fill("外地出差")
    page.get_by_role("button", name="登记请假").click()
    page.get_by_text("请假已登记，请假期间不会被抽取。").wait_for()
    leave = expert.leaves.get()
    assert (leave.start, leave.end) == (start, start + timedelta(days=3))
    # the session of the world starts in three days, inside the leave: the draw passes over it
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert "WH-001" not in draw.pool
    assert any(row["code"] == "WH-001" for row in draw.exclusion_report["excluded"])
