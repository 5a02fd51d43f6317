"""The bankruptcy API: filing, voting, tallies; bad input is 4xx JSON, never a 500."""

import json
from datetime import date
from decimal import Decimal

import pytest

from qinqing.bankruptcy import demo, services
from qinqing.bankruptcy.models import AgendaItem, Case, Claim, Meeting
from qinqing.bankruptcy.tests.scenarios import adopt
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.core.services import organisation_create


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def creditor_client(client, bk_demo):
    client.force_login(bk_demo["creditor"])
    return client


def test_creditor_files_a_claim_and_bad_amounts_are_4xx(creditor_client):
    fast = Case.objects.get(number=demo.FAST_TRACK_NUMBER)
    url = f"/api/v1/bankruptcy/cases/{fast.pk}/claims"
    response = post(creditor_client, url, {"principal": "-5"})
    assert response.status_code == 400
    assert response.json()["field"] == "principal" and response.json()["detail"]
    response = post(creditor_client, url, {"principal": "abc"})
    assert response.status_code == 422
    response = post(creditor_client, url, {"principal": "0", "interest": "0"})
    assert response.status_code == 400
    response = post(creditor_client, url, {"principal": "1e30"})  # beyond the column: not a 500
    assert response.status_code == 400 and response.json()["field"] == "principal"
    response = post(creditor_client, url, {"principal": "50000.50", "interest": "1200"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["declared"] == "51200.50" and body["status"] == "filed" and not body["late"]
    assert Claim.objects.get(pk=body["id"]).creditor.organisation.code == "demo-supplier"


def test_filing_into_a_closed_or_unknown_case_is_404(creditor_client):
    closed = Case.objects.get(number="（2022）鄂0111破5号")
    assert (
        post(
            creditor_client, f"/api/v1/bankruptcy/cases/{closed.pk}/claims", {"principal": "1"}
        ).status_code
        == 404
    )
    assert (
        post(
            creditor_client, "/api/v1/bankruptcy/cases/999999/claims", {"principal": "1"}
        ).status_code
        == 404
    )


def test_sign_in_vote_and_tally(creditor_client, bk_demo, client):
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    meeting = Meeting.objects.get(case=voting)
    recon = meeting.items.get(kind=AgendaItem.Kind.RECONCILIATION)
    url = f"/api/v1/bankruptcy/items/{recon.pk}/ballots"
    response = post(creditor_client, url, {"vote": "yes"})
    assert response.status_code == 409 and response.json()["code"] == "not_signed_in"
    assert (
        post(creditor_client, f"/api/v1/bankruptcy/meetings/{meeting.pk}/sign-in", {}).status_code
        == 200
    )
    assert post(creditor_client, url, {"vote": "perhaps"}).status_code == 400
    assert post(creditor_client, url, {"vote": "yes"}).status_code == 201
    # the tally is public to creditors only once the vote has closed
    assert creditor_client.get(f"/api/v1/bankruptcy/items/{recon.pk}/tally").status_code == 400

    client.force_login(bk_demo["judge"])
    tally = client.get(f"/api/v1/bankruptcy/items/{recon.pk}/tally").json()
    # present: supplier 320k yes, 410k yes, 150k no; the bank (secured, not waived) is out.
    # U = 320k + 410k + 150k + 80k provisional (disputed claim) = 960k
    assert tally["unsecured_total"] == "960000.00"
    assert (tally["present_voters"], tally["yes_voters"], tally["heads_required"]) == (3, 2, 2)
    assert tally["yes_amount"] == "730000.00" and tally["required_amount_display"] == "640000.00"
    assert tally["amount_margin_display"] == "90000.00" and tally["passed"] is True
    assert tally["excluded"][0][1] == "SECURED_NOT_WAIVED" and tally["final"] is False


def test_other_parties_objects_are_404_and_roles_403(client, bk_demo):
    other = Case.objects.get(number="（2022）鄂0111破5号")
    item = AgendaItem.objects.get(meeting__case=other)
    client.force_login(bk_demo["creditor"])
    assert client.get(f"/api/v1/bankruptcy/cases/{other.pk}").status_code == 404
    assert (
        post(client, f"/api/v1/bankruptcy/items/{item.pk}/ballots", {"vote": "yes"}).status_code
        == 404
    )
    client.force_login(bk_demo["enterprise"])
    response = client.get("/api/v1/bankruptcy/cases")
    assert response.status_code == 403 and response.json()["detail"]
    client.logout()
    assert client.get("/api/v1/bankruptcy/cases").status_code == 401


def test_case_detail_lists_deadlines(client, bk_demo):
    client.force_login(bk_demo["judge"])
    voting = Case.objects.get(number=demo.VOTING_NUMBER)
    body = client.get(f"/api/v1/bankruptcy/cases/{voting.pk}").json()
    articles = {d["article"] for d in body["deadlines"]}
    assert {"第10条", "第14条", "第45条", "第62条"} <= articles
    assert len(client.get("/api/v1/bankruptcy/cases").json()) == 7


def test_openapi_documents_the_bankruptcy_endpoints(client, demo_users):
    client.force_login(demo_users["judge"])
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/bankruptcy/items/{item_id}/tally" in paths
    assert "post" in paths["/api/v1/bankruptcy/cases/{case_id}/claims"]


def _as(client, user):
    client.force_login(user)
    return client


def test_staff_review_claims_by_api_and_others_are_refused(client, meeting_case, world):
    case, _ = meeting_case
    users = world["users"]
    late = services.claim_file(
        actor=users["administrator"],
        case=case,
        creditor_name="逾期的债权人",
        principal="50",
        filed_on=date(2024, 4, 20),
    )
    url = f"/api/v1/bankruptcy/claims/{late.pk}/review"
    body = {"admitted_amount": "40", "reason": "部分无凭证"}
    assert post(_as(client, users["creditor"]), url, body).status_code == 403
    assert post(_as(client, users["judge"]), url, body).status_code == 403
    admin = _as(client, users["administrator"])
    response = post(admin, url, {"admitted_amount": "60", "reason": "超出"})
    assert response.status_code == 400 and response.json()["field"] == "admitted_amount"
    response = post(admin, url, body)
    assert response.status_code == 200
    assert response.json()["status"] == "admitted" and response.json()["admitted_amount"] == "40.00"
    assert post(admin, "/api/v1/bankruptcy/claims/999999/review", body).status_code == 404
    # a case this administrator was not appointed to is not found at all
    other = services.case_create(
        actor=users["judge"],
        number="（2024）鄂0111破10号",
        court=world["orgs"]["hs-court"],
        debtor=organisation_create(
            actor=None,
            kind=Organisation.Kind.FIRM,
            name="武汉示例另一债务人有限公司",
            code="bk-test-debtor-2",
            uscc=demo_uscc("91420111", 902),
        ),
        judge=users["judge"],
        petition_date=date(2024, 2, 26),
        acceptance_date=date(2024, 3, 4),
    )
    response = post(admin, f"/api/v1/bankruptcy/cases/{other.pk}/agreements", {"rate": "50"})
    assert response.status_code == 404


def test_agreement_by_api_draft_approve_and_pay(client, meeting_case, world):
    case, c = meeting_case
    users = world["users"]
    admin = _as(client, users["administrator"])
    url = f"/api/v1/bankruptcy/cases/{case.pk}/agreements"
    response = post(admin, url, {"rate": "50", "paid_in_full_up_to": "0.001"})
    assert response.status_code == 400 and response.json()["field"] == "rate"
    response = post(admin, url, {"rate": "50", "paid_in_full_up_to": "200"})
    assert response.status_code == 201, response.content
    agreement = response.json()
    agreed = {t["creditor"]: Decimal(t["agreed_amount"]) for t in agreement["terms"]}
    # A 400: 200 in full + 50% of 200; B and E 200: in full; D has nothing unsecured
    assert agreed[c["A"].name] == Decimal("300.00")
    assert agreed["债权人B"] == agreed["债权人E"] == Decimal("200.00")
    assert "示例银行" not in agreed
    assert post(admin, url, {"rate": "50"}).status_code == 409  # one agreement at a time

    creditor = _as(client, users["creditor"])
    assert post(creditor, url, {"rate": "90"}).status_code == 403
    own = creditor.get(f"/api/v1/bankruptcy/agreements/{agreement['id']}").json()
    assert [t["creditor"] for t in own["terms"]] == [c["A"].name]  # only its own term

    approve = f"/api/v1/bankruptcy/agreements/{agreement['id']}/approve"
    judge = _as(client, users["judge"])
    response = post(judge, approve, {"on": "2024-05-06"})
    assert response.status_code == 409 and response.json()["code"] == "not_adopted"
    adopt(case, c, users["administrator"])  # A, B and E vote for it (Art.97)
    assert (
        post(_as(client, users["administrator"]), approve, {"on": "2024-05-06"}).status_code == 403
    )
    response = post(_as(client, users["judge"]), approve, {"on": "2024-05-06"})
    assert response.status_code == 200 and response.json()["status"] == "approved"

    term = next(t for t in response.json()["terms"] if t["creditor"] == c["A"].name)
    pay = f"/api/v1/bankruptcy/terms/{term['id']}/payments"
    assert (
        post(_as(client, users["judge"]), pay, {"amount": "1", "paid_on": "2024-06-01"}).status_code
        == 403
    )
    admin = _as(client, users["administrator"])
    response = post(admin, pay, {"amount": "300.01", "paid_on": "2024-06-01"})
    assert response.status_code == 400 and response.json()["field"] == "amount"
    response = post(admin, pay, {"amount": "100", "paid_on": "2024-06-01", "reference": "HS1"})
    assert response.status_code == 201 and response.json()["amount"] == "100.00"
    detail = admin.get(f"/api/v1/bankruptcy/agreements/{agreement['id']}").json()
    assert next(t for t in detail["terms"] if t["id"] == term["id"])["paid"] == "100.00"
