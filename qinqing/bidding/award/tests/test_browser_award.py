"""From a sealed report to the award notice in Chromium: the tenderer publishes the candidates,
a bidder raises an objection on its phone, the tenderer answers, the publication ends (its dates
are moved into the past), the tenderer issues the notices and the winner opens its sealed
notice. No page scrolls sideways at 390 px; screenshots at 1280x800 and 390x844 go to
$QINQING_SHOTS (or the test's tmp_path) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qinqing.bidding.award.models import AwardNotice, Publication, ResultObjection
from qinqing.bidding.award.tests.test_services import end_publication
from qinqing.core.tests.test_browser_a11y import _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
PASSWORD = "qinqing-award-2026"


def _login(page, live_url, user):
    page.context.clear_cookies()
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(
        PASSWORD if user.username.startswith("bidder-") else "qinqing-demo"
    )
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")


def _shots(page, where: Path, name: str) -> None:
    for label, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=where / f"{name}-{label}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), name


def test_publish_object_answer_issue_and_the_winner_opens_its_notice(
    browser_page, live_url, award_world, tmp_path
):
    w = award_world
    for who in ("second", "winner"):
        w[who].set_password(PASSWORD)
        w[who].save(update_fields=["password"])
    shots = Path(os.environ.get("QINQING_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page = browser_page
    url = f"{live_url}/bidding/sections/{w['section'].pk}/award/"
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    found = []

    _login(page, live_url, w["tenderer"])
    page.set_viewport_size(DESK)
    page.goto(url)
    page.get_by_role("button", name="发布公示").click()
    page.get_by_text("中标候选人已在公示页面公示").wait_for()
    publication = Publication.objects.get()
    page.goto(f"{live_url}/bidding/candidates/{publication.pk}/")
    _shots(page, shots, "award-public")
    found += _violations(axe, page, "public candidates")

    _login(page, live_url, w["second"])
    page.set_viewport_size(PHONE)
    page.goto(url)
    page.get_by_label("对评标结果的异议").fill("第一中标候选人的类似项目业绩与实际不符，请核查。")
    page.get_by_role("button", name="提出异议").click()
    page.get_by_text("异议已提交").wait_for()
    _shots(page, shots, "award-bidder-objection")
    found += _violations(axe, page, "award page, bidder")

    _login(page, live_url, w["tenderer"])
    page.set_viewport_size(DESK)
    page.goto(url)
    page.get_by_text("待答复").first.wait_for()
    _shots(page, shots, "award-tenderer-open-objection")
    page.get_by_label("书面答复").fill("经核查，该业绩有合同和竣工验收证明，属实。")
    page.get_by_role("button", name="书面答复").click()
    page.get_by_text("已书面答复异议").wait_for()
    assert ResultObjection.objects.get().answered_at is not None

    end_publication(publication)  # the publication is over (dates moved, no clock library)
    page.goto(url)
    page.get_by_role("button", name="发出中标通知书").click()
    page.get_by_text("中标通知书和中标结果通知书已发出").wait_for(timeout=120000)
    assert AwardNotice.objects.count() == 3
    _shots(page, shots, "award-tenderer-issued")

    _login(page, live_url, w["winner"])
    page.goto(url)
    page.get_by_role("link", name="中标通知书 · 示例投标人1").click()
    page.get_by_text("完好").wait_for()
    assert w["section"].project.host_centre.name in page.content()
    _shots(page, shots, "award-winner-notice")
    found += _violations(axe, page, "notice")
    response = page.request.get(
        f"{live_url}/bidding/award/notices/{AwardNotice.objects.get(kind='award').pk}/pdf/"
    )
    assert response.ok and response.body().startswith(b"%PDF")
    assert not found, "\n".join(found)
