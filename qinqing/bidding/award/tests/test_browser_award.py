"""Issue 21's "done means" in Chromium: a committee of four experts and one tenderer's
representative (招标投标法 Art.37) scores at its workstations, the host centre builds the
report and every member signs it at the workstation (the last signature seals it, Art.53), the
tenderer publishes the candidates (实施条例 Art.54), a bidder raises an objection on its phone,
the tenderer answers it, the publication ends (its dates are moved into the past: there is no
clock library), the tenderer issues the notices and the winner opens its sealed award notice.

Only the set-up before the day (draw, seating, identity checks by staff, the opening record and
the plan) is made through the services; everything from the workstations on goes through the
pages. No page scrolls sideways at 390 px; screenshots at 1280x800 and 390x844 go to
$QINQING_SHOTS (or the test's tmp_path) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qinqing.bidding.award.models import AwardNotice, Publication, ResultObjection
from qinqing.bidding.award.tests.test_services import end_publication
from qinqing.bidding.bids.tests.conftest import _firm_user
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.models import BidResult, Report, ScoreSheet, Seat, Signature
from qinqing.bidding.report.tests.test_report import set_standards
from qinqing.bidding.seating import committee
from qinqing.bidding.seating import services as seating_services
from qinqing.bidding.seating.tests.test_evaluation_day import confirm_all, prepare_scoring, rooms
from qinqing.bidding.seating.tests.test_representatives import _four_experts, _name
from qinqing.core.tests.test_browser_a11y import _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
PASSWORD = "qinqing-award-2026"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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


def _committee_before_the_day(world) -> tuple[list[Seat], dict[int, str]]:
    """Four experts drawn (3 host, 1 guest) and one representative named by the tenderer, all
    seated; staff check each identity in person and hand out the one-time workstation codes;
    the opening record, the standard plan and the centres' fee standards are in place."""
    _four_experts(world)
    representative = _name(world, 1)
    confirm_all(world, world["host"])
    confirm_all(world, world["guest"], "3")
    rooms(world, "whggzy", "H", [2, 2, 2])
    rooms(world, "jkggzy", "G", [1, 1])
    session = world["session"]
    for centre, admin in (("whggzy", "centre_wh"), ("jkggzy", "centre_jk")):
        seating_services.seating_assign(
            actor=world[admin],
            centre=world["orgs"][centre],
            slot_start=session.starts_at,
            slot_end=session.ends_at,
        )
    seats = list(
        Seat.objects.filter(outcome__session=session)
        .select_related("workstation", "outcome__representative")
        .order_by("workstation__code")
    )
    assert sum(1 for s in seats if s.is_representative) == 1
    assert next(s for s in seats if s.is_representative).outcome.representative == representative
    codes = {
        seat.pk: committee.seat_signin_staff(
            actor=world["centre_wh"], seat=seat, reason="核对身份证原件"
        )
        for seat in seats
    }
    prepare_scoring(world, session)
    set_standards(world)  # the centres' expert fees, fixed when the report is sealed
    return seats, codes


def _workstation(browser, live_url, seat, code: str, viewport: dict):
    """A member's own terminal: the staff's code, then the declaration of no conflict."""
    page = browser.new_context(locale="zh-CN", viewport=viewport).new_page()
    page.set_default_timeout(20000)
    page.goto(f"{live_url}/bidding/signin/")
    page.get_by_text("收不到验证码？请工作人员核验身份").click()
    page.get_by_label("工作人员提供的工位启用码").fill(code)
    page.get_by_role("button", name="启用工位").click()
    page.get_by_role("button", name="无需回避，承诺客观公正评标").click()
    page.get_by_text(seat.workstation.code).first.wait_for()
    return page


def _submit(page, live_url, stage: str) -> None:
    page.goto(f"{live_url}/bidding/workstation/sheet/{stage}/")
    if stage == "review":
        for select in page.locator("select[name^='e-']").all():
            select.select_option("pass")
    else:
        # every member gives every bid 80 % of each item's marks: the price decides the rank
        for field in page.locator("input[type=number][name^='e-']").all():
            top = float(field.get_attribute("max"))
            step = float(field.get_attribute("step"))
            field.fill(f"{round(top * 0.8 / step) * step:g}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交并锁定").click()
    page.get_by_text("评分表已提交并锁定。").wait_for()


def _close(chair, live_url) -> None:
    chair.goto(f"{live_url}/bidding/workstation/")
    chair.get_by_role("button", name="结束本阶段").click()
    chair.get_by_text("本阶段已结束。").wait_for()


def test_from_the_workstations_to_the_winner_opening_its_award_notice(
    browser_page, live_url, world, tmp_path
):
    session = world["session"]
    seats, codes = _committee_before_the_day(world)
    shots = Path(os.environ.get("QINQING_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    found = []
    browser = browser_page.context.browser
    # the representative works on a small screen, the experts at the desks
    members = {
        seat.pk: _workstation(
            browser, live_url, seat, codes[seat.pk], PHONE if seat.is_representative else DESK
        )
        for seat in seats
    }

    # the host centre starts the evaluation; the members elect their chair at the workstations
    centre = browser_page
    _login(centre, live_url, world["centre_wh"])
    centre.set_viewport_size(DESK)
    centre.goto(f"{live_url}/bidding/sessions/{session.pk}/")
    centre.get_by_role("button", name="开始评标").click()
    centre.get_by_text("评标已开始").first.wait_for()
    for seat in seats:
        page = members[seat.pk]
        page.goto(f"{live_url}/bidding/workstation/")
        page.get_by_role("button", name="投票").click()
    session.refresh_from_db()
    chair = members[session.chair_id]

    for stage in ("review", "detailed"):
        for seat in seats:
            _submit(members[seat.pk], live_url, stage)
        _close(chair, live_url)
    representative = next(s for s in seats if s.is_representative)
    rep_page = members[representative.pk]
    rep_page.goto(f"{live_url}/bidding/workstation/")
    _shots(rep_page, shots, "award-0-representative-workstation")
    found += _violations(axe, rep_page, "workstation, representative")
    assert ScoreSheet.objects.filter(seat=representative, status="submitted").count() == 2
    winner_result = BidResult.objects.get(session=session, rank=1)
    assert winner_result.bidder.uscc == BIDDER_USCCS[1]  # the lowest price (950,000)

    # the report: built by the host centre, signed by every member at the workstation
    centre.goto(f"{live_url}/bidding/sessions/{session.pk}/report/")
    centre.get_by_role("button", name="生成评标报告").click()
    centre.get_by_text("评标报告已生成").wait_for()
    for seat in seats:
        page = members[seat.pk]
        page.goto(f"{live_url}/bidding/workstation/report/")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="同意并签署").click()
        page.get_by_text("您的意见已记录。").wait_for(timeout=120000)
    report = Report.objects.get(session=session)
    assert report.status == Report.Status.SEALED
    assert report.signatures.filter(position=Signature.Position.AGREE).count() == len(seats)
    centre.goto(f"{live_url}/bidding/sessions/{session.pk}/report/")
    _shots(centre, shots, "award-1-report-sealed")
    for page in members.values():
        page.context.close()

    # from the sealed report to the award, as in practice: the tenderer, then the bidders
    second = _firm_user("bidder-second", "firm-second", BIDDER_USCCS[0])
    winner = _firm_user("bidder-winner", "firm-winner", BIDDER_USCCS[1])
    for user in (second, winner):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    page = browser_page
    url = f"{live_url}/bidding/sections/{session.section_id}/award/"
    _login(page, live_url, world["tenderer"])
    page.set_viewport_size(DESK)
    page.goto(url)
    page.get_by_role("button", name="发布公示").click()
    page.get_by_text("中标候选人已在公示页面公示").wait_for()
    publication = Publication.objects.get()
    assert not publication.late  # published the day of the report (Art.54: within 3 days)
    page.goto(f"{live_url}/bidding/candidates/{publication.pk}/")
    _shots(page, shots, "award-2-public")
    found += _violations(axe, page, "public candidates")

    _login(page, live_url, second)
    page.set_viewport_size(PHONE)
    page.goto(url)
    page.get_by_label("对评标结果的异议").fill("第一中标候选人的类似项目业绩与实际不符，请核查。")
    page.get_by_role("button", name="提出异议").click()
    page.get_by_text("异议已提交").wait_for()
    _shots(page, shots, "award-3-bidder-objection")
    found += _violations(axe, page, "award page, bidder")

    _login(page, live_url, world["tenderer"])
    page.set_viewport_size(DESK)
    page.goto(url)
    page.get_by_text("待答复").first.wait_for()
    # the procedure is paused while the objection waits (实施条例 Art.54 para.2)
    assert page.get_by_role("button", name="发出中标通知书").is_disabled()
    page.get_by_label("书面答复").fill("经核查，该业绩有合同和竣工验收证明，属实。")
    page.get_by_role("button", name="书面答复").click()
    page.get_by_text("已书面答复异议").wait_for()
    assert ResultObjection.objects.get().answered_at is not None

    end_publication(publication)
    page.goto(url)
    page.get_by_role("button", name="发出中标通知书").click()
    page.get_by_text("中标通知书和中标结果通知书已发出").wait_for(timeout=120000)
    assert AwardNotice.objects.count() == 3  # the award notice and two result notices
    _shots(page, shots, "award-4-tenderer-issued")

    _login(page, live_url, winner)
    page.goto(url)
    page.get_by_role("link", name="中标通知书 · 示例投标人1").click()
    page.get_by_text("完好").wait_for()
    assert session.section.project.host_centre.name in page.content()
    _shots(page, shots, "award-5-winner-notice")
    found += _violations(axe, page, "notice")
    response = page.request.get(
        f"{live_url}/bidding/award/notices/{AwardNotice.objects.get(kind='award').pk}/pdf/"
    )
    assert response.ok and response.body().startswith(b"%PDF")
    assert not found, "\n".join(found)
