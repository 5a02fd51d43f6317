"""Art.113 para.3 (directors', supervisors' and senior managers' wages capped at the employees'
average in the employee class) and subordinated claims (法〔2018〕53号 §28; tax late fees are
ordinary): the rules at their boundaries, then the assessment, the bases and the vote."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import Claim
from qinqing.bankruptcy.rules import LiquidationInput, RuleError
from qinqing.bankruptcy.tests.scenarios import schedule
from qinqing.core.errors import ConflictError, DomainError

D = Decimal
INVARIANTS = settings(derandomize=True, max_examples=200, deadline=None)
cents = st.integers(min_value=0, max_value=10**9).map(lambda n: D(n).scaleb(-2))


# ------------------------------------------------------------------------------------------
# Art.113 para.3
# ------------------------------------------------------------------------------------------


def test_senior_wage_at_the_average_is_all_employee_class_one_cent_above_is_ordinary() -> None:
    assert rules.senior_manager_wage_split(D("30000.00"), D("5000.00"), D("6")) == (
        D("30000.00"),
        D("0.00"),
    )
    assert rules.senior_manager_wage_split(D("30000.01"), D("5000.00"), D("6")) == (
        D("30000.00"),
        D("0.01"),
    )
    assert rules.senior_manager_wage_split(D("29999.99"), D("5000.00"), D("6")) == (
        D("29999.99"),
        D("0.00"),
    )


def test_senior_wage_cap_for_part_months_is_rounded_down() -> None:
    # 5,000.01 × 0.5 = 2,500.005: the employee class takes 2,500.00, never a fraction of a cent
    assert rules.senior_manager_wage_split(D("9000.00"), D("5000.01"), D("0.5")) == (
        D("2500.00"),
        D("6500.00"),
    )


@pytest.mark.parametrize(
    ("amount", "average", "months"),
    [
        (D("1.00"), D("1.00"), D("0")),
        (D("1.00"), D("1.00"), D("-1")),
        (D("1.00"), D("-1.00"), D("1")),
        (D("1.001"), D("1.00"), D("1")),
        (D("1.00"), D("1.00"), 1.5),
    ],
)
def test_senior_wage_split_rejects_bad_input(amount, average, months) -> None:
    with pytest.raises(RuleError):
        rules.senior_manager_wage_split(amount, average, months)


@INVARIANTS
@given(cents, cents, st.integers(min_value=1, max_value=240).map(lambda n: D(n) / 10))
def test_senior_wage_split_adds_up_and_never_exceeds_the_cap(amount, average, months) -> None:
    employee, ordinary = rules.senior_manager_wage_split(amount, average, months)
    assert employee + ordinary == amount
    assert 0 <= employee <= average * months and ordinary >= 0
    assert employee == min(amount, (average * months).quantize(D("0.01"), rounding="ROUND_DOWN"))


# ------------------------------------------------------------------------------------------
# Subordinated claims and tax late fees
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "nature", "expected"),
    [
        ("ordinary", "", rules.ORDINARY_CLAIMS),
        ("employee", "", rules.EMPLOYEE),
        ("tax_social", "", rules.SOCIAL_INSURANCE_TAX),
        ("tax_social", "tax_late_fee", rules.ORDINARY_CLAIMS),  # not with the tax
        ("ordinary", "tax_late_fee", rules.ORDINARY_CLAIMS),
        ("ordinary", "penalty", rules.SUBORDINATED),
        ("tax_social", "penalty", rules.SUBORDINATED),
        ("ordinary", "court_subordinated", rules.SUBORDINATED),
    ],
)
def test_liquidation_class(rank, nature, expected) -> None:
    assert rules.liquidation_class(rank, nature) == expected


def test_liquidation_class_rejects_unknown_values() -> None:
    with pytest.raises(RuleError):
        rules.liquidation_class("secured", "")
    with pytest.raises(RuleError):
        rules.liquidation_class("ordinary", "interest")


def _liquidate(free: str) -> rules.Liquidation:
    """Taxes 100, ordinary 300 plus a tax late fee of 100 (ordinary), a fine of 50."""
    return rules.simulate_liquidation(
        LiquidationInput(
            free_assets=D(free),
            social_insurance_and_taxes={"tax": D("100.00")},
            ordinary_claims={"a": D("300.00"), "late_fee": D("100.00")},
            subordinated_claims={"fine": D("50.00")},
        )
    )


def test_subordinated_claims_are_paid_only_after_every_ordinary_claim() -> None:
    exact = _liquidate("500.00")  # tax 100 + ordinary 400: nothing left
    ranks = {r.rank: r for r in exact.ranks}
    assert ranks[rules.ORDINARY_CLAIMS].paid == D("400.00")
    assert ranks[rules.SUBORDINATED].paid == D("0.00")
    one_cent = {r.rank: r for r in _liquidate("500.01").ranks}
    assert one_cent[rules.SUBORDINATED].paid == D("0.01")
    short = {r.rank: r for r in _liquidate("499.99").ranks}
    assert short[rules.ORDINARY_CLAIMS].paid == D("399.99")
    assert short[rules.SUBORDINATED].paid == D("0.00")
    full = _liquidate("600.00")
    assert full.creditors["fine"].recovery == D("50.00") and full.leftover == D("50.00")
    assert [r.rank for r in full.ranks][-2:] == [rules.ORDINARY_CLAIMS, rules.SUBORDINATED]


@INVARIANTS
@given(cents, cents, cents, cents)
def test_subordinated_get_nothing_while_ordinary_claims_are_short(free, ordinary, sub, tax) -> None:
    result = rules.simulate_liquidation(
        LiquidationInput(
            free_assets=free,
            social_insurance_and_taxes={"t": tax},
            ordinary_claims={"o": ordinary},
            subordinated_claims={"s": sub} if sub else {},
        )
    )
    ranks = {r.rank: r for r in result.ranks}
    if sub and ranks[rules.SUBORDINATED].paid > 0:
        assert ranks[rules.ORDINARY_CLAIMS].paid == ordinary
        assert ranks[rules.SOCIAL_INSURANCE_TAX].paid == tax
    assert sum((r.paid for r in result.ranks), D(0)) + result.leftover == free


# ------------------------------------------------------------------------------------------
# The case: assessment, bases, the vote and the agreement
# ------------------------------------------------------------------------------------------


@pytest.fixture
def assessed(meeting_case, world):
    case, c = meeting_case
    services.assessment_record(
        actor=world["users"]["administrator"],
        case=case,
        assessed_on=date(2024, 4, 12),
        assets_appraised="5000",
        assets_liquidation="1000",
        average_monthly_wage="50",
    )
    return case, c


def test_a_senior_managers_wage_above_the_average_is_ordinary_in_the_assessment(
    assessed, world, client
) -> None:
    case, _ = assessed
    admin = world["users"]["administrator"]
    with pytest.raises(DomainError) as exc:  # the months owed are needed for the average
        services.claim_list_employee(
            actor=admin, case=case, employee_name="总经理王示例", amount="400", senior_manager=True
        )
    assert exc.value.field == "wage_months"
    services.claim_list_employee(
        actor=admin,
        case=case,
        employee_name="总经理王示例",
        amount="400.00",
        senior_manager=True,
        wage_months="6",
    )  # average 50 × 6 = 300 in the employee class, 100 ordinary
    services.claim_list_employee(actor=admin, case=case, employee_name="职工", amount="120")
    report = selectors.assessment_report(case)
    ranks = {r.rank: r for r in report.liquidation.ranks}
    assert ranks[rules.EMPLOYEE].claims == D("420.00")  # 300 + 120
    bases = selectors.case_bases(case)
    assert bases.amount("employee") == D("420.00")
    assert bases.amount("senior_excess") == D("100.00")
    assert ranks[rules.ORDINARY_CLAIMS].claims == bases.amount("liquidation_ordinary")
    assert any("第113条第3款" in note for note in report.split_notes)
    client.force_login(world["users"]["judge"])
    page = client.get(f"/bankruptcy/cases/{case.pk}/assessment/").content.decode()
    assert "第113条第3款" in page and "董事、监事和高级管理人员工资" in page


def test_a_senior_managers_wage_within_the_average_stays_employee(assessed, world) -> None:
    case, _ = assessed
    services.claim_list_employee(
        actor=world["users"]["administrator"],
        case=case,
        employee_name="监事",
        amount="300.00",
        senior_manager=True,
        wage_months="6",
    )
    bases = selectors.case_bases(case)
    assert (bases.amount("employee"), bases.amount("senior_excess")) == (D("300.00"), D("0.00"))


def test_a_court_subordinated_claim_leaves_the_vote_and_the_agreement(assessed, world) -> None:
    case, c = assessed
    judge, admin = world["users"]["judge"], world["users"]["administrator"]
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    recon = meeting.items.get(kind="reconciliation")
    before = selectors.item_tally(recon).unsecured_total
    claim_e = c["E"].claims.get()
    with pytest.raises(DomainError):
        services.claim_subordinate(actor=judge, claim=claim_e, reason="  ")
    services.claim_subordinate(actor=judge, claim=claim_e, reason="关联方滥用控制地位形成的债权")
    with pytest.raises(ConflictError):
        services.claim_subordinate(actor=judge, claim=claim_e, reason="再次")
    assert selectors.item_tally(recon).unsecured_total == before - D("200.00")
    assert selectors.voter_for(c["E"], present=True, vote=None) is None
    assert selectors.unsecured_confirmed(c["E"]) == 0
    bases = selectors.case_bases(case)
    assert bases.amount("subordinated") == D("200.00")
    report = selectors.assessment_report(case)
    ranks = {r.rank: r for r in report.liquidation.ranks}
    assert ranks[rules.SUBORDINATED].claims == D("200.00")
    assert ranks[rules.ORDINARY_CLAIMS].claims == bases.amount("liquidation_ordinary")
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=rules.OfferPlan(rate=D("50"))
    )
    assert not agreement.terms.filter(creditor=c["E"]).exists()
    with pytest.raises(ConflictError):  # with a draft on the table the court cannot reorder
        services.claim_subordinate(actor=judge, claim=c["B"].claims.get(), reason="理由")


def test_a_filed_penalty_is_subordinated_and_a_late_fee_is_ordinary(assessed, world) -> None:
    case, _ = assessed
    admin = world["users"]["administrator"]
    penalty = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="某市场监督管理局",
        principal="80",
        nature=Claim.Nature.PENALTY,
        filed_on=date(2024, 4, 12),
    )
    late_fee = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="某税务局",
        principal="30",
        rank=Claim.Rank.TAX_SOCIAL,
        nature=Claim.Nature.TAX_LATE_FEE,
        filed_on=date(2024, 4, 12),
    )
    report = selectors.assessment_report(case)
    ranks = {r.rank: r for r in report.liquidation.ranks}
    assert report.liquidation.creditors[str(penalty.creditor_id)].claim == D("80.00")
    assert ranks[rules.SUBORDINATED].claims == D("80.00")
    bases = selectors.case_bases(case)
    assert bases.amount("filed") == D("30.00")  # the late fee, as an ordinary claim
    assert ranks[rules.ORDINARY_CLAIMS].claims == bases.amount("liquidation_ordinary")
    assert late_fee.rank == Claim.Rank.ORDINARY


# ------------------------------------------------------------------------------------------
# Art.113 para.3 under the default setting "outside": the part above the average is an
# ordinary claim that votes and is in the agreement; only the capped part is paid outside
# ------------------------------------------------------------------------------------------


def _senior(case, world, amount: str):
    """A senior manager's wage claim of ``amount`` for 6 months (average 50: cap 300), listed
    and confirmed with the others."""
    claim = services.claim_list_employee(
        actor=world["users"]["administrator"],
        case=case,
        employee_name="总经理王示例",
        amount=amount,
        senior_manager=True,
        wage_months="6",
    )
    services.claims_confirm(actor=world["users"]["judge"], case=case)
    claim.refresh_from_db()
    return claim


@pytest.mark.parametrize(
    ("wage", "ordinary"), [("300.00", "0.00"), ("300.01", "0.01"), ("299.99", "0.00")]
)
def test_a_senior_managers_ordinary_part_votes_from_one_fen_above_the_average(
    assessed, world, wage, ordinary
) -> None:
    case, _ = assessed
    claim = _senior(case, world, wage)
    meeting = schedule(
        case, world["users"]["administrator"], date=date(2024, 4, 25), notice_date=date(2024, 4, 10)
    )
    recon = meeting.items.get(kind="reconciliation")
    voter = selectors.voter_for(claim.creditor, present=True, vote="yes")
    assert selectors.unsecured_confirmed(claim.creditor) == D(ordinary)
    assert selectors.priority_amount(claim.creditor) == D(wage) - D(ordinary)
    assert selectors.item_tally(recon).unsecured_total == D("900.00") + D(ordinary)
    bases = selectors.case_bases(case)
    assert bases.amount("senior_excess") == D(ordinary)
    assert bases.amount("confirmed") == D("800.00") + D(ordinary)
    if ordinary == "0.00":
        assert voter is None
    else:
        assert voter.amount == D(ordinary) and voter.confirmed
        assert rules.exclusion_reason("reconciliation", voter) is None


def test_outside_the_senior_managers_excess_is_in_the_agreement_and_only_the_cap_is_due(
    assessed, world, client
) -> None:
    from qinqing.bankruptcy.models import Agreement
    from qinqing.bankruptcy.tests.scenarios import adopt
    from qinqing.core.models import AuditEntry

    case, c = assessed
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    claim = _senior(case, world, "400.00")  # 300 employee class, 100 ordinary
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=rules.OfferPlan(rate=D("80"))
    )
    term = agreement.terms.get(creditor=claim.creditor)
    assert (term.confirmed_amount, term.agreed_amount, term.priority_amount) == (
        D("100.00"),
        D("80.00"),
        D("0.00"),
    )
    bases = selectors.case_bases(case)
    total = sum((t.confirmed_amount for t in agreement.terms.all()), D(0))
    assert total == bases.amount("agreement_basis") == D("1000.00")
    report = selectors.assessment_report(case)
    ranks = {r.rank: r for r in report.liquidation.ranks}
    assert ranks[rules.ORDINARY_CLAIMS].claims == bases.amount("liquidation_ordinary")
    assert ranks[rules.EMPLOYEE].claims == D("300.00")
    meeting = adopt(case, c, admin)
    recon = meeting.items.get(kind="reconciliation")
    assert D(recon.result["unsecured_total"]) == D("1000.00")  # the senior's 100 is in U
    with pytest.raises(ConflictError) as exc:
        services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    assert exc.value.code == "priority_unpaid"
    assert "300.00" in exc.value.message and "400.00" not in exc.value.message
    services.claim_priority_paid(actor=admin, claim=claim, on=date(2024, 5, 2))
    entry = AuditEntry.objects.filter(action="claim.priority_paid").latest("pk")
    assert entry.detail["amount"] == "300.00" and entry.detail["ordinary_part"] == "100.00"
    services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    assert Agreement.objects.get(pk=agreement.pk).status == Agreement.Status.APPROVED
    # the pages show the split: the claims register, the meeting's bases, the agreement's term
    client.force_login(judge)
    page = client.get(f"/bankruptcy/cases/{case.pk}/claims/").content.decode()
    assert "data-art113-split" in page and "100.00" in page and "300.00" in page
    page = client.get(f"/bankruptcy/meetings/{meeting.pk}/").content.decode()
    assert 'data-basis="senior_excess"' in page
    page = client.get(f"/bankruptcy/agreements/{agreement.pk}/").content.decode()
    assert "data-senior-excess" in page and "第113条第3款" in page


def test_inside_the_senior_managers_cap_is_paid_in_full_and_the_excess_at_the_rate(
    assessed, world
) -> None:
    case, _c = assessed
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    services.case_settings_update(actor=judge, case=case, priority_claims="inside")
    claim = _senior(case, world, "400.00")
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=rules.OfferPlan(rate=D("80"))
    )
    term = agreement.terms.get(creditor=claim.creditor)
    # 300 in full (employee class) + 80 % of the ordinary 100
    assert (term.confirmed_amount, term.agreed_amount, term.priority_amount) == (
        D("400.00"),
        D("380.00"),
        D("300.00"),
    )
    bases = selectors.case_bases(case)
    assert bases.amount("priority_in_agreement") == D("300.00")
    total = sum((t.confirmed_amount for t in agreement.terms.all()), D(0))
    assert total == bases.amount("agreement_basis") == D("1300.00")
