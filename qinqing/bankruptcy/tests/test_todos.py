"""The bankruptcy to-do providers: the judge, the administrator and the creditor each see what
waits on them in their own cases, and another court, firm or creditor sees none of it."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from qinqing.bankruptcy import services, todos
from qinqing.bankruptcy.models import AgendaItem
from qinqing.bankruptcy.tests import scenarios
from qinqing.core.models import Organisation, RoleGrant
from qinqing.core.roles import Role

pytestmark = pytest.mark.django_db


def _by_label(items):
    return {str(i.label): i for i in items}


def _counts(items):
    return {str(i.label): i.count for i in items if i.count}


def _outsider(role, code, kind=Organisation.Kind.AGENCY):
    """An account with `role` at another organisation than the case's."""
    org = Organisation.objects.create(kind=kind, name=f"其他{code}", code=code)
    user = get_user_model().objects.create_user(f"other-{code}")
    RoleGrant.objects.create(user=user, role=role, organisation=org)
    return user


def test_the_judge_is_asked_to_approve_an_adopted_agreement(meeting_case, world):
    case, c = meeting_case
    users = world["users"]
    agreement = services.agreement_draft(
        actor=users["administrator"],
        case=case,
        offers=[(c["A"], "320", ""), (c["B"], "160", ""), (c["C"], "80", ""), (c["E"], "160", "")],
    )
    assert "待裁定认可的和解协议" not in _counts(todos.judge(users["judge"]))  # not voted yet
    scenarios.adopt(case, c, users["administrator"])
    approving = _by_label(todos.judge(users["judge"]))["待裁定认可的和解协议"]
    assert approving.count == 1 and approving.url == f"/bankruptcy/agreements/{agreement.pk}/"
    other_judge = _outsider(Role.JUDGE, "other-court", Organisation.Kind.COURT)
    assert _counts(todos.judge(other_judge)) == {}
    assert todos.judge(users["administrator"]) == []
    services.agreement_approve(actor=users["judge"], agreement=agreement, on=date(2024, 5, 6))
    assert "待裁定认可的和解协议" not in _counts(todos.judge(users["judge"]))


def test_the_administrator_sees_claims_to_review_and_the_first_meeting_to_call(case, world):
    users = world["users"]
    admin = users["administrator"]
    services.case_announce(
        actor=users["judge"],
        case=case,
        announcement_date=date(2024, 3, 11),
        declaration_end=date(2024, 4, 10),
    )
    services.claim_file(
        actor=admin,
        case=case,
        creditor_name="债权人甲",
        principal="100",
        filed_on=date(2024, 3, 20),
    )
    items = _by_label(todos.administrator(admin))
    reviewing = items["待审查的债权申报"]
    assert reviewing.count == 1 and reviewing.oldest == date(2024, 3, 20)
    assert reviewing.url == f"/bankruptcy/cases/{case.pk}/claims/"
    calling = items["待召集第一次债权人会议"]
    assert calling.count == 1 and calling.overdue  # Art.62: 15 days after 2024-04-10
    assert calling.url == f"/bankruptcy/cases/{case.pk}/#m-kind"  # the scheduling form
    assert _by_label(todos.judge(users["judge"]))["尚未召开第一次债权人会议的案件"].count == 1
    assert _counts(todos.administrator(_outsider(Role.ADMINISTRATOR, "other-lawfirm"))) == {}


def test_the_administrator_sees_an_instalment_not_fully_paid(meeting_case, world):
    agreement = scenarios.executing(meeting_case, world)  # A: 320 due 2024-08-01, 300 paid
    late = _by_label(todos.administrator(world["users"]["administrator"]))["逾期未足额清偿的债权人"]
    assert late.count == 1 and late.due == date(2024, 8, 1) and late.overdue
    term = agreement.terms.get(creditor=meeting_case[1]["A"])
    services.payment_record(
        actor=world["users"]["administrator"], term=term, amount="20", paid_on=date(2024, 8, 2)
    )
    assert "逾期未足额清偿的债权人" not in _counts(
        todos.administrator(world["users"]["administrator"])
    )


def test_the_creditor_sees_its_votes_and_payments_only(meeting_case, world):
    case, c = meeting_case
    users = world["users"]
    admin, creditor = users["administrator"], users["creditor"]  # creditor speaks for A
    meeting = scenarios.schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    assert _by_label(todos.creditor(creditor))["即将召开的债权人会议"].count == 0  # in the past
    services.meeting_open(actor=admin, meeting=meeting)
    votes = _by_label(todos.creditor(creditor))["待表决的事项"]
    assert votes.count == 2 and votes.url == f"/bankruptcy/meetings/{meeting.pk}/"
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c["A"])
    recon = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    services.ballot_cast(actor=admin, item=recon, creditor=c["A"], vote="yes")
    assert _by_label(todos.creditor(creditor))["待表决的事项"].count == 1
    other = _outsider(Role.CREDITOR, "other-supplier")
    assert todos.creditor(other) == []
    assert todos.creditor(users["judge"]) == []


def test_the_creditor_is_asked_to_confirm_a_payment(meeting_case, world):
    scenarios.executing(meeting_case, world)
    payments = _by_label(todos.creditor(world["users"]["creditor"]))["待确认收款的清偿款"]
    assert payments.count == 1 and payments.oldest == date(2024, 8, 1)
    assert payments.url == "/bankruptcy/my/"
