"""Writes of the remote opening (不见面开标): the start at the deadline (or its refusal with
fewer than three bids), each bidder's decryption with the content key its browser unwrapped,
the window's end (a bid not decrypted is handled as the tender documents say), the objections
raised and answered on the spot, and the close with the opening record (开标记录)."""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qinqing.bidding.bids import seal
from qinqing.bidding.bids.models import Bid
from qinqing.bidding.opening import rules, signing
from qinqing.bidding.opening.models import Objection, OpenedFile, Opening, OpeningBid
from qinqing.bidding.projects.models import Bidder, Section
from qinqing.bidding.rules import RuleError
from qinqing.core.audit import audit_log
from qinqing.core.documents import document_request
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import GeneratedDocument
from qinqing.core.notifier import Message, notification_send_many
from qinqing.core.roles import Role

# the opening reads what was accepted at submission; the cap there is the per-file cap
MAX_FILE_BYTES = 1 << 40


class WrongKey(DomainError):
    """The content key does not open the bid (GCM fails): counted, audited, nothing lost."""

    status_code = 422


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _host_org(section: Section):
    return section.project.agency or section.project.host_centre


def opening_start(
    *,
    actor,
    section: Section,
    window_minutes: int = 30,
    late_treatment: str = Opening.LateTreatment.WITHDRAWN,
) -> Opening:
    """Open the section's hall at the bid deadline (招标投标法 Art.34; 电子招标投标办法 Art.29):
    every live sealed bid is called to decrypt within the window of the tender documents. With
    fewer than three valid bids (not withdrawn, not replaced) there is no opening, recorded
    with its reason (实施条例 Art.44)."""
    try:
        rules.check_window(window_minutes)
    except RuleError as exc:
        raise DomainError(str(exc), field="window_minutes") from None
    if late_treatment not in Opening.LateTreatment.values:
        raise DomainError("逾期未解密的处理方式无效", field="late_treatment")
    with transaction.atomic():
        section = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        now = timezone.now()
        try:
            rules.check_may_open(now=now, deadline=_local(section.bid_deadline))
        except RuleError as exc:
            raise ConflictError(str(exc), field="deadline", code="too_early") from None
        if Opening.objects.filter(section=section).exists():
            raise ConflictError("本标段已经开标", code="opened")
        live = list(
            Bid.objects.select_for_update()
            .filter(section=section, status=Bid.Status.SUBMITTED)
            .select_related("bidder")
            .order_by("submitted_at", "pk")
        )
        problems = rules.opening_problems(len(live))
        opening = Opening.objects.create(
            section=section,
            window_minutes=window_minutes,
            late_treatment=late_treatment,
            started_by=actor,
            started_at=now,
            status=Opening.Status.FAILED if problems else Opening.Status.DECRYPTING,
            decrypt_until=None if problems else rules.decrypt_until(now, window_minutes),
            failure_reason="；".join(problems),
            closed_at=now if problems else None,
            closed_by=actor if problems else None,
        )
        OpeningBid.objects.bulk_create(
            [
                OpeningBid(opening=opening, bid=bid, bidder=bid.bidder, position=n)
                for n, bid in enumerate(live, start=1)
            ]
        )
        detail = {
            "section": section.code,
            "valid_bids": len(live),
            "window_minutes": window_minutes,
            "late_treatment": late_treatment,
            "decrypt_until": opening.decrypt_until,
        }
        if problems:
            _freeze_record(opening)
            audit_log(
                actor=actor,
                action="opening.fail",
                obj=opening,
                organisation=_host_org(section),
                detail={**detail, "reason": opening.failure_reason},
            )
        else:
            audit_log(
                actor=actor,
                action="opening.start",
                obj=opening,
                organisation=_host_org(section),
                detail=detail,
            )
            _call_bidders(section, opening, [bid.bidder.uscc for bid in live])
    return opening


def _call_bidders(section: Section, opening: Opening, usccs: list[str]) -> int:
    """Call every bidder to decrypt (电子招标投标办法 Art.30): an in-app message to each account
    holding the bidder role at a firm with a bid at the opening, delivered after the commit."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_grants__role=Role.BIDDER,
            role_grants__organisation__uscc__in=usccs,
            role_grants__organisation__is_active=True,
        )
        .distinct()
    )
    until = _local(opening.decrypt_until)
    body = (
        f"“{section.project.name}”{section.name}已开标。请在 {until:%Y年%m月%d日 %H:%M} 前"
        "登录开标大厅，输入递交时设定的解密口令解密本单位的投标文件；"
        f"逾期未解密的，{opening.get_late_treatment_display()}。"
    )
    messages = [Message("in_app", "开标：请解密投标文件", body, recipient=u) for u in users]
    notification_send_many(actor=None, messages=messages, on_commit=True)
    return len(messages)


# --- decryption ----------------------------------------------------------------------------


def _count_failure(*, actor, opening_bid: OpeningBid, stage: str, message: str) -> int:
    """Count a failed decryption and audit it, in its own transaction (it survives the
    refusal that follows)."""
    with transaction.atomic():
        OpeningBid.objects.filter(pk=opening_bid.pk).update(
            failed_attempts=F("failed_attempts") + 1
        )
        attempts = OpeningBid.objects.values_list("failed_attempts", flat=True).get(
            pk=opening_bid.pk
        )
        audit_log(
            actor=actor,
            action="opening.decrypt_failed",
            obj=opening_bid,
            organisation=opening_bid.bid.organisation,
            detail={"stage": stage, "attempts": attempts, "reason": message},
        )
    return attempts


def _decryptable(opening_bid: OpeningBid) -> tuple[Opening, OpeningBid]:
    """Lock the opening and the bid and check a key may be given now (call inside atomic)."""
    opening = Opening.objects.select_for_update().get(pk=opening_bid.opening_id)
    opening_bid = (
        OpeningBid.objects.select_for_update()
        .select_related("bid__organisation", "bidder")
        .get(pk=opening_bid.pk)
    )
    if opening.status != Opening.Status.DECRYPTING:
        raise ConflictError(
            f"开标已进入“{opening.get_status_display()}”阶段，不能再解密", code="not_decrypting"
        )
    if not rules.window_open(now=timezone.now(), until=opening.decrypt_until):
        raise ConflictError(
            f"解密时限（{_local(opening.decrypt_until):%H:%M}）已过，不能再解密",
            code="window_closed",
        )
    if opening_bid.status != OpeningBid.Status.PENDING:
        raise ConflictError(
            f"本投标文件的状态为“{opening_bid.get_status_display()}”，无需再解密",
            code="not_pending",
        )
    return opening, opening_bid


def _unseal_files(manifest: seal.Manifest, opening_bid: OpeningBid, key: bytes) -> list:
    """Each file decrypted, streamed, into a temporary file, checked against its receipt's
    SHA-256 (seal.unseal_stream). Raises RuleError, the temporary files closed."""
    done = []
    try:
        rows = list(opening_bid.bid.files.order_by("position"))
        for row, entry in zip(rows, manifest.files, strict=True):
            out = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the caller)
            done.append((row, out))
            digest, size = hashlib.sha256(), 0
            with row.ciphertext.open("rb") as fileobj:
                for chunk in seal.unseal_stream(manifest, entry, key, fileobj):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if digest.hexdigest() != row.sha256 or size != row.size:
                raise RuleError(f"文件“{row.name}”解密后与回执中的 SHA-256 不符")
            out.seek(0)
            done[-1] = (row, out, digest.hexdigest(), size)
    except BaseException:
        for item in done:
            item[1].close()
        raise
    return done


def opening_decrypt(*, actor, opening_bid: OpeningBid, content_key: str) -> OpeningBid:
    """Decrypt a bid with the content key the bidder's browser unwrapped (电子招标投标办法
    Art.30, docs/sealed-bids.md §7, QQ-SEAL-2 or QQ-SEAL-1): the opening schedule and every file, each checked against the
    receipt's SHA-256 and kept for the evaluation; the schedule's price becomes the price the
    scoring uses. A key that fails is counted and audited and changes nothing stored."""
    try:
        key = rules.content_key(content_key)
    except RuleError as exc:
        raise DomainError(str(exc), field="content_key") from None
    stored: list[OpenedFile] = []
    failure = None
    try:
        with transaction.atomic():
            opening, opening_bid = _decryptable(opening_bid)
            bid = opening_bid.bid
            manifest = seal.manifest_check(bid.manifest, max_file_bytes=MAX_FILE_BYTES)
            try:
                schedule = seal.unseal_schedule(manifest, key)
                files = _unseal_files(manifest, opening_bid, key)
            except RuleError as exc:
                failure = str(exc)
            else:
                try:
                    for row, out, sha, size in files:
                        opened = OpenedFile(
                            opening_bid=opening_bid, bid_file=row, size=size, sha256=sha
                        )
                        opened.file.save(f"{uuid.uuid4().hex}.pdf", File(out), save=False)
                        stored.append(opened)
                finally:
                    for item in files:
                        item[1].close()
                OpenedFile.objects.bulk_create(stored)
                now = timezone.now()
                opening_bid.status = OpeningBid.Status.DECRYPTED
                opening_bid.decrypted_at, opening_bid.decrypted_by = now, actor
                opening_bid.price = schedule.price
                opening_bid.duration_days = schedule.duration_days
                opening_bid.quality = schedule.quality
                opening_bid.project_manager = schedule.project_manager
                opening_bid.declared_items = [
                    {"name": i.name, "value": i.value} for i in schedule.declared_items
                ]
                opening_bid.responses = [
                    {"criterion": r.criterion, "file": r.file, "page": r.page}
                    for r in schedule.responses
                ]
                opening_bid.save(
                    update_fields=[
                        "status",
                        "decrypted_at",
                        "decrypted_by",
                        "price",
                        "duration_days",
                        "quality",
                        "project_manager",
                        "declared_items",
                        "responses",
                    ]
                )
                bidder = Bidder.objects.select_for_update().get(pk=opening_bid.bidder_id)
                bidder.bid_price = schedule.price
                bidder.save(update_fields=["bid_price"])
                audit_log(
                    actor=actor,
                    action="opening.decrypt",
                    obj=opening_bid,
                    organisation=bid.organisation,
                    detail={
                        "bid": bid.pk,
                        "bidder": opening_bid.bidder.uscc,
                        "files": [{"name": s.bid_file.name, "sha256": s.sha256} for s in stored],
                        "at": now,
                    },
                )
                if not opening.bids.filter(status=OpeningBid.Status.PENDING).exists():
                    _start_reading(opening, actor=None, now=now)
    except BaseException:
        for opened in stored:
            opened.file.delete(save=False)
        raise
    if failure is not None:
        attempts = _count_failure(
            actor=actor, opening_bid=opening_bid, stage="server", message=failure
        )
        raise WrongKey(
            f"解密失败：密钥无法打开投标文件（{failure}）。这是第 {attempts} 次失败，已记录；"
            "已保存的投标文件不受影响，请在解密时限内核对口令后重试。",
            field="content_key",
            code="wrong_key",
        )
    return opening_bid


def opening_unwrap_failed(*, actor, opening_bid: OpeningBid) -> int:
    """The bidder's browser could not unwrap the content key (a wrong passphrase: AES-KW's
    integrity check failed, QQ-SEAL-1 §7): counted and audited; returns the count."""
    with transaction.atomic():
        _decryptable(opening_bid)
    return _count_failure(
        actor=actor, opening_bid=opening_bid, stage="browser", message="解密口令不正确"
    )


# --- the window's end and the reading ------------------------------------------------------


def _start_reading(opening: Opening, *, actor, now: datetime) -> None:
    opening.status, opening.reading_at = Opening.Status.READING, now
    opening.save(update_fields=["status", "reading_at"])
    audit_log(
        actor=actor,
        action="opening.read_out",
        obj=opening,
        organisation=_host_org(opening.section),
        detail={
            "read_out": [
                {"bidder": b.bidder.uscc, "price": b.price}
                for b in opening.bids.select_related("bidder")
                .filter(status=OpeningBid.Status.DECRYPTED)
                .order_by("position")
            ]
        },
    )


def _close_window(opening: Opening, now: datetime) -> bool:
    """Inside atomic, the opening locked: the bids still pending are handled as the tender
    documents say, then the reading starts, or the opening is refused with fewer than three
    decrypted bids (实施条例 Art.44)."""
    if opening.status != Opening.Status.DECRYPTING or rules.window_open(
        now=now, until=opening.decrypt_until
    ):
        return False
    section = opening.section
    reason = rules.late_reason(opening.late_treatment, _local(opening.decrypt_until))
    late = (
        OpeningBid.Status.REJECTED
        if opening.late_treatment == Opening.LateTreatment.REJECTED
        else OpeningBid.Status.WITHDRAWN
    )
    pending = list(
        opening.bids.select_for_update()
        .select_related("bid__organisation", "bidder")
        .filter(status=OpeningBid.Status.PENDING)
    )
    for ob in pending:
        ob.status, ob.reason = late, reason
        ob.save(update_fields=["status", "reason"])
        audit_log(
            actor=None,
            action="opening.late",
            obj=ob,
            organisation=ob.bid.organisation,
            detail={"bidder": ob.bidder.uscc, "status": late, "reason": reason},
        )
    decrypted = opening.bids.filter(status=OpeningBid.Status.DECRYPTED).count()
    problems = rules.after_window(decrypted)
    if problems:
        opening.status, opening.closed_at = Opening.Status.FAILED, now
        opening.failure_reason = "解密后" + "；".join(problems)
        opening.save(update_fields=["status", "closed_at", "failure_reason"])
        _freeze_record(opening)
        audit_log(
            actor=None,
            action="opening.fail",
            obj=opening,
            organisation=_host_org(section),
            detail={"decrypted": decrypted, "reason": opening.failure_reason},
        )
    else:
        _start_reading(opening, actor=None, now=now)
    return True


def opening_refresh(*, opening: Opening, now: datetime | None = None) -> Opening:
    """End the window if it is over (on every page load and by the periodic tick)."""
    now = now or timezone.now()
    if opening.status != Opening.Status.DECRYPTING or rules.window_open(
        now=now, until=opening.decrypt_until
    ):
        return opening
    with transaction.atomic():
        locked = (
            Opening.objects.select_for_update()
            .select_related("section__project")
            .get(pk=opening.pk)
        )
        _close_window(locked, now)
    return locked


def openings_expire(*, now: datetime | None = None) -> int:
    """The periodic tick (`bidding_tick`): every window that has ended is closed."""
    now = now or timezone.now()
    due = Opening.objects.filter(status=Opening.Status.DECRYPTING, decrypt_until__lte=now)
    count = 0
    for opening in due.iterator():
        with transaction.atomic():
            locked = (
                Opening.objects.select_for_update()
                .select_related("section__project")
                .get(pk=opening.pk)
            )
            count += _close_window(locked, now)
    return count


# --- objections -----------------------------------------------------------------------------


def objection_raise(*, actor, opening: Opening, bidder: Bidder, text: str) -> Objection:
    """A bidder's objection to the opening, raised at the opening (实施条例 Art.44)."""
    try:
        text = rules.check_text(text, "异议内容")
    except RuleError as exc:
        raise DomainError(str(exc), field="text") from None
    with transaction.atomic():
        opening = Opening.objects.select_for_update().get(pk=opening.pk)
        if opening.status not in (Opening.Status.DECRYPTING, Opening.Status.READING):
            raise ConflictError(
                "开标已结束，异议应在开标现场提出（招标投标法实施条例第四十四条）",
                code="closed",
            )
        objection = Objection.objects.create(
            opening=opening, bidder=bidder, raised_by=actor, text=text, raised_at=timezone.now()
        )
        audit_log(
            actor=actor,
            action="opening.object",
            obj=objection,
            organisation=_host_org(opening.section),
            detail={"bidder": bidder.uscc, "text": text},
        )
    return objection


def objection_answer(*, actor, objection: Objection, answer: str) -> Objection:
    """The host answers an objection on the spot, before the opening ends (实施条例 Art.44)."""
    try:
        answer = rules.check_text(answer, "答复内容")
    except RuleError as exc:
        raise DomainError(str(exc), field="answer") from None
    with transaction.atomic():
        opening = Opening.objects.select_for_update().get(pk=objection.opening_id)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if opening.status not in (Opening.Status.DECRYPTING, Opening.Status.READING):
            raise ConflictError("开标已结束", code="closed")
        if objection.answered_at is not None:
            raise ConflictError("该异议已答复", code="answered")
        objection.answer, objection.answered_by = answer, actor
        objection.answered_at = timezone.now()
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        audit_log(
            actor=actor,
            action="opening.answer",
            obj=objection,
            organisation=_host_org(opening.section),
            detail={"answer": answer},
        )
    return objection


# --- the record -----------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def record_snapshot(opening: Opening) -> dict:
    """The opening record's content (招标投标法 Art.36; 实施条例 Art.44): the section, the
    times, every bid with its state and, once decrypted, its schedule and files' hashes, the
    objections with their answers, the K coefficient drawn at the opening. No expert."""
    section, project = opening.section, opening.section.project
    from qinqing.bidding.evaluation.models import CoefficientDraw

    draw = CoefficientDraw.objects.filter(
        session__section=section, witnessed_at__isnull=False
    ).first()
    bids = []
    for ob in opening.bids.select_related("bidder").prefetch_related("files__bid_file"):
        bids.append(
            {
                "position": ob.position,
                "bidder": ob.bidder.name,
                "uscc": ob.bidder.uscc,
                "status": ob.status,
                "status_label": str(ob.get_status_display()),
                "reason": ob.reason,
                "decrypted_at": _iso(ob.decrypted_at),
                "price": format(ob.price, "f") if ob.price is not None else None,
                "duration_days": ob.duration_days,
                "quality": ob.quality,
                "project_manager": ob.project_manager,
                "declared_items": ob.declared_items,
                "files": [
                    {"role": f.bid_file.role, "name": f.bid_file.name, "sha256": f.sha256}
                    for f in ob.files.all()
                ],
            }
        )
    return {
        "project_code": project.code,
        "project_name": project.name,
        "section_code": section.code,
        "section_name": section.name,
        "bid_deadline": _iso(section.bid_deadline),
        "started_at": _iso(opening.started_at),
        "window_minutes": opening.window_minutes,
        "late_treatment": str(opening.get_late_treatment_display()),
        "decrypt_until": _iso(opening.decrypt_until),
        "closed_at": _iso(opening.closed_at),
        "status": opening.status,
        "status_label": str(opening.get_status_display()),
        "failure_reason": opening.failure_reason,
        "bids": bids,
        "objections": [
            {
                "bidder": o.bidder.name,
                "text": o.text,
                "raised_at": _iso(o.raised_at),
                "answer": o.answer,
                "answered_at": _iso(o.answered_at),
            }
            for o in opening.objections.select_related("bidder").order_by("raised_at", "pk")
        ],
        "k": {"value": format(draw.k, "f"), "draw_id": draw.draw_id} if draw else None,
    }


def _freeze_record(opening: Opening) -> None:
    record = record_snapshot(opening)
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    opening.record = record
    opening.record_sha256 = hashlib.sha256(canonical.encode()).hexdigest()
    opening.save(update_fields=["record", "record_sha256"])


def opening_close(*, actor, opening: Opening) -> Opening:
    """End the opening after the reading, every objection answered on the spot (实施条例
    Art.44); the record is frozen, its hash audited, its PDF rendered on the queue."""
    with transaction.atomic():
        opening = (
            Opening.objects.select_for_update()
            .select_related("section__project")
            .get(pk=opening.pk)
        )
        if opening.status != Opening.Status.READING:
            raise ConflictError(
                f"开标处于“{opening.get_status_display()}”阶段，唱标开始后才能结束", code="state"
            )
        if opening.objections.filter(answered_at__isnull=True).exists():
            raise ConflictError(
                "尚有异议未答复：开标现场的异议应当场答复（招标投标法实施条例第四十四条）",
                code="unanswered",
            )
        opening.status, opening.closed_at, opening.closed_by = (
            Opening.Status.CLOSED,
            timezone.now(),
            actor,
        )
        opening.save(update_fields=["status", "closed_at", "closed_by"])
        _freeze_record(opening)
        document = record_document(actor=actor, opening=opening)
        audit_log(
            actor=actor,
            action="opening.close",
            obj=opening,
            organisation=_host_org(opening.section),
            detail={"record_sha256": opening.record_sha256, "document": document.pk},
        )
        # the collusion screening (清标) of the unsealed bids, before the committee starts
        from qinqing.bidding.screening.services import screening_request

        screening_request(actor=None, section=opening.section)
    return opening


def record_document(*, actor, opening: Opening) -> GeneratedDocument:
    """The opening record's PDF, sealed by the host centre (`signing.sealed_record`, on the task
    queue), from the frozen record."""
    if not opening.record:
        raise ConflictError("开标尚未结束，开标记录尚未形成", code="state")
    return document_request(
        actor=actor,
        renderer=signing.RENDERER,
        params={"opening": opening.pk},
        filename=f"opening-record-{opening.section_id}.pdf",
        content_type="application/pdf",
        fingerprint=opening.record_sha256,
    )
