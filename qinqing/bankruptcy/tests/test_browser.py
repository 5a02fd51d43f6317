"""A creditor files a claim online and votes on the reconciliation agreement, in chromium."""

import pytest

from qinqing.bankruptcy import demo
from qinqing.bankruptcy.models import AgendaItem, Ballot, Case, Claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_creditor_files_a_claim_and_votes_online(browser_page, live_url, bk_demo):
    page = browser_page
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("creditor")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")

    page.get_by_role("link", name="我的债权").first.click()
    page.wait_for_url("**/bankruptcy/my/")
    page.locator("li", has_text=demo.FAST_TRACK_NUMBER).get_by_role("link", name="在线申报").click()
    page.wait_for_url("**/file/")
    page.get_by_label("本金（元）").fill("86000")
    page.get_by_label("利息（计至受理日，元）").fill("1500.50")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url("**/bankruptcy/my/")
    assert page.get_by_text("债权申报已提交").is_visible()
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    claim = Claim.objects.get(case=fast, creditor__organisation__code="demo-supplier")
    assert claim.declared_amount == 87500.50 and claim.status == Claim.Status.FILED

    page.get_by_role("link", name="表决和解协议草案").click()
    page.wait_for_url("**/meetings/*/")
    page.get_by_role("button", name="在线签到").click()
    assert page.locator("p.ok", has_text="已签到").is_visible()
    # what it votes on, before the buttons: the draft and its own term
    assert page.get_by_text("普通债权10万元以下部分全额清偿").is_visible()
    assert page.locator("dd", has_text="82.81%").is_visible()
    item_form = page.locator("form", has_text="表决和解协议草案")
    item_form.get_by_label("我已阅读上面的和解协议草案和本人的清偿条件").check()
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    item_form.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_load_state()
    assert dialogs and "表决结束前可以更改" in dialogs[0]
    assert (
        page.locator("form", has_text="表决和解协议草案").get_by_text("已表决：同意").is_visible()
    )

    item = AgendaItem.objects.get(
        meeting__case__number=demo.VOTING_NUMBER, kind=AgendaItem.Kind.RECONCILIATION
    )
    ballot = Ballot.objects.get(item=item, creditor__organisation__code="demo-supplier")
    assert ballot.vote == "yes"


def test_administrator_reviews_a_claim_inline_with_htmx(browser_page, live_url, bk_demo):
    page = browser_page
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("administrator")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    claim = fast.claims.filter(status=Claim.Status.FILED).order_by("pk").first()
    page.goto(f"{live_url}/bankruptcy/cases/{fast.pk}/claims/")
    row = page.locator(f"#claim-{claim.pk}")
    row.get_by_label("审查理由").fill("合同及送货单齐全")
    row.get_by_role("button", name="提交审查").click()
    row = page.locator(f"#claim-{claim.pk}")
    row.get_by_text("审查确认（列入债权表）").wait_for()
    assert "/claims/" in page.url  # swapped in place, no navigation
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ADMITTED and claim.review_reason == "合同及送货单齐全"


def test_the_administrator_reviews_a_claim_from_the_home(browser_page, live_url, bk_demo):
    waiting = Claim.objects.filter(status=Claim.Status.FILED).count()
    assert waiting
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("administrator")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="待审查的债权申报").click()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    row = page.locator("[id^=claim-]", has=page.get_by_role("button", name="提交审查")).first
    claim_pk = int(row.get_attribute("id").removeprefix("claim-"))
    row.get_by_label("审查理由").fill("合同及送货单齐全")
    row.get_by_role("button", name="提交审查").click()
    page.locator(f"#claim-{claim_pk}").get_by_text("审查确认（列入债权表）").wait_for()
    claim = Claim.objects.get(pk=claim_pk)
    assert claim.status == Claim.Status.ADMITTED and claim.review_reason == "合同及送货单齐全"
    assert Claim.objects.filter(status=Claim.Status.FILED).count() == waiting - 1


def test_the_judge_approves_an_adopted_agreement_from_the_home(
    browser_page, live_url, meeting_case, world
):
    """Art.98 from the judge's to-do: the creditors' meeting adopted the agreement (Art.97), the
    judge opens it from 我的待办 on a phone and approves it."""
    from qinqing.bankruptcy import services
    from qinqing.bankruptcy.models import Agreement
    from qinqing.bankruptcy.tests import scenarios

    case, c = meeting_case
    admin = world["users"]["administrator"]
    agreement = services.agreement_draft(
        actor=admin,
        case=case,
        offers=[(c["A"], "320", ""), (c["B"], "160", ""), (c["C"], "80", ""), (c["E"], "160", "")],
    )
    scenarios.adopt(case, c, admin)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("judge")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="待裁定认可的和解协议").click()
    page.wait_for_url(f"**/agreements/{agreement.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.get_by_role("button", name="裁定认可（第98条）").click()
    page.wait_for_load_state()
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.APPROVED
    page.goto(f"{live_url}/")
    assert page.get_by_role("link", name="待裁定认可的和解协议").count() == 0


def test_the_judge_reads_the_same_bases_on_a_phone(browser_page, live_url, bk_demo):
    """The meeting, agreement and assessment pages show the labelled bases (960,000 for the
    vote, 975,000 for the agreement, both explained) at 390 px without scrolling sideways, and
    the judge sets the case's readings."""
    from qinqing.bankruptcy.models import Meeting
    from qinqing.core.tests.browser_pages import PHONE

    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("judge")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    width = "[document.documentElement.scrollWidth, window.innerWidth]"
    for path in (
        f"/bankruptcy/meetings/{meeting.pk}/",
        f"/bankruptcy/agreements/{voting.agreements.get().pk}/",
        f"/bankruptcy/cases/{voting.pk}/assessment/",
    ):
        page.goto(f"{live_url}{path}")
        assert page.get_by_role("heading", name="金额口径").is_visible()
        assert page.locator('tr[data-basis="agreement_basis"]').get_by_text("975,000.00").count()
        scroll, inner = page.evaluate(width)
        assert scroll <= inner, f"{path}: {scroll} > {inner}"
    page.goto(f"{live_url}/bankruptcy/meetings/{meeting.pk}/")
    assert page.locator("[data-share]").first.is_visible()
    assert page.get_by_text("临时确定的表决额 80,000.00").first.is_visible()

    page.goto(f"{live_url}/bankruptcy/cases/{voting.pk}/")
    page.get_by_label("管理人报酬比例（%）").fill("8")
    page.get_by_role("button", name="保存设置").click()
    page.wait_for_url(f"**/bankruptcy/cases/{voting.pk}/")
    assert page.get_by_text("案件设置已保存").is_visible()
    voting.refresh_from_db()
    assert str(voting.administrator_fee_rate) == "8.000"


def test_the_committee_on_a_phone_administrator_reports_the_member_acknowledges(
    browser_page, live_url, bk_demo
):
    """Art.69 through the pages at 390 px: the administrator reports the transfer of a
    building to the approved committee; the demo creditor, a member, finds it from its own page,
    acknowledges it and signs the minutes of a decision it voted on."""
    from datetime import timedelta

    from django.utils import timezone

    from qinqing.bankruptcy import services
    from qinqing.bankruptcy.models import Art69Report, CommitteeVote
    from qinqing.core.tests.browser_pages import PHONE

    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    users, today = bk_demo, timezone.localdate()
    committee = services.committee_create(
        actor=users["administrator"], case=voting, chosen_on=today
    )
    member = services.committee_member_add(
        actor=users["administrator"],
        committee=committee,
        kind="creditor",
        creditor=voting.creditors.get(organisation__code="demo-supplier"),
        name="建材公司代表",
        added_on=today,
    )
    services.committee_member_add(
        actor=users["administrator"],
        committee=committee,
        kind="union",
        name="工会主席",
        added_on=today,
    )
    services.committee_approve(actor=users["judge"], committee=committee, on=today)
    services.committee_decision_record(
        actor=users["administrator"],
        committee=committee,
        subject="distribution",
        matter="监督分配方案",
        decided_on=today,
        votes={member.pk: ("yes", "")},
    )

    page = browser_page
    page.set_viewport_size(PHONE)
    width = "[document.documentElement.scrollWidth, window.innerWidth]"

    def sign_in(username):
        page.context.clear_cookies()
        page.goto(f"{live_url}/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill("qinqing-demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_url}/")

    sign_in("administrator")
    page.goto(f"{live_url}/bankruptcy/cases/{voting.pk}/")
    page.get_by_role("link", name="债权人委员会").click()
    page.wait_for_url("**/committee/")
    page.get_by_label("行为（第69条第1款）").select_option("real_property")
    page.get_by_label("行为说明").fill("转让位于洪山区的办公楼，评估价320万元")
    page.get_by_label("拟实施日").fill((today + timedelta(days=12)).isoformat())
    page.get_by_role("button", name="报告", exact=True).click()
    page.wait_for_url("**/committee/")
    assert page.get_by_text("已记录").is_visible(), page.locator(".errorlist").all_inner_texts()
    report = Art69Report.objects.get(case=voting)
    assert (report.reported_to, report.late) == ("committee", False)
    scroll, inner = page.evaluate(width)
    assert scroll <= inner

    sign_in("creditor")
    page.goto(f"{live_url}/bankruptcy/my/")
    # its firm also sits on the committee of the demo's 2021破3 (concluded)
    page.locator("li", has_text=demo.VOTING_NUMBER).get_by_role(
        "link", name="查看管理人报告和委员会决议"
    ).click()
    page.wait_for_url("**/committee/")
    assert page.get_by_text("转让位于洪山区的办公楼").is_visible()
    page.get_by_role("button", name="确认收悉").click()
    page.wait_for_url("**/committee/")
    page.get_by_role("button", name="在记录上签名").click()
    page.wait_for_url("**/committee/")
    assert page.get_by_text("已签名").first.is_visible()
    scroll, inner = page.evaluate(width)
    assert scroll <= inner
    report.refresh_from_db()
    assert report.acknowledged_by == users["creditor"]
    assert CommitteeVote.objects.get(member=member).signed_by == users["creditor"]


def test_issue22_pages_desk_and_phone(browser_page, live_url, bk_demo, meeting_case, world):
    """Art.113 para.3 on the claims register, the meeting's bases and the agreement's term,
    and the demo committee with a replaced member, at 1280 and 390 px without sideways
    scrolling. Screenshots go to the directory QINQING_SHOTS names, when it is set."""
    import os
    from datetime import date
    from decimal import Decimal

    from qinqing.bankruptcy import rules, services
    from qinqing.bankruptcy.tests import scenarios
    from qinqing.core.tests.browser_pages import DESK, PHONE

    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    services.assessment_record(
        actor=admin,
        case=case,
        assessed_on=date(2024, 4, 12),
        assets_appraised="5000",
        assets_liquidation="1000",
        average_monthly_wage="50",
    )
    services.claim_list_employee(
        actor=admin,
        case=case,
        employee_name="总经理王示例",
        amount="400.00",
        senior_manager=True,
        wage_months="6",
    )
    services.claims_confirm(actor=judge, case=case)
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=rules.OfferPlan(rate=Decimal("80"))
    )
    meeting = scenarios.adopt(case, c, admin)
    concluded = Case.objects.get(number="（2021）鄂0111破3号")
    committee = services.committee_create(actor=admin, case=case, chosen_on=date(2024, 4, 25))
    seats = {
        key: services.committee_member_add(
            actor=admin,
            committee=committee,
            kind="creditor",
            creditor=c[key],
            name=f"{key}的代表",
            added_on=date(2024, 4, 25),
        )
        for key in "AB"
    }
    services.committee_member_add(
        actor=admin,
        committee=committee,
        kind="employee",
        name="职工代表",
        added_on=date(2024, 4, 25),
    )
    services.committee_approve(actor=judge, committee=committee, on=date(2024, 4, 26))
    services.committee_member_remove(
        actor=admin,
        member=seats["B"],
        removed_by="meeting",
        reason="债权人B已转让全部债权，债权人会议决议更换",
        on=date(2024, 5, 2),
        replacement={"kind": "creditor", "name": "E的代表", "creditor": c["E"]},
    )

    page = browser_page
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill("judge")
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")
    shots = os.environ.get("QINQING_SHOTS")
    pages = {
        "claims": (f"/bankruptcy/cases/{case.pk}/claims/", "[data-art113-split]"),
        "meeting": (f"/bankruptcy/meetings/{meeting.pk}/", '[data-basis="senior_excess"]'),
        "agreement": (f"/bankruptcy/agreements/{agreement.pk}/", "[data-senior-excess]"),
        "committee": (f"/bankruptcy/cases/{case.pk}/committee/", "[data-former-member]"),
        "demo-committee": (f"/bankruptcy/cases/{concluded.pk}/committee/", "text=电控柜供货合同"),
    }
    for size_name, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        for name, (url, marker) in pages.items():
            page.goto(f"{live_url}{url}")
            assert page.locator(marker).first.is_visible(), (name, size_name)
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= inner, (name, size_name, scroll, inner)
            if shots:
                page.locator(marker).first.scroll_into_view_if_needed()
                page.screenshot(path=f"{shots}/{name}-{size_name}.png")
