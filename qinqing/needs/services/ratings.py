"""Ratings, appeals and rectifications."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import can
from qinqing.core.roles import Role
from qinqing.needs import rules
from qinqing.needs.models import Need, Rating, Rectification
from qinqing.needs.services.common import _check, _local_date, _step

# --- ratings, appeals and rectifications ----------------------------------------------------


def rectification_open(
    *,
    actor,
    source: str,
    department: Organisation,
    description: str,
    rating: Rating | None = None,
    at: datetime | None = None,
    days: int = rules.RECTIFICATION_DAYS,
) -> Rectification:
    """An internal rectification order due in `days` working days (15 for a 差评)."""
    if source not in Rectification.Source.values:
        raise DomainError("未知的整改来源", field="source")
    now = at or timezone.now()
    with transaction.atomic():
        rect = Rectification.objects.create(
            source=source,
            rating=rating,
            department=department,
            description=description.strip(),
            opened_at=now,
            due_date=rules.due_date(_local_date(now), days, calendar.add_working_days),
            due_from=_local_date(now),
            due_days=days,
        )
        audit_log(
            actor=actor,
            action="rectification.open",
            obj=rect,
            organisation=department,
            detail={"source": source, "due": rect.due_date},
        )
    return rect


def rectification_complete(
    *, actor, rectification: Rectification, result: str, callback_note: str
) -> Rectification:
    if actor is not None and not can(actor, "needs.view_rectification", rectification):
        raise PermissionDenied
    if rectification.state != Rectification.State.OPEN:
        raise ConflictError("该整改单已结束", code="state")
    if len((result or "").strip()) < 4:
        raise DomainError("请填写整改结果", field="result")
    if rectification.callback_required and len((callback_note or "").strip()) < 2:
        raise DomainError("整改完成须附回访记录", field="callback_note")
    with transaction.atomic():
        rectification.state = Rectification.State.DONE
        rectification.result, rectification.callback_note = result.strip(), callback_note.strip()
        rectification.done_at = timezone.now()
        rectification.save(update_fields=["state", "result", "callback_note", "done_at"])
        audit_log(
            actor=actor,
            action="rectification.complete",
            obj=rectification,
            organisation=rectification.department,
        )
    return rectification


def _rate(
    *, actor, department, level, comment, need=None, event_id=None, rater_key="", at=None
) -> Rating:
    if level not in rules.RATING_LABELS:
        raise DomainError("评价等级应为 1 至 5", field="level")
    now = at or timezone.now()
    rating = Rating.objects.create(
        need=need,
        event_id=event_id,
        rater_key=rater_key,
        department=department,
        level=level,
        comment=(comment or "").strip()[:1000],
        rated_at=now,
    )
    audit_log(
        actor=actor,
        action="rating.create",
        obj=rating,
        organisation=department,
        detail={"level": level, "need": need.pk if need else None, "event": event_id},
    )
    if rules.is_bad_rating(level):
        subject = f"工单 {need.number}" if need else f"活动 #{event_id}"
        rectification_open(
            actor=actor,
            source=Rectification.Source.RATING,
            department=department,
            description=f"{subject} 收到差评（{rules.RATING_LABELS[level]}）：{rating.comment}",
            rating=rating,
            at=now,
        )
    return rating


def need_rate(*, actor, need: Need, level: int, comment: str = "", at=None) -> Rating:
    """好差评 by the firm (via its progress link) after the order is closed."""
    with transaction.atomic():
        need = Need.objects.select_for_update().get(pk=need.pk)
        if need.state != Need.State.CLOSED:
            raise ConflictError("工单办结后才能评价", code="state")
        if Rating.objects.filter(need=need).exists():
            raise ConflictError("该工单已评价", code="duplicate")
        rating = _rate(
            actor=actor, department=need.department, level=level, comment=comment, need=need, at=at
        )
        _step(need, "rate", need.state, rating.rated_at, "企业", rules.RATING_LABELS[level])
    return rating


def event_rate(
    *, actor, event_id: int, department: Organisation, level: int, rater_key: str, comment=""
) -> Rating:
    """好差评 of an event by one participant (`rater_key`: the registration's secret hash);
    a second rating by the same participant, even a concurrent one, is refused
    (`rating_event_rater_unique`)."""
    try:
        with transaction.atomic():
            if Rating.objects.filter(event_id=event_id, rater_key=rater_key).exists():
                raise ConflictError("您已评价过该活动", code="duplicate")
            return _rate(
                actor=actor,
                department=department,
                level=level,
                comment=comment,
                event_id=event_id,
                rater_key=rater_key,
            )
    except IntegrityError:
        raise ConflictError("您已评价过该活动", code="duplicate") from None


def rating_appeal(*, actor, rating: Rating, reason: str) -> Rating:
    """The rated department appeals a mistaken 差评 (once: the rating's row is locked)."""
    if not rating.is_bad:
        raise ConflictError("只能对差评提出申诉", code="state")
    if actor is not None and not (
        can(actor, "needs.decide_appeal") or rating.department_id in _staff_orgs(actor)
    ):
        raise PermissionDenied
    if len((reason or "").strip()) < 4:
        raise DomainError("请说明申诉理由", field="reason")
    with transaction.atomic():
        rating.refresh_from_db(from_queryset=Rating.objects.select_for_update())
        if rating.appeal_state:
            raise ConflictError("该评价已申诉", code="state")
        rating.appeal_state, rating.appeal_reason = Rating.Appeal.PENDING, reason.strip()
        rating.save(update_fields=["appeal_state", "appeal_reason"])
        audit_log(actor=actor, action="rating.appeal", obj=rating, organisation=rating.department)
    return rating


def _staff_orgs(user) -> frozenset[int]:
    from qinqing.core.permissions import grants_of

    return grants_of(user).org_ids(Role.STAFF)


def rating_appeal_decide(*, actor, rating: Rating, upheld: bool) -> Rating:
    """An upheld appeal cancels the rectification; the rating stays on record, marked. One
    decision only: the rating's row is locked while the pending appeal is checked."""
    _check(actor, "needs.decide_appeal")
    with transaction.atomic():
        rating.refresh_from_db(from_queryset=Rating.objects.select_for_update())
        if rating.appeal_state != Rating.Appeal.PENDING:
            raise ConflictError("没有待审核的申诉", code="state")
        rating.appeal_state = Rating.Appeal.UPHELD if upheld else Rating.Appeal.REJECTED
        rating.save(update_fields=["appeal_state"])
        if upheld:
            Rectification.objects.filter(rating=rating, state="open").update(state="cancelled")
        audit_log(
            actor=actor,
            action="rating.appeal_decide",
            obj=rating,
            organisation=rating.department,
            detail={"upheld": upheld},
        )
    return rating
