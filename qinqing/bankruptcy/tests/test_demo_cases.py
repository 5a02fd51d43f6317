"""The demo's concluded cases hold together (issue 22, "a demo a court would believe"): pledged
assets, a fire-sale value below the appraisal, employees and taxes owed and paid per the case's
setting, a dozen or more creditors, and each case passes its own assessment — every creditor
with a term is at least as well off under the agreement as in the simulated liquidation, every
ordinary creditor strictly better."""

from decimal import Decimal
from io import StringIO

import pytest

from qinqing.bankruptcy import demo, rules, selectors
from qinqing.bankruptcy.models import (
    Agreement,
    AgreementTerm,
    Ballot,
    Case,
    Claim,
    Creditor,
    Installment,
    Payment,
)
from qinqing.core.models import AuditEntry

D = Decimal
CONCLUDED = [spec.number for spec in demo.CONCLUDED]


@pytest.fixture
def concluded(bk_demo):
    return {c.number: c for c in Case.objects.filter(number__in=CONCLUDED)}


def test_the_specs_add_up_before_anything_is_recorded():
    """Most assets pledged, secured claims close to what the collateral fetches, the free
    assets' fire-sale value well below their appraisal; every case's creditors differ."""
    for spec in demo.CONCLUDED:
        pledged = sum((b.appraised for b in spec.banks), D(0))
        assert pledged / spec.assets_appraised > D("0.5"), spec.number
        for bank in spec.banks:
            assert bank.collateral_value < bank.appraised
            assert abs(bank.claim - bank.collateral_value) / bank.collateral_value < D("0.05")
        assert spec.assets_liquidation < spec.free_appraised / 2, spec.number
        assert len({p.name for p in spec.parties}) == len(spec.parties)
    # each case lists its own employees, the voting case the last eight
    assert sum(len(s.wages) for s in demo.CONCLUDED) + 8 <= len(set(demo.EMPLOYEES))


def test_each_concluded_case_has_believable_facts(concluded):
    for number, case in concluded.items():
        assert case.is_demo and "示例" in case.debtor.name
        creditors = case.creditors.count()
        assert 12 <= creditors <= 40, (number, creditors)
        assessment = selectors.latest_assessment(case)
        secured = case.claims.filter(secured=True, waived_priority=False)
        assert secured.exists()
        collateral = sum((c.collateral_value for c in secured), D(0))
        # the whole estate in a fire sale (free assets + collateral) is well below the appraisal
        assert assessment.assets_liquidation + collateral < assessment.assets_appraised * D("0.65")
        ranks = {c.rank for c in case.claims.all()}
        assert {Claim.Rank.EMPLOYEE, Claim.Rank.TAX_SOCIAL, Claim.Rank.ORDINARY} <= ranks
        assert assessment.employees == case.claims.filter(rank=Claim.Rank.EMPLOYEE).count()
        late_fee = case.claims.get(nature=Claim.Nature.TAX_LATE_FEE)
        assert late_fee.rank == Claim.Rank.ORDINARY
        assert case.meetings.get().items.get().passed
        assert Ballot.objects.filter(item__meeting__case=case, vote="no").count() <= 1
    employees = Creditor.objects.filter(
        case__in=concluded.values(), claims__rank=Claim.Rank.EMPLOYEE
    ).values_list("name", flat=True)
    assert len(set(employees)) == len(employees)  # different people in different firms


def test_priority_claims_are_paid_as_the_case_setting_says(concluded):
    settings = {c.number: c.priority_claims for c in concluded.values()}
    assert set(settings.values()) == {"outside", "inside"}
    for case in concluded.values():
        due = list(selectors.priority_claims(case))
        assert len(due) >= 10
        agreement = case.agreements.get()
        terms = {t.creditor_id: t for t in agreement.terms.all()}
        if case.priority_claims == "outside":
            assert all(c.paid_in_full_on and c.paid_in_full_on < agreement.approved_on for c in due)
            assert not any(t.priority_amount for t in terms.values())
        else:
            for claim in due:
                term = terms[claim.creditor_id]
                assert term.priority_amount >= claim.admitted_amount
                assert selectors.term_paid(term) == term.agreed_amount


def test_the_five_cases_pass_their_own_assessment(concluded):
    for number, case in concluded.items():
        report = selectors.assessment_report(case)
        agreement = case.agreements.get()
        assert agreement.status == Agreement.Status.COMPLETED
        rows = {row.creditor_id: row for row in report.comparison}
        # one row per term: every creditor bound by the agreement is in the table
        assert {str(t.creditor_id) for t in agreement.terms.all()} <= set(rows), number
        # the liquidation bears the administrator's fee as a cost
        costs = next(r for r in report.liquidation.ranks if r.rank == rules.COSTS)
        assert report.liquidation_fee.fee > 0
        assert costs.claims == report.assessment.costs_estimate + report.liquidation_fee.fee
        ordinary = next(r for r in report.liquidation.ranks if r.rank == rules.ORDINARY_CLAIMS)
        assert ordinary.rate < D("0.8"), number  # the agreement pays 80 %
        for key, row in rows.items():
            assert row.agreement_recovery >= row.liquidation_recovery, (number, key)
        ordinary_ids = {
            str(c.pk)
            for c in case.creditors.prefetch_related("claims")
            if selectors.unsecured_confirmed(c) > 0
        }
        assert len(ordinary_ids) >= 9
        for key in ordinary_ids:
            assert rows[key].better_off, (number, report.names[key])


def test_the_assessment_counts_what_is_paid_outside_the_agreement(concluded):
    """The tax office of an "outside" case: its tax is paid in full before approval and its
    late fee (ordinary) at 80 %; the table adds both, as the agreement path pays both."""
    case = concluded["（2021）鄂0111破3号"]
    office = case.creditors.get(name=demo.TAX_OFFICE)
    row = next(
        r for r in selectors.assessment_report(case).comparison if r.creditor_id == str(office.pk)
    )
    assert row.claim == D("74400.00")  # 68,000 tax + 6,400 late fee
    assert row.agreement_recovery == D("68000.00") + D("5120.00")
    assert row.liquidation_recovery < row.agreement_recovery and row.better_off
    # inside the agreement (2023破7) the term already holds the tax: not counted twice
    case = concluded["（2023）鄂0111破7号"]
    office = case.creditors.get(name=demo.TAX_OFFICE)
    term = office.terms.get()
    assert term.agreed_amount == D("35000.00") + D("2080.00") < term.confirmed_amount
    row = next(
        r for r in selectors.assessment_report(case).comparison if r.creditor_id == str(office.pk)
    )
    assert row.agreement_recovery == term.agreed_amount and row.better_off


def test_the_assessment_page_shows_the_table(client, concluded, bk_demo):
    case = concluded["（2023）鄂0111破7号"]
    client.force_login(bk_demo["judge"])
    page = client.get(f"/bankruptcy/cases/{case.pk}/assessment/").content.decode()
    assert "和解与清算对比：债权人是否受益？" in page
    assert "武汉示例建材有限公司" in page and "国家税务总局武汉市洪山区税务局" in page
    assert 'class="bad"' not in page  # nobody is worse off


def test_the_voting_case_assessment_shows_the_draft_better_for_its_creditors(bk_demo):
    case = Case.objects.get(number=demo.VOTING_NUMBER)
    report = selectors.assessment_report(case)
    rows = {r.creditor_id: r for r in report.comparison}
    terms = {str(t.creditor_id) for t in selectors.agreement_under_vote(case).terms.all()}
    assert terms and terms <= set(rows)
    for key, row in rows.items():
        assert row.agreement_recovery >= row.liquidation_recovery
        # the employees and the tax office are paid in full either way; the rest gain
        assert row.better_off or key not in terms


def test_loading_twice_duplicates_nothing(bk_demo):
    models = (Case, Creditor, Claim, Agreement, AgreementTerm, Installment, Payment, Ballot)
    before = {m.__name__: m.objects.count() for m in models}
    entries = AuditEntry.objects.count()
    demo.load(stdout=StringIO())
    assert {m.__name__: m.objects.count() for m in models} == before
    assert AuditEntry.objects.count() == entries
    assert Case.objects.filter(is_demo=True).count() == 7


def test_the_dashboard_says_when_it_counts_demo_cases(client, bk_demo):
    client.force_login(bk_demo["judge"])
    page = client.get("/bankruptcy/dashboard/?from=2021-01-01&to=2024-12-31").content.decode()
    assert "data-demo-notice" in page and "演示数据" in page and "有 5 件是演示用的虚构案件" in page
    page = client.get("/bankruptcy/dashboard/?from=2022-01-01&to=2022-12-31").content.decode()
    assert "有 2 件是演示用的虚构案件" in page
    # a period in which no demo agreement was approved: no notice
    page = client.get("/bankruptcy/dashboard/?from=2025-01-01&to=2025-06-30").content.decode()
    assert "data-demo-notice" not in page
    Case.objects.update(is_demo=False)  # real cases: no notice either
    page = client.get("/bankruptcy/dashboard/?from=2021-01-01&to=2024-12-31").content.decode()
    assert "data-demo-notice" not in page
    assert "演示数据" not in client.get("/bankruptcy/").content.decode()


def test_a_concluded_case_has_a_committee_with_a_decision_and_an_art69_report(client, bk_demo):
    """2021破3: the meeting chose a committee (Art.67: three creditors' representatives and
    the employees' representative), the court approved it, it decided by a majority of all
    members with one dissent minuted (Art.68, Interp. III Art.14), and the administrator
    reported an Art.69 act to it ten days or more ahead (Interp. III Art.15)."""
    from qinqing.bankruptcy.models import Committee

    case = Case.objects.get(number="（2021）鄂0111破3号")
    committee = Committee.objects.get(case=case)
    kinds = list(committee.members.in_office().values_list("kind", flat=True))
    assert rules.committee_composition_problems(kinds, complete=True) == []
    assert committee.in_office and committee.meeting is not None
    decision = committee.decisions.get()
    assert decision.passed and (decision.yes, decision.no, decision.members_in_office) == (3, 1, 4)
    assert decision.votes.exclude(dissent="").count() == 1
    report = case.art69_reports.get()
    assert report.reported_to == rules.REPORT_TO_COMMITTEE and not report.late
    assert report.acknowledged_on is not None
    assert report.act_date < case.agreements.get().approved_on
    # the demo creditor's account holds a seat and sees it from its own page
    client.force_login(bk_demo["creditor"])
    assert "我参加的债权人委员会" in client.get("/bankruptcy/my/").content.decode()
    page = client.get(f"/bankruptcy/cases/{case.pk}/committee/").content.decode()
    assert "电控柜供货合同" in page and "客户回款周期过长" in page
