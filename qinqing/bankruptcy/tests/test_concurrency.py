"""Concurrent writers: money never exceeds the agreement, a confirmation is audited once, no
ballot is accepted after its item is closed, a duplicate sign-in is answered, not a 500.

The races run with real threads against PostgreSQL (SQLite serialises writers, so there they
are skipped); the sequential tests of the same invariants run on both databases.
"""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.test import Client

from qinqing.bankruptcy import selectors, services
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Attendance,
    Ballot,
    Case,
    Creditor,
    Meeting,
    Payment,
)
from qinqing.bankruptcy.tests import scenarios
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry
from qinqing.core.testing import needs_concurrent_writers, race

WORKERS = 6


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _audits(action: str, obj) -> int:
    return AuditEntry.objects.filter(action=action, object_id=str(obj.pk)).count()


@pytest.fixture
def term_b(meeting_case, world):
    """B's term of an approved agreement (160 agreed, nothing paid yet)."""
    agreement = scenarios.executing(meeting_case, world)
    return agreement.terms.select_related("creditor").get(creditor__name="债权人B")


# --- money ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_of_the_full_amount_record_it_once(term_b, world):
    needs_concurrent_writers()
    url = f"/api/v1/bankruptcy/terms/{term_b.pk}/payments"
    clients = [_client(world["users"]["administrator"]) for _ in range(WORKERS)]
    body = {"amount": str(term_b.agreed_amount), "paid_on": "2024-08-01"}

    results = race(WORKERS, lambda i: _post(clients[i], url, body))

    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [400] * (WORKERS - 1), statuses
    refused = [r.json() for r in results if r.status_code == 400]
    assert all(r["field"] == "amount" and "协议清偿额" in r["detail"] for r in refused)
    paid = term_b.payments.aggregate(s=Sum("amount"))["s"]
    assert paid == term_b.agreed_amount == Decimal("160.00")
    term_b.refresh_from_db()
    assert term_b.paid_amount == paid
    assert AuditEntry.objects.filter(action="payment.record").count() == 2  # A's 300 and B's


def test_payments_never_exceed_the_agreed_amount(term_b, world):
    """The sequential form of the race above, on both databases: the maintained paid total
    follows each payment and a database constraint refuses any total above the agreed."""
    admin = world["users"]["administrator"]
    services.payment_record(actor=admin, term=term_b, amount="100", paid_on=date(2024, 8, 1))
    services.payment_record(actor=admin, term=term_b, amount="60", paid_on=date(2024, 8, 2))
    with pytest.raises(DomainError) as exc:
        services.payment_record(actor=admin, term=term_b, amount="0.01", paid_on=date(2024, 8, 3))
    assert exc.value.field == "amount"
    term_b.refresh_from_db()
    assert term_b.paid_amount == Decimal("160.00") == term_b.agreed_amount
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementTerm.objects.filter(pk=term_b.pk).update(paid_amount=F("paid_amount") + 1)


def test_a_payment_cannot_be_dated_after_today(term_b, world, client):
    admin = world["users"]["administrator"]
    with pytest.raises(DomainError) as exc:
        services.payment_record(actor=admin, term=term_b, amount="1", paid_on=date(9999, 12, 31))
    assert exc.value.field == "paid_on" and "不能晚于今天" in exc.value.message
    client.force_login(admin)
    url = f"/api/v1/bankruptcy/terms/{term_b.pk}/payments"
    response = _post(client, url, {"amount": "1", "paid_on": "9999-12-31"})
    assert response.status_code == 400 and response.json()["field"] == "paid_on"
    assert not term_b.payments.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_of_one_payment_are_audited_once(term_b, world):
    needs_concurrent_writers()
    admin, creditor = world["users"]["administrator"], world["users"]["creditor"]
    payment = services.payment_record(
        actor=admin, term=term_b, amount="10", paid_on=date(2024, 8, 1)
    )

    def confirm(i):
        stale = Payment.objects.select_related("term__agreement__case").get(pk=payment.pk)
        return services.payment_confirm_receipt(actor=creditor, payment=stale)

    results = race(WORKERS, confirm)

    confirmed = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(confirmed) == 1 and len(refused) == WORKERS - 1, results
    assert _audits("payment.confirm_receipt", payment) == 1


def test_a_confirmation_from_a_stale_page_is_refused_and_not_audited(term_b, world):
    """Two requests that both loaded the payment unconfirmed, one after the other."""
    admin, creditor = world["users"]["administrator"], world["users"]["creditor"]
    payment = services.payment_record(
        actor=admin, term=term_b, amount="10", paid_on=date(2024, 8, 1)
    )
    first, second = Payment.objects.get(pk=payment.pk), Payment.objects.get(pk=payment.pk)
    services.payment_confirm_receipt(actor=creditor, payment=first)
    with pytest.raises(ConflictError):
        services.payment_confirm_receipt(actor=creditor, payment=second)
    assert second.receipt_confirmed_on == first.receipt_confirmed_on  # the stored date
    assert _audits("payment.confirm_receipt", payment) == 1


# --- votes ----------------------------------------------------------------------------------


@pytest.fixture
def open_meeting(meeting_case, world):
    """The first meeting open, with A, B, C and E (the reconciliation voters) signed in."""
    case, c = meeting_case
    admin = world["users"]["administrator"]
    meeting = scenarios.schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    services.meeting_open(actor=admin, meeting=meeting)
    for key in "ABCE":
        services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c[key])
    return meeting, c


def _no_ballot_after_close(item: AgendaItem) -> None:
    """The stored result is the tally of the stored ballots, and no vote is audited after the
    item's close."""
    item.refresh_from_db()
    assert not item.is_open
    assert item.result == selectors.tally_as_dict(selectors.item_tally(item))
    closed = AuditEntry.objects.get(action="meeting.item_close", object_id=str(item.pk)).seq
    late = AuditEntry.objects.filter(action="meeting.vote", seq__gt=closed)
    assert not [e.detail for e in late if e.detail.get("item") == item.pk]


@pytest.mark.django_db(transaction=True)
def test_ballots_racing_the_close_are_counted_or_refused(open_meeting, world):
    needs_concurrent_writers()
    meeting, c = open_meeting
    admin = world["users"]["administrator"]
    item = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    voters = [c[key] for key in "ABCE"]

    def work(i):
        if i == len(voters):
            return services.meeting_close(actor=admin, meeting=Meeting.objects.get(pk=meeting.pk))
        for n in range(200):  # each voter keeps changing its vote until the item is closed
            try:
                services.ballot_cast(
                    actor=admin, item=item, creditor=voters[i], vote=("yes", "no")[n % 2]
                )
            except ConflictError:
                return n  # ballots accepted before the close
        return RuntimeError("the item was never closed")

    results = race(len(voters) + 1, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    _no_ballot_after_close(item)
    assert Ballot.objects.filter(item=item).count() <= len(voters)


def test_a_ballot_after_the_close_is_refused(open_meeting, world):
    meeting, c = open_meeting
    admin = world["users"]["administrator"]
    item = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    services.ballot_cast(actor=admin, item=item, creditor=c["A"], vote="yes")
    services.meeting_close(actor=admin, meeting=meeting)
    with pytest.raises(ConflictError):
        services.ballot_cast(actor=admin, item=item, creditor=c["B"], vote="yes")
    _no_ballot_after_close(item)
    assert item.result["yes_voters"] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ins_are_one_attendance_and_no_error(meeting_case, world):
    needs_concurrent_writers()
    case, c = meeting_case
    admin, creditor = world["users"]["administrator"], world["users"]["creditor"]
    meeting = scenarios.schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    services.meeting_open(actor=admin, meeting=meeting)
    url = f"/api/v1/bankruptcy/meetings/{meeting.pk}/sign-in"
    clients = [_client(creditor) for _ in range(WORKERS)]

    results = race(WORKERS, lambda i: _post(clients[i], url, {}))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert [r.status_code for r in results] == [200] * WORKERS
    attendance = Attendance.objects.get(meeting=meeting, creditor=c["A"])
    assert {r.json()["signed_in_at"] for r in results} == {attendance.signed_in_at.isoformat()}
    assert _audits("meeting.sign_in", attendance) == 1


def test_a_repeated_sign_in_returns_the_first(meeting_case, world):
    case, c = meeting_case
    admin = world["users"]["administrator"]
    meeting = scenarios.schedule(case, admin, date=date(2024, 4, 25), notice_date=date(2024, 4, 10))
    services.meeting_open(actor=admin, meeting=meeting)
    first = services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c["A"])
    again = services.attendance_sign_in(actor=admin, meeting=meeting, creditor=c["A"])
    assert again.pk == first.pk and _audits("meeting.sign_in", first) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(meeting=meeting, creditor=c["A"], signed_in_at=first.signed_in_at)


# --- every other checked state transition -----------------------------------------------------


def _announce(case, world):
    return "case.announce", lambda: services.case_announce(
        actor=world["users"]["judge"],
        case=Case.objects.get(pk=case.pk),
        announcement_date=date(2024, 3, 11),
        declaration_end=date(2024, 4, 10),
    )


def _draft(case, world):
    case, c = scenarios.reconciliation_claims(case, world)
    users = world["users"]
    offers = [(c["A"], "320", ""), (c["B"], "160", "")]
    return "agreement.draft", lambda: services.agreement_draft(
        actor=users["administrator"], case=Case.objects.get(pk=case.pk), offers=offers
    )


def _open(case, world):
    case, _ = scenarios.reconciliation_claims(case, world)
    users = world["users"]
    meeting = scenarios.schedule(
        case, users["administrator"], date=date(2024, 4, 25), notice_date=date(2024, 4, 10)
    )
    return "meeting.open", lambda: services.meeting_open(
        actor=users["administrator"], meeting=Meeting.objects.get(pk=meeting.pk)
    )


def _results(case, world):
    case, c = scenarios.reconciliation_claims(case, world)
    users = world["users"]
    meeting = scenarios.adopt(case, c, users["administrator"])
    return "meeting.results_send", lambda: services.meeting_results_send(
        actor=users["administrator"], meeting=Meeting.objects.get(pk=meeting.pk)
    )


def _adopted_draft(case, world) -> Agreement:
    """A draft paying A 320, adopted by the first meeting."""
    case, c = scenarios.reconciliation_claims(case, world)
    admin = world["users"]["administrator"]
    agreement = services.agreement_draft(actor=admin, case=case, offers=[(c["A"], "320", "")])
    scenarios.adopt(case, c, admin)
    return agreement


def _approve(case, world):
    agreement = _adopted_draft(case, world)
    return "agreement.approve", lambda: services.agreement_approve(
        actor=world["users"]["judge"],
        agreement=Agreement.objects.get(pk=agreement.pk),
        on=date(2024, 5, 6),
    )


def _complete(case, world):
    agreement = _adopted_draft(case, world)
    users = world["users"]
    services.agreement_approve(actor=users["judge"], agreement=agreement, on=date(2024, 5, 6))
    services.payment_record(
        actor=users["administrator"],
        term=agreement.terms.get(),
        amount="320",
        paid_on=date(2024, 8, 1),
    )
    return "agreement.complete", lambda: services.agreement_complete(
        actor=users["judge"], agreement=Agreement.objects.get(pk=agreement.pk), on=date(2024, 9, 1)
    )


def _terminate(case, world):
    case, c = scenarios.reconciliation_claims(case, world)
    users = world["users"]
    agreement = scenarios.executing((case, c), world)
    return "agreement.terminate", lambda: services.agreement_terminate(
        actor=users["judge"],
        agreement=Agreement.objects.get(pk=agreement.pk),
        on=date(2024, 9, 1),
        reason="债务人不履行和解协议",
        requested_by=c["B"],
    )


def _proxy(case, world):
    case, c = scenarios.reconciliation_claims(case, world)
    users = world["users"]
    lawyer = users["creditor"]  # an account with the creditor role
    return "proxy.register", lambda: services.proxy_register(
        actor=users["administrator"],
        creditor=Creditor.objects.get(pk=c["B"].pk),
        user=lawyer,
        name="王律师",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "transition",
    [_announce, _draft, _open, _results, _approve, _complete, _terminate, _proxy],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_transition_requested_concurrently_is_applied_once(transition, case, world):
    """The same state change requested several times at once (a double click, a retry, two
    officials): one is applied and audited, the others are refused with a 4xx, none is a 500."""
    needs_concurrent_writers()
    action, change = transition(case, world)
    before = AuditEntry.objects.filter(action=action).count()

    results = race(WORKERS, lambda i: change())

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == WORKERS - 1, results
    assert all(isinstance(e, DomainError) for e in errors), errors
    assert AuditEntry.objects.filter(action=action).count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedules_of_one_term_leave_one_schedule(term_b, world):
    needs_concurrent_writers()
    schedule = [(date(2024, 8, 1), "60"), (date(2024, 9, 1), "100")]

    def replace(i):
        term = AgreementTerm.objects.select_related("agreement__case", "creditor").get(pk=term_b.pk)
        return services.installments_set(
            actor=world["users"]["administrator"], term=term, schedule=schedule
        )

    results = race(WORKERS, replace)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert term_b.installments.count() == len(schedule)


# --- retried requests: Idempotency-Key (API) and one-time form tokens (web) -------------------


def _keyed(client, url, body, key):
    return client.post(
        url, json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def test_a_retried_payment_with_its_key_is_recorded_once(term_b, world, client):
    client.force_login(world["users"]["administrator"])
    url = f"/api/v1/bankruptcy/terms/{term_b.pk}/payments"
    body = {"amount": "60", "paid_on": "2024-08-01", "reference": "HS1"}
    first = _keyed(client, url, body, "pay-1")
    again = _keyed(client, url, body, "pay-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["amount"] == "60.00"
    assert term_b.payments.count() == 1
    other = _keyed(client, url, {**body, "amount": "61"}, "pay-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.json()["detail"]
    assert _keyed(client, url, body, "pay-2").status_code == 201  # a new key: a new payment
    assert term_b.payments.count() == 2
    assert AuditEntry.objects.filter(action="payment.record").count() == 3  # A's and these two


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_payment_are_recorded_once(term_b, world):
    needs_concurrent_writers()
    url = f"/api/v1/bankruptcy/terms/{term_b.pk}/payments"
    clients = [_client(world["users"]["administrator"]) for _ in range(WORKERS)]
    body = {"amount": "60", "paid_on": "2024-08-01"}

    results = race(WORKERS, lambda i: _keyed(clients[i], url, body, "pay-race"))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert [r.status_code for r in results] == [201] * WORKERS
    assert len({r.content for r in results}) == 1  # every retry answered with the first
    assert term_b.payments.count() == 1


def test_a_retried_sign_in_and_ballot_with_their_keys_apply_once(open_meeting, world, client):
    meeting, c = open_meeting
    client.force_login(world["users"]["creditor"])  # speaks for A
    Attendance.objects.filter(meeting=meeting, creditor=c["A"]).delete()
    sign_in = f"/api/v1/bankruptcy/meetings/{meeting.pk}/sign-in"
    first = _keyed(client, sign_in, {}, "sign-1")
    assert _keyed(client, sign_in, {}, "sign-1").json() == first.json()
    item = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    vote = f"/api/v1/bankruptcy/items/{item.pk}/ballots"
    responses = [_keyed(client, vote, {"vote": "yes"}, "vote-1") for _ in range(3)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    ballot = Ballot.objects.get(item=item, creditor=c["A"])
    assert _audits("meeting.vote", ballot) == 1
    # without the key each request is applied: the same vote again changes nothing, another
    # vote is a change
    assert _post(client, vote, {"vote": "yes"}).status_code == 201
    assert _audits("meeting.vote", ballot) == 1
    post = _post(client, vote, {"vote": "no"})
    assert post.status_code == 201 and _audits("meeting.vote", ballot) == 2
    ballot.refresh_from_db()
    assert (ballot.vote, ballot.previous_vote, ballot.changes) == ("no", "yes", 1)


def test_a_confirmation_form_submitted_twice_is_applied_once(term_b, world, client):
    """A's payment (scenarios.executing) confirmed from "my claims", the form sent twice."""
    payment = term_b.agreement.terms.get(creditor__organisation__isnull=False).payments.get()
    client.force_login(world["users"]["creditor"])
    page = client.get("/bankruptcy/my/").content.decode()
    token = page.split('name="once_token" value="')[1].split('"')[0]
    url = f"/bankruptcy/payments/{payment.pk}/confirm/"
    client.post(url, {"once_token": token})
    response = client.post(url, {"once_token": token}, follow=True)
    assert "该表单已提交，未重复处理" in response.content.decode()
    assert _audits("payment.confirm_receipt", payment) == 1


def test_a_payment_form_submitted_twice_records_one_payment(term_b, world, client):
    client.force_login(world["users"]["administrator"])
    page = client.get(f"/bankruptcy/agreements/{term_b.agreement_id}/").content.decode()
    token = page.split('name="once_token" value="')[1].split('"')[0]
    url = f"/bankruptcy/agreements/{term_b.agreement_id}/pay/"
    form = {"once_token": token, "term": term_b.pk, "amount": "50", "on": "2024-08-01"}
    client.post(url, form)
    response = client.post(url, form, follow=True)
    assert "该表单已提交，未重复处理" in response.content.decode()
    assert term_b.payments.count() == 1


# --- filing ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_filings_record_one_claim(bk_demo):
    """The same claim sent at once from several tabs: the creditor row is locked while the
    duplicate check runs, so one claim is recorded and the others get 409 duplicate_claim."""
    needs_concurrent_writers()
    fast = Case.objects.get(number="（2026）鄂0111破6号")
    url = f"/api/v1/bankruptcy/cases/{fast.pk}/claims"
    clients = [_client(bk_demo["creditor"]) for _ in range(WORKERS)]
    body = {"principal": "12345.67", "interest": "100"}

    results = race(WORKERS, lambda i: _post(clients[i], url, body))

    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * (WORKERS - 1), statuses
    assert all(r.json()["code"] == "duplicate_claim" for r in results if r.status_code == 409)
    assert fast.claims.filter(principal=Decimal("12345.67")).count() == 1


# --- the creditors' committee (Art.67) --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_member_additions_never_pass_nine_or_two_employee_representatives(
    meeting_case, world
):
    """The committee row is locked while its membership is counted: with eight members
    recorded, three creditors' representatives and three employee representatives racing for
    the ninth seat leave nine members, at most one of them an employee representative."""
    needs_concurrent_writers()
    from qinqing.bankruptcy.models import Committee, CommitteeMember

    case, _c = meeting_case
    admin = world["users"]["administrator"]
    committee = services.committee_create(actor=admin, case=case, chosen_on=date(2024, 4, 25))
    strangers = [Creditor.objects.create(case=case, name=f"委员候选{n}") for n in range(16)]
    for creditor in strangers[:8]:
        services.committee_member_add(
            actor=admin,
            committee=committee,
            kind="creditor",
            creditor=creditor,
            name=creditor.name,
            added_on=date(2024, 4, 25),
        )

    def add(i):
        fresh = Committee.objects.get(pk=committee.pk)
        if i % 2:
            return services.committee_member_add(
                actor=admin,
                committee=fresh,
                kind="employee",
                name=f"职工代表{i}",
                added_on=date(2024, 4, 25),
            )
        return services.committee_member_add(
            actor=admin,
            committee=fresh,
            kind="creditor",
            creditor=strangers[8 + i],
            name=f"候选{i}",
            added_on=date(2024, 4, 25),
        )

    results = race(WORKERS, add)
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, ConflictError) for e in errors), errors
    assert CommitteeMember.objects.filter(committee=committee).count() == 9
    assert CommitteeMember.objects.filter(committee=committee, kind="employee").count() <= 1
    assert AuditEntry.objects.filter(action="committee.member_add").count() == 9
