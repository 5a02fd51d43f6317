"""The bankruptcy API: filing, voting, tallies; bad input is 4xx JSON, never a 500."""

import json

import pytest

from qinqing.bankruptcy import demo
from qinqing.bankruptcy.models import AgendaItem, Case, Claim, Meeting


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
