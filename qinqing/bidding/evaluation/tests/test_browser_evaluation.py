"""The evaluation day in real browsers: an expert at the host centre and one at the guest
centre sign in at their workstations (SMS code + last four of the ID) and score, while the
supervisor's live page updates by itself."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from qinqing.bidding.conftest import build_world
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import EvaluationSession, ScoreSheet, Seat
from qinqing.bidding.seating import committee
from qinqing.bidding.seating import services as seating_services
from qinqing.bidding.seating.tests.test_evaluation_day import confirm_all, prepare_scoring, rooms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _soon_session(world) -> EvaluationSession:
    """The world's session moved to start in 20 minutes (sign-in opens 2 h before)."""
    starts = timezone.now() + timedelta(minutes=20)
    EvaluationSession.objects.filter(pk=world["session"].pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=3)
    )
    world["session"].refresh_from_db()
    return world["session"]


def _seat_everyone(world):
    session = _soon_session(world)
    confirm_all(world, world["host"], "1")
    confirm_all(world, world["guest"], "2")
    rooms(world, "whggzy", "H", [1, 1, 1])
    rooms(world, "jkggzy", "G", [1, 1])
    for code, admin in (("whggzy", "centre_wh"), ("jkggzy", "centre_jk")):
        seating_services.seating_assign(
            actor=world[admin],
            centre=world["orgs"][code],
            slot_start=session.starts_at,
            slot_end=session.ends_at,
        )
    seats = list(
        Seat.objects.filter(outcome__session=session)
        .select_related("outcome__expert", "seating__centre", "workstation")
        .order_by("workstation__code")
    )
    host = next(s for s in seats if s.seating.centre.code == "whggzy")
    guest = next(s for s in seats if s.seating.centre.code == "jkggzy")
    return session, seats, host, guest


def _sign_in_by_code(page, live_url, seat, outbox):
    page.goto(f"{live_url}/bidding/signin/")
    page.get_by_label("手机号").fill(seat.outcome.expert.phone)
    page.get_by_role("button", name="获取验证码").click()
    page.get_by_label("短信验证码").wait_for()
    code = re.search(r"\d{6}", outbox[-1].body).group()
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("身份证号后四位").fill(seat.outcome.expert.id_last4)
    page.get_by_role("button", name="签到").click()
    page.get_by_text(seat.workstation.code).first.wait_for()
    # only now the expert learns the project and the bidders
    assert page.get_by_text("示例学生公寓修缮设计").is_visible()
    page.get_by_role("button", name="无需回避，承诺客观公正评标").click()


def _fill_review(page, live_url):
    page.goto(f"{live_url}/bidding/workstation/sheet/review/")
    for select in page.locator("select[name^='e-']").all():
        select.select_option("pass")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交并锁定").click()
    page.get_by_text("评分表已提交并锁定。").wait_for()


def test_host_and_guest_experts_score_while_the_supervisor_watches(
    browser_page, live_url, demo_users, outbox
):
    world = build_world(demo_users)
    session, seats, host, guest = _seat_everyone(world)
    browser = browser_page.context.browser
    host_page = browser.new_context(locale="zh-CN").new_page()
    guest_page = browser.new_context(locale="zh-CN").new_page()
    for page in (host_page, guest_page):
        page.set_default_timeout(15000)

    _sign_in_by_code(host_page, live_url, host, outbox)
    _sign_in_by_code(guest_page, live_url, guest, outbox)
    for seat in seats:
        if seat.pk in (host.pk, guest.pk):
            continue
        committee.seat_signin_staff(actor=world["centre_wh"], seat=seat, reason="核对身份证原件")
        committee.seat_declare(actor=None, seat=Seat.objects.get(pk=seat.pk))
    prepare_scoring(world, session)
    evaluation_services.session_start(actor=world["centre_wh"], session=session)
    committee.chair_appoint(actor=world["tenderer"], session=session, seat=host)

    supervisor = browser_page
    supervisor.goto(f"{live_url}/login/")
    supervisor.get_by_label("用户名").fill("supervisor")
    supervisor.get_by_label("密码").fill("qinqing-demo")
    supervisor.get_by_role("button", name="登录").click()
    supervisor.wait_for_url(f"{live_url}/")
    supervisor.goto(f"{live_url}/bidding/sessions/{session.pk}/live/")
    host_row = supervisor.locator(
        "tr", has=supervisor.locator(f"code:text-is('{host.workstation.code}')")
    )
    guest_row = supervisor.locator(
        "tr", has=supervisor.locator(f"code:text-is('{guest.workstation.code}')")
    )
    assert "填写中" in host_row.inner_text() and "填写中" in guest_row.inner_text()

    _fill_review(host_page, live_url)
    # the board refreshes itself (htmx polling): no reload here
    host_row.get_by_text("已提交").wait_for(timeout=20000)
    assert "填写中" in guest_row.inner_text()
    _fill_review(guest_page, live_url)
    guest_row.get_by_text("已提交").wait_for(timeout=20000)

    # isolation in the browser: the guest cannot open the committee view of an open stage
    response = guest_page.goto(f"{live_url}/bidding/workstation/committee/review/")
    assert response.status == 404
    # and the live page never shows a pass/fail value
    assert "✓" not in supervisor.content() and "不通过" not in supervisor.content()
    assert (
        ScoreSheet.objects.filter(session=session, stage="review", status="submitted").count() == 2
    )
