"""The award and contract release once the award notice is issued (招标投标法 Art.45-46),
validated against the OCDS 1.1 release schema with the bids extension as the export's own
tests do."""

from __future__ import annotations

from qinqing.bidding.award import services
from qinqing.bidding.award.tests.test_services import end_publication, publish
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.opendata.tests.test_ocds import assert_valid


def _package(client):
    response = client.get("/api/v1/bidding/projects/P-001/ocds")
    assert response.status_code == 200, response.content
    return response.json()


def test_award_and_contract_release_after_the_notice(client, award_world):
    w = award_world
    publication = publish(w)
    before = _package(client)
    assert_valid(before)
    assert all("contracts" not in r for r in before["releases"])
    end_publication(publication)
    services.award_issue(actor=w["tenderer"], section=w["section"])
    package = _package(client)
    assert_valid(package)
    release = package["releases"][-1]
    assert release["tag"] == ["award", "contract"]
    active = [a for a in release["awards"] if a["status"] == "active"]
    assert len(active) == 1
    award = active[0]
    assert award["suppliers"][0]["id"] == f"CN-USCC-{BIDDER_USCCS[1]}"
    assert award["value"] == {"amount": 950000, "currency": "CNY"}
    assert award["date"].endswith("+08:00")
    assert {a["status"] for a in release["awards"]} == {"active", "unsuccessful"}
    (contract,) = release["contracts"]
    assert contract["awardID"] == award["id"] and contract["status"] == "pending"
    assert contract["value"] == award["value"]
    supplier = next(p for p in release["parties"] if p["id"] == award["suppliers"][0]["id"])
    assert "supplier" in supplier["roles"]
    assert package["publishedDate"] == release["date"]
    text = str(package)
    for member in w["report"].content["members"]:
        assert member["name"] not in text


def test_the_signed_contract_is_a_contract_update_release(client, award_world):
    """Once the tenderer records the signed contract (招标投标法 Art.46) the package gains a
    `contractUpdate` release: the contract `active`, its dateSigned and value, schema-valid."""
    from decimal import Decimal

    from django.utils import timezone

    w = award_world
    end_publication(publish(w))
    services.award_issue(actor=w["tenderer"], section=w["section"])
    signed_on = timezone.localdate()
    services.contract_record(
        actor=w["tenderer"],
        section=w["section"],
        number="HT-2026-001",
        signed_on=signed_on,
        amount=Decimal("950000.00"),
    )
    package = _package(client)
    assert_valid(package)
    *_, awarded, signed = package["releases"]
    assert awarded["tag"] == ["award", "contract"]
    assert awarded["contracts"][0]["status"] == "pending"  # a release is never rewritten
    assert signed["tag"] == ["contractUpdate"] and signed["id"].endswith("-contract-signed")
    (contract,) = signed["contracts"]
    assert contract["status"] == "active"
    assert contract["dateSigned"] == f"{signed_on.isoformat()}T00:00:00+08:00"
    assert contract["value"] == {"amount": 950000, "currency": "CNY"}
    assert "HT-2026-001" in contract["description"]
    assert package["publishedDate"] == signed["date"]
    assert signed["date"] >= awarded["date"]
