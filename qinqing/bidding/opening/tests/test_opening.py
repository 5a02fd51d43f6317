"""The remote opening, end to end through the API: sealed bids (seal.py and `qinqing bid_seal`)
decrypted with the content key the bidder's browser unwraps, every file checked against its
receipt and kept, the schedules read out and written to the prices the scoring uses; a wrong
key counted and audited; the window's end (视为撤回); fewer than three bids (实施条例 Art.44);
objections answered on the spot; the opening record, public once the opening is over."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from qinqing.bidding.bids import seal
from qinqing.bidding.bids.models import Bid
from qinqing.bidding.bids.services import bid_withdraw
from qinqing.bidding.models import Bidder
from qinqing.bidding.opening import signing
from qinqing.bidding.opening.models import OpenedFile, Opening, OpeningBid
from qinqing.bidding.opening.record import print_html
from qinqing.bidding.opening.tests.conftest import (
    PRICES,
    browser_key,
    files_of,
    pass_deadline,
    submit,
    submit_with_command,
)
from qinqing.bidding.projects.services import bid_prices_record
from qinqing.core.documents import document_key
from qinqing.core.errors import ConflictError
from qinqing.core.models import AuditEntry, GeneratedDocument, Notification

pytestmark = pytest.mark.django_db

API = "/api/v1/bidding/openings"


def _start(client, w, **body):
    client.force_login(w["agent"])
    response = client.post(f"{API}/{w['section'].pk}/start", body, content_type="application/json")
    client.logout()
    return response


def _decrypt(client, w, who, key=None):
    client.force_login(w[who])
    bid = Bid.objects.get(bidder__uscc=w["usccs"][who], status=Bid.Status.SUBMITTED)
    response = client.post(
        f"{API}/{w['section'].pk}/decrypt",
        {"content_key": key or browser_key(bid, who)},
        content_type="application/json",
    )
    client.logout()
    return response


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


def test_full_opening_through_the_api(client, opening_world, tmp_path):
    w = opening_world
    submit(w, "bidder")
    submit(w, "bidder2", version=seal.FORMAT_1)  # sealed before QQ-SEAL-2: still opened
    submit_with_command(w, "bidder4", tmp_path)
    versions = {b.bidder.uscc: b.manifest["version"] for b in Bid.objects.select_related("bidder")}
    assert sorted(versions.values()) == ["QQ-SEAL-1", "QQ-SEAL-2", "QQ-SEAL-2"]
    # before the deadline the hall cannot open (招标投标法 Art.34)
    response = _start(client, w)
    assert response.status_code == 409 and "未到" in response.json()["detail"]
    pass_deadline(w)
    response = _start(client, w, window_minutes=45)
    assert response.status_code == 201, response.content.decode()
    assert response.json()["status"] == "decrypting"
    opening = Opening.objects.get()
    assert opening.decrypt_until == opening.started_at + timedelta(minutes=45)
    assert response.json()["bids_total"] == 3
    # every bidder is called to decrypt, in its in-app inbox, with the window's end
    called = Notification.objects.filter(channel="in_app", subject="开标：请解密投标文件")
    assert sorted(n.recipient.username for n in called) == ["bidder", "bidder2", "bidder4"]
    assert "视为撤回投标文件" in called.first().body

    # a bidder sees its own bid (with what its browser needs) and no other's, no price yet
    client.force_login(w["bidder2"])
    status = client.get(f"{API}/{w['section'].pk}").json()
    assert status["own_bid"]["bidder"] == "示例投标人0" and status["roll"] is None
    assert status["read_out"] == [] and len(status["own_bid"]["wrapped_key"]) == 56
    client.logout()

    for who in ("bidder", "bidder2", "bidder4"):
        response = _decrypt(client, w, who)
        assert response.status_code == 200, response.content.decode()
        assert response.json()["status"] == "decrypted"
        assert Decimal(response.json()["price"]) == PRICES[who]

    # every file decrypted, kept, byte for byte the original, its hash the receipt's
    for who in ("bidder", "bidder2", "bidder4"):
        ob = OpeningBid.objects.get(bidder__uscc=w["usccs"][who])
        originals = {f.name: f.data for f in files_of(who)}
        receipt = ob.bid.receipts.get()
        for opened, listed in zip(
            OpenedFile.objects.filter(opening_bid=ob).order_by("bid_file__position"),
            receipt.files,
            strict=True,
        ):
            with opened.file.open("rb") as fh:
                data = fh.read()
            assert data == originals[opened.bid_file.name]
            assert hashlib.sha256(data).hexdigest() == opened.sha256 == listed["sha256"]
        # the price the scoring uses is the unsealed schedule's, not typed
        assert (
            Bidder.objects.get(uscc=w["usccs"][who], section=w["section"]).bid_price
            == (PRICES[who])
        )

    opening.refresh_from_db()
    assert opening.status == Opening.Status.READING  # all decrypted: the reading starts
    client.force_login(w["bidder2"])
    read_out = client.get(f"{API}/{w['section'].pk}/read-out").json()
    assert [Decimal(r["price"]) for r in read_out] == [
        PRICES["bidder"],
        PRICES["bidder2"],
        PRICES["bidder4"],
    ]
    assert read_out[2]["project_manager"] == "bidder4项目经理"
    assert read_out[0]["declared_items"] == [{"name": "安全文明施工费", "value": "120000.00"}]
    # the bidder objects at the opening (实施条例 Art.44)
    response = client.post(
        f"{API}/{w['section'].pk}/objections",
        {"text": "第三名投标人的工期与招标文件不符"},
        content_type="application/json",
    )
    assert response.status_code == 201
    objection = response.json()["id"]
    client.logout()

    client.force_login(w["agent"])
    response = client.post(f"{API}/{w['section'].pk}/close", content_type="application/json")
    assert response.status_code == 409 and "第四十四条" in response.json()["detail"]
    response = client.post(
        f"{API}/objections/{objection}/answer",
        {"answer": "工期在唱标时已读明，评标委员会评审时核对"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["answered_at"]
    response = client.post(f"{API}/{w['section'].pk}/close", content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    client.logout()

    # the record: public, frozen, its hash audited; the PDF rendered on the queue
    opening.refresh_from_db()
    record = client.get(f"{API}/{w['section'].pk}/record").json()
    assert record["record_sha256"] == opening.record_sha256
    assert [b["price"] for b in record["bids"]] == ["12345678.90", "11800000.00", "12990000.50"]
    close = AuditEntry.objects.get(action="opening.close")
    assert close.detail["record_sha256"] == opening.record_sha256
    page = client.get(f"/bidding/openings/records/{w['section'].pk}/")
    assert page.status_code == 200 and "11,800,000.00" in page.content.decode()
    assert "工期在唱标时已读明" in page.content.decode()
    html = print_html(opening, seal=True)
    assert "示例投标人0" in html and opening.record_sha256 in html
    # the sealed PDF was asked of the queue at the close, from the frozen record
    document = GeneratedDocument.objects.get(pk=close.detail["document"])
    assert document.filename == f"opening-record-{w['section'].pk}.pdf"
    assert document.renderer == signing.RENDERER and document.params == {"opening": opening.pk}
    assert document.key == document_key(signing.RENDERER, document.params, opening.record_sha256)
    assert [a for a in _actions() if a.startswith("opening.")] == [
        "opening.start",
        "opening.decrypt",
        "opening.decrypt",
        "opening.decrypt",
        "opening.read_out",
        "opening.object",
        "opening.answer",
        "opening.close",
    ]


def test_a_wrong_key_is_counted_audited_and_loses_nothing(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    assert _start(client, w).status_code == 201
    # a content key that fails GCM on the server
    wrong = base64.b64encode(os.urandom(32)).decode()
    response = _decrypt(client, w, "bidder", key=wrong)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "wrong_key" and "第 1 次失败" in body["detail"]
    ob = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder"])
    assert ob.failed_attempts == 1 and ob.status == OpeningBid.Status.PENDING
    assert not OpenedFile.objects.exists()
    assert Bidder.objects.get(pk=ob.bidder_id).bid_price is None
    failed = AuditEntry.objects.get(action="opening.decrypt_failed")
    assert failed.detail["stage"] == "server" and failed.detail["attempts"] == 1
    # the browser's unwrap failed (wrong passphrase): reported, counted, audited
    client.force_login(w["bidder"])
    response = client.post(f"{API}/{w['section'].pk}/decrypt/failures")
    assert response.status_code == 200 and response.json() == {"failed_attempts": 2}
    client.logout()
    assert AuditEntry.objects.filter(action="opening.decrypt_failed").count() == 2
    # not Base64 / wrong length: a 400 naming the field, not counted
    for bad in ("not base64!", base64.b64encode(os.urandom(31)).decode()):
        response = _decrypt(client, w, "bidder", key=bad)
        assert response.status_code == 400 and response.json()["field"] == "content_key"
    # the stored ciphertexts are untouched: the right key still opens the bid
    assert _decrypt(client, w, "bidder").status_code == 200
    ob.refresh_from_db()
    assert ob.status == OpeningBid.Status.DECRYPTED and ob.failed_attempts == 2
    # a second decryption is refused
    assert _decrypt(client, w, "bidder").status_code == 409


def test_a_ciphertext_changed_on_disk_fails_and_nothing_is_kept(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    assert _start(client, w).status_code == 201
    row = Bid.objects.get(bidder__uscc=w["usccs"]["bidder2"]).files.get(position=1)
    path = Path(row.ciphertext.path)
    data = bytearray(path.read_bytes())
    data[1000] ^= 1
    path.write_bytes(bytes(data))
    response = _decrypt(client, w, "bidder2")
    assert response.status_code == 422 and "技术标.pdf" in response.json()["detail"]
    assert not OpenedFile.objects.exists()
    media = w["media"] / "bidding" / "opened"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_bid_not_decrypted_in_the_window_is_deemed_withdrawn(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4", "bidder5"):
        submit(w, who)
    pass_deadline(w)
    assert _start(client, w, window_minutes=30).status_code == 201
    for who in ("bidder", "bidder2", "bidder4"):
        assert _decrypt(client, w, who).status_code == 200
    opening = Opening.objects.get()
    assert opening.status == Opening.Status.DECRYPTING  # bidder5 has not decrypted
    # the periodic tick before the window's end changes nothing
    call_command("bidding_tick")
    assert OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder5"]).status == "pending"
    Opening.objects.filter(pk=opening.pk).update(decrypt_until=timezone.now())
    # a key arriving at the closing instant is late
    assert _decrypt(client, w, "bidder5").status_code == 409
    call_command("bidding_tick")
    late = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder5"])
    assert late.status == OpeningBid.Status.WITHDRAWN
    assert "视为撤回" in late.reason and "第三十一条" in late.reason
    opening.refresh_from_db()
    assert opening.status == Opening.Status.READING
    assert AuditEntry.objects.get(action="opening.late").detail["bidder"] == w["usccs"]["bidder5"]
    client.force_login(w["bidder5"])
    status = client.get(f"{API}/{w['section'].pk}").json()
    assert status["own_bid"]["status"] == "withdrawn" and len(status["read_out"]) == 3
    assert Bidder.objects.get(uscc=w["usccs"]["bidder5"]).bid_price is None


def test_fewer_than_three_decrypted_after_the_window_no_opening(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    assert _start(client, w, late_treatment="rejected").status_code == 201
    assert _decrypt(client, w, "bidder").status_code == 200
    assert _decrypt(client, w, "bidder2").status_code == 200
    Opening.objects.update(decrypt_until=timezone.now() - timedelta(seconds=1))
    # the next page load ends the window (no tick needed)
    client.force_login(w["tenderer"])
    assert client.get(f"/bidding/openings/sections/{w['section'].pk}/").status_code == 200
    client.logout()
    opening = Opening.objects.get()
    assert opening.status == Opening.Status.FAILED
    assert "第四十四条" in opening.failure_reason and "现为 2 个" in opening.failure_reason
    late = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder4"])
    assert late.status == OpeningBid.Status.REJECTED and "投标无效" in late.reason
    assert client.get(f"{API}/{w['section'].pk}/record").status_code == 200


def test_fewer_than_three_valid_bids_no_opening_recorded(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    submit(w, "bidder4")  # a resubmission replaces: still one valid bid of bidder4
    bid_withdraw(actor=w["bidder2"], bid=Bid.objects.get(bidder__uscc=w["usccs"]["bidder2"]))
    pass_deadline(w)
    response = _start(client, w)
    assert response.status_code == 201 and response.json()["status"] == "failed"
    opening = Opening.objects.get()
    assert "第四十四条" in opening.failure_reason and "现为 2 个" in opening.failure_reason
    assert opening.record["failure_reason"] == opening.failure_reason and opening.record_sha256
    assert AuditEntry.objects.get(action="opening.fail").detail["valid_bids"] == 2
    assert _start(client, w).status_code == 409  # once only
    assert client.get(f"{API}/{w['section'].pk}/record").json()["status"] == "failed"


def test_three_valid_bids_is_enough(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    assert _start(client, w).json()["status"] == "decrypting"


def test_prices_of_a_sealed_section_are_not_typed(opening_world):
    w = opening_world
    submit(w, "bidder")
    bidder = Bidder.objects.get(uscc=w["usccs"]["bidder2"], section=w["section"])
    with pytest.raises(ConflictError, match="开标一览表"):
        bid_prices_record(
            actor=w["centre_wh"], section=w["section"], prices={bidder.pk: Decimal("100.00")}
        )


def test_objections_only_during_the_opening_and_answered_once(client, opening_world):
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    _start(client, w)
    client.force_login(w["bidder4"])
    url = f"{API}/{w['section'].pk}/objections"
    assert client.post(url, {"text": "  "}, content_type="application/json").status_code == 400
    response = client.post(url, {"text": "解密时限过短"}, content_type="application/json")
    assert response.status_code == 201
    objection = response.json()["id"]
    # another bidder sees it (raised in the open hall)
    client.force_login(w["bidder"])
    assert client.get(url).json()[0]["text"] == "解密时限过短"
    client.force_login(w["agent"])
    answer = f"{API}/objections/{objection}/answer"
    response = client.post(answer, {"answer": "按招标文件"}, content_type="application/json")
    assert response.status_code == 200
    again = client.post(answer, {"answer": "再答"}, content_type="application/json")
    assert again.status_code == 409
    client.logout()
    for who in ("bidder", "bidder2", "bidder4"):
        assert _decrypt(client, w, who).status_code == 200
    client.force_login(w["agent"])
    response = client.post(f"{API}/{w['section'].pk}/close", content_type="application/json")
    assert response.status_code == 200
    # after the close no objection any more: raised at the opening or not at all
    client.force_login(w["bidder4"])
    response = client.post(url, {"text": "迟到的异议"}, content_type="application/json")
    assert response.status_code == 409 and "第四十四条" in response.json()["detail"]


def test_the_evaluation_takes_the_bids_decrypted_at_the_opening(client, opening_world):
    """A bid not decrypted in the window leaves the evaluation: the committee scores the three
    decrypted bids, and the start waits for the opening's close, not for the missing price."""
    from qinqing.bidding.evaluation import services as evaluation
    from qinqing.bidding.evaluation.selectors import scored_bidders
    from qinqing.bidding.models import Stage

    w = opening_world
    session = w["session"]
    for who in ("bidder", "bidder2", "bidder4", "bidder5"):
        submit(w, who)
    pass_deadline(w)
    assert _start(client, w, window_minutes=30).status_code == 201
    for who in ("bidder", "bidder2", "bidder4"):
        assert _decrypt(client, w, who).status_code == 200
    assert any("开标尚未结束" in p for p in evaluation.start_problems(session))
    Opening.objects.filter(section=w["section"]).update(decrypt_until=timezone.now())
    call_command("bidding_tick")  # bidder5: 视为撤回
    client.force_login(w["agent"])
    response = client.post(f"{API}/{w['section'].pk}/close", content_type="application/json")
    assert response.status_code == 200, response.content
    client.logout()

    evaluated = {b.uscc for b in scored_bidders(session, Stage.REVIEW)}
    assert evaluated == {w["usccs"][who] for who in ("bidder", "bidder2", "bidder4")}
    assert w["section"].bidders.count() > len(evaluated)  # the registration keeps everyone
    problems = evaluation.start_problems(session)
    assert not any("开标" in p for p in problems), problems
    assert not any("缺少开标记录的投标报价" in p for p in problems), problems


def test_the_public_record_refuses_an_id_beyond_the_database_integer(client):
    """The record is public (no sign-in answers first): an id SQLite cannot bind is a 422, not
    a 500 (found by the API fuzzing); an unknown one a 404."""
    assert client.get(f"{API}/127144973464508550034227200/record").status_code == 422
    assert client.get(f"{API}/0/record").status_code == 422
    assert client.get(f"{API}/{2**63 - 1}/record").status_code == 404
