"""Services: statutory boundaries, the tally integration, agreement execution, audit."""

from datetime import date
from decimal import Decimal

import pytest

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import AgendaItem, Agreement, Case, Claim, Creditor, Meeting
from qinqing.bankruptcy.tests.scenarios import adopt, executing, schedule
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Notification

D = Decimal


def test_case_number_is_validated_and_normalised(world):
    users, orgs = world["users"], world["orgs"]
    kwargs = dict(
        actor=users["judge"],
        court=orgs["hs-court"],
        debtor=world["debtor"],
        judge=users["judge"],
        petition_date=date(2024, 1, 2),
        acceptance_date=date(2024, 1, 5),
    )
    for bad in [
        "2024鄂0111破1号",
        "（24）鄂0111破1号",
        "（2024）鄂0111民1号",
        "（2024）鄂0111破0号",
    ]:
        with pytest.raises(DomainError) as exc:
            services.case_create(number=bad, **kwargs)
        assert exc.value.field == "number"
    case = services.case_create(number="(2024)鄂0111破1号", **kwargs)
    assert case.number == "（2024）鄂0111破1号"
    assert case.fast_track_profile.max_creditors == 20
    with pytest.raises(DomainError):  # a creditor cannot petition for reconciliation (Art.95)
        services.case_create(
            number="（2024）鄂0111破2号", petitioner=Case.Petitioner.CREDITOR, **kwargs
        )


def test_declaration_period_bounds_art45(case, world):
    judge = world["users"]["judge"]
    with pytest.raises(DomainError) as exc:  # 29 days
        services.case_announce(
            actor=judge,
            case=case,
            announcement_date=date(2024, 3, 11),
            declaration_end=date(2024, 4, 9),
        )
    assert exc.value.field == "declaration_end"
    with pytest.raises(DomainError):  # 3 months + 1 day
        services.case_announce(
            actor=judge,
            case=case,
            announcement_date=date(2024, 3, 11),
            declaration_end=date(2024, 6, 12),
        )
    services.case_announce(
        actor=judge,
        case=case,
        announcement_date=date(2024, 3, 11),
        declaration_end=date(2024, 4, 10),
    )
    assert case.status == Case.Status.DECLARING


def test_deadlines_are_computed_with_the_holiday_calendar(world):
    users, orgs = world["users"], world["orgs"]
    case = services.case_create(
        actor=users["judge"],
        number="（2024）鄂0111破30号",
        court=orgs["hs-court"],
        debtor=world["debtor"],
        judge=users["judge"],
        petition_date=date(2024, 9, 2),
        acceptance_date=date(2024, 9, 6),
    )
    art14 = next(
        d for d in selectors.case_deadlines(case, date(2024, 9, 7)) if d.article == "第14条"
    )
    assert art14.due == date(2024, 10, 8)  # 25 days = Oct 1, National Day → first working day
    assert art14.state == ""
    art14 = next(
        d for d in selectors.case_deadlines(case, date(2024, 10, 2)) if d.article == "第14条"
    )
    assert art14.state == "warn"
    assert art14 in selectors.case_alerts(case, date(2024, 10, 2))
    art14 = next(
        d for d in selectors.case_deadlines(case, date(2024, 10, 9)) if d.article == "第14条"
    )
    assert art14.state == "bad"


def test_late_claim_is_flagged_art56(meeting_case, world):
    case, _ = meeting_case
    late = services.claim_file(
        actor=world["users"]["administrator"],
        case=case,
        creditor_name="迟到的债权人",
        principal="10",
        filed_on=date(2024, 4, 11),
    )
    on_time = services.claim_file(
        actor=world["users"]["administrator"],
        case=case,
        creditor_name="准时的债权人",
        principal="10",
        filed_on=date(2024, 4, 10),
    )
    assert late.late and not on_time.late


def test_claim_amounts_must_be_valid(meeting_case, world):
    case, _ = meeting_case
    admin = world["users"]["administrator"]
    for principal in ("-1", "abc", "0", "1.001"):
        with pytest.raises(DomainError) as exc:
            services.claim_file(actor=admin, case=case, creditor_name="某", principal=principal)
        assert exc.value.field == "principal"
    with pytest.raises(DomainError):  # employee claims are listed, not declared (Art.48)
        services.claim_file(
            actor=admin, case=case, creditor_name="某", principal="1", rank="employee"
        )


def test_meeting_notice_and_first_meeting_window(meeting_case, world):
    case, _ = meeting_case
    admin = world["users"]["administrator"]
    with pytest.raises(DomainError) as exc:  # 14 days' notice
        schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 11))
    assert exc.value.field == "notice_date"
    with pytest.raises(DomainError) as exc:  # 16 days after the declaration period
        schedule(case, admin, date=date(2024, 4, 26), notice_date=date(2024, 4, 10))
    assert exc.value.field == "date"
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    assert meeting.items.count() == 2
    assert Notification.objects.filter(
        recipient=world["users"]["creditor"], subject__contains="债权人会议通知"
    ).exists()


def test_tally_integration_boundaries(meeting_case, world):
    case, c = meeting_case
    users = world["users"]
    admin = users["administrator"]
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    recon, ordinary = meeting.items.order_by("pk")
    with pytest.raises(ConflictError):
        services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c["A"])
    services.meeting_open(actor=admin, meeting=meeting)
    with pytest.raises(ConflictError):  # must sign in first
        services.ballot_cast(actor=users["creditor"], item=recon, creditor=c["A"], vote="yes")
    for key in "ABCD":  # E is absent
        services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c[key])
    services.ballot_cast(actor=users["creditor"], item=recon, creditor=c["A"], vote="no")
    services.ballot_cast(actor=users["creditor"], item=recon, creditor=c["A"], vote="yes")  # change
    services.ballot_cast(actor=admin, item=recon, creditor=c["B"], vote="yes")
    services.ballot_cast(actor=admin, item=recon, creditor=c["C"], vote="no")
    with pytest.raises(DomainError) as exc:  # secured, not waived: no vote on the agreement
        services.ballot_cast(actor=admin, item=recon, creditor=c["D"], vote="yes")
    assert "第59条" in exc.value.message
    with pytest.raises(DomainError):
        services.ballot_cast(actor=admin, item=recon, creditor=c["B"], vote="maybe")

    tally = selectors.item_tally(recon)
    assert tally.unsecured_total == D("900.00")  # absentee E counts in U
    assert (tally.present_voters, tally.yes_voters, tally.heads_required) == (3, 2, 2)
    assert tally.yes_amount == D("600.00")  # exactly 2/3 of 900 passes
    assert tally.amount_margin == 0 and tally.passed
    assert (str(c["D"].pk), "SECURED_NOT_WAIVED") in tally.excluded

    # ordinary item: D votes with its whole claim; 2 yes of 4 present is exactly half: fails
    services.ballot_cast(actor=admin, item=ordinary, creditor=c["A"], vote="yes")
    services.ballot_cast(actor=admin, item=ordinary, creditor=c["B"], vote="yes")
    services.ballot_cast(actor=admin, item=ordinary, creditor=c["C"], vote="no")
    services.ballot_cast(actor=admin, item=ordinary, creditor=c["D"], vote="abstain")
    tally = selectors.item_tally(ordinary)
    assert (tally.present_voters, tally.yes_voters, tally.heads_required) == (4, 2, 3)
    assert tally.amount_passed and not tally.heads_passed and not tally.passed

    # without its provisional amount C has no vote: U drops to 800, 600 < 533.34? no: passes
    services.claim_set_provisional(actor=users["judge"], claim=c["C"].claims.get(), amount=None)
    tally = selectors.item_tally(recon)
    assert tally.unsecured_total == D("800.00") and tally.present_voters == 2
    assert (str(c["C"].pk), "UNCONFIRMED_NO_PROVISIONAL") in tally.excluded
    services.claim_set_provisional(actor=users["judge"], claim=c["C"].claims.get(), amount="100")

    services.meeting_close(actor=admin, meeting=meeting, on=date(2024, 4, 25))
    recon.refresh_from_db()
    ordinary.refresh_from_db()
    assert recon.passed is True and ordinary.passed is False
    assert recon.result["required_amount_display"] == "600.00"
    assert recon.result["amount_margin_display"] == "0.00"
    sent = services.meeting_results_send(actor=admin, meeting=meeting, on=date(2024, 4, 28))
    assert sent >= 1
    notice = Notification.objects.get(recipient=users["creditor"], subject__contains="表决结果")
    assert "表决和解协议：通过" in notice.body and "一般事项：未通过" in notice.body
    entry = AuditEntry.objects.filter(action="meeting.results_send").get()
    assert entry.detail["due"] == "2024-04-28" and entry.detail["late"] is False
    assert verify_chain().ok


def test_agreement_approval_execution_and_art104_termination(meeting_case, world):
    case, c = meeting_case
    users = world["users"]
    admin, judge = users["administrator"], users["judge"]
    agreement = services.agreement_draft(
        actor=admin,
        case=case,
        offers=[(c["A"], "320", ""), (c["B"], "160", ""), (c["C"], "80", ""), (c["E"], "160", "")],
    )
    with pytest.raises(DomainError):  # D has no unsecured part (collateral covers it)
        services.agreement_draft(actor=admin, case=case, offers=[(c["D"], "1", "")])
    with pytest.raises(ConflictError):  # not adopted yet (Art.97)
        services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 4, 30))
    adopt(case, c, admin)
    services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    case.refresh_from_db()
    assert case.status == Case.Status.EXECUTING and case.approval_date == date(2024, 5, 6)

    term_a = agreement.terms.get(creditor=c["A"])
    with pytest.raises(DomainError):
        services.installments_set(actor=admin, term=term_a, schedule=[(date(2024, 8, 1), "100")])
    services.installments_set(
        actor=admin, term=term_a, schedule=[(date(2024, 8, 1), "160"), (date(2024, 11, 1), "160")]
    )
    services.payment_record(actor=admin, term=term_a, amount="160", paid_on=date(2024, 8, 1))
    assert Notification.objects.filter(
        recipient=users["creditor"], subject__contains="清偿款", body__contains="160.00"
    ).exists()
    with pytest.raises(DomainError):
        services.payment_record(actor=admin, term=term_a, amount="160.01", paid_on=date(2024, 9, 1))
    with pytest.raises(ConflictError):  # not fully performed
        services.agreement_complete(actor=judge, agreement=agreement, on=date(2024, 11, 5))

    counts = services.reminders_send(today=date(2024, 11, 2))
    assert counts["overdue"] == 1
    assert Notification.objects.filter(
        recipient=users["creditor"], subject__contains="逾期"
    ).exists()
    assert services.reminders_send(today=date(2024, 11, 2))["overdue"] == 0  # once a day

    with pytest.raises(DomainError) as exc:  # Art.104: on a reconciliation creditor's request
        services.agreement_terminate(
            actor=judge, agreement=agreement, on=date(2024, 12, 1), reason="债务人不能执行协议"
        )
    assert exc.value.field == "requested_by"
    with pytest.raises(DomainError):  # D (secured, covered) has no term: not a requester
        services.agreement_terminate(
            actor=judge,
            agreement=agreement,
            on=date(2024, 12, 1),
            reason="债务人不能执行协议",
            requested_by=c["D"],
        )
    shares = services.agreement_terminate(
        actor=judge,
        agreement=agreement,
        on=date(2024, 12, 1),
        reason="债务人不能执行协议",
        requested_by=c["B"],
        distributable="100",
    )
    agreement.refresh_from_db()
    assert agreement.termination_requested_by == c["B"]
    entry = AuditEntry.objects.filter(action="agreement.terminate").latest("pk")
    assert entry.detail["requested_by"] == c["B"].name
    # A already holds 160/400 = 40%; B, C, E are raised together to 20%: A gets nothing
    assert shares == {
        c["A"].name: D("0.00"),
        "债权人B": D("40.00"),
        "债权人C": D("20.00"),
        "债权人E": D("40.00"),
    }
    case.refresh_from_db()
    assert case.status == Case.Status.TERMINATED and case.procedure == Case.Procedure.LIQUIDATION


def _unfiled_claim(case, admin, on):
    return services.claim_file(
        actor=admin, case=case, creditor_name="未申报的债权人", principal="50", filed_on=on
    )


def test_self_settlement_needs_every_creditor_then_ends_filing_art105(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = services.agreement_draft(
        actor=admin,
        case=case,
        kind=Agreement.Kind.SELF_SETTLEMENT,
        # D's claim is all secured: it takes part with nothing unsecured to settle.
        offers=[(c[k], "0" if k == "D" else "1", "") for k in "ABCDE"],
    )
    for key in "ABC":
        services.term_consent(actor=admin, term=agreement.terms.get(creditor=c[key]))
    with pytest.raises(ConflictError) as exc:  # D and E have not consented
        services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 1))
    assert exc.value.code == "not_unanimous"
    assert selectors.filing_bar(case) is None  # a draft bars nothing
    for key in "DE":
        services.term_consent(actor=admin, term=agreement.terms.get(creditor=c[key]))
    services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 1))
    with pytest.raises(ConflictError) as exc:
        _unfiled_claim(case, admin, date(2024, 5, 2))
    assert "第105条" in exc.value.message and "第100条" not in exc.value.message


def test_fast_track_decision_needs_an_eligible_assessment(meeting_case, world):
    case, _ = meeting_case
    judge = world["users"]["judge"]
    with pytest.raises(DomainError):
        services.case_decide(
            actor=judge, case=case, kind="fast_track_on", decided_on=date(2024, 4, 1), reason="快"
        )
    services.assessment_record(
        actor=judge,
        case=case,
        assets_appraised="6000000",
        assets_liquidation="500",
        pending_proceedings=True,
    )
    result = selectors.fast_track_result(case)
    assert not result.eligible and "存在未决诉讼或仲裁" in result.reasons
    with pytest.raises(DomainError):
        services.case_decide(
            actor=judge, case=case, kind="fast_track_on", decided_on=date(2024, 4, 1), reason="快"
        )
    services.assessment_record(
        actor=judge,
        case=case,
        assets_appraised="6000000",
        assets_liquidation="500",
        pending_proceedings=False,
    )
    assert selectors.fast_track_result(case).eligible  # claims 1,900 < 5,000,000
    services.case_decide(
        actor=judge, case=case, kind="fast_track_on", decided_on=date(2024, 4, 1), reason="快"
    )
    case.refresh_from_db()
    assert case.fast_track and case.decisions.count() == 1
    deadline = next(
        d for d in selectors.case_deadlines(case, date(2024, 4, 2)) if d.label == "快审审理期限"
    )
    assert deadline.due == date(2024, 9, 4)  # 6 months from 2024-03-04, a working day


def test_assessment_report_waterfall_and_better_off(meeting_case, world):
    case, c = meeting_case
    admin = world["users"]["administrator"]
    services.claim_list_employee(actor=admin, case=case, employee_name="职工", amount="150")
    services.assessment_record(
        actor=admin,
        case=case,
        assets_appraised="5000",
        assets_liquidation="450",
        costs_estimate="100",
    )
    services.agreement_draft(
        actor=admin, case=case, offers=[(c["A"], "320", ""), (c["B"], "20", "")]
    )
    report = selectors.assessment_report(case)
    ranks = {r.rank: r for r in report.liquidation.ranks}
    # estate 450 + collateral surplus 200 = 650: costs 100 and the administrator's fee (12 % of
    # 650 = 78, no rate fixed: the upper limit), employees 150, ordinary 322 of 900
    assert report.liquidation.estate == D("650.00")
    assert (report.liquidation_fee.base, report.liquidation_fee.fee) == (D("650.00"), D("78.00"))
    assert ranks["costs"].claims == D("178.00")
    assert ranks["employee"].paid == D("150.00")
    assert ranks["ordinary"].paid == D("322.00") and ranks["ordinary"].claims == D("900.00")
    # the draft pays 340, plus the employees' 150: the fee in reconciliation is on 490
    assert report.reconciliation_fee.base == D("490.00")
    assert report.reconciliation_fee.fee == D("58.80")
    rows = {r.creditor_id: r for r in report.comparison}
    a, b = rows[str(c["A"].pk)], rows[str(c["B"].pk)]
    assert a.liquidation_recovery == D("143.11") and a.better_off
    assert b.liquidation_recovery == D("71.56") and not b.better_off


def test_claims_table_needs_every_claim_reviewed(case, world):
    users = world["users"]
    services.case_announce(
        actor=users["judge"],
        case=case,
        announcement_date=date(2024, 3, 11),
        declaration_end=date(2024, 4, 10),
    )
    claim = services.claim_file(
        actor=users["administrator"],
        case=case,
        creditor_name="某",
        principal="10",
        filed_on=date(2024, 3, 12),
    )
    with pytest.raises(ConflictError):
        services.claims_table_publish(actor=users["administrator"], case=case)
    with pytest.raises(DomainError):
        services.claim_review(
            actor=users["administrator"], claim=claim, admitted_amount="11", reason="x"
        )
    with pytest.raises(DomainError):
        services.claim_review(
            actor=users["administrator"], claim=claim, admitted_amount="5", reason=" "
        )
    services.claim_review(
        actor=users["administrator"], claim=claim, admitted_amount=None, reason="无证据"
    )
    assert claim.status == Claim.Status.REJECTED
    services.claims_table_publish(actor=users["administrator"], case=case)


def test_meeting_states(meeting_case, world):
    case, _ = meeting_case
    admin = world["users"]["administrator"]
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    with pytest.raises(ConflictError):
        services.meeting_results_send(actor=admin, meeting=meeting)
    services.meeting_open(actor=admin, meeting=meeting)
    services.meeting_close(actor=admin, meeting=meeting)
    assert meeting.status == Meeting.Status.CLOSED
    assert services.reminders_send(today=date(2024, 4, 26))["results"] == 1


def test_further_meeting_needs_a_quarter_of_all_claims_art62(meeting_case, world):
    case, c = meeting_case
    creditor_user = world["users"]["creditor"]
    # all reviewed claims, secured included: 400 + 200 + 100 + 1000 + 200 = 1900; 1/4 = 475
    with pytest.raises(DomainError):
        services.meeting_request(actor=creditor_user, case=case, creditors=[c["A"]])
    assert services.meeting_request(
        actor=creditor_user, case=case, creditors=[c["A"], c["C"]]
    ) == D("500.00")
    assert Notification.objects.filter(
        recipient=world["users"]["administrator"], subject__contains="提议召开"
    ).exists()


def test_failed_vote_ends_in_bankruptcy_art99(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = services.agreement_draft(actor=admin, case=case, offers=[(c["A"], "100", "")])
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    services.meeting_open(actor=admin, meeting=meeting)
    recon = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c["A"])
    services.ballot_cast(actor=admin, item=recon, creditor=c["A"], vote="yes")  # 400 < 600
    services.meeting_close(actor=admin, meeting=meeting)
    recon.refresh_from_db()
    assert recon.passed is False and recon.result["heads_passed"] is True
    with pytest.raises(ConflictError):
        services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 4, 30))
    services.case_decide(
        actor=judge, case=case, kind="to_liquidation", decided_on=date(2024, 4, 30), reason="未通过"
    )
    agreement.refresh_from_db()
    case.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED
    assert case.status == Case.Status.BANKRUPT and case.procedure == Case.Procedure.LIQUIDATION


def test_a_name_only_creditor_is_linked_to_its_organisation(meeting_case, world):
    case, c = meeting_case
    users, orgs = world["users"], world["orgs"]
    paper = services.claim_file(
        actor=users["administrator"],
        case=case,
        creditor_name="湖北示例律师事务所",
        principal="10",
        filed_on=date(2024, 3, 25),
    )
    assert paper.creditor.organisation is None
    online = services.claim_file(
        actor=users["administrator"],
        case=case,
        creditor_name=orgs["demo-lawfirm"].name,
        organisation=orgs["demo-lawfirm"],
        principal="20",
        filed_on=date(2024, 3, 26),
    )
    assert online.creditor == paper.creditor
    paper.creditor.refresh_from_db()
    assert paper.creditor.organisation == orgs["demo-lawfirm"]
    with pytest.raises(DomainError):  # a name already held by another organisation
        services.claim_file(
            actor=users["administrator"],
            case=case,
            creditor_name=c["A"].name,
            organisation=orgs["demo-taxagent"],
            principal="1",
            filed_on=date(2024, 3, 26),
        )


def test_an_unreviewed_claim_has_no_vote_and_no_weight(meeting_case, world):
    case, _ = meeting_case
    admin = world["users"]["administrator"]
    unreviewed = services.claim_file(
        actor=admin, case=case, creditor_name="债权人F", principal="500", filed_on=date(2024, 4, 12)
    )
    assert unreviewed.admitted_amount is None and unreviewed.provisional_amount is None
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    services.meeting_open(actor=admin, meeting=meeting)
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=unreviewed.creditor)
    recon = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    with pytest.raises(DomainError):
        services.ballot_cast(actor=admin, item=recon, creditor=unreviewed.creditor, vote="no")
    tally = selectors.item_tally(recon)
    assert tally.present_voters == 0 and tally.unsecured_total == D("900.00")
    assert (str(unreviewed.creditor.pk), "UNCONFIRMED_NO_PROVISIONAL") in tally.excluded


def test_art103_void_agreement_takes_back_the_excess(meeting_case, world):
    case, c = meeting_case
    judge = world["users"]["judge"]
    agreement = executing(meeting_case, world)
    confirmed = {t.creditor.name: t.confirmed_amount for t in agreement.terms.all()}
    total = sum(confirmed.values(), Decimal(0))
    with pytest.raises(DomainError, match="欺诈"):
        services.agreement_void(actor=judge, agreement=agreement, on=date(2024, 9, 1), reason=" ")
    settled = services.agreement_void(
        actor=judge,
        agreement=agreement,
        on=date(2024, 9, 1),
        reason="债务人隐匿财产骗取和解",
        distributable="100",
    )
    # the pool is 100 + the 300 A received, shared pro rata to the confirmed claims
    level = Decimal(400) / total
    assert settled.level == level.quantize(Decimal("0.0001"))
    a_share = (confirmed[c["A"].name] * level).quantize(Decimal("0.01"))
    assert settled.to_return[c["A"].name] == Decimal("300.00") - a_share
    assert settled.to_pay[c["A"].name] == 0
    assert sum(settled.to_pay.values()) - sum(settled.to_return.values()) == Decimal("100.00")
    agreement.refresh_from_db()
    case.refresh_from_db()
    assert agreement.status == Agreement.Status.VOID and agreement.terminated_on == date(2024, 9, 1)
    assert case.status == Case.Status.TERMINATED and case.procedure == Case.Procedure.LIQUIDATION
    entry = AuditEntry.objects.get(action="agreement.void")
    assert entry.detail["previous_status"] == "approved"
    assert entry.detail["art103_to_return"] == {c["A"].name: str(settled.to_return[c["A"].name])}
    with pytest.raises(ConflictError):  # once only
        services.agreement_void(actor=judge, agreement=agreement, on=date(2024, 9, 2), reason="x")
    with pytest.raises(ConflictError):  # nothing left to pay under it
        services.payment_record(
            actor=world["users"]["administrator"],
            term=agreement.terms.get(creditor=c["A"]),
            amount="20",
            paid_on=date(2024, 9, 3),
        )
    assert verify_chain().ok


def test_art103_reaches_a_completed_agreement_and_reopens_the_case(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = executing(meeting_case, world)
    services.payment_record(
        actor=admin,
        term=agreement.terms.get(creditor=c["A"]),
        amount="20",
        paid_on=date(2024, 8, 2),
    )
    for key in "BCE":
        term = agreement.terms.get(creditor=c[key])
        services.installments_set(
            actor=admin, term=term, schedule=[(date(2024, 8, 1), str(term.agreed_amount))]
        )
        services.payment_record(
            actor=admin, term=term, amount=str(term.agreed_amount), paid_on=date(2024, 8, 1)
        )
    services.agreement_complete(actor=judge, agreement=agreement, on=date(2024, 8, 5))
    case.refresh_from_db()
    assert case.closed_date == date(2024, 8, 5)
    settled = services.agreement_void(
        actor=judge, agreement=agreement, on=date(2025, 3, 1), reason="以虚假债权操纵表决"
    )
    case.refresh_from_db()
    assert case.closed_date is None and case.status == Case.Status.TERMINATED
    # everyone was paid 80% of the confirmed claims: equal already, nothing moves
    assert set(settled.to_pay.values()) == {Decimal("0.00")}
    assert set(settled.to_return.values()) == {Decimal("0.00")}
    assert not selectors.rescued_agreements(date(2024, 1, 1), date(2025, 12, 31)).filter(
        pk=agreement.pk
    )


def test_the_agreement_page_rules_it_void(client, meeting_case, world):
    agreement = executing(meeting_case, world)
    client.force_login(world["users"]["judge"])
    url = f"/bankruptcy/agreements/{agreement.pk}/void/"
    page = client.post(url, {"reason": "", "distributable": "100"}, follow=True)
    assert "请写明欺诈或其他违法行为的事实" in page.content.decode()
    page = client.post(url, {"reason": "隐匿财产", "distributable": "100"}, follow=True)
    assert "第103条同等比例" in page.content.decode() and "退回" in page.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.VOID


def test_no_claims_while_the_approved_agreement_runs_art98_art100(meeting_case, world):
    case, _ = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = executing(meeting_case, world)  # approved 2024-05-06
    claims_before = Claim.objects.filter(case=case).count()
    with pytest.raises(ConflictError) as exc:
        _unfiled_claim(case, admin, date(2024, 6, 3))
    assert exc.value.code == "agreement_approved"
    assert "第98条" in exc.value.message and "第100条第3款" in exc.value.message
    assert Claim.objects.filter(case=case).count() == claims_before
    assert not Creditor.objects.filter(case=case, name="未申报的债权人").exists()
    with pytest.raises(ConflictError) as exc:  # no SMS code to file by phone either
        services.phone_challenge_send(case=case, phone="13900001111")
    assert exc.value.code == "agreement_approved"
    assert not selectors.accepting_claims(Case.objects.filter(pk=case.pk)).exists()

    # Art.104: the agreement is terminated and the case goes to liquidation: claims again.
    services.agreement_terminate(
        actor=judge,
        agreement=agreement,
        on=date(2024, 9, 2),
        reason="债务人不能执行协议",
        requested_by=agreement.terms.first().creditor,
    )
    case.refresh_from_db()
    assert selectors.filing_bar(case) is None
    assert _unfiled_claim(case, admin, date(2024, 9, 3)).late


def test_after_the_agreement_is_performed_the_refusal_says_art100(meeting_case, world):
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = executing(meeting_case, world)  # A has 300 of its 320
    for key, amount in (("A", "20"), ("B", "160"), ("C", "80"), ("E", "160")):
        term = agreement.terms.get(creditor=c[key])
        services.payment_record(actor=admin, term=term, amount=amount, paid_on=date(2024, 10, 8))
    services.agreement_complete(actor=judge, agreement=agreement, on=date(2024, 10, 9))
    case.refresh_from_db()
    assert case.closed_date == date(2024, 10, 9)
    with pytest.raises(ConflictError) as exc:  # not just "closed": what the creditor may do
        _unfiled_claim(case, admin, date(2024, 11, 1))
    assert "执行完毕后，可以按照和解协议规定的清偿条件" in exc.value.message


def test_the_rules_name_the_models_agreement_statuses():
    assert {Agreement.Status.APPROVED, Agreement.Status.COMPLETED} == rules.AGREEMENT_IN_FORCE
    assert set(Agreement.Status.values) >= rules.AGREEMENT_IN_FORCE


def test_draft_by_plan_with_a_small_claims_tier(meeting_case, world):
    case, c = meeting_case
    admin = world["users"]["administrator"]
    confirmed = {key: selectors.unsecured_confirmed(c[key]) for key in "ABCDE"}
    assert confirmed["D"] == 0  # all secured
    plan = rules.OfferPlan(Decimal("50"), paid_in_full_up_to=Decimal("200"))
    agreement = services.agreement_draft_by_plan(
        actor=admin, case=case, plan=plan, kind=Agreement.Kind.SELF_SETTLEMENT
    )
    terms = {t.creditor_id: t for t in agreement.terms.all()}
    expected = {
        key: Decimal("200") + (amount - 200) / 2 if amount > 200 else amount
        for key, amount in confirmed.items()
    }
    for key in "ABCDE":
        assert terms[c[key].pk].agreed_amount == expected[key]
        assert terms[c[key].pk].confirmed_amount == confirmed[key]
    # D has nothing unsecured, yet is a term of zero so that it can consent (Art.105)
    assert terms[c["D"].pk].tier == "无无财产担保债权"
    entry = AuditEntry.objects.filter(action="agreement.draft").latest("seq")
    assert Decimal(entry.detail["agreed"]) == sum(expected.values(), Decimal(0))
