"""The permission matrix of every opening page and API operation (URL × user → status): the
project's parties watch the hall, the registered firms attend it (each its own bid only), an
unregistered firm gets 404, only the agency or the host centre hosts, outsiders get nothing,
and the opening record is public once the opening is over — before, nobody's."""

from __future__ import annotations

from qinqing.bidding.opening.models import Objection, Opening, OpeningBid
from qinqing.bidding.opening.tests.conftest import browser_key, pass_deadline, submit
from qinqing.core.testing import ANONYMOUS, check_matrix

OUTSIDERS = ["editor", "judge", "creditor", "enterprise", "expert"]
PARTIES = {"centre_wh": 200, "centre_jk": 200, "supervisor": 200, "tenderer": 200, "agent": 200}
FIRMS = {"bidder": 200, "bidder2": 200, "bidder4": 200}
API = "/api/v1/bidding/openings"


def _post_json(client, users, url, expected: dict, body=None):
    """One row of the permission matrix, POSTed as JSON."""
    check_matrix(
        client, {url: expected}, users, method="post", data=body, content_type="application/json"
    )


def test_permission_matrix(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    section = w["section"].pk
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    api_nobody = {ANONYMOUS: 401, **dict.fromkeys(OUTSIDERS, 403)}
    hall = {**PARTIES, **FIRMS, "bidder3": 404, **nobody}
    before = {
        "/bidding/openings/": {**PARTIES, **FIRMS, "bidder3": 200, **nobody},
        f"/bidding/openings/sections/{section}/": hall,
        f"/bidding/openings/sections/{section}/live/": hall,
        "/bidding/openings/sections/999999/": {"agent": 404, "bidder": 404},
        # the record is nobody's before the opening is over
        f"/bidding/openings/records/{section}/": {ANONYMOUS: 404, "agent": 404, "bidder": 404},
        f"/bidding/openings/records/{section}/pdf/": {ANONYMOUS: 404, "centre_wh": 404},
        f"{API}/{section}": {**PARTIES, **FIRMS, "bidder3": 404, **api_nobody},
        f"{API}/{section}/record": {ANONYMOUS: 404, "agent": 404},
        "/bidding/openings/records/": {ANONYMOUS: 200, "bidder": 200},
        # not opened yet
        f"{API}/{section}/read-out": {"agent": 404, "bidder": 404},
    }
    check_matrix(client, before, w)

    # starting: only the agency or the host centre (a guest centre holds the role: 404)
    refused = {
        "tenderer": 403,
        "supervisor": 403,
        "centre_jk": 404,
        "bidder": 403,
        "bidder3": 404,
        **api_nobody,
    }
    _post_json(client, w, f"{API}/{section}/start", refused)
    page_refused = {"tenderer": 403, "supervisor": 403, "centre_jk": 404, "bidder": 403, **nobody}
    check_matrix(
        client, {f"/bidding/openings/sections/{section}/start/": page_refused}, w, method="post"
    )
    assert not Opening.objects.exists()
    _post_json(client, w, f"{API}/{section}/start", {"agent": 201})

    during = {
        f"{API}/{section}/read-out": {**PARTIES, **FIRMS, "bidder3": 404, **api_nobody},
        f"{API}/{section}/objections": {**PARTIES, **FIRMS, "bidder3": 404, **api_nobody},
        f"/bidding/openings/records/{section}/": {ANONYMOUS: 404},
    }
    check_matrix(client, during, w)
    # a bidder's status shows its own bid only, never the roll of the others
    for who in FIRMS:
        client.force_login(w[who])
        status = client.get(f"{API}/{section}").json()
        assert (
            status["own_bid"]["bidder"]
            == OpeningBid.objects.get(bidder__uscc=w["usccs"][who]).bidder.name
        )
        assert status["roll"] is None
    client.force_login(w["supervisor"])
    assert len(client.get(f"{API}/{section}").json()["roll"]) == 3
    assert client.get(f"{API}/{section}").json()["own_bid"] is None
    client.logout()

    # decryption: only the bidder itself, for its own bid
    bid = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder"]).bid
    key = {"content_key": browser_key(bid, "bidder")}
    decrypt_refused = {
        "agent": 403,
        "centre_wh": 403,
        "tenderer": 403,
        "bidder3": 404,
        "bidder5": 404,  # registered, but no bid at this opening
        **api_nobody,
    }
    _post_json(client, w, f"{API}/{section}/decrypt", decrypt_refused, key)
    _post_json(client, w, f"{API}/{section}/decrypt/failures", decrypt_refused)
    assert not OpeningBid.objects.filter(failed_attempts__gt=0).exists()
    assert not OpeningBid.objects.filter(status="decrypted").exists()

    # objections: raised by a bidder, answered by the host
    objection_refused = {"agent": 403, "tenderer": 403, "bidder3": 404, **api_nobody}
    _post_json(client, w, f"{API}/{section}/objections", objection_refused, {"text": "异议"})
    check_matrix(
        client,
        {f"/bidding/openings/sections/{section}/objections/": {"agent": 403, **nobody}},
        w,
        method="post",
        data={"text": "异议"},
    )
    assert not Objection.objects.exists()
    _post_json(client, w, f"{API}/{section}/objections", {"bidder2": 201}, {"text": "异议"})
    objection = Objection.objects.get()
    answer_refused = {
        "bidder2": 403,
        "tenderer": 403,
        "supervisor": 403,
        "centre_jk": 404,
        **api_nobody,
    }
    _post_json(
        client, w, f"{API}/objections/{objection.pk}/answer", answer_refused, {"answer": "答"}
    )
    check_matrix(
        client,
        {f"/bidding/openings/objections/{objection.pk}/answer/": {"bidder2": 403, **nobody}},
        w,
        method="post",
        data={"answer": "答"},
    )
    objection.refresh_from_db()
    assert objection.answered_at is None
    _post_json(
        client, w, f"{API}/objections/{objection.pk}/answer", {"centre_wh": 200}, {"answer": "答"}
    )

    for who in ("bidder", "bidder2", "bidder4"):
        ob = OpeningBid.objects.get(bidder__uscc=w["usccs"][who])
        _post_json(
            client,
            w,
            f"{API}/{section}/decrypt",
            {who: 200},
            {"content_key": browser_key(ob.bid, who)},
        )
    close_refused = {"tenderer": 403, "centre_jk": 404, "bidder": 403, **api_nobody}
    _post_json(client, w, f"{API}/{section}/close", close_refused)
    check_matrix(
        client,
        {f"/bidding/openings/sections/{section}/close/": {"tenderer": 403, **nobody}},
        w,
        method="post",
    )
    assert Opening.objects.get().status == Opening.Status.READING
    _post_json(client, w, f"{API}/{section}/close", {"agent": 200})

    # over: the record is everyone's, no sign-in
    public = {ANONYMOUS: 200, "expert": 200, "bidder3": 200, "agent": 200}
    after = {
        f"/bidding/openings/records/{section}/": public,
        f"{API}/{section}/record": public,
        f"/bidding/openings/records/{section}/pdf/": {ANONYMOUS: 200},
        "/bidding/openings/records/": public,
    }
    check_matrix(client, after, w)
    client.logout()
    listed = client.get("/bidding/openings/records/").content.decode()
    assert f"/bidding/openings/records/{section}/" in listed
