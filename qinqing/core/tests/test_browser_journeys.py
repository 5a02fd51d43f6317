"""Roles walk their main task from the to-do home in Chromium, on a phone (390 × 844): the
dispatcher routes a need the rules could not, the signed-in firm submits its own need and
follows it, the volunteer files a supervision report, the instructor records a visit and the
need raised there. (The liaison's signing is in test_browser.py; the administrator's review,
the judge's approval and the creditor's vote, the editor's and reviewer's brief, the
supervisor's witness and the experts' scoring in their modules' browser tests.)"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _sign_in(page, live_url, username):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    assert page.get_by_role("heading", name="我的待办").is_visible()


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), page.url


def test_the_dispatcher_routes_a_need_the_rules_could_not(browser_page, live_url, demo_users):
    from qinqing.core.demo import demo_uscc
    from qinqing.needs import services
    from qinqing.needs.models import Need

    services.catalogue_ensure_defaults(actor=None)
    need = services.need_submit(
        actor=None,
        channel=Need.Channel.PORTAL,
        uscc=demo_uscc("91420111", 3),
        phone="13900001234",
        text="园区门口的路灯坏了，晚上很不安全",
    )
    assert need.state == Need.State.PENDING_DISPATCH
    page = browser_page
    _sign_in(page, live_url, "dispatcher")
    _no_sideways_scroll(page)
    page.get_by_role("link", name="待派单的诉求").click()
    page.wait_for_url(f"**/needs/{need.pk}/")
    _no_sideways_scroll(page)
    page.get_by_label("类别").select_option("housing")
    page.get_by_role("button", name="派单", exact=True).click()
    page.wait_for_load_state()
    need.refresh_from_db()
    assert need.state == Need.State.PENDING_SIGN and need.category.code == "housing"
    page.goto(f"{live_url}/")
    assert page.get_by_role("link", name="待派单的诉求").count() == 0


def test_the_signed_in_firm_submits_its_own_need_and_follows_it(browser_page, live_url, demo_users):
    from qinqing.core.models import Organisation
    from qinqing.needs import services
    from qinqing.needs.models import Need

    services.catalogue_ensure_defaults(actor=None)
    page = browser_page
    _sign_in(page, live_url, "enterprise")
    page.get_by_role("link", name="提交诉求").first.click()
    _no_sideways_scroll(page)
    # the firm's code and name are its own, shown and not to be typed
    assert page.get_by_label("统一社会信用代码").is_disabled()
    page.get_by_label("联系电话").fill("13900001234")
    page.get_by_label("诉求内容").fill("数电票开票额度不够用，怎么申请提额？")
    page.get_by_role("button", name="提交诉求").click()
    page.wait_for_load_state()
    need = Need.objects.get()
    assert page.get_by_text(f"已提交，工单编号 {need.number}").is_visible()
    assert need.uscc == Organisation.objects.get(code="demo-firm").uscc
    page.goto(f"{live_url}/")
    page.get_by_role("link", name="我的诉求").first.click()
    page.get_by_role("link", name=need.number).click()
    page.wait_for_url(f"**/needs/{need.pk}/")
    _no_sideways_scroll(page)


def test_the_volunteer_files_a_supervision_report_from_the_home(browser_page, live_url):
    """On the full demo (a volunteer supervisor in office): from the home's entry point, a report
    with one finding, which opens a rectification order for the department."""
    from io import StringIO

    from django.core.management import call_command

    from qinqing.activities.models import SupervisionReport

    call_command("load_demo", stdout=StringIO())
    before = SupervisionReport.objects.count()
    page = browser_page
    _sign_in(page, live_url, "volunteer")
    page.get_by_role("link", name="提交监督体验报告").first.click()
    _no_sideways_scroll(page)
    page.get_by_label("整体满意度").select_option("4")
    page.get_by_label("意见建议").fill("叫号屏显示不清楚。")
    page.get_by_label("发现的问题（每行一条，将生成整改单）").fill("自助终端打印机缺纸")
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_text("监督体验报告已提交").wait_for()
    report = SupervisionReport.objects.order_by("-pk").first()
    assert SupervisionReport.objects.count() == before + 1
    assert report.overall == 4 and report.appointment.user.username == "volunteer"
    assert [f.text for f in report.findings.all()] == ["自助终端打印机缺纸"]


def test_the_instructor_records_a_visit_and_the_need_raised_there(browser_page, live_url):
    """On the full demo: from the instructor's to-do (a planned visit), the visit is recorded
    with the need the firm raised, which enters the needs flow (channel 走访)."""
    from io import StringIO

    from django.core.management import call_command

    from qinqing.activities.models import Visit
    from qinqing.core.models import Organisation
    from qinqing.needs.models import Need

    call_command("load_demo", stdout=StringIO())
    firm = Organisation.objects.get(code="demo-firm")
    page = browser_page
    _sign_in(page, live_url, "instructor")
    page.get_by_role("link", name="计划中的走访").click()
    page.wait_for_url("**/activities/visits/")
    _no_sideways_scroll(page)
    page.get_by_label("企业信用代码").fill(firm.uscc)
    page.get_by_label("接待人员").fill("财务负责人 王女士")
    page.get_by_label("走访情况").fill("了解研发费用加计扣除政策落实情况。")
    page.get_by_label("企业提出的诉求（选填）").fill("希望安排一次研发费用归集的专题辅导。")
    page.get_by_label("诉求联系电话").fill("13900001234")
    page.get_by_role("button", name="登记", exact=True).click()
    page.get_by_text("走访已登记").wait_for()
    visit = Visit.objects.order_by("-pk").first()
    assert visit.firm.organisation == firm and visit.visitor.username == "instructor"
    need = Need.objects.order_by("-pk").first()
    assert need.uscc == firm.uscc and need.text == "希望安排一次研发费用归集的专题辅导。"
