"""Writes of sealed bids: the section's bid deadline, a submission (which replaces the bidder's
earlier bid) and a withdrawal, each with its receipt (回执) in the audit chain."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from qinqing.bidding.bids import rules, seal
from qinqing.bidding.bids.models import Bid, BidFile, BidReceipt, BidUpload
from qinqing.bidding.projects.models import Bidder, Section
from qinqing.bidding.rules import RuleError
from qinqing.core import limits
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import grants_of
from qinqing.core.roles import Role

MAX_MANIFEST_CHARS = 256 * 1024


class NotRegistered(DomainError):
    """The firm is not registered for the section (or the account is not the firm's)."""

    status_code = 403


def max_file_bytes() -> int:
    return settings.QINQING_BID_MAX_FILE_BYTES


def max_total_bytes() -> int:
    return settings.QINQING_BID_MAX_TOTAL_BYTES


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _open(section: Section, action: str) -> None:
    try:
        rules.check_open(now=timezone.now(), deadline=_local(section.bid_deadline), action=action)
    except RuleError as exc:
        raise ConflictError(str(exc), field="deadline", code="deadline") from None


def section_deadline_set(*, actor, section: Section, deadline: datetime) -> Section:
    """Record the bid deadline of the tender documents (招标投标法 Art.34: the opening is at
    the deadline). It can be moved only while it is still ahead, and only to a later time
    once bids have arrived (招标投标法 Art.23: a change reaches every bidder in time)."""
    if timezone.is_naive(deadline):
        raise DomainError("投标截止时间须含时区", field="deadline")
    limits.check_date(timezone.localtime(deadline).date(), field="deadline", label="投标截止时间")
    with transaction.atomic():
        section = Section.objects.select_for_update().get(pk=section.pk)
        now = timezone.now()
        if deadline <= now:
            raise DomainError("投标截止时间须晚于当前时间", field="deadline")
        if section.bid_deadline is not None and section.bid_deadline <= now:
            raise ConflictError("投标截止时间已过，不能再修改", field="deadline")
        received = section.bids.filter(status=Bid.Status.SUBMITTED).exists()
        if received and section.bid_deadline and deadline < section.bid_deadline:
            raise ConflictError("已有投标人递交投标文件，投标截止时间只能推迟", field="deadline")
        before = section.bid_deadline
        section.bid_deadline = deadline
        section.save(update_fields=["bid_deadline"])
        audit_log(
            actor=actor,
            action="section.set_bid_deadline",
            obj=section,
            organisation=section.project.host_centre,
            detail={"from": before, "to": deadline},
        )
    return section


def _manifest(raw) -> tuple[seal.Manifest, dict]:
    if isinstance(raw, str):
        if len(raw) > MAX_MANIFEST_CHARS:
            raise DomainError("密封清单过大", field="manifest")
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise DomainError("密封清单不是有效的 JSON", field="manifest") from None
    try:
        return seal.manifest_check(raw, max_file_bytes=max_file_bytes()), raw
    except RuleError as exc:
        raise DomainError(str(exc), field="manifest", code="manifest") from None


def _firm_and_registration(actor, section: Section, uscc: str) -> tuple[Organisation, Bidder]:
    firm = Organisation.objects.filter(
        pk__in=grants_of(actor).org_ids(Role.BIDDER), kind=Organisation.Kind.FIRM, uscc=uscc
    ).first()
    if firm is None:
        raise NotRegistered(
            f"密封清单中的投标人（统一社会信用代码 {uscc}）不是您所在的投标企业",
            field="manifest",
            code="not_your_firm",
        )
    bidder = Bidder.objects.filter(section=section, uscc=uscc).first()
    if bidder is None:
        raise NotRegistered(
            f"{firm.name}未报名“{section.project.name}”{section.name}，不能递交投标文件；"
            "请先向招标人或招标代理机构报名",
            field="section",
            code="not_registered",
        )
    return firm, bidder


def _sha256(upload) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in iter(lambda: upload.read(seal.CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _check_files(manifest: seal.Manifest, files: Sequence) -> None:
    if len(files) != len(manifest.files):
        raise DomainError(
            f"上传了 {len(files)} 个密文文件，密封清单列出 {len(manifest.files)} 个", field="files"
        )
    total = sum(e.ciphertext_size for e in manifest.files)
    if total > max_total_bytes():
        raise DomainError(
            f"投标文件合计 {total} 字节，超过上限 {max_total_bytes()} 字节", field="files"
        )
    for entry, upload in zip(manifest.files, files, strict=True):
        sha, size = _sha256(upload)
        if size != entry.ciphertext_size:
            raise DomainError(
                f"文件“{entry.name}”的密文长度 {size} 字节与清单所列 {entry.ciphertext_size} 字节不符",
                field="files",
                code="ciphertext_mismatch",
            )
        if sha != entry.ciphertext_sha256:
            raise DomainError(
                f"文件“{entry.name}”的密文 SHA-256 与清单不符：上传不完整或已被改动",
                field="files",
                code="ciphertext_mismatch",
            )


def _receipt(bid: Bid, kind: str, at: datetime, actor, action: str) -> BidReceipt:
    section, project = bid.section, bid.section.project
    files = [
        {
            "role": f.role,
            "name": f.name,
            "size": f.size,
            "sha256": f.sha256,
            "ciphertext_sha256": f.ciphertext_sha256,
        }
        for f in bid.files.order_by("position")
    ]
    receipt = BidReceipt.objects.create(
        number=rules.receipt_number(
            issued_at=timezone.localtime(at),
            section_id=section.pk,
            bid_id=bid.pk,
            withdrawal=kind == BidReceipt.Kind.WITHDRAWN,
        ),
        bid=bid,
        kind=kind,
        issued_at=at,
        project_code=project.code,
        project_name=project.name,
        section_code=section.code,
        section_name=section.name,
        bidder_name=bid.bidder.name,
        bidder_uscc=bid.bidder.uscc,
        files=files,
        manifest_sha256=bid.manifest_sha256,
    )
    entry = audit_log(
        actor=actor,
        action=action,
        obj=bid,
        organisation=bid.organisation,
        detail={
            "receipt": receipt.number,
            "project": project.code,
            "section": section.code,
            "bidder": bid.bidder.uscc,
            "manifest_sha256": bid.manifest_sha256,
            "files": files,
            "at": at,
        },
    )
    receipt.audit_seq, receipt.audit_hash = entry.seq, entry.hash
    receipt.save(update_fields=["audit_seq", "audit_hash"])
    return receipt


def bid_submit(
    *,
    actor,
    section: Section,
    manifest,
    files: Sequence,
    source: str = Bid.Source.API,
    client_ip: str | None = None,
    user_agent: str = "",
) -> BidReceipt:
    """Receive a sealed bid (QQ-SEAL-2 or QQ-SEAL-1) before the deadline and issue its receipt (招标投标法
    Art.28; 电子招标投标办法 Art.25, Art.26). A bidder's earlier bid is replaced (Art.29), both
    receipts kept. Nothing is stored unless every check passes: the manifest, the firm's
    registration, the deadline, each ciphertext's length and SHA-256. The uploading address
    and device are kept for the screening of 实施条例 Art.40 (bids sent from one place)."""
    checked, raw = _manifest(manifest)
    if checked.section != section.pk:
        raise DomainError(
            f"密封清单是为标段 {checked.section} 密封的，不是本标段（{section.pk}）",
            field="manifest",
            code="manifest",
        )
    firm, bidder = _firm_and_registration(actor, section, checked.bidder)
    _check_files(checked, files)
    canonical = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    stored: list[BidFile] = []
    try:
        with transaction.atomic():
            section = (
                Section.objects.select_for_update().select_related("project").get(pk=section.pk)
            )
            _open(section, "递交")
            now = timezone.now()
            earlier = (
                Bid.objects.select_for_update()
                .filter(bidder=bidder, status=Bid.Status.SUBMITTED)
                .first()
            )
            if earlier is not None:
                earlier.status, earlier.closed_at = Bid.Status.REPLACED, now
                earlier.save(update_fields=["status", "closed_at"])
            bid = Bid.objects.create(
                section=section,
                bidder=bidder,
                organisation=firm,
                submitted_by=actor,
                source=source,
                client_ip=client_ip,
                user_agent=user_agent[:300],
                manifest=raw,
                manifest_sha256=hashlib.sha256(canonical.encode()).hexdigest(),
                submitted_at=now,
            )
            if earlier is not None:
                earlier.replaced_by = bid
                earlier.save(update_fields=["replaced_by"])
            for position, (entry, upload) in enumerate(zip(checked.files, files, strict=True)):
                row = BidFile(
                    bid=bid,
                    position=position,
                    role=entry.role,
                    name=entry.name,
                    size=entry.size,
                    sha256=entry.sha256,
                    nonce=seal.b64(entry.nonce),
                    ciphertext_size=entry.ciphertext_size,
                    ciphertext_sha256=entry.ciphertext_sha256,
                )
                upload.seek(0)
                row.ciphertext.save(f"{uuid.uuid4().hex}.qqs", File(upload), save=False)
                stored.append(row)
            BidFile.objects.bulk_create(stored)
            receipt = _receipt(
                bid,
                BidReceipt.Kind.SUBMITTED,
                now,
                actor,
                "bid.replace" if earlier else "bid.submit",
            )
    except BaseException:
        for row in stored:  # the transaction rolled back: its files go too
            row.ciphertext.delete(save=False)
        raise
    return receipt


def bid_withdraw(*, actor, bid: Bid) -> BidReceipt:
    """Withdraw a bid before the deadline (招标投标法 Art.29; 实施条例 Art.35), with its
    receipt. The ciphertext stays on record; the opening never decrypts it."""
    with transaction.atomic():
        section = (
            Section.objects.select_for_update().select_related("project").get(pk=bid.section_id)
        )
        bid = Bid.objects.select_for_update().select_related("bidder").get(pk=bid.pk)
        if bid.status != Bid.Status.SUBMITTED:
            raise ConflictError("该投标文件已被替换或撤回", code="not_live")
        _open(section, "撤回")
        now = timezone.now()
        bid.status, bid.closed_at = Bid.Status.WITHDRAWN, now
        bid.save(update_fields=["status", "closed_at"])
        bid.section = section
        return _receipt(bid, BidReceipt.Kind.WITHDRAWN, now, actor, "bid.withdraw")


# --- the chunked upload (QQ-SEAL-2 §6) -------------------------------------------------------

UPLOAD_TTL = timedelta(hours=2)  # since the last piece received
UPLOAD_PIECE_MAX = 16 * 1024 * 1024  # one request's bytes (the browser sends 8 chunks)


def max_ciphertext_bytes() -> int:
    """The largest ciphertext of one file: the plaintext cap plus one tag per 1 MiB chunk."""
    return max_file_bytes() + seal.TAG_BYTES * seal.chunk_count(max_file_bytes())


def upload_dir(upload_id) -> Path:
    return Path(settings.MEDIA_ROOT) / "bidding" / "uploads" / str(upload_id)


def _part(upload_id, index: int) -> Path:
    return upload_dir(upload_id) / f"{index}.part"


def _discard(uploads) -> int:
    ids = [u.pk for u in uploads]
    BidUpload.objects.filter(pk__in=ids).delete()
    for pk in ids:
        shutil.rmtree(upload_dir(pk), ignore_errors=True)
    return len(ids)


def uploads_expire(*, now: datetime | None = None) -> int:
    """Delete the chunked uploads not added to for UPLOAD_TTL, with their temporary files
    (the periodic `bidding_tick`, and every new upload): nothing of them was submitted."""
    now = now or timezone.now()
    return _discard(BidUpload.objects.filter(expires_at__lte=now).only("pk"))


def upload_start(*, actor, section: Section, sizes: Sequence[int]) -> BidUpload:
    """Open a chunked upload of a bid's ciphertexts for the section (QQ-SEAL-2 §6): the
    account's firm registered, the deadline ahead, the declared ciphertext sizes within the
    caps (电子招标投标办法 Art.25: bids are received before the deadline). The account's
    earlier unfinished uploads for the section are discarded."""
    if not 1 <= len(sizes) <= seal.MAX_FILES:
        raise DomainError(f"投标文件应为 1 至 {seal.MAX_FILES} 个", field="sizes")
    for n, size in enumerate(sizes, start=1):
        if not isinstance(size, int) or isinstance(size, bool) or size <= seal.TAG_BYTES:
            raise DomainError(f"第 {n} 个文件的密文大小应为大于 16 的整数", field="sizes")
        if size > max_ciphertext_bytes():
            raise DomainError(
                f"第 {n} 个文件过大：密文 {size} 字节，上限 {max_ciphertext_bytes()} 字节",
                field="sizes",
                code="too_large",
            )
    if sum(sizes) > max_total_bytes():
        raise DomainError(
            f"投标文件合计 {sum(sizes)} 字节，超过上限 {max_total_bytes()} 字节",
            field="sizes",
            code="too_large",
        )
    _open(section, "递交")
    uploads_expire()
    _discard(BidUpload.objects.filter(created_by=actor, section=section).only("pk"))
    now = timezone.now()
    upload = BidUpload.objects.create(
        section=section,
        created_by=actor,
        created_at=now,
        expires_at=now + UPLOAD_TTL,
        sizes=list(sizes),
        received=[[0, 0] for _ in sizes],
    )
    directory = upload_dir(upload.pk)
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(len(sizes)):
        _part(upload.pk, index).touch()
    return upload


def _my_upload(actor, upload_id) -> BidUpload:
    """The account's own upload, locked; another account's (or none) is a 404, an expired one
    a 409 (and is discarded)."""
    upload = (
        BidUpload.objects.select_for_update()
        .select_related("section__project")
        .filter(pk=upload_id, created_by=actor)
        .first()
    )
    if upload is None:
        raise Http404
    if upload.expires_at <= timezone.now():
        raise ConflictError("本次上传已过期，请重新加密并递交", code="upload_expired")
    return upload


def upload_piece(*, actor, upload_id, index: int, chunk: int, data: bytes) -> BidUpload:
    """Append piece `chunk` of file `index` to the upload's temporary file: only the account
    that opened it, only the next piece in order, never beyond the file's declared size, and
    only before the deadline (电子招标投标办法 Art.25). The ciphertext is checked as a whole
    at `upload_finish`."""
    with transaction.atomic():
        upload = _my_upload(actor, upload_id)
        _open(upload.section, "递交")
        if not 0 <= index < len(upload.sizes):
            raise DomainError(f"本次上传没有第 {index + 1} 个文件", field="index")
        pieces, received = upload.received[index]
        if chunk != pieces:
            raise ConflictError(
                f"第 {index + 1} 个文件应上传第 {pieces} 块，收到的是第 {chunk} 块：须按顺序上传",
                field="chunk",
                code="out_of_order",
            )
        if not data:
            raise DomainError("上传的块为空", field="chunk")
        if len(data) > UPLOAD_PIECE_MAX:
            raise DomainError(f"每块最多 {UPLOAD_PIECE_MAX} 字节", field="chunk", code="too_large")
        if received + len(data) > upload.sizes[index]:
            raise DomainError(
                f"第 {index + 1} 个文件的密文超过了声明的 {upload.sizes[index]} 字节",
                field="chunk",
                code="too_large",
            )
        with _part(upload.pk, index).open("r+b") as out:
            out.seek(received)  # a piece written before a failed save is overwritten
            out.write(data)
            out.truncate()
        upload.received[index] = [pieces + 1, received + len(data)]
        upload.expires_at = timezone.now() + UPLOAD_TTL
        upload.save(update_fields=["received", "expires_at"])
    return upload


def upload_finish(
    *,
    actor,
    upload_id,
    manifest,
    source: str = Bid.Source.BROWSER,
    client_ip: str | None = None,
    user_agent: str = "",
) -> BidReceipt:
    """Submit the uploaded ciphertexts with their manifest (QQ-SEAL-2 §6): every file
    complete, then exactly `bid_submit`'s checks and receipt (招标投标法 Art.28; 电子招标投标办法
    Art.25, Art.26). The temporary files go once the bid is stored; on a refusal nothing is
    stored and the upload stays until it expires."""
    with transaction.atomic():
        upload = _my_upload(actor, upload_id)
        for index, (size, (_, received)) in enumerate(
            zip(upload.sizes, upload.received, strict=True)
        ):
            if received != size:
                raise ConflictError(
                    f"第 {index + 1} 个文件尚未上传完整：已收到 {received} 字节，应为 {size} 字节",
                    code="incomplete",
                )
        with ExitStack() as stack:
            files = [
                stack.enter_context(_part(upload.pk, index).open("rb"))
                for index in range(len(upload.sizes))
            ]
            receipt = bid_submit(
                actor=actor,
                section=upload.section,
                manifest=manifest,
                files=files,
                source=source,
                client_ip=client_ip,
                user_agent=user_agent,
            )
        upload_id = upload.pk
        upload.delete()
    shutil.rmtree(upload_dir(upload_id), ignore_errors=True)  # the bid has its own copies
    return receipt
