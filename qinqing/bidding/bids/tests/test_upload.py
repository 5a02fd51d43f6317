"""The chunked upload of a sealed bid (QQ-SEAL-2 §6): start, each file's pieces in order, finish
with the manifest through the same checks as the one-shot upload; only the account that
started it may add to it; caps as bytes arrive; the deadline; expiry; QQ-SEAL-1 still taken."""

from __future__ import annotations

import copy
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from qinqing.bidding.bids import seal, services
from qinqing.bidding.bids.models import Bid, BidReceipt, BidUpload
from qinqing.bidding.bids.tests.conftest import PASSPHRASE, pdf_bytes, sealed_bid, upload
from qinqing.core.testing import ANONYMOUS, check_matrix

MAX = 100 * 1024 * 1024
URL = "/api/v1/bidding/bids/uploads"
BIG = pdf_bytes("chunked", 2 * seal.CHUNK_SIZE + 999)


def _sealed(w, version=seal.FORMAT):
    files = [
        seal.PlainFile("技术标", "技术标.pdf", BIG),
        seal.PlainFile("商务标", "商务标.pdf", pdf_bytes("b", 3000)),
    ]
    return sealed_bid(w["section"].pk, w["firm"].uscc, files=files, version=version)


def _start(client, w, sealed):
    sizes = [len(c) for c in sealed.ciphertexts]
    response = client.post(
        URL, {"section": w["section"].pk, "sizes": sizes}, content_type="application/json"
    )
    assert response.status_code == 201, response.content.decode()
    return response.json()["id"]


def _piece(client, upload_id, i, j, data):
    return client.put(
        f"{URL}/{upload_id}/files/{i}/chunks/{j}", data, content_type="application/octet-stream"
    )


def _send_all(client, upload_id, sealed):
    step = seal.CHUNK_SIZE + seal.TAG_BYTES
    for i, ciphertext in enumerate(sealed.ciphertexts):
        for j, at in enumerate(range(0, len(ciphertext), step)):
            response = _piece(client, upload_id, i, j, ciphertext[at : at + step])
            assert response.status_code == 200, response.content.decode()


def _finish(client, upload_id, manifest):
    return client.post(
        f"{URL}/{upload_id}/finish", {"manifest": manifest}, content_type="application/json"
    )


def test_chunked_upload_round_trip_to_the_opening(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    assert services.upload_dir(upload_id).is_dir()
    _send_all(client, upload_id, sealed)
    response = _finish(client, upload_id, sealed.manifest)
    assert response.status_code == 201, response.content.decode()
    receipt = response.json()
    bid = Bid.objects.get()
    assert bid.source == Bid.Source.BROWSER and bid.manifest["version"] == "QQ-SEAL-2"
    assert receipt["number"] == BidReceipt.objects.get().number
    assert not BidUpload.objects.exists() and not services.upload_dir(upload_id).exists()
    # the opening's unseal recovers each file from what was stored
    manifest = seal.manifest_check(bid.manifest, max_file_bytes=MAX)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    row = bid.files.get(position=0)
    with row.ciphertext.open("rb") as fileobj:
        assert b"".join(seal.unseal_stream(manifest, manifest.files[0], key, fileobj)) == BIG


def test_qq_seal_1_is_still_taken_one_shot_and_chunked(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    old = _sealed(w, version=seal.FORMAT_1)
    assert upload(client, w["section"].pk, old).status_code == 201
    upload_id = _start(client, w, old)
    for i, ciphertext in enumerate(old.ciphertexts):
        assert _piece(client, upload_id, i, 0, ciphertext).status_code == 200
    assert _finish(client, upload_id, old.manifest).status_code == 201
    assert Bid.objects.filter(status=Bid.Status.SUBMITTED).count() == 1
    assert Bid.objects.filter(status=Bid.Status.REPLACED).count() == 1


def test_only_the_account_that_started_may_add_or_finish(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    client.force_login(w["bidder2"])  # another registered firm: as if there were no upload
    assert _piece(client, upload_id, 0, 0, b"x" * 100).status_code == 404
    assert _finish(client, upload_id, sealed.manifest).status_code == 404
    assert BidUpload.objects.get().received == [[0, 0], [0, 0]]
    assert services.upload_dir(upload_id).joinpath("0.part").stat().st_size == 0


def test_pieces_must_come_in_order_and_within_the_declared_size(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    ciphertext = sealed.ciphertexts[1]
    response = _piece(client, upload_id, 1, 1, ciphertext)
    assert response.status_code == 409 and "须按顺序上传" in response.json()["detail"]
    response = _piece(client, upload_id, 1, 0, ciphertext + b"!")
    assert response.status_code == 400 and "超过了声明的" in response.json()["detail"]
    assert _piece(client, upload_id, 5, 0, b"x").status_code == 400
    assert _piece(client, upload_id, 1, 0, b"").status_code == 400
    assert BidUpload.objects.get().received == [[0, 0], [0, 0]]
    response = _finish(client, upload_id, sealed.manifest)
    assert response.status_code == 409 and "尚未上传完整" in response.json()["detail"]
    assert not Bid.objects.exists()


def test_caps_are_checked_when_the_upload_starts(client, bids_world, settings):
    w = bids_world
    settings.QINQING_BID_MAX_FILE_BYTES = 1000
    settings.QINQING_BID_MAX_TOTAL_BYTES = 1500
    client.force_login(w["bidder"])
    section = w["section"].pk
    for sizes, message in [
        ([1000 + 16 + 1], "过大"),
        ([1016, 1016], "超过上限"),
        ([], "1 至 9"),
        ([17] * 10, "1 至 9"),
        ([16], "大于 16"),
    ]:
        response = client.post(
            URL, {"section": section, "sizes": sizes}, content_type="application/json"
        )
        assert response.status_code == 400 and message in response.json()["detail"], sizes
    assert not BidUpload.objects.exists()


def test_finish_with_a_changed_ciphertext_stores_nothing(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    tampered = copy.copy(list(sealed.ciphertexts))
    changed = bytearray(tampered[1])
    changed[50] ^= 1
    tampered[1] = bytes(changed)
    _send_all(client, upload_id, type(sealed)(manifest=sealed.manifest, ciphertexts=tampered))
    response = _finish(client, upload_id, sealed.manifest)
    assert response.status_code == 400 and "SHA-256 与清单不符" in response.json()["detail"]
    assert not Bid.objects.exists() and not BidReceipt.objects.exists()
    stored = [p for p in (w["media"] / "bidding" / "bids").rglob("*") if p.is_file()]
    assert stored == []
    # a manifest for another bidder, or not JSON-shaped: 4xx as well
    other = copy.deepcopy(sealed.manifest)
    other["bidder"] = "91420100MA0000000X"
    assert _finish(client, upload_id, other).status_code in (400, 403)
    assert _finish(client, upload_id, {"version": "x"}).status_code == 400


def test_after_the_deadline_no_piece_and_no_finish(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    _send_all(client, upload_id, sealed)
    section = w["section"]
    section.bid_deadline = timezone.now() - timedelta(seconds=1)
    section.save(update_fields=["bid_deadline"])
    response = _finish(client, upload_id, sealed.manifest)
    assert response.status_code == 409 and "截止" in response.json()["detail"]
    assert _piece(client, upload_id, 0, 3, b"x").status_code == 409
    response = client.post(
        URL, {"section": section.pk, "sizes": [100]}, content_type="application/json"
    )
    assert response.status_code == 409
    assert not Bid.objects.exists()


def test_stale_uploads_expire_with_their_files(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    assert _piece(client, upload_id, 1, 0, sealed.ciphertexts[1]).status_code == 200
    BidUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _piece(client, upload_id, 0, 0, b"x")
    assert response.status_code == 409 and "已过期" in response.json()["detail"]
    call_command("bidding_tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not BidUpload.objects.exists() and not services.upload_dir(upload_id).exists()
    # a new upload discards the account's earlier one for the section
    first = _start(client, w, sealed)
    second = _start(client, w, sealed)
    assert [str(pk) for pk in BidUpload.objects.values_list("pk", flat=True)] == [second]
    assert not services.upload_dir(first).exists()


def test_permission_matrix_of_the_chunked_upload(client, bids_world):
    w = bids_world
    section = w["section"].pk
    outsiders = ["editor", "judge", "creditor", "enterprise", "expert"]
    staff = ["centre_wh", "centre_jk", "supervisor", "tenderer", "agent"]
    nobody = {ANONYMOUS: 401, **dict.fromkeys(outsiders, 403), **dict.fromkeys(staff, 403)}
    check_matrix(
        client,
        {URL: {"bidder": 201, "bidder2": 201, "bidder3": 403, **nobody}},
        w,
        method="post",
        data={"section": section, "sizes": [100]},
        content_type="application/json",
    )
    client.force_login(w["bidder"])
    sealed = _sealed(w)
    upload_id = _start(client, w, sealed)
    client.logout()
    others = {"bidder2": 404, "bidder3": 404, **nobody}
    check_matrix(
        client,
        {f"{URL}/{upload_id}/files/0/chunks/0": others},
        w,
        method="put",
        data=b"x" * 32,
        content_type="application/octet-stream",
    )
    check_matrix(
        client,
        {f"{URL}/{upload_id}/finish": others},
        w,
        method="post",
        data={"manifest": sealed.manifest},
        content_type="application/json",
    )
    assert BidUpload.objects.get(pk=upload_id).received == [[0, 0], [0, 0]]
    assert not Bid.objects.exists()
    check_matrix(
        client,
        {f"{URL}/{upload_id}/files/0/chunks/0": {"bidder": 200}},
        w,
        method="put",
        data=sealed.ciphertexts[0][: seal.CHUNK_SIZE + 16],
        content_type="application/octet-stream",
    )
