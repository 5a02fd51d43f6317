"""Submitting, replacing and withdrawing sealed bids through the API and the pages: receipts in
the audit chain, the deadline, registration, bad input changing nothing, the parties seeing
only counts, the to-do."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from qinqing.bidding.bids import seal
from qinqing.bidding.bids.models import Bid, BidFile, BidReceipt
from qinqing.bidding.bids.tests.conftest import (
    PASSPHRASE,
    SCHEDULE,
    pdf_bytes,
    sealed_bid,
    upload,
)
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.todos import bidder as bidder_todos
from qinqing.core.models import AuditEntry

MAX = 100 * 1024 * 1024


def _stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def _submit(client, w, who="bidder", uscc=None):
    uscc = uscc or w["firm"].uscc
    client.force_login(w[who])
    sealed = sealed_bid(w["section"].pk, uscc)
    response = upload(client, w["section"].pk, sealed)
    assert response.status_code == 201, response.content.decode()
    return sealed, response.json()


def test_upload_stores_ciphertext_issues_a_receipt_and_the_opening_can_decrypt(client, bids_world):
    w = bids_world
    sealed, receipt = _submit(client, w)
    bid = Bid.objects.get()
    assert bid.status == Bid.Status.SUBMITTED and bid.organisation == w["firm"]
    assert receipt["project_code"] == "P-001" and receipt["bidder_uscc"] == w["firm"].uscc
    assert [f["sha256"] for f in receipt["files"]] == [
        f["sha256"] for f in sealed.manifest["files"]
    ]
    entry = AuditEntry.objects.get(action="bid.submit")
    assert entry.detail["receipt"] == receipt["number"] == BidReceipt.objects.get().number
    assert receipt["audit_hash"] == entry.hash and receipt["audit_seq"] == entry.seq
    # only ciphertext on disk; the opening decrypts it with the passphrase
    manifest = seal.manifest_check(bid.manifest, max_file_bytes=MAX)
    key = seal.unwrap_key(manifest, PASSPHRASE)
    for row, entry_ in zip(bid.files.order_by("position"), manifest.files, strict=True):
        raw = Path(row.ciphertext.path).read_bytes()
        assert not raw.startswith(b"%PDF") and hashlib.sha256(raw).hexdigest() == (
            row.ciphertext_sha256
        )
        with row.ciphertext.open("rb") as fileobj:
            plain = b"".join(seal.unseal_stream(manifest, entry_, key, fileobj))
        assert hashlib.sha256(plain).hexdigest() == row.sha256 and plain.startswith(b"%PDF-")
    assert seal.unseal_schedule(manifest, key).project_manager == "张建国"
    assert PASSPHRASE not in json.dumps(bid.manifest)


def test_resubmission_replaces_the_bid_and_keeps_both_receipts(client, bids_world):
    w = bids_world
    _, first = _submit(client, w)
    _, second = _submit(client, w)
    old, new = Bid.objects.order_by("pk")
    assert old.status == Bid.Status.REPLACED and old.replaced_by == new
    assert new.status == Bid.Status.SUBMITTED
    assert {first["number"], second["number"]} == set(
        BidReceipt.objects.values_list("number", flat=True)
    )
    assert AuditEntry.objects.filter(action="bid.replace").count() == 1
    listed = client.get("/api/v1/bidding/bids").json()
    assert [b["status"] for b in listed] == ["submitted", "replaced"]


def test_withdrawal_before_the_deadline_then_nothing_after_it(client, bids_world):
    w = bids_world
    _submit(client, w)
    bid = Bid.objects.get()
    answer = client.post(f"/api/v1/bidding/bids/{bid.pk}/withdraw")
    assert answer.status_code == 200 and answer.json()["number"].endswith("-C")
    bid.refresh_from_db()
    assert bid.status == Bid.Status.WITHDRAWN and bid.closed_at is not None
    assert AuditEntry.objects.filter(action="bid.withdraw").count() == 1
    again = client.post(f"/api/v1/bidding/bids/{bid.pk}/withdraw")
    assert again.status_code == 409
    # after the deadline: neither a submission nor a withdrawal
    _submit(client, w)
    section = w["section"]
    section.bid_deadline = timezone.now() - timedelta(seconds=1)
    section.save(update_fields=["bid_deadline"])
    before = (Bid.objects.count(), BidFile.objects.count(), _stored(w["media"]))
    late = upload(client, section.pk, sealed_bid(section.pk, w["firm"].uscc))
    assert late.status_code == 409
    deadline = timezone.localtime(section.bid_deadline)
    assert f"投标截止时间（{deadline:%Y年%m月%d日 %H:%M}）已过" in late.json()["detail"]
    live = Bid.objects.get(status=Bid.Status.SUBMITTED)
    late_withdraw = client.post(f"/api/v1/bidding/bids/{live.pk}/withdraw")
    assert late_withdraw.status_code == 409 and "已过" in late_withdraw.json()["detail"]
    assert (Bid.objects.count(), BidFile.objects.count(), _stored(w["media"])) == before


def test_a_firm_not_registered_is_told_so_and_another_firms_bid_is_404(client, bids_world):
    w = bids_world
    client.force_login(w["bidder3"])  # a firm with the bidder role, not registered
    response = upload(client, w["section"].pk, sealed_bid(w["section"].pk, "91420100MA00007772"))
    assert response.status_code == 403 and "未报名" in response.json()["detail"]
    page = client.get(f"/bidding/bids/sections/{w['section'].pk}/seal/")
    assert page.status_code == 403 and "未报名" in page.content.decode()
    # bidder2 (registered) cannot submit in the name of the demo firm
    client.force_login(w["bidder2"])
    response = upload(client, w["section"].pk, sealed_bid(w["section"].pk, w["firm"].uscc))
    assert response.status_code == 403 and "不是您所在的投标企业" in response.json()["detail"]
    assert not Bid.objects.exists()
    _submit(client, w)
    bid, receipt = Bid.objects.get(), BidReceipt.objects.get()
    client.force_login(w["bidder2"])
    assert client.get(f"/api/v1/bidding/bids/receipts/{receipt.pk}").status_code == 404
    assert client.post(f"/api/v1/bidding/bids/{bid.pk}/withdraw").status_code == 404
    assert client.get(f"/bidding/bids/receipts/{receipt.pk}/").status_code == 404
    assert client.post(f"/bidding/bids/{bid.pk}/withdraw/").status_code == 404
    assert client.get("/api/v1/bidding/bids").json() == []
    bid.refresh_from_db()
    assert bid.status == Bid.Status.SUBMITTED


def _flip(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[20] ^= 0xFF
    return bytes(changed)


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("hash", 400, "密文 SHA-256 与清单不符"),
        ("length", 400, "密文长度"),
        ("count", 400, "上传了 1 个密文文件"),
        ("missing", 400, "version"),
        ("not_pdf", 400, "不是 PDF"),
        ("not_json", 400, "不是有效的 JSON"),
        ("section", 400, "不是本标段"),
    ],
)
def test_bad_input_is_a_chinese_4xx_and_changes_nothing(client, bids_world, case, status, message):
    w = bids_world
    _submit(client, w)  # an earlier bid that must survive
    before = (
        list(Bid.objects.values_list("pk", "status")),
        BidReceipt.objects.count(),
        _stored(w["media"]),
        AuditEntry.objects.count(),
    )
    sealed = sealed_bid(w["section"].pk, w["firm"].uscc)
    manifest, ciphertexts = copy.deepcopy(sealed.manifest), list(sealed.ciphertexts)
    if case == "hash":
        ciphertexts[1] = _flip(ciphertexts[1])
    elif case == "length":
        ciphertexts[0] = ciphertexts[0][:-1]
    elif case == "count":
        ciphertexts = ciphertexts[:1]
    elif case == "missing":
        del manifest["version"]
    elif case == "not_pdf":
        manifest["files"][0]["name"] = "商务标.exe"
    elif case == "not_json":
        manifest = "{not json"
    elif case == "section":
        manifest["section"] = w["section"].pk + 1000
    response = upload(client, w["section"].pk, sealed, manifest=manifest, ciphertexts=ciphertexts)
    assert response.status_code == status
    assert message in response.json()["detail"]
    after = (
        list(Bid.objects.values_list("pk", "status")),
        BidReceipt.objects.count(),
        _stored(w["media"]),
        AuditEntry.objects.count(),
    )
    assert after == before


@pytest.mark.parametrize("version", ["QQ-SEAL-2", "QQ-SEAL-1"])
def test_bid_seal_command_output_is_accepted_by_the_api(
    client, bids_world, tmp_path, monkeypatch, version
):
    w = bids_world
    (tmp_path / "商务标.pdf").write_bytes(pdf_bytes("cli business", 5000))
    (tmp_path / "资格.pdf").write_bytes(pdf_bytes("cli qualification"))
    (tmp_path / "schedule.json").write_text(json.dumps(SCHEDULE, ensure_ascii=False), "utf-8")
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n", "utf-8")
    out = tmp_path / "sealed"
    call_command(
        "bid_seal",
        f"--section={w['section'].pk}",
        f"--bidder={w['firm'].uscc}",
        f"--file=商务标={tmp_path / '商务标.pdf'}",
        f"--file=资格审查资料={tmp_path / '资格.pdf'}",
        f"--schedule={tmp_path / 'schedule.json'}",
        f"--out={out}",
        f"--passphrase-file={tmp_path / 'pass.txt'}",
        *([] if version == "QQ-SEAL-2" else ["--format=QQ-SEAL-1"]),  # QQ-SEAL-2 by default
    )
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["version"] == version
    ciphertexts = [(out / f"file{n}.qqs").read_bytes() for n in range(2)]
    client.force_login(w["bidder"])
    response = upload(client, w["section"].pk, None, manifest=manifest, ciphertexts=ciphertexts)
    assert response.status_code == 201, response.content.decode()
    assert response.json()["files"][1]["role"] == "资格审查资料"
    assert (
        response.json()["files"][0]["sha256"]
        == hashlib.sha256((tmp_path / "商务标.pdf").read_bytes()).hexdigest()
    )
    (tmp_path / "fake.pdf").write_bytes(b"<html>not a pdf</html>")
    with pytest.raises(CommandError, match="不是 PDF"):
        call_command(
            "bid_seal",
            f"--section={w['section'].pk}",
            f"--bidder={w['firm'].uscc}",
            f"--file=商务标={tmp_path / 'fake.pdf'}",
            f"--schedule={tmp_path / 'schedule.json'}",
            f"--out={tmp_path / 'x'}",
            f"--passphrase-file={tmp_path / 'pass.txt'}",
        )


def test_pages_the_firm_sees(client, bids_world):
    w = bids_world
    client.force_login(w["bidder"])
    page = client.get("/bidding/bids/").content.decode()
    assert "示例学生公寓修缮设计" in page and "加密并递交投标文件" in page
    seal_page = client.get(f"/bidding/bids/sections/{w['section'].pk}/seal/").content.decode()
    assert f'data-bidder="{w["firm"].uscc}"' in seal_page and "bid_seal.js" in seal_page
    assert "<script>" not in seal_page
    _, receipt = _submit(client, w)
    page = client.get(f"/bidding/bids/receipts/{receipt['id']}/").content.decode()
    assert receipt["number"] in page and receipt["files"][0]["sha256"] in page
    download = client.get(f"/bidding/bids/receipts/{receipt['id']}/download/")
    assert download["Content-Disposition"].startswith("attachment")
    assert json.loads(download.content)["audit"]["hash"] == receipt["audit_hash"]
    bid = Bid.objects.get()
    response = client.post(f"/bidding/bids/{bid.pk}/withdraw/")
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.status == Bid.Status.WITHDRAWN


def test_parties_see_only_the_count_and_the_times(client, bids_world):
    w = bids_world
    _, receipt = _submit(client, w)
    _submit(client, w, who="bidder2", uscc=BIDDER_USCCS[0])
    for who in ("tenderer", "agent", "centre_wh", "supervisor", "centre_jk"):
        client.force_login(w[who])
        page = client.get(f"/bidding/bids/received/{w['section'].pk}/").content.decode()
        assert 'id="bids-received">2<' in page, who
        for secret in (
            w["firm"].name,
            w["firm"].uscc,
            receipt["files"][0]["sha256"],
            receipt["number"],
        ):
            assert secret not in page, (who, secret)
        assert client.get("/api/v1/bidding/bids").status_code == 403


def test_deadline_is_set_by_the_host_centre_or_the_agency(client, bids_world):
    w = bids_world
    url = f"/bidding/bids/received/{w['section'].pk}/"
    later = timezone.localtime(timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    client.force_login(w["tenderer"])
    assert client.post(url, {"deadline": f"{later:%Y-%m-%dT%H:%M}"}).status_code == 403
    client.force_login(w["agent"])
    assert client.post(url, {"deadline": f"{later:%Y-%m-%dT%H:%M}"}).status_code == 302
    w["section"].refresh_from_db()
    assert w["section"].bid_deadline == later
    assert AuditEntry.objects.filter(action="section.set_bid_deadline").count() == 1
    _submit(client, w)
    client.force_login(w["centre_wh"])
    earlier = later - timedelta(days=1)
    page = client.post(url, {"deadline": f"{earlier:%Y-%m-%dT%H:%M}"}).content.decode()
    assert "只能推迟" in page


def test_todo_counts_the_open_sections_without_a_bid(client, bids_world):
    w = bids_world
    item = next(i for i in bidder_todos(w["bidder"]) if i.label == "待递交的投标文件")
    assert item.count == 1 and item.url == f"/bidding/bids/sections/{w['section'].pk}/seal/"
    assert item.due == timezone.localtime(w["section"].bid_deadline).date()
    _submit(client, w)
    item = next(i for i in bidder_todos(w["bidder"]) if i.label == "待递交的投标文件")
    assert item.count == 0
    other = next(i for i in bidder_todos(w["bidder3"]) if i.label == "待递交的投标文件")
    assert other.count == 0  # not registered
    assert bidder_todos(w["tenderer"]) == []


def test_an_unparsable_or_oversized_multipart_is_the_json_error_body(client, bids_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(bids_world["bidder"])
    files = [SimpleUploadedFile(f"f{n}.qqs", b"x") for n in range(11)]
    many = client.post("/api/v1/bidding/bids", {"section": "1", "manifest": "{}", "files": files})
    assert many.status_code == 400 and "上传的文件过多" in many.json()["detail"]
    broken = client.post("/api/v1/bidding/bids", b"abc", content_type="multipart/form-data")
    assert broken.status_code == 400 and broken.json()["code"] == "malformed"
    assert not Bid.objects.exists()
