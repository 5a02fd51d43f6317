"""The hash-chained audit log.

Each row: hash = SHA-256(prev_hash || canonical JSON of the row), where the canonical JSON has
sorted keys, no spaces, UTF-8, times in UTC with microseconds. Appends are serialised by locking
the single AuditChainHead row, so the chain stays linear under concurrent writers (PostgreSQL)
and SQLite's IMMEDIATE transactions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from qinqing.core.models import AuditChainHead, AuditEntry, Organisation

GENESIS_HASH = "0" * 64


def _plain(detail: dict[str, Any] | None) -> dict[str, Any]:
    """Detail as plain JSON values (Decimal, date, UUID → strings), as the database returns it."""
    return json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def canonical_row(entry: AuditEntry) -> bytes:
    row = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "organisation": entry.organisation_id,
        "detail": entry.detail,
    }
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_row(entry)).hexdigest()


def _locked_head() -> AuditChainHead:
    """The chain head, locked; created on first use from the last row (or the genesis hash)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEntry.objects.order_by("-seq").first()
        AuditChainHead.objects.get_or_create(
            pk=1,
            defaults={"seq": last.seq, "hash": last.hash} if last else {"hash": GENESIS_HASH},
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def audit_log(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    organisation: Organisation | None = None,
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one row to the chain; call it inside the service's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    user = actor if getattr(actor, "is_authenticated", False) else None
    # No savepoint: a failed audit write must fail the caller's whole change anyway.
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        now = timezone.now()
        entry = AuditEntry(
            seq=head.seq + 1,
            # Milliseconds: JSON backups (DjangoJSONEncoder) keep no more, and the hash covers it.
            at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            actor=user,
            actor_label=user.get_username() if user else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            organisation=organisation,
            detail=_plain(detail),
            prev_hash=head.hash,
        )
        entry.hash = row_hash(head.hash, entry)
        entry.save(force_insert=True)
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def _rows() -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain() -> ChainReport:
    """Re-compute every hash; name the first row that does not match its predecessor or itself."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for entry in _rows():
        if entry.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"缺少第 {expected_seq} 条记录")
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, "前一哈希与上一条记录不一致")
        if row_hash(prev_hash, entry) != entry.hash:
            return ChainReport(False, checked, entry.seq, "记录内容与哈希不符（已被修改）")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None and checked:
        return ChainReport(False, checked, checked + 1, "链头记录缺失")
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return ChainReport(False, checked, checked + 1, "链尾记录缺失（链头与最后一条不一致）")
    return ChainReport(True, checked)
