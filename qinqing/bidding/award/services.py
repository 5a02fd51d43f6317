"""Writes from the sealed report to the award: the candidates' publication (实施条例 Art.54),
the bidders' objections and the tenderer's answers (Art.54 para.2), complaints and the
supervising department's handling (Art.60-62), the award and result notices, each a PDF
sealed with the host centre's seal (招标投标法 Art.45), and the signed contract the tenderer
records (Art.46; 实施条例 Art.57)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from qinqing.bidding.award import rules
from qinqing.bidding.award.models import (
    AwardNotice,
    AwardSuccession,
    Complaint,
    Contract,
    Publication,
    ResultObjection,
)
from qinqing.bidding.projects.models import Bidder, Section
from qinqing.bidding.report.models import Report
from qinqing.bidding.rules import RuleError
from qinqing.core import calendar
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import SigningCertificate
from qinqing.core.notifier import Message, notification_send_many
from qinqing.core.roles import Role
from qinqing.core.signing import pdf as signing_pdf

SEAL_ANCHOR = "qq-seal"
SEAL_PURPOSE = "电子交易专用章"


def _tenderer_org(section: Section):
    return section.project.agency or section.project.host_centre


def _dec(value) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def candidates_of(report: Report) -> list[rules.Candidate]:
    """The candidates as the sealed report has them: rank, bidder, total, evaluated price and
    bid price (no expert data: the report's ranking part has none)."""
    prices = {b["uscc"]: b.get("bid_price") for b in report.content.get("bidders", [])}
    return [
        rules.Candidate(
            rank=int(c["rank"]),
            bidder=c["bidder"],
            uscc=c["uscc"],
            total=_dec(c.get("total")),
            evaluated_price=_dec(c.get("evaluated_price")),
            bid_price=_dec(prices.get(c["uscc"])),
        )
        for c in report.content.get("candidates", [])
    ]


def _candidate_json(c: rules.Candidate) -> dict:
    def text(v):
        return format(v, "f") if v is not None else None

    return {
        "rank": c.rank,
        "bidder": c.bidder,
        "uscc": c.uscc,
        "total": text(c.total),
        "evaluated_price": text(c.evaluated_price),
        "bid_price": text(c.bid_price),
    }


def stored_candidates(publication: Publication) -> list[rules.Candidate]:
    return [
        rules.Candidate(
            rank=c["rank"],
            bidder=c["bidder"],
            uscc=c["uscc"],
            total=_dec(c["total"]),
            evaluated_price=_dec(c["evaluated_price"]),
            bid_price=_dec(c["bid_price"]),
        )
        for c in publication.candidates
    ]


def _bidder_users(usccs):
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_grants__role=Role.BIDDER,
            role_grants__organisation__uscc__in=list(usccs),
            role_grants__organisation__is_active=True,
        )
        .distinct()
    )


# --- publication ----------------------------------------------------------------------------


def publication_publish(
    *,
    actor,
    section: Section,
    period_days: int = rules.MIN_PUBLICATION_DAYS,
    received_on: date | None = None,
    note: str = "",
) -> Publication:
    """Publish the candidates of the sealed report on the public page (实施条例 Art.54 para.1):
    ranked, with their prices and scores as the report has them, never the experts; for
    `period_days` (at least 3) from the day after. `received_on`: the day the tenderer received
    the report (default: the day it was sealed); publishing after the 3rd day after it is
    allowed (the candidates must still be published) and recorded as late."""
    try:
        period_days = rules.check_period(period_days)
    except RuleError as exc:
        raise DomainError(str(exc), field="period_days") from None
    if len(note) > rules.MAX_TEXT:
        raise DomainError(f"公示说明不能超过 {rules.MAX_TEXT} 个字符", field="note")
    with transaction.atomic():
        section = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        report = (
            Report.objects.select_related("session")
            .filter(session__section=section, status=Report.Status.SEALED)
            .first()
        )
        if report is None:
            raise ConflictError("评标报告尚未封存，不能公示中标候选人", code="no_report")
        if Publication.objects.filter(section=section).exists():
            raise ConflictError("本标段的中标候选人已公示", code="published")
        now = timezone.localtime()
        received_on = received_on or timezone.localdate(report.sealed_at or report.built_at)
        if received_on > now.date() or received_on < timezone.localdate(report.built_at):
            raise DomainError("收到评标报告的日期应在报告生成之后、今天之前", field="received_on")
        try:
            candidates = rules.check_candidates(candidates_of(report))
            late = rules.publication_late(received_on=received_on, published_on=now.date())
        except RuleError as exc:
            raise ConflictError(str(exc), code="candidates") from None
        publication = Publication.objects.create(
            section=section,
            report=report,
            candidates=[_candidate_json(c) for c in candidates],
            received_on=received_on,
            published_at=now,
            period_days=period_days,
            ends_at=rules.publication_ends(now, period_days),
            late=late,
            published_by=actor,
            note=note.strip(),
        )
        audit_log(
            actor=actor,
            action="award.publish",
            obj=publication,
            organisation=_tenderer_org(section),
            detail={
                "section": section.code,
                "candidates": publication.candidates,
                "received_on": received_on,
                "period_days": period_days,
                "ends_at": publication.ends_at,
                "late": late,
            },
        )
        usccs = section.bidders.values_list("uscc", flat=True)
        ends = timezone.localtime(publication.ends_at)
        body = (
            f"“{section.project.name}”{section.name}的中标候选人已公示，公示期至 "
            f"{ends:%Y年%m月%d日 %H:%M}。对评标结果有异议的，应在公示期间提出（招标投标法实施条例第五十四条）。"
        )
        notification_send_many(
            actor=actor,
            messages=[
                Message("in_app", "中标候选人公示", body, recipient=u) for u in _bidder_users(usccs)
            ],
            on_commit=True,
        )
    return publication


# --- objections -----------------------------------------------------------------------------


def objection_raise(
    *, actor, publication: Publication, bidder: Bidder, text: str
) -> ResultObjection:
    """A bidder's objection to the evaluation result during the publication (实施条例 Art.54
    para.2); the tenderer must answer within 3 days, the procedure paused until then."""
    try:
        text = rules.check_text(text, "异议内容")
    except RuleError as exc:
        raise DomainError(str(exc), field="text") from None
    with transaction.atomic():
        publication = (
            Publication.objects.select_for_update()
            .select_related("section__project")
            .get(pk=publication.pk)
        )
        if bidder.section_id != publication.section_id:
            raise DomainError("该投标人未参加本标段", field="bidder")
        now = timezone.localtime()
        try:
            rules.check_may_object(
                now=now, published_at=publication.published_at, ends_at=publication.ends_at
            )
        except RuleError as exc:
            raise ConflictError(str(exc), code="closed") from None
        objection = ResultObjection.objects.create(
            publication=publication,
            bidder=bidder,
            raised_by=actor,
            text=text,
            raised_at=now,
            answer_due=rules.answer_due(now),
        )
        section = publication.section
        audit_log(
            actor=actor,
            action="award.object",
            obj=objection,
            organisation=_tenderer_org(section),
            detail={"bidder": bidder.uscc, "text": text, "answer_due": objection.answer_due},
        )
    return objection


def objection_answer(*, actor, objection: ResultObjection, answer: str) -> ResultObjection:
    """The tenderer's written answer (实施条例 Art.54 para.2). An answer after the 3 days is
    still recorded (and shown as late): the procedure stays paused until it is given."""
    try:
        answer = rules.check_text(answer, "答复内容")
    except RuleError as exc:
        raise DomainError(str(exc), field="answer") from None
    with transaction.atomic():
        objection = (
            ResultObjection.objects.select_for_update()
            .select_related("publication__section__project", "bidder")
            .get(pk=objection.pk)
        )
        if objection.answered_at is not None:
            raise ConflictError("该异议已答复", code="answered")
        now = timezone.now()
        objection.answer, objection.answered_by, objection.answered_at = answer, actor, now
        objection.save(update_fields=["answer", "answered_by", "answered_at"])
        audit_log(
            actor=actor,
            action="award.answer",
            obj=objection,
            organisation=_tenderer_org(objection.publication.section),
            detail={"answer": answer, "late": now >= objection.answer_due},
        )
        notification_send_many(
            actor=actor,
            messages=[
                Message(
                    "in_app",
                    "评标结果异议已答复",
                    f"您对“{objection.publication.section.project.name}”评标结果的异议已答复：{answer}",
                    recipient=objection.raised_by,
                )
            ],
            on_commit=True,
        )
    return objection


# --- complaints -----------------------------------------------------------------------------


def objection_settled_on(objection: ResultObjection | None, now: datetime) -> date | None:
    """The day an objection was answered, or its answer period ran out (实施条例 Art.60
    para.2); None while it is still pending."""
    if objection is None:
        return None
    if objection.answered_at is not None:
        return timezone.localdate(objection.answered_at)
    if now >= objection.answer_due:
        return timezone.localdate(objection.answer_due)
    return None


def complaint_lodge(
    *,
    actor,
    section: Section,
    bidder: Bidder,
    objection: ResultObjection | None,
    text: str,
    knew_on: date,
) -> Complaint:
    """A bidder's complaint about the evaluation result to the supervising department (实施条例
    Art.60): its own objection first, answered or its answer period over; within 10 days of
    knowing, the answer period not counted."""
    try:
        text = rules.check_text(text, "投诉事项、请求和理由")
    except RuleError as exc:
        raise DomainError(str(exc), field="text") from None
    if objection is not None and (
        objection.bidder_id != bidder.pk or objection.publication.section_id != section.pk
    ):
        raise DomainError("只能就本单位在本标段提出的异议投诉", field="objection")
    with transaction.atomic():
        section = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        if bidder.section_id != section.pk:
            raise DomainError("该投标人未参加本标段", field="bidder")
        if objection is not None:
            objection = ResultObjection.objects.get(pk=objection.pk)
        now = timezone.localtime()
        try:
            start = rules.check_may_complain(
                today=now.date(),
                knew_on=knew_on,
                objection_first=True,
                objection_settled_on=objection_settled_on(objection, now),
            )
        except RuleError as exc:
            raise DomainError(str(exc), field="knew_on") from None
        complaint = Complaint.objects.create(
            section=section,
            bidder=bidder,
            objection=objection,
            lodged_by=actor,
            text=text,
            knew_on=knew_on,
            lodged_at=now,
            accept_due=rules.accept_due(now.date(), calendar.add_working_days),
        )
        audit_log(
            actor=actor,
            action="complaint.lodge",
            obj=complaint,
            organisation=section.project.supervising_department,
            detail={
                "bidder": bidder.uscc,
                "objection": objection.pk if objection else None,
                "knew_on": knew_on,
                "counted_from": start,
                "text": text,
            },
        )
    return complaint


def _locked_complaint(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update()
        .select_related("section__project", "bidder")
        .get(pk=complaint.pk)
    )


def complaint_accept(*, actor, complaint: Complaint, suspend: bool = False) -> Complaint:
    """Accept the complaint (实施条例 Art.61 para.1); the decision is due within 30 working days
    (Art.61 para.2); `suspend` orders the procedure suspended meanwhile (Art.62)."""
    with transaction.atomic():
        complaint = _locked_complaint(complaint)
        if complaint.status != Complaint.Status.LODGED:
            raise ConflictError(f"投诉状态为“{complaint.get_status_display()}”", code="state")
        now = timezone.localtime()
        complaint.status, complaint.handled_by, complaint.accepted_at = (
            Complaint.Status.ACCEPTED,
            actor,
            now,
        )
        complaint.decision_due = rules.decision_due(now.date(), calendar.add_working_days)
        fields = ["status", "handled_by", "accepted_at", "decision_due"]
        if suspend:
            complaint.suspended, complaint.suspended_at = True, now
            fields += ["suspended", "suspended_at"]
        complaint.save(update_fields=fields)
        audit_log(
            actor=actor,
            action="complaint.accept",
            obj=complaint,
            organisation=complaint.section.project.supervising_department,
            detail={"decision_due": complaint.decision_due, "suspended": suspend},
        )
    return complaint


def complaint_refuse(*, actor, complaint: Complaint, reason: str) -> Complaint:
    """Refuse to accept the complaint, with reasons (实施条例 Art.61 para.1)."""
    try:
        reason = rules.check_text(reason, "不予受理的理由")
    except RuleError as exc:
        raise DomainError(str(exc), field="reason") from None
    with transaction.atomic():
        complaint = _locked_complaint(complaint)
        if complaint.status != Complaint.Status.LODGED:
            raise ConflictError(f"投诉状态为“{complaint.get_status_display()}”", code="state")
        complaint.status, complaint.handled_by = Complaint.Status.REFUSED, actor
        complaint.accepted_at, complaint.refusal_reason = timezone.now(), reason
        complaint.save(update_fields=["status", "handled_by", "accepted_at", "refusal_reason"])
        audit_log(
            actor=actor,
            action="complaint.refuse",
            obj=complaint,
            organisation=complaint.section.project.supervising_department,
            detail={"reason": reason},
        )
    return complaint


def complaint_suspend(*, actor, complaint: Complaint) -> Complaint:
    """Order the procedure suspended while an accepted complaint is handled (实施条例 Art.62)."""
    with transaction.atomic():
        complaint = _locked_complaint(complaint)
        if complaint.status != Complaint.Status.ACCEPTED:
            raise ConflictError("只能在受理后、作出处理决定前责令暂停", code="state")
        if complaint.suspended:
            raise ConflictError("已责令暂停", code="suspended")
        complaint.suspended, complaint.suspended_at = True, timezone.now()
        complaint.save(update_fields=["suspended", "suspended_at"])
        audit_log(
            actor=actor,
            action="complaint.suspend",
            obj=complaint,
            organisation=complaint.section.project.supervising_department,
            detail={},
        )
    return complaint


def complaint_decide(*, actor, complaint: Complaint, outcome: str, decision: str) -> Complaint:
    """The written decision (实施条例 Art.61 para.2); a suspension ends with it."""
    if outcome not in Complaint.Outcome.values:
        raise DomainError("请选择处理结果", field="outcome")
    try:
        decision = rules.check_text(decision, "处理决定")
    except RuleError as exc:
        raise DomainError(str(exc), field="decision") from None
    with transaction.atomic():
        complaint = _locked_complaint(complaint)
        if complaint.status != Complaint.Status.ACCEPTED:
            raise ConflictError("只有已受理的投诉可以作出处理决定", code="state")
        now = timezone.now()
        complaint.status, complaint.outcome, complaint.decision = (
            Complaint.Status.DECIDED,
            outcome,
            decision,
        )
        complaint.decided_at, complaint.handled_by = now, actor
        was_suspended = complaint.suspended
        complaint.suspended = False
        complaint.save(
            update_fields=["status", "outcome", "decision", "decided_at", "handled_by", "suspended"]
        )
        audit_log(
            actor=actor,
            action="complaint.decide",
            obj=complaint,
            organisation=complaint.section.project.supervising_department,
            detail={
                "outcome": outcome,
                "decision": decision,
                "late": timezone.localdate(now) > complaint.decision_due,
                "suspension_lifted": was_suspended,
            },
        )
    return complaint


# --- the award ------------------------------------------------------------------------------


def blockers(publication: Publication, now: datetime | None = None) -> rules.Blockers:
    now = now or timezone.now()
    return rules.Blockers(
        running=rules.publication_running(now=now, ends_at=publication.ends_at),
        open_objections=publication.objections.filter(answered_at__isnull=True).count(),
        suspended=Complaint.objects.filter(
            section_id=publication.section_id, status=Complaint.Status.ACCEPTED, suspended=True
        ).exists(),
    )


def fallen_away(publication: Publication) -> frozenset[str]:
    """The USCCs of the winners who fell away (实施条例 Art.55), in this publication."""
    return frozenset(
        AwardSuccession.objects.filter(publication=publication).values_list(
            "bidder__uscc", flat=True
        )
    )


def current_winner(publication: Publication) -> rules.Candidate:
    """The first-ranked candidate (Art.55), or the next in order after those who fell away."""
    winner = rules.current_winner(stored_candidates(publication), fallen_away(publication))
    if winner is None:
        raise ConflictError("已没有其他中标候选人，应当依法重新招标", code="retender")
    return winner


def notice_html(notice: AwardNotice, *, seal: bool = True) -> str:
    publication = notice.publication
    section = publication.section
    winner = current_winner(publication)
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "bidding/award/notice_print.html",
            {
                "notice": notice,
                "section": section,
                "project": section.project,
                "winner": winner,
                "host_centre": section.project.host_centre,
                "issued_at": timezone.localtime(notice.issued_at),
                "seal_anchor": SEAL_ANCHOR if seal else "",
            },
        )


def _signed_notice(*, actor, notice: AwardNotice) -> bytes:
    """The notice as a PDF sealed with the host centre's seal certificate (the same seal the
    evaluation report carries: `core.signing`, docs/signatures.md)."""
    pdf, slot = signing_pdf.render_with_slot(notice_html(notice), SEAL_ANCHOR)
    centre = notice.publication.section.project.host_centre
    return signing_pdf.pdf_sign(
        actor=actor,
        pdf=pdf,
        steps=[
            signing_pdf.SignStep(
                kind=SigningCertificate.Kind.SEAL,
                subject_key=centre.code,
                name=centre.name,
                organisation=centre,
                reason=f"{notice.get_kind_display()}签章",
                slot=slot,
                purpose=SEAL_PURPOSE,
            )
        ],
        audit_obj=notice,
        organisation=centre,
        document=f"bidding.{notice.kind}_notice",
    )


def award_issue(*, actor, section: Section) -> list[AwardNotice]:
    """After the publication, with no objection unanswered and no suspension ordered, the award
    notice to the first-ranked candidate (实施条例 Art.55) and the result notices to every
    other bidder of the report (招标投标法 Art.45), each sealed by the host centre."""
    with transaction.atomic():
        section = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        publication = (
            Publication.objects.select_for_update()
            .select_related("report", "section__project__host_centre")
            .filter(section=section)
            .first()
        )
        if publication is None:
            raise ConflictError("中标候选人尚未公示", code="not_published")
        if publication.notices.exists():
            raise ConflictError("中标通知书已发出", code="issued")  # superseded ones too
        problems = rules.award_problems(blockers(publication))
        if problems:
            raise ConflictError("；".join(problems), code="blocked")
        notices = _notices_issue(actor=actor, section=section, publication=publication)
    return notices


def _notices_issue(*, actor, section: Section, publication: Publication) -> list[AwardNotice]:
    """Issue the award notice to the current winner and a result notice to every other bidder
    of the report, sealed, audited and announced (inside the caller's transaction)."""
    winner = current_winner(publication)
    usccs = [b["uscc"] for b in publication.report.content.get("bidders", [])]
    bidders = {b.uscc: b for b in section.bidders.filter(uscc__in=usccs)}
    if winner.uscc not in bidders:
        raise ConflictError("中标候选人不在本标段投标人名单中", code="winner")
    now = timezone.now()
    year = timezone.localdate(now).year
    notices = []
    ordered = [
        bidders[winner.uscc],
        *sorted((b for u, b in bidders.items() if u != winner.uscc), key=lambda b: b.uscc),
    ]
    issued_before = publication.notices.count()
    for n, bidder in enumerate(ordered, start=issued_before + 1):
        is_winner = bidder.uscc == winner.uscc
        notice = AwardNotice(
            publication=publication,
            bidder=bidder,
            kind=AwardNotice.Kind.AWARD if is_winner else AwardNotice.Kind.RESULT,
            number=f"{section.project.code}-{section.code}-{year}-{n:02d}",
            price=(winner.bid_price or winner.evaluated_price) if is_winner else None,
            issued_at=now,
            issued_by=actor,
        )
        notice.save()
        pdf = _signed_notice(actor=actor, notice=notice)
        notice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        notice.pdf.save(f"notice-{notice.pk}-{notice.kind}.pdf", ContentFile(pdf), save=False)
        notice.save(update_fields=["pdf", "pdf_sha256"])
        notices.append(notice)
    audit_log(
        actor=actor,
        action="award.issue",
        obj=publication,
        organisation=_tenderer_org(section),
        detail={
            "winner": winner.uscc,
            "price": notices[0].price,
            "notices": [
                {"bidder": x.bidder.uscc, "kind": x.kind, "sha256": x.pdf_sha256} for x in notices
            ],
        },
    )
    messages = []
    for notice in notices:
        for user in _bidder_users([notice.bidder.uscc]):
            messages.append(
                Message(
                    "in_app",
                    str(notice.get_kind_display()),
                    f"“{section.project.name}”{section.name}的{notice.get_kind_display()}"
                    "已发出，请登录平台查看并下载（已加盖电子印章）。",
                    recipient=user,
                )
            )
    notification_send_many(actor=actor, messages=messages, on_commit=True)
    return notices


# --- the contract (招标投标法 Art.46; 实施条例 Art.57) ---------------------------------------


def contract_record(
    *, actor, section: Section, number: str, signed_on: date, amount: Decimal
) -> Contract:
    """The tenderer's side records the written contract signed with the winner: its number,
    the day signed and the price, which must equal the winning bid's (实施条例 Art.57). Signed
    more than 30 days after the award notice it is still recorded, flagged late (招标投标法
    Art.46). Once only: a contract recorded is not rewritten."""
    with transaction.atomic():
        section = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        notice = (
            AwardNotice.objects.select_related("bidder", "publication")
            .filter(
                publication__section=section,
                kind=AwardNotice.Kind.AWARD,
                superseded_at__isnull=True,
            )
            .first()
        )
        if notice is None:
            raise ConflictError("中标通知书尚未发出，不能登记合同", code="not_awarded")
        if Contract.objects.filter(notice=notice).exists():
            raise ConflictError("合同已登记", code="recorded")
        issued_on = timezone.localdate(notice.issued_at)
        try:
            number, amount = rules.check_contract(
                number=number,
                signed_on=signed_on,
                today=timezone.localdate(),
                amount=amount,
                awarded=notice.price,
            )
            late = rules.contract_late(issued_on=issued_on, signed_on=signed_on)
        except RuleError as exc:
            raise DomainError(str(exc), field=exc.field or "signed_on") from None
        contract = Contract.objects.create(
            notice=notice,
            number=number,
            signed_on=signed_on,
            amount=amount,
            late=late,
            recorded_at=timezone.now(),
            recorded_by=actor,
        )
        audit_log(
            actor=actor,
            action="award.contract",
            obj=contract,
            organisation=_tenderer_org(section),
            detail={
                "notice": notice.number,
                "winner": notice.bidder.uscc,
                "number": number,
                "signed_on": signed_on.isoformat(),
                "amount": amount,
                "deadline": rules.contract_deadline(issued_on).isoformat(),
                "late": late,
            },
        )
    return contract


# --- the winner falls away (实施条例 Art.55, Art.74) -----------------------------------------


def award_succession(
    *, actor, section: Section, reason: str, explanation: str, decision: str
) -> AwardSuccession:
    """The winner gave up, cannot perform, gave no performance bond, was found to have acted
    unlawfully (实施条例 Art.55) or refuses to sign (Art.74): the tenderer records it with the
    facts and decides — the next candidate in the committee's order, or a new tender. Every
    notice issued so far is superseded; with the next candidate a new award notice goes to it
    and new result notices to every other bidder (the one who fell away included), so the
    notices in force all name the same winner. Not once the contract is signed."""
    try:
        explanation = rules.check_text(explanation, "事实和理由")
    except RuleError as exc:
        raise DomainError(str(exc), field="explanation") from None
    with transaction.atomic():
        section = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        publication = (
            Publication.objects.select_for_update()
            .select_related("report", "section__project__host_centre")
            .filter(section=section)
            .first()
        )
        notice = (
            AwardNotice.objects.select_related("bidder")
            .filter(publication=publication, kind=AwardNotice.Kind.AWARD, superseded_at=None)
            .first()
            if publication is not None
            else None
        )
        if notice is None:
            raise ConflictError("中标通知书尚未发出（或已决定重新招标）", code="not_awarded")
        if Contract.objects.filter(notice=notice).exists():
            raise ConflictError("合同已签订，不能再变更中标人", code="contracted")
        try:
            following = rules.succession(
                stored_candidates(publication),
                fallen=fallen_away(publication),
                leaving=notice.bidder.uscc,
                reason=reason,
                decision=decision,
            )
        except RuleError as exc:
            raise DomainError(str(exc), field=exc.field or "reason") from None
        now = timezone.now()
        superseded = list(
            publication.notices.filter(superseded_at=None).values_list("number", flat=True)
        )
        publication.notices.filter(superseded_at=None).update(superseded_at=now)
        next_bidder = section.bidders.get(uscc=following.uscc) if following is not None else None
        succession = AwardSuccession.objects.create(
            publication=publication,
            bidder=notice.bidder,
            reason=reason,
            explanation=explanation,
            decision=decision,
            next_bidder=next_bidder,
            decided_at=now,
            decided_by=actor,
        )
        audit_log(
            actor=actor,
            action="award.succession",
            obj=succession,
            organisation=_tenderer_org(section),
            detail={
                "fallen": notice.bidder.uscc,
                "reason": reason,
                "explanation": explanation,
                "decision": decision,
                "next": following.uscc if following is not None else None,
                "rank": following.rank if following is not None else None,
                "superseded": superseded,
            },
        )
        if following is not None:
            _notices_issue(actor=actor, section=section, publication=publication)
    return succession
