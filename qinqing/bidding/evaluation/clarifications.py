"""Written clarifications (《招标投标法实施条例》Art.52).

The committee may ask a bidder, **in writing**, to clarify an ambiguous point of its bid; the
bidder never clarifies on its own initiative (there is no service for that) and a clarification
cannot change the substance of the bid. The channel: the committee's chair asks at the
workstation → the supervising department approves the question → the bidder answers (a login
limited to its own requests) → the supervising department approves the answer → the committee
sees it. The bidder never learns who sits on the committee.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from qinqing.bidding.models import (
    Bidder,
    Clarification,
    DrawOutcome,
    EvaluationSession,
    Project,
    Seat,
)
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.notifier import Message, notification_send_many
from qinqing.core.permissions import can, get_visible_or_404, visible
from qinqing.core.roles import Role

S = Clarification.Status

# What a bidder sees: only questions the supervising department approved.
BIDDER_VISIBLE = (S.AWAITING_ANSWER, S.ANSWER_PENDING, S.ANSWER_REJECTED, S.PUBLISHED)
ANSWERABLE = (S.AWAITING_ANSWER, S.ANSWER_REJECTED)
SUBSTANCE_NOTE = (
    "澄清、说明不得超出投标文件的范围或者改变投标文件的实质性内容（实施条例第五十二条）"
)
MAX_TEXT = 5000


def is_answerable(clarification: Clarification) -> bool:
    """Whether the bidder may (still) answer: an approved or returned question, and the
    deadline, when the committee set one, not passed (exactly at it is still in time)."""
    if clarification.status not in ANSWERABLE:
        return False
    return clarification.due_at is None or timezone.now() <= clarification.due_at


def _check(actor, action: str, obj) -> None:
    if actor is None or not can(actor, action, obj):
        raise PermissionDenied


def _text(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"请填写{label}", field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(f"{label}不能超过 {MAX_TEXT} 字", field=field)
    return value


def _require_in_progress(session: EvaluationSession) -> None:
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        raise ConflictError("评标未在进行中，不能办理澄清")


def _ancestors(org) -> list:
    chain = []
    while org is not None and len(chain) < 20:
        chain.append(org)
        org = org.parent
    return chain


def _supervisors(project: Project) -> QuerySet:
    """Users holding the supervisor role on the supervising department (or above it)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_grants__role=Role.SUPERVISOR,
            role_grants__organisation__in=_ancestors(project.supervising_department),
        )
        .distinct()
    )


def bidder_users(bidder: Bidder) -> QuerySet:
    """The accounts answering for a bidder: the bidder role on the organisation of its USCC."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_grants__role=Role.BIDDER,
            role_grants__organisation__uscc=bidder.uscc,
            role_grants__organisation__is_active=True,
        )
        .distinct()
    )


def _notify(users, subject: str, body: str) -> int:
    """In-app messages. They name the project and the bidder only — never a member of the
    committee, a workstation or an expert code."""
    messages = [Message("in_app", subject, body, recipient=u) for u in users]
    notification_send_many(actor=None, messages=messages)
    return len(messages)


def _project_line(clarification: Clarification) -> str:
    section = clarification.session.section
    return f"“{section.project.name}”（项目编号 {section.project.code}，{section.name}）"


def _load(clarification: Clarification) -> Clarification:
    return (
        Clarification.objects.select_for_update(of=("self",))
        .select_related("session__section__project__supervising_department", "bidder")
        .get(pk=clarification.pk)
    )


def _audit(actor, verb: str, clarification: Clarification, **detail) -> None:
    audit_log(
        actor=actor,
        action=f"clarification.{verb}",
        obj=clarification,
        organisation=clarification.session.section.project.supervising_department,
        detail={
            "session": clarification.session_id,
            "bidder": clarification.bidder.uscc,
            "status": clarification.status,
            **detail,
        },
    )


def clarification_ask(*, actor, seat: Seat, bidder: Bidder, question: str) -> Clarification:
    """The committee's written question, put by its chair at the workstation (Art.52: only
    when the committee asks). `actor` is the expert's account, possibly None."""
    question = _text(question, "question", "澄清问题")
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=seat.outcome.session_id)
        _require_in_progress(session)
        seat = Seat.objects.select_related("outcome", "workstation").get(pk=seat.pk)
        if seat.signed_in_at is None or seat.outcome.status != DrawOutcome.Status.CONFIRMED:
            raise ConflictError("您已不在本次评标名单中")
        if session.chair_id is None:
            raise ConflictError("评标委员会负责人尚未产生，不能提出澄清")
        if session.chair_id != seat.pk:
            raise ConflictError("澄清由评标委员会负责人代表评标委员会书面提出")
        if bidder.section_id != session.section_id:
            raise DomainError("该投标人不属于本标段", field="bidder")
        clarification = Clarification.objects.create(
            session=session,
            bidder=bidder,
            question=question,
            asked_by=seat,
            asked_at=timezone.now(),
            status=S.QUESTION_PENDING,
        )
        clarification = _load(clarification)
        _audit(actor, "ask", clarification, question=question, workstation=seat.workstation.code)
        _notify(
            _supervisors(session.section.project),
            "澄清问题待审核",
            f"评标委员会就{_project_line(clarification)}向投标人“{bidder.name}”提出书面澄清问题，"
            "请在评标现场监督页面审核。",
        )
    return clarification


def clarification_review_question(
    *, actor, clarification: Clarification, approve: bool, note: str = ""
) -> Clarification:
    """The supervising department approves the question (the bidder is notified) or refuses
    it with a reason (e.g. it would invite a change of substance)."""
    _check(actor, "bidding.review_clarification", clarification)
    note = (note or "").strip()[:500]
    if not approve and not note:
        raise DomainError("不予批准时请写明理由", field="note")
    with transaction.atomic():
        clarification = _load(clarification)
        _require_in_progress(clarification.session)
        if clarification.status != S.QUESTION_PENDING:
            raise ConflictError("该澄清问题不在待审核状态")
        clarification.status = S.AWAITING_ANSWER if approve else S.QUESTION_REJECTED
        clarification.question_reviewed_by = actor
        clarification.question_reviewed_at = timezone.now()
        clarification.review_note = note
        clarification.save(
            update_fields=["status", "question_reviewed_by", "question_reviewed_at", "review_note"]
        )
        notified = 0
        if approve:
            notified = _notify(
                bidder_users(clarification.bidder),
                "评标澄清通知",
                f"评标委员会就{_project_line(clarification)}向贵单位提出书面澄清要求，"
                "请登录平台在“澄清答复”页面书面答复。" + SUBSTANCE_NOTE + "。",
            )
        _audit(
            actor, "review_question", clarification, approve=approve, note=note, notified=notified
        )
    return clarification


def clarification_answer(*, actor, clarification: Clarification, answer: str) -> Clarification:
    """The bidder's written answer to an approved question (or again, after a returned one)."""
    _check(actor, "bidding.answer_clarification", clarification)
    answer = _text(answer, "answer", "澄清答复")
    with transaction.atomic():
        clarification = _load(clarification)
        _require_in_progress(clarification.session)
        if clarification.status not in ANSWERABLE:
            raise ConflictError("该澄清当前不能答复")
        due = clarification.due_at
        if due is not None and timezone.now() > due:
            raise ConflictError(
                f"已超过答复期限（{timezone.localtime(due):%Y-%m-%d %H:%M}），不能再答复"
            )
        clarification.answer = answer
        clarification.answered_by = actor
        clarification.answered_at = timezone.now()
        clarification.status = S.ANSWER_PENDING
        clarification.save(update_fields=["answer", "answered_by", "answered_at", "status"])
        _audit(actor, "answer", clarification, answer=answer)
        _notify(
            _supervisors(clarification.session.section.project),
            "澄清答复待审核",
            f"投标人“{clarification.bidder.name}”已就{_project_line(clarification)}提交书面澄清"
            "答复，请审核。",
        )
    return clarification


def clarification_review_answer(
    *, actor, clarification: Clarification, approve: bool, note: str = ""
) -> Clarification:
    """The supervising department approves the answer (published to the committee) or
    returns it to the bidder with a reason (e.g. it changes the substance of the bid)."""
    _check(actor, "bidding.review_clarification", clarification)
    note = (note or "").strip()[:500]
    if not approve and not note:
        raise DomainError("退回答复时请写明理由", field="note")
    with transaction.atomic():
        clarification = _load(clarification)
        _require_in_progress(clarification.session)
        if clarification.status != S.ANSWER_PENDING:
            raise ConflictError("该澄清答复不在待审核状态")
        clarification.status = S.PUBLISHED if approve else S.ANSWER_REJECTED
        clarification.answer_reviewed_by = actor
        clarification.answer_reviewed_at = timezone.now()
        clarification.review_note = note
        clarification.save(
            update_fields=["status", "answer_reviewed_by", "answer_reviewed_at", "review_note"]
        )
        notified = 0
        if not approve:
            notified = _notify(
                bidder_users(clarification.bidder),
                "澄清答复被退回",
                f"贵单位就{_project_line(clarification)}提交的澄清答复已被退回，理由：{note}。"
                "请登录平台重新答复。" + SUBSTANCE_NOTE + "。",
            )
        _audit(actor, "review_answer", clarification, approve=approve, note=note, notified=notified)
    return clarification


# --- reads ----------------------------------------------------------------------------------


def _base() -> QuerySet:
    return Clarification.objects.select_related("session__section__project", "bidder")


def for_bidder(*, user) -> QuerySet:
    """The bidder's own requests, once the supervising department approved the question."""
    qs = visible(user, "bidding.answer_clarification", _base())
    return qs.filter(status__in=BIDDER_VISIBLE).order_by("-asked_at")


def bidder_clarification(*, user, pk: int) -> Clarification:
    return get_visible_or_404(
        user,
        "bidding.answer_clarification",
        _base().filter(status__in=BIDDER_VISIBLE),
        pk=pk,
    )


def for_supervisor(*, user, session: EvaluationSession) -> QuerySet:
    qs = visible(user, "bidding.review_clarification", _base().filter(session=session))
    return qs.select_related("asked_by__workstation").order_by("asked_at")


def for_review(*, user, pk: int) -> Clarification:
    return get_visible_or_404(user, "bidding.review_clarification", _base(), pk=pk)


def for_committee(session: EvaluationSession) -> list[dict]:
    """What every member sees: the questions and their status; the answer only once the
    supervising department published it."""
    rows = []
    for c in _base().filter(session=session).order_by("asked_at"):
        published = c.status == S.PUBLISHED
        rows.append(
            {
                "pk": c.pk,
                "bidder": c.bidder.name,
                "question": c.question,
                "asked_at": c.asked_at,
                "status": c.status,
                "status_label": str(c.get_status_display()),
                "published": published,
                "answer": c.answer if published else "",
                "answered_at": c.answered_at if published else None,
                "review_note": c.review_note if c.status == S.QUESTION_REJECTED else "",
                "due_at": c.due_at,
            }
        )
    return rows
