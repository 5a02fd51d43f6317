"""The permission matrix of every sealed-bid page and API operation (URL × user → status):
the registered firm reaches its own bids and receipts, another firm gets 404, an unregistered
firm a 403 with the reason, the project's parties only the count page, outsiders nothing."""

from __future__ import annotations

from qinqing.bidding.bids.models import Bid, BidReceipt
from qinqing.bidding.bids.tests.conftest import sealed_bid, upload
from qinqing.core.testing import ANONYMOUS, check_matrix

OUTSIDERS = ["editor", "judge", "creditor", "enterprise", "expert"]


def test_permission_matrix(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    assert (
        upload(client, w["section"].pk, sealed_bid(w["section"].pk, w["firm"].uscc)).status_code
        == 201
    )
    client.logout()
    bid, receipt = Bid.objects.get(), BidReceipt.objects.get()
    section = w["section"].pk
    firms = {"bidder": 200, "bidder2": 200, "bidder3": 200}
    parties = {"centre_wh": 200, "centre_jk": 200, "supervisor": 200, "tenderer": 200, "agent": 200}
    staff_403 = dict.fromkeys(parties, 403)
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    api_nobody = {ANONYMOUS: 401, **dict.fromkeys(OUTSIDERS, 403)}
    pages = {
        "/bidding/bids/": {**firms, **staff_403, **nobody},
        f"/bidding/bids/sections/{section}/seal/": {
            "bidder": 200,
            "bidder2": 200,
            "bidder3": 403,  # not registered: told so
            **staff_403,
            **nobody,
        },
        "/bidding/bids/sections/999999/seal/": {"bidder": 404},
        f"/bidding/bids/receipts/{receipt.pk}/": {
            "bidder": 200,
            "bidder2": 404,
            "bidder3": 404,
            **staff_403,
            **nobody,
        },
        f"/bidding/bids/receipts/{receipt.pk}/download/": {
            "bidder": 200,
            "bidder2": 404,
            "tenderer": 403,
            **nobody,
        },
        "/bidding/bids/received/": {**parties, **dict.fromkeys(firms, 403), **nobody},
        f"/bidding/bids/received/{section}/": {
            **parties,
            **dict.fromkeys(firms, 403),
            **nobody,
        },
        "/api/v1/bidding/bids": {**firms, **staff_403, **api_nobody},
        "/api/v1/bidding/bids/sections": {**firms, **staff_403, **api_nobody},
        f"/api/v1/bidding/bids/receipts/{receipt.pk}": {
            "bidder": 200,
            "bidder2": 404,
            **staff_403,
            **api_nobody,
        },
    }
    check_matrix(client, pages, w)
    # writes that change nothing for those refused (the bid stays live throughout)
    writes = {
        f"/bidding/bids/{bid.pk}/withdraw/": {
            "bidder2": 404,
            "bidder3": 404,
            **staff_403,
            **nobody,
        },
        f"/api/v1/bidding/bids/{bid.pk}/withdraw": {
            "bidder2": 404,
            "bidder3": 404,
            **staff_403,
            **api_nobody,
        },
        # an empty body fails the schema first (422); a valid one from staff: 403, below
        "/api/v1/bidding/bids": {"bidder3": 422, "tenderer": 422, ANONYMOUS: 401},
        f"/bidding/bids/received/{section}/": {
            "tenderer": 403,
            "supervisor": 403,
            "centre_jk": 403,
            "bidder": 403,
            ANONYMOUS: 302,
        },
    }
    check_matrix(client, writes, w, method="post")
    for who in ("tenderer", "centre_wh", "supervisor", "expert"):
        client.force_login(w[who])
        sealed = sealed_bid(section, w["firm"].uscc)
        assert upload(client, section, sealed).status_code == 403, who
    client.logout()
    bid.refresh_from_db()
    assert bid.status == Bid.Status.SUBMITTED
    # the bidder itself withdraws, by page
    check_matrix(client, {f"/bidding/bids/{bid.pk}/withdraw/": {"bidder": 302}}, w, method="post")
    bid.refresh_from_db()
    assert bid.status == Bid.Status.WITHDRAWN
