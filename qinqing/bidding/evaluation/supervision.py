"""Live supervision of an evaluation session, and its incident log.

The board shows, for every centre of the session, each workstation's state — signed in, the
current stage and whether its sheet is a draft, submitted or void, the time of the last save,
"idle too long" — and never a score or a pass/fail value: it reads sheet headers only
(`ScoreSheet` status and times), never `ScoreEntry`, `DeviationNote` or `BidResult`.

Incidents (network, power, device failures, pauses) are opened and resolved by the admin of the
centre where they happen (or of the host centre); the 2 h / 4 h rules of remote evaluation are
shown as warnings (rules.incident_warnings). While a pausing incident is open the session is paused:
the scoring services refuse to save (see `session_paused`).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from qinqing.bidding.evaluation import rules, time_extension
from qinqing.bidding.models import (
    SHEET_STAGES,
    DrawOutcome,
    EvaluationSession,
    EvaluationStage,
    Incident,
    ScoreSheet,
    Seat,
)
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import can, get_visible_or_404, grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.rows import exists as row_exists

MAX_TEXT = 2000


def idle_minutes() -> int:
    """Minutes without a sign of life after which a workstation is "idle too long"
    (settings.QINQING_IDLE_MINUTES, default 15)."""
    return int(getattr(settings, "QINQING_IDLE_MINUTES", 15))


def session_paused(session: EvaluationSession) -> bool:
    """Is the evaluation paused by an unresolved incident? (A plain statement: every sheet
    write asks.)"""
    return row_exists(
        Incident, "session_id = %s AND pauses = %s AND resolved_at IS NULL", [session.pk, True]
    )


HEARTBEAT_SECONDS = 30


def seat_seen(seat: Seat, *, now: datetime | None = None) -> None:
    """Record a sign of life from the workstation (a heartbeat, not a state change: no audit);
    written at most every HEARTBEAT_SECONDS so that polling pages do not write on every hit."""
    now = now or timezone.now()
    last = seat.last_seen_at
    if last is not None and 0 <= (now - last).total_seconds() < HEARTBEAT_SECONDS:
        return
    Seat.objects.filter(pk=seat.pk).update(last_seen_at=now)
    seat.last_seen_at = now


# --- reads ----------------------------------------------------------------------------------


def _session_qs() -> QuerySet:
    return EvaluationSession.objects.select_related(
        "section__project__supervising_department", "host_centre", "chair__workstation"
    )


def live_sessions(*, user) -> QuerySet:
    """Sessions the user supervises live, those in progress first."""
    order = Case(
        When(status=EvaluationSession.Status.IN_PROGRESS, then=Value(0)),
        When(status=EvaluationSession.Status.READY, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    qs = visible(user, "bidding.view_live", _session_qs()).exclude(
        status=EvaluationSession.Status.PLANNED
    )
    return qs.annotate(live_order=order).order_by("live_order", "-starts_at")


def live_session(*, user, pk: int) -> EvaluationSession:
    return get_visible_or_404(user, "bidding.view_live", _session_qs(), pk=pk)


def _duration(delta) -> str:
    minutes = int(delta.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes:02d} 分" if hours else f"{minutes} 分"


def incident_rows(session: EvaluationSession, *, now: datetime | None = None) -> list[dict]:
    """The incident log of the session, each with its elapsed time and the 2 h / 4 h warning."""
    now = now or timezone.now()
    rows = []
    for incident in session.incidents.select_related("centre").order_by("-started_at", "-pk"):
        elapsed = rules.incident_elapsed(incident.started_at, incident.resolved_at, now)
        remaining = rules.incident_remaining(
            incident.started_at, incident.resolved_at, now, incident.during_evaluation
        )
        rows.append(
            {
                "id": incident.pk,
                "kind": incident.kind,
                "kind_label": str(incident.get_kind_display()),
                "centre_id": incident.centre_id,
                "centre": incident.centre.name,
                "during_evaluation": incident.during_evaluation,
                "pauses": incident.pauses,
                "description": incident.description,
                "started_at": incident.started_at,
                "resolved_at": incident.resolved_at,
                "resolution": incident.resolution,
                "open": incident.resolved_at is None,
                "elapsed_seconds": int(elapsed.total_seconds()),
                "elapsed": _duration(elapsed),
                "limit_hours": int(rules.incident_limit(incident.during_evaluation).total_seconds())
                // 3600,
                "remaining": _duration(remaining) if remaining is not None else "",
                "warnings": rules.incident_warnings(
                    incident.started_at, incident.resolved_at, now, incident.during_evaluation
                ),
            }
        )
    return rows


def live_board(session: EvaluationSession, *, now: datetime | None = None) -> dict:
    """The supervision board of one session (plain data; the page and the API render it).

    Never carries a score or a pass/fail value: only sheet headers are read."""
    now = now or timezone.now()
    minutes = idle_minutes()
    in_progress = session.status == EvaluationSession.Status.IN_PROGRESS
    centres = [session.host_centre, *session.guest_centres.order_by("name")]

    stages = list(EvaluationStage.objects.filter(session=session).order_by("opened_at", "pk"))
    open_stages = [s for s in stages if s.status == EvaluationStage.Status.OPEN]
    current = (open_stages or stages or [None])[-1]
    sheets = {}
    counts: dict[str, dict[str, int]] = {}
    for seat_id, stage, status, updated_at, submitted_at in ScoreSheet.objects.filter(
        session=session
    ).values_list("seat_id", "stage", "status", "updated_at", "submitted_at"):
        sheets[(seat_id, stage)] = (status, updated_at, submitted_at)
        per = counts.setdefault(stage, {"draft": 0, "submitted": 0, "void": 0})
        per[status] = per.get(status, 0) + 1

    stage_rows = []
    for stage in stages:
        per = counts.get(stage.stage, {"draft": 0, "submitted": 0, "void": 0})
        expected = per["draft"] + per["submitted"]
        closed = stage.status == EvaluationStage.Status.CLOSED
        if stage.stage in SHEET_STAGES:
            percent = 100 if closed else (per["submitted"] * 100 // expected if expected else 0)
        else:  # price and summary are computed, not filled in
            percent = 100 if closed else 0
        stage_rows.append(
            {
                "stage": stage.stage,
                "label": str(stage.get_stage_display()),
                "status": stage.status,
                "status_label": str(stage.get_status_display()),
                "current": current is not None and stage.pk == current.pk,
                "opened_at": stage.opened_at,
                "closed_at": stage.closed_at,
                "sheets": stage.stage in SHEET_STAGES,
                "submitted": per["submitted"],
                "draft": per["draft"],
                "void": per["void"],
                "percent": percent,
            }
        )

    seats = (
        Seat.objects.filter(outcome__session=session)
        .select_related("workstation__room", "seating", "outcome")
        .order_by("workstation__code")
    )
    summary = {
        c.pk: {
            "id": c.pk,
            "name": c.name,
            "host": c.pk == session.host_centre_id,
            "seats": 0,
            "signed_in": 0,
            "submitted": 0,
            "idle": 0,
        }
        for c in centres
    }
    names = {c.pk: c.name for c in centres}
    rows = []
    for seat in seats:
        centre_id = seat.seating.centre_id
        member = seat.outcome.status == DrawOutcome.Status.CONFIRMED
        sheet = sheets.get((seat.pk, current.stage)) if current is not None else None
        last_sign = seat.last_seen_at or seat.signed_in_at
        idle = (
            in_progress
            and member
            and seat.signed_in_at is not None
            and rules.is_idle(last_sign, now, minutes)
        )
        row = {
            "workstation": seat.workstation.code,
            "room": seat.workstation.room.name,
            "room_number": seat.workstation.room.number,
            "centre_id": centre_id,
            "centre": names.get(centre_id) or seat.seating.centre.name,
            "member": member,
            "member_status": seat.outcome.status,
            "member_status_label": str(seat.outcome.get_status_display()),
            "signed_in_at": seat.signed_in_at,
            "sign_in_method": seat.sign_in_method,
            "sign_in_method_label": str(seat.get_sign_in_method_display())
            if seat.sign_in_method
            else "",
            "declared": seat.declared_at is not None,
            "chair": session.chair_id == seat.pk,
            "stage": current.stage if current is not None and sheet else None,
            "stage_label": str(current.get_stage_display())
            if current is not None and sheet
            else "",
            "sheet_status": sheet[0] if sheet else None,
            "sheet_status_label": str(ScoreSheet.Status(sheet[0]).label) if sheet else "",
            "sheet_saved_at": sheet[1] if sheet else None,
            "sheet_submitted_at": sheet[2] if sheet else None,
            "last_seen_at": seat.last_seen_at,
            "idle": idle,
        }
        rows.append(row)
        per = summary.setdefault(
            centre_id,
            {
                "id": centre_id,
                "name": row["centre"],
                "host": False,
                "seats": 0,
                "signed_in": 0,
                "submitted": 0,
                "idle": 0,
            },
        )
        if member:
            per["seats"] += 1
            per["signed_in"] += seat.signed_in_at is not None
            per["submitted"] += bool(sheet and sheet[0] == ScoreSheet.Status.SUBMITTED)
            per["idle"] += idle

    incidents = incident_rows(session, now=now)
    project = session.section.project
    return {
        "session": {
            "id": session.pk,
            "project_code": project.code,
            "project_name": project.name,
            "section": session.section.name,
            "status": session.status,
            "status_label": str(session.get_status_display()),
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            # running past its end (as extended under 实施条例 Art.48 para.1)
            "overtime": in_progress and now > session.ends_at,
            "started_at": session.started_at,
            "chair_workstation": session.chair.workstation.code if session.chair_id else None,
            "paused": any(i["open"] and i["pauses"] for i in incidents),
        },
        "generated_at": now,
        "idle_minutes": minutes,
        "current_stage": current.stage if current is not None else None,
        "current_stage_label": str(current.get_stage_display()) if current is not None else "",
        "centres": list(summary.values()),
        "stages": stage_rows,
        "workstations": rows,
        "incidents": incidents,
        "time_extension": _time_extension(session),
    }


def _time_extension(session: EvaluationSession) -> dict:
    """The members' declarations that the time is too short (by workstation) and the
    extensions (实施条例 Art.48 para.1), for the board."""
    state = time_extension.status(session)
    return {
        "requests": state["count"],
        "members": state["members"],
        "threshold": state["threshold"],
        "required": state["required"],
        "pending": [
            {
                "workstation": r.seat.workstation.code,
                "reason": r.reason,
                "requested_at": r.requested_at,
            }
            for r in state["requests"]
        ],
        "extensions": [
            {
                "old_ends_at": e.old_ends_at,
                "new_ends_at": e.new_ends_at,
                "reason": e.reason,
                "requests": e.requests,
                "members": e.members,
                "decided_at": e.decided_at,
            }
            for e in state["extensions"]
        ],
    }


# --- incidents ------------------------------------------------------------------------------


def incident_centres(user, session: EvaluationSession) -> list[Organisation]:
    """The session's centres where `user` may record an incident: all of them for the host
    centre's admin, otherwise the guest centres the user administers."""
    centres = [session.host_centre, *session.guest_centres.order_by("name")]
    admin_of = grants_of(user).org_ids(Role.CENTRE_ADMIN) if user is not None else frozenset()
    if session.host_centre_id in admin_of:
        return centres
    return [c for c in centres if c.pk in admin_of]


def _incident_audit(actor, verb: str, incident: Incident, **detail) -> None:
    audit_log(
        actor=actor,
        action=f"incident.{verb}",
        obj=incident,
        organisation=incident.centre,
        detail={
            "session": incident.session_id,
            "kind": incident.kind,
            "pauses": incident.pauses,
            "during_evaluation": incident.during_evaluation,
            **detail,
        },
    )


def incident_open(
    *,
    actor,
    session: EvaluationSession,
    centre: Organisation,
    kind: str,
    description: str,
    pauses: bool = True,
) -> Incident:
    """Record a failure at one centre of the session (a pausing one pauses the evaluation)."""
    if kind not in Incident.Kind.values:
        raise DomainError("未知的异常类型", field="kind")
    description = (description or "").strip()
    if not description:
        raise DomainError("请填写情况说明", field="description")
    if len(description) > MAX_TEXT:
        raise DomainError(f"情况说明不能超过 {MAX_TEXT} 字", field="description")
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        allowed = incident_centres(actor, session)
        if centre.pk not in {c.pk for c in [session.host_centre, *session.guest_centres.all()]}:
            raise DomainError("该交易中心不是本场次的主场或客场", field="centre")
        if centre.pk not in {c.pk for c in allowed}:
            raise PermissionDenied
        if session.status == EvaluationSession.Status.CLOSED:
            raise ConflictError("评标场次已结束")
        incident = Incident.objects.create(
            session=session,
            centre=centre,
            kind=kind,
            during_evaluation=session.status == EvaluationSession.Status.IN_PROGRESS,
            pauses=bool(pauses),
            description=description,
            started_at=timezone.now(),
            reported_by=actor,
        )
        _incident_audit(actor, "open", incident, centre=centre.name, description=description)
    return incident


def incident_resolve(*, actor, incident: Incident, resolution: str) -> Incident:
    """The failure is fixed (or the pause ends); the audit keeps how long it lasted and the
    2 h / 4 h warning it reached."""
    if actor is None or not can(actor, "bidding.manage_incident", incident):
        raise PermissionDenied
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError("请填写处理结果", field="resolution")
    if len(resolution) > MAX_TEXT:
        raise DomainError(f"处理结果不能超过 {MAX_TEXT} 字", field="resolution")
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("centre")
            .get(pk=incident.pk)
        )
        if incident.resolved_at is not None:
            raise ConflictError("该异常情况已恢复")
        now = timezone.now()
        incident.resolved_at = now
        incident.resolution = resolution
        incident.resolved_by = actor
        incident.save(update_fields=["resolved_at", "resolution", "resolved_by"])
        elapsed = rules.incident_elapsed(incident.started_at, now, now)
        _incident_audit(
            actor,
            "resolve",
            incident,
            resolution=resolution,
            elapsed_seconds=int(elapsed.total_seconds()),
            warnings=rules.incident_warnings(
                incident.started_at, now, now, incident.during_evaluation
            ),
        )
    return incident
