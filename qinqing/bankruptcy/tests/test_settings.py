"""Per-case settings (issue 22) with their defaults: a secured creditor's shortfall vote
(Art.59 para.3 literal / Art.110), employee and tax claims paid outside the agreement before
approval or inside it, the administrator's fee rate; Art.104's requesting creditor."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qinqing.bankruptcy import figures, rules, selectors, services
from qinqing.bankruptcy.models import AgendaItem, Agreement, Case
from qinqing.bankruptcy.tests.scenarios import adopt, executing, schedule
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry

D = Decimal


def test_defaults_are_the_literal_readings(case) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.secured_shortfall_votes is False
    assert fresh.priority_claims == "outside"
    assert fresh.administrator_fee_rate is None


def test_settings_are_audited_and_bounded(case, world) -> None:
    judge = world["users"]["judge"]
    services.case_settings_update(
        actor=judge, case=case, secured_shortfall_votes=True, administrator_fee_rate="12"
    )
    entry = AuditEntry.objects.filter(action="case.settings").latest("pk")
    assert entry.detail["before"] == {
        "secured_shortfall_votes": False,
        "administrator_fee_rate": None,
    }
    assert entry.detail["after"]["administrator_fee_rate"] == "12.00"
    with pytest.raises(DomainError) as exc:
        services.case_settings_update(actor=judge, case=case, administrator_fee_rate="12.01")
    assert exc.value.field == "administrator_fee_rate"
    with pytest.raises(DomainError):
        services.case_settings_update(actor=judge, case=case, priority_claims="sometimes")
    with pytest.raises(DomainError):
        services.case_settings_update(actor=judge, case=case, quorum="1")
    count = AuditEntry.objects.filter(action="case.settings").count()
    services.case_settings_update(actor=judge, case=case, secured_shortfall_votes=True)
    assert AuditEntry.objects.filter(action="case.settings").count() == count  # no change


def _short_secured(case, admin):
    """A secured claim of 500 on collateral worth 300: 200 is not covered (Art.110)."""
    claim = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="示例小贷公司",
        principal="500",
        secured=True,
        collateral_value="300",
        filed_on=date(2024, 3, 25),
    )
    services.claim_review(actor=admin, claim=claim, admitted_amount="500", reason="抵押合同")
    claim.status = "confirmed"  # as the court's confirmation would (claims_confirm ran before)
    claim.save(update_fields=["status"])
    return claim.creditor


def test_a_secured_shortfall_votes_only_under_the_art110_setting(meeting_case, world) -> None:
    case, c = meeting_case
    users = world["users"]
    admin, judge = users["administrator"], users["judge"]
    lender = _short_secured(case, admin)
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    recon = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    literal = selectors.item_tally(recon)
    assert literal.unsecured_total == D("900.00")  # the lender's 200 is out with it
    assert (str(lender.pk), rules.SECURED_NOT_WAIVED) in literal.excluded

    services.case_settings_update(actor=judge, case=case, secured_shortfall_votes=True)
    recon.meeting.case.refresh_from_db()
    recon = AgendaItem.objects.select_related("meeting__case").get(pk=recon.pk)
    art110 = selectors.item_tally(recon)
    assert art110.unsecured_total == D("1100.00")  # + the lender's 200 shortfall
    assert art110.bases.secured_shortfall_part == D("200.00")
    assert (str(c["D"].pk), rules.SECURED_FULLY_COVERED) in art110.excluded  # covered: out
    assert selectors.case_bases(case).item(recon)["unsecured_total"] == "1100.00"

    services.meeting_open(actor=admin, meeting=meeting)
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=lender)
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c["D"])
    services.ballot_cast(actor=admin, item=recon, creditor=lender, vote="yes")
    with pytest.raises(DomainError) as exc:
        services.ballot_cast(actor=admin, item=recon, creditor=c["D"], vote="yes")
    assert "第110条" in exc.value.message
    assert selectors.item_tally(recon).yes_amount == D("200.00")
    with pytest.raises(ConflictError) as exc:  # the reading cannot change once the vote opened
        services.case_settings_update(actor=judge, case=case, secured_shortfall_votes=False)
    assert exc.value.code == "vote_started"


def test_outside_employee_and_tax_claims_must_be_paid_before_approval(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    wages = services.claim_list_employee(actor=admin, case=case, employee_name="职工", amount="150")
    tax = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="某税务局",
        principal="60",
        rank="tax_social",
        filed_on=date(2024, 3, 25),
    )
    services.claim_review(actor=admin, claim=tax, admitted_amount="60", reason="税款")
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=rules.OfferPlan(rate=D("80"))
    )
    assert not agreement.terms.filter(creditor__in=[wages.creditor, tax.creditor]).exists()
    adopt(case, c, admin)
    with pytest.raises(ConflictError) as exc:
        services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    assert exc.value.code == "priority_unpaid" and "2 笔" in exc.value.message
    assert "210.00" in exc.value.message
    services.claim_priority_paid(actor=admin, claim=wages, on=date(2024, 5, 2))
    with pytest.raises(ConflictError) as exc:  # one of two paid: still refused
        services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    assert "1 笔" in exc.value.message and "某税务局" in exc.value.message
    with pytest.raises(ConflictError):
        services.claim_priority_paid(actor=admin, claim=wages)  # already paid
    with pytest.raises(ConflictError):  # an ordinary claim is not paid this way
        services.claim_priority_paid(actor=admin, claim=c["A"].claims.get())
    services.claim_priority_paid(actor=admin, claim=tax, on=date(2024, 5, 3))
    services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    assert Agreement.objects.get(pk=agreement.pk).status == Agreement.Status.APPROVED


def test_inside_a_draft_that_leaves_employees_out_is_not_approved(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    services.case_settings_update(actor=judge, case=case, priority_claims="inside")
    services.claim_list_employee(actor=admin, case=case, employee_name="职工", amount="150")
    manual = services.agreement_draft(actor=admin, case=case, offers=[(c["A"], "320", "")])
    adopt(case, c, admin)
    with pytest.raises(ConflictError) as exc:
        services.agreement_approve(actor=judge, agreement=manual, on=date(2024, 5, 6))
    assert exc.value.code == "priority_not_in_agreement" and "职工" in exc.value.message
    with pytest.raises(ConflictError) as exc:  # the setting is fixed once a draft exists
        services.case_settings_update(actor=judge, case=case, priority_claims="outside")
    assert exc.value.code == "agreement_exists"


def test_inside_the_agreement_pays_employee_and_tax_claims_in_full(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    services.case_settings_update(actor=judge, case=case, priority_claims="inside")
    wages = services.claim_list_employee(actor=admin, case=case, employee_name="职工", amount="150")
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=rules.OfferPlan(rate=D("80"))
    )
    term = agreement.terms.get(creditor=wages.creditor)
    assert (term.confirmed_amount, term.agreed_amount) == (D("150.00"), D("150.00"))
    assert term.tier == "职工债权、税款全额清偿"
    bases = selectors.case_bases(case)
    assert bases.amount("priority_in_agreement") == D("150.00")
    total = sum((t.confirmed_amount for t in agreement.terms.all()), D(0))
    assert total == bases.amount("agreement_basis") == D("1050.00")  # 900 unsecured + 150
    assert bases.amount("liquidation_ordinary") == D("900.00")
    assert term.priority_amount == D("150.00")
    adopt(case, c, admin)  # the employees do not vote (Art.59, 97)
    services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    assert wages.creditor.ballots.count() == 0
    # the court's figures count the reconciliation claims only: 900, at 80 %
    year = (date(2024, 1, 1), date(2024, 12, 31))
    assert figures.debts_resolved(*year) == D("900.00")
    assert figures.repayment_rate_nominal(*year) == D("80.00")
    services.installments_set(actor=admin, term=term, schedule=[(date(2024, 5, 7), "150")])
    services.payment_record(actor=admin, term=term, amount="150", paid_on=date(2024, 5, 7))
    assert figures.repayment_rate_realised(*year) == D("0.00")  # the wages are not in it


def test_art104_records_the_requesting_creditor_on_the_page(meeting_case, world, client):
    agreement = executing(meeting_case, world)
    _, c = meeting_case
    client.force_login(world["users"]["judge"])
    url = f"/bankruptcy/agreements/{agreement.pk}/terminate/"
    page = client.post(url, {"reason": "债务人不履行"}, follow=True).content.decode()
    assert "第104条：经和解债权人请求" in page
    assert Agreement.objects.get(pk=agreement.pk).status == Agreement.Status.APPROVED
    page = client.post(
        url, {"reason": "债务人不履行", "requested_by": c["E"].pk}, follow=True
    ).content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED
    assert agreement.termination_requested_by == c["E"]
    assert "经和解债权人请求" in page and c["E"].name in page


def test_the_judge_changes_settings_on_the_case_page(case, world, client):
    client.force_login(world["users"]["administrator"])
    url = f"/bankruptcy/cases/{case.pk}/settings/"
    assert client.post(url, {"priority_claims": "inside"}).status_code == 403
    client.force_login(world["users"]["judge"])
    page = client.get(f"/bankruptcy/cases/{case.pk}/").content.decode()
    assert "案件设置" in page and "第59条第3款，默认" in page
    client.post(url, {"priority_claims": "inside", "administrator_fee_rate": "8"})
    case.refresh_from_db()
    assert (case.priority_claims, case.administrator_fee_rate) == ("inside", D("8"))
    assert case.secured_shortfall_votes is False
