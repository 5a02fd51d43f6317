"""Shared scenarios of the bankruptcy tests: a case with reviewed and confirmed claims, a
creditors' meeting, an agreement being performed (built through the services, as users would)."""

from datetime import date

from qinqing.bankruptcy import services
from qinqing.bankruptcy.models import AgendaItem
from qinqing.core.models import Notification


def reconciliation_claims(case, world):
    """Announced 2024-03-11, declaration end 2024-04-10; claims reviewed and confirmed.

    A (demo-supplier) 400, B 200, C 100 disputed (provisional 100), D secured 1000 on collateral
    1200 not waived, E 200. U = 400 + 200 + 100 + 200 = 900.
    """
    users, orgs = world["users"], world["orgs"]
    judge, admin = users["judge"], users["administrator"]
    services.case_announce(
        actor=judge,
        case=case,
        announcement_date=date(2024, 3, 11),
        declaration_end=date(2024, 4, 10),
    )
    claims = {
        "A": services.claim_file(
            actor=users["creditor"],
            case=case,
            creditor_name=orgs["demo-supplier"].name,
            organisation=orgs["demo-supplier"],
            principal="380",
            interest="20",
            filed_on=date(2024, 3, 20),
        )
    }
    for key, amount in (("B", "200"), ("C", "100"), ("E", "200")):
        claims[key] = services.claim_file(
            actor=admin,
            case=case,
            creditor_name=f"债权人{key}",
            principal=amount,
            filed_on=date(2024, 3, 20),
        )
    claims["D"] = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="示例银行",
        principal="1000",
        secured=True,
        collateral_value="1200",
        filed_on=date(2024, 3, 20),
    )
    for claim in claims.values():
        services.claim_review(
            actor=admin, claim=claim, admitted_amount=claim.declared_amount, reason="证据充分"
        )
    assert Notification.objects.filter(
        recipient=users["creditor"], subject__contains="债权审查结果"
    ).exists()
    services.claim_object(actor=admin, claim=claims["C"], text="金额有争议")
    services.claims_table_publish(actor=admin, case=case, on=date(2024, 4, 11))
    assert services.claims_confirm(actor=judge, case=case) == {"confirmed": 4, "disputed": 1}
    services.claim_set_provisional(actor=judge, claim=claims["C"], amount="100")
    return case, {k: c.creditor for k, c in claims.items()}


def schedule(case, admin, **kwargs):
    return services.meeting_schedule(
        actor=admin,
        case=case,
        items=[
            ("表决和解协议", AgendaItem.Kind.RECONCILIATION),
            ("一般事项", AgendaItem.Kind.ORDINARY),
        ],
        **kwargs,
    )


def adopt(case, c, admin):
    """A first meeting on 2024-04-25 (noticed 2024-04-10) where A, B and E sign in and vote
    for the reconciliation agreement: adopted (Art.97: all 3 present vote yes, holding 800 of
    the 900 unsecured)."""
    meeting = schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    services.meeting_open(actor=admin, meeting=meeting)
    recon = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    for key in "ABE":
        services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c[key])
        services.ballot_cast(actor=admin, item=recon, creditor=c[key], vote="yes")
    services.meeting_close(actor=admin, meeting=meeting)
    return meeting


def executing(meeting_case, world):
    """An approved agreement with A paid 300 of its agreed 320 (A: 400 confirmed)."""
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    agreement = services.agreement_draft(
        actor=admin,
        case=case,
        offers=[(c["A"], "320", ""), (c["B"], "160", ""), (c["C"], "80", ""), (c["E"], "160", "")],
    )
    adopt(case, c, admin)
    services.agreement_approve(actor=judge, agreement=agreement, on=date(2024, 5, 6))
    term_a = agreement.terms.get(creditor=c["A"])
    services.installments_set(actor=admin, term=term_a, schedule=[(date(2024, 8, 1), "320")])
    services.payment_record(actor=admin, term=term_a, amount="300", paid_on=date(2024, 8, 1))
    return agreement
