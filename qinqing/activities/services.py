"""Writes of activities: events, registration and check-in, materials, Q&A, follow-ups,
visits, volunteer supervisors and their reports."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.activities.models import (
    Appointment,
    Event,
    Finding,
    FollowUp,
    MaterialHandout,
    Question,
    Registration,
    SupervisionReport,
    Visit,
)
from qinqing.core import limits
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import can
from qinqing.core.rules import is_ascii_digits
from qinqing.needs import rules as need_rules
from qinqing.needs import services as need_services
from qinqing.needs.models import Need, Rectification


def _check(actor, action: str, obj=None) -> None:
    if actor is not None and not can(actor, action, obj):
        raise PermissionDenied


def _audit(actor, verb: str, obj, organisation=None, detail=None) -> None:
    audit_log(
        actor=actor,
        action=verb,
        obj=obj,
        organisation=organisation,
        detail=detail or {},
    )


# --- events ---------------------------------------------------------------------------------

MAX_CAPACITY = 100_000  # people at one event; 0 means no limit
MAX_MATERIALS = 1_000_000  # copies handed out at one event, in one record


def event_create(
    *,
    actor,
    kind: str,
    title: str,
    lead_department: Organisation,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    host_departments: Iterable[Organisation] = (),
    capacity: int = 0,
    audience_text: str = "",
    topic: str = "",
    clusters: Iterable = (),
    tags: Iterable = (),
    firms: Iterable = (),
    source_needs: Iterable[Need] = (),
) -> Event:
    _check(actor, "activities.create_event")
    if kind not in Event.Kind.values:
        raise DomainError("未知的活动类型", field="kind")
    if not title.strip():
        raise DomainError("活动名称不能为空", field="title")
    # The day as given (no conversion: year 1 or 9999 would overflow it).
    limits.check_date(starts_at.date(), field="starts_at", label="开始时间")
    limits.check_date(ends_at.date(), field="ends_at", label="结束时间")
    if ends_at < starts_at:
        raise DomainError("结束时间不能早于开始时间", field="ends_at")
    limits.check_count(capacity, field="capacity", label="容量", maximum=MAX_CAPACITY, unit=" 人")
    with transaction.atomic():
        event = Event.objects.create(
            kind=kind,
            title=title.strip(),
            topic=topic,
            lead_department=lead_department,
            audience_text=audience_text,
            place=place,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            reg_key=secrets.token_urlsafe(12),
        )
        event.host_departments.set({lead_department, *host_departments})
        event.audience_clusters.set(list(clusters))
        event.audience_tags.set(list(tags))
        event.audience_firms.set(list(firms))
        event.source_needs.set(list(source_needs))
        _audit(
            actor,
            "event.create",
            event,
            lead_department,
            {"kind": kind, "title": event.title, "starts_at": starts_at},
        )
    return event


def event_from_common_need(
    *, actor, needs: Sequence[Need], lead_department, starts_at, ends_at, place, title=""
) -> Event:
    """Turn a common need (a group of needs) into a training topic and event."""
    if not needs:
        raise DomainError("请至少选择一条诉求", field="needs")
    category = needs[0].category.name if needs[0].category else "共性需求"
    topic = title or f"{category}专题培训"
    firms = [n.firm for n in needs if n.firm_id]
    return event_create(
        actor=actor,
        kind=Event.Kind.TRAINING,
        title=topic,
        topic=f"共性需求：{category}（{len(needs)} 条）",
        lead_department=lead_department,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        firms=firms,
        source_needs=needs,
        audience_text="提出该类诉求的企业",
    )


def event_complete(*, actor, event: Event, summary: str = "") -> Event:
    _check(actor, "activities.manage_event", event)
    if event.state != Event.State.PLANNED:
        raise ConflictError("活动已结束或已取消", code="state")
    with transaction.atomic():
        event.state, event.summary = Event.State.DONE, summary
        event.save(update_fields=["state", "summary"])
        _audit(actor, "event.complete", event, event.lead_department)
    return event


def event_add_volunteer(*, actor, event: Event, appointment: Appointment) -> None:
    _check(actor, "activities.manage_event", event)
    with transaction.atomic():
        event.volunteers.add(appointment)
        _audit(actor, "event.add_volunteer", event, event.lead_department, {"appt": appointment.pk})


# --- registration and check-in --------------------------------------------------------------


def event_finished(event: Event, now: datetime | None = None) -> bool:
    """Held (completed by its host) or past its end time: nobody registers or checks in by QR
    any more; the host may still check someone in by hand (补签)."""
    return event.state == Event.State.DONE or (now or timezone.now()) > event.ends_at


def registration_create(
    *,
    actor,
    event: Event,
    name: str,
    phone: str,
    company_name: str = "",
    firm=None,
    at: datetime | None = None,
) -> Registration:
    """Register one person (public QR form); the same phone gets the same registration back.
    The event's row is locked while the seats are counted, so concurrent registrations never
    exceed the capacity."""
    name, phone = name.strip(), phone.strip().replace(" ", "")
    if not name:
        raise DomainError("请填写姓名", field="name")
    if not (is_ascii_digits(phone) and 7 <= len(phone) <= 12):
        raise DomainError("请填写正确的手机号", field="phone")
    with transaction.atomic():
        event.refresh_from_db(from_queryset=Event.objects.select_for_update())
        existing = Registration.objects.filter(event=event, phone=phone).first()
        if existing is not None:
            return existing
        if at is None and (event.state != Event.State.PLANNED or event_finished(event)):
            raise ConflictError("活动已结束，不能报名", code="state")
        if event.capacity and event.registrations.count() >= event.capacity:
            raise ConflictError("报名人数已满", code="full")
        try:
            with transaction.atomic():
                reg = Registration.objects.create(
                    event=event,
                    name=name,
                    phone=phone,
                    company_name=company_name,
                    firm=firm,
                    secret=secrets.token_urlsafe(16),
                    registered_at=at or timezone.now(),
                )
        except IntegrityError:
            return Registration.objects.get(event=event, phone=phone)
        _audit(actor, "registration.create", reg, event.lead_department, {"event": event.pk})
    return reg


@dataclass(frozen=True)
class CheckInResult:
    status: str  # "ok" | "already" | "invalid" | "closed"
    at: datetime | None = None
    registration: Registration | None = None

    @property
    def message(self) -> str:
        if self.status == "ok":
            return "签到成功"
        if self.status == "already":
            return f"已于 {timezone.localtime(self.at):%m-%d %H:%M} 签到"
        if self.status == "closed":
            return "活动已结束，不能签到；如确已参加，请联系主办方补签"
        return "签到码无效"


def registration_check_in(
    *, secret: str, at: datetime | None = None, method: str = Registration.Method.QR
) -> CheckInResult:
    """Idempotent check-in by the per-person secret: the first request wins (one conditional
    UPDATE, safe under concurrent scans); later ones report when it happened. A QR check-in
    after the event has finished is refused ("closed"); a manual one (补签) is not."""
    reg = (
        Registration.objects.select_related("event", "event__lead_department")
        .filter(secret=secret or "")
        .first()
    )
    if reg is None or reg.event.state == Event.State.CANCELLED:
        return CheckInResult("invalid")
    now = at or timezone.now()
    if (
        method == Registration.Method.QR
        and reg.checked_in_at is None
        and event_finished(reg.event, now)
    ):
        return CheckInResult("closed", registration=reg)
    with transaction.atomic():
        won = Registration.objects.filter(pk=reg.pk, checked_in_at__isnull=True).update(
            checked_in_at=now, checkin_method=method
        )
        if won:
            _audit(None, "registration.check_in", reg, reg.event.lead_department, {"at": now})
            reg.checked_in_at, reg.checkin_method = now, method
            return CheckInResult("ok", now, reg)
    reg.refresh_from_db(fields=["checked_in_at", "checkin_method"])
    return CheckInResult("already", reg.checked_in_at, reg)


def registration_check_in_manual(
    *, actor, event: Event, name: str, phone: str, company_name: str = "", at=None
) -> CheckInResult:
    """补签 by the organiser after the event: registers the person if needed, then checks in."""
    _check(actor, "activities.manage_event", event)
    with transaction.atomic():
        reg = registration_create(
            actor=actor,
            event=event,
            name=name,
            phone=phone,
            company_name=company_name,
            at=at or event.starts_at,
        )
        result = registration_check_in(
            secret=reg.secret, at=at or timezone.now(), method=Registration.Method.MANUAL
        )
    return result


# --- materials, Q&A, follow-ups -------------------------------------------------------------


def material_record(*, actor, event: Event, kind: str, count: int) -> MaterialHandout:
    _check(actor, "activities.manage_event", event)
    if kind not in MaterialHandout.Kind.values:
        raise DomainError("未知的资料类型", field="kind")
    if count < 1:
        raise DomainError("份数至少为 1", field="count")
    limits.check_count(count, field="count", label="份数", maximum=MAX_MATERIALS, unit=" 份")
    with transaction.atomic():
        handout = MaterialHandout.objects.create(event=event, kind=kind, count=count)
        _audit(actor, "material.record", handout, event.lead_department, {"kind": kind, "n": count})
    return handout


def question_record(
    *,
    actor,
    event: Event,
    text: str,
    asker: str = "",
    firm=None,
    answer: str = "",
    at: datetime | None = None,
) -> Question:
    _check(actor, "activities.manage_event", event)
    if not text.strip():
        raise DomainError("问题内容不能为空", field="text")
    with transaction.atomic():
        q = Question.objects.create(event=event, text=text.strip(), asker=asker, firm=firm)
        _audit(actor, "question.record", q, event.lead_department)
        if answer.strip():
            question_answer(actor=actor, question=q, answer=answer, at=at)
    return q


def question_answer(*, actor, question: Question, answer: str, at=None) -> Question:
    _check(actor, "activities.manage_event", question.event)
    if not answer.strip():
        raise DomainError("解答内容不能为空", field="answer")
    with transaction.atomic():
        question.answer = answer.strip()
        question.answered_by = actor if getattr(actor, "is_authenticated", False) else None
        question.answered_at = at or timezone.now()
        question.save(update_fields=["answer", "answered_by", "answered_at"])
        _audit(actor, "question.answer", question, question.event.lead_department)
    return question


def question_to_need(*, actor, question: Question, uscc: str, phone: str) -> Need:
    """A question that cannot be answered on the spot becomes a need (channel event_qa)."""
    _check(actor, "activities.manage_event", question.event)
    if question.need_id:
        raise ConflictError("该问题已转为诉求", code="state")
    with transaction.atomic():
        need = need_services.need_submit(
            actor=actor,
            channel=Need.Channel.EVENT_QA,
            uscc=uscc,
            phone=phone,
            text=question.text,
            company_name=question.asker,
        )
        question.need = need
        question.save(update_fields=["need"])
        _audit(actor, "question.to_need", question, question.event.lead_department)
    return need


def follow_up_add(*, actor, event: Event, text: str, due_date: date | None = None, need=None):
    _check(actor, "activities.manage_event", event)
    if not text.strip():
        raise DomainError("跟进事项不能为空", field="text")
    if due_date is not None:
        limits.check_date(due_date, field="due_date", label="跟进期限")
    with transaction.atomic():
        item = FollowUp.objects.create(event=event, text=text.strip(), due_date=due_date, need=need)
        _audit(actor, "follow_up.add", item, event.lead_department)
    return item


def event_rate(*, secret: str, level: int, comment: str = "") -> None:
    """好差评 of a held event by a checked-in participant (rater = the secret's hash), once:
    the registration's row is locked while the earlier rating is looked for."""
    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(secret=secret or "")
            .first()
        )
        if reg is None:
            raise DomainError("签到码无效", field="secret", code="invalid")
        if reg.checked_in_at is None:
            raise ConflictError("签到后才能评价活动", code="state")
        need_services.event_rate(
            actor=None,
            event_id=reg.event_id,
            department=reg.event.lead_department,
            level=level,
            rater_key=hashlib.sha256(reg.secret.encode()).hexdigest(),
            comment=comment,
        )


# --- visits ---------------------------------------------------------------------------------


def visit_record(
    *,
    actor,
    firm,
    department: Organisation,
    visited_on: date,
    people_met: str = "",
    summary: str = "",
    done: bool = True,
) -> Visit:
    _check(actor, "activities.record_visit")
    # A visit recorded as made happened by today; a planned one lies within the calendar.
    latest = timezone.localdate() if done else None
    limits.check_date(visited_on, field="visited_on", label="走访日期", latest=latest)
    with transaction.atomic():
        visit = Visit.objects.create(
            firm=firm,
            department=department,
            visitor=actor,
            visited_on=visited_on,
            people_met=people_met,
            summary=summary,
            state=Visit.State.DONE if done else Visit.State.PLANNED,
        )
        _audit(actor, "visit.record", visit, department, {"firm": firm.pk, "on": visited_on})
    return visit


def visit_add_need(*, actor, visit: Visit, text: str, phone: str, at=None) -> Need:
    _check(actor, "activities.record_visit")
    with transaction.atomic():
        need = need_services.need_submit(
            actor=actor,
            channel=Need.Channel.VISIT,
            uscc=visit.firm.uscc,
            phone=phone,
            text=text,
            at=at,
        )
        visit.needs.add(need)
        _audit(actor, "visit.add_need", visit, visit.department, {"need": need.pk})
    return need


# --- volunteer supervisors ------------------------------------------------------------------

MAX_TERM_YEARS = 5  # a volunteer supervisor is appointed for a few years at a time


def appointment_create(
    *,
    actor,
    role: str,
    person_name: str,
    firm,
    department: Organisation,
    term_start: date,
    term_end: date,
    user=None,
) -> Appointment:
    _check(actor, "activities.manage_supervisors")
    if role not in Appointment.Role.values:
        raise DomainError("未知的聘任角色", field="role")
    limits.check_date(term_start, field="term_start", label="聘期开始")
    if term_end < term_start:
        raise DomainError("聘期结束不能早于开始", field="term_end")
    longest = date(term_start.year + MAX_TERM_YEARS, 12, 31)
    limits.check_date(term_end, field="term_end", label="聘期结束", latest=longest)
    with transaction.atomic():
        appt = Appointment.objects.create(
            role=role,
            person_name=person_name.strip(),
            firm=firm,
            department=department,
            term_start=term_start,
            term_end=term_end,
            user=user,
        )
        _audit(actor, "appointment.create", appt, department, {"role": role})
    return appt


DIMENSIONS = ("overall", "efficiency", "level", "attitude")


def report_submit(
    *,
    actor,
    appointment: Appointment,
    hall: str,
    visited_on: date,
    ratings: dict[str, int],
    remarks: str = "",
    findings: Sequence[str] = (),
    at: datetime | None = None,
) -> SupervisionReport:
    """A supervision report; each finding opens a rectification order for the department."""
    _check(actor, "activities.file_report")
    if (
        actor is not None
        and appointment.user_id != getattr(actor, "pk", None)
        and not can(actor, "activities.manage_supervisors", appointment)
    ):
        raise PermissionDenied
    if not appointment.term_start <= visited_on <= appointment.term_end:
        raise DomainError("体验日期不在聘期内", field="visited_on")
    today = timezone.localdate(at) if at else timezone.localdate()
    limits.check_date(visited_on, field="visited_on", label="体验日期", latest=today)
    for dim in DIMENSIONS:
        if ratings.get(dim) not in (1, 2, 3, 4, 5):
            raise DomainError("各维度评分应为 1 至 5", field=dim)
    with transaction.atomic():
        report = SupervisionReport.objects.create(
            appointment=appointment,
            hall=hall,
            visited_on=visited_on,
            remarks=remarks,
            **{dim: ratings[dim] for dim in DIMENSIONS},
        )
        for text in findings:
            if not text.strip():
                continue
            rect = need_services.rectification_open(
                actor=actor,
                source=Rectification.Source.SUPERVISION,
                department=appointment.department,
                description=f"{appointment}：{text.strip()}",
                at=at,
                days=need_rules.RECTIFICATION_DAYS,
            )
            Finding.objects.create(report=report, text=text.strip(), rectification=rect)
        _audit(
            actor,
            "supervision_report.submit",
            report,
            appointment.department,
            {"ratings": ratings, "findings": len(findings)},
        )
    return report
