"""The audit chain's head is published daily and signed: a chain re-hashed after the fact is
whole, so verify_chain passes it, but it no longer holds what was published."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qinqing.core.audit import (
    AnchorError,
    anchor_record,
    audit_log,
    row_hash,
    verify_anchors,
    verify_chain,
)
from qinqing.core.models import AuditAnchor, AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


def _append(n, start=0):
    for i in range(start, start + n):
        audit_log(actor=None, action="test.event", detail={"i": i})


def _rehash_from(seq: int, **changes) -> None:
    """What an intruder with the database would do: change a row, recompute every later link
    and the head, so that the chain is whole again."""
    AuditEntry.objects.filter(seq=seq).update(**changes)
    prev = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        entry.prev_hash, entry.hash = prev, row_hash(prev, entry)
        entry.save(update_fields=["prev_hash", "hash"])
        prev = entry.hash
    AuditChainHead.objects.filter(pk=1).update(hash=prev)


@pytest.fixture
def kept_file(tmp_path, client):
    """Anchors of two days, downloaded from the public page as a supervisor would keep them."""
    _append(3)
    anchor_record(day=date(2026, 12, 6))
    _append(3, start=3)
    anchor_record(day=date(2026, 12, 7))
    response = client.get("/audit/anchors.json")
    assert response.status_code == 200
    path = tmp_path / "anchors.json"
    path.write_bytes(response.content)
    return path


def test_a_rehashed_chain_passes_alone_but_not_against_the_anchors(kept_file, capsys):
    call_command("audit_verify", "--anchors", str(kept_file))
    assert "与 2 个公布的锚点一致" in capsys.readouterr().out

    _rehash_from(2, action="test.forged")
    assert verify_chain().ok  # whole again: the chain alone cannot tell
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", "--anchors", str(kept_file))
    assert refused.value.returncode == 1
    assert "第 3 条记录" in str(refused.value) and "2026-12-06" in str(refused.value)


def test_rows_after_the_last_anchor_are_checked_by_the_chain_alone(kept_file):
    last = AuditAnchor.objects.get(day=date(2026, 12, 7)).seq
    _append(2, start=10)
    _rehash_from(last + 2, action="test.forged")  # after every anchor: not provable yet
    assert verify_anchors(json.loads(kept_file.read_text())).ok


def test_a_forged_file_does_not_verify(kept_file):
    document = json.loads(kept_file.read_text())
    _rehash_from(2, action="test.forged")
    document["anchors"][0]["hash"] = AuditEntry.objects.get(seq=3).hash  # matches the forgery
    report = verify_anchors(document)
    assert not report.ok and "签名无效" in report.reason
    assert not verify_anchors({"anchors": []}).ok


def test_a_file_signed_with_another_key_is_refused(kept_file, settings):
    settings.QINQING_SIGNING_KEY = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="
    assert "签名无效" in verify_anchors(json.loads(kept_file.read_text())).reason


def test_one_anchor_a_day_audited_and_never_of_a_broken_chain():
    assert anchor_record(day=date(2026, 12, 6)) is None  # an empty chain has no head
    _append(2)
    first = anchor_record(day=date(2026, 12, 6))
    _append(1)
    assert anchor_record(day=date(2026, 12, 6)) == first  # the first of the day stands
    entry = AuditEntry.objects.get(action="audit.anchor")
    assert entry.detail == {"day": "2026-12-06", "seq": 2, "hash": first.hash}
    AuditEntry.objects.filter(seq=1).update(action="forged")
    with pytest.raises(AnchorError, match="第 1 条"):
        anchor_record(day=date(2026, 12, 7))


def test_the_anchors_are_public(client):
    _append(1)
    call_command("audit_anchor")
    page = client.get("/audit/anchors/")
    assert page.status_code == 200
    html = page.content.decode()
    anchor = AuditAnchor.objects.get()
    assert anchor.hash in html and "下载签名的锚点文件" in html
    document = client.get("/audit/anchors.json").json()
    assert document["anchors"] == [
        {"day": anchor.day.isoformat(), "seq": anchor.seq, "hash": anchor.hash}
    ]
    assert document["public_key"] in html
