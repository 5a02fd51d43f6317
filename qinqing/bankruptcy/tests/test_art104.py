"""Art.104 after termination, on a real case: the Art.113 classes, what the reconciliation
creditors keep, and the creditors of the liquidation that follows (late filers, employees)."""

from datetime import date
from decimal import Decimal as D

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.tests.scenarios import executing
from qinqing.core.models import AuditEntry


def _terminate_then_new_creditors(meeting_case, world):
    """A (400 confirmed) was paid 300 under the agreement; B 200, C 100, E 200 nothing. After
    termination an employee claim of 50 is listed and a creditor N files 400 late (Art.56)."""
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = executing(meeting_case, world)
    services.agreement_terminate(
        actor=judge,
        agreement=agreement,
        on=date(2024, 12, 1),
        reason="债务人不能执行协议",
        requested_by=c["B"],
        distributable="200",
    )
    late = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="新债权人N",
        principal="400",
        filed_on=date(2024, 12, 5),
    )
    services.claim_review(actor=admin, claim=late, admitted_amount=D("400"), reason="证据充分")
    services.claim_list_employee(
        actor=admin, case=case, employee_name="职工W", amount="50", listed_on=date(2024, 12, 5)
    )
    agreement.refresh_from_db()
    return agreement


def test_termination_records_the_distribution_by_class(meeting_case, world):
    _terminate_then_new_creditors(meeting_case, world)
    entry = AuditEntry.objects.filter(action="agreement.terminate").get()
    # At termination only the ordinary class exists: B, C and E rise to 200/500 = 40 % < A's 75 %.
    assert entry.detail["art104_classes"] == {
        "ordinary": {
            "武汉示例建材有限公司": "0.00",
            "债权人B": "80.00",
            "债权人C": "40.00",
            "债权人E": "80.00",
        }
    }
    assert entry.detail["art104_levels"] == {"ordinary": "0.5556"}  # (300 + 200) / 900


def test_the_liquidations_new_creditors_share_before_the_reconciliation_creditor(
    meeting_case, world
):
    agreement = _terminate_then_new_creditors(meeting_case, world)
    rows, names = selectors.art104_claims(agreement)
    by_name = {(names[r.creditor], r.rank): (r.amount, r.received) for r in rows}
    assert by_name[("武汉示例建材有限公司", rules.ORDINARY_CLAIMS)] == (D("400.00"), D("300.00"))
    assert by_name[("新债权人N", rules.ORDINARY_CLAIMS)] == (D("400.00"), D("0.00"))
    assert by_name[("职工W", rules.EMPLOYEE)] == (D("50.00"), D("0.00"))
    assert ("示例银行", rules.ORDINARY_CLAIMS) not in by_name  # fully covered by its collateral

    preview = selectors.art104_preview(agreement, D("600.00"))
    shares = {(line.label, line.creditor): line.share for line in preview.lines}
    assert shares[("职工债权", "职工W")] == D("50.00")  # the employee class first
    # 550 raises B, C, E and N (900) to 61.11 %, still below A's 75 %: A gets nothing.
    assert shares[("普通债权", "武汉示例建材有限公司")] == D("0.00")
    assert shares[("普通债权", "新债权人N")] == D("244.45")
    assert sum(line.share for line in preview.lines) == D("600.00")
    assert {line.creditor for line in preview.lines if line.new_creditor} == {"新债权人N", "职工W"}


def test_the_agreement_page_shows_the_art104_distribution(client, meeting_case, world):
    agreement = _terminate_then_new_creditors(meeting_case, world)
    client.force_login(world["users"]["judge"])
    url = f"/bankruptcy/agreements/{agreement.pk}/"
    page = client.get(url, {"distributable": "600"}).content.decode()
    assert "终止后的破产分配" in page and "244.45" in page and "非和解债权人" in page
    bad = client.get(url, {"distributable": "-1"}, follow=True).content.decode()
    assert "金额不能为负数" in bad
    client.force_login(world["users"]["creditor"])
    assert "终止后的破产分配" not in client.get(url, {"distributable": "600"}).content.decode()


def test_a_reconciliation_creditors_claim_filed_after_termination_is_added(meeting_case, world):
    agreement = _terminate_then_new_creditors(meeting_case, world)
    admin = world["users"]["administrator"]
    more = services.claim_file(
        actor=admin,
        case=agreement.case,
        creditor_name="债权人B",
        principal="100",
        filed_on=date(2024, 12, 6),
    )
    services.claim_review(actor=admin, claim=more, admitted_amount=D("100"), reason="证据充分")
    rows, names = selectors.art104_claims(agreement)
    by_name = {(names[r.creditor], r.rank): (r.amount, r.received) for r in rows}
    # B's 200 of the agreement (nothing received) and its late 100: one claim of 300
    assert by_name[("债权人B", rules.ORDINARY_CLAIMS)] == (D("300.00"), D("0.00"))
    # A's claims filed before approval are represented by its term only
    assert by_name[("武汉示例建材有限公司", rules.ORDINARY_CLAIMS)] == (D("400.00"), D("300.00"))
