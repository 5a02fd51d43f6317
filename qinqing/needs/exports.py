"""The needs export (诉求工单与活动, .xlsx): filtered, streamed, and on the queue when large.

Filters (`ExportFilters`) are the list page's — state, late — with the period (this year by
default) and a department (the user's own, or any for those who oversee every department);
the rows are only what the user may see (`selectors.needs`, so a department's staff export
their department's orders, lead or assisting, whatever they ask for).

Rows are read in chunks as plain values (one query for the orders with their category,
department and rating; one for the events with their counts) and written one by one into a
`StreamedWorkbook` on disk: memory stays bounded whatever the period holds. Text that a
spreadsheet would take for a formula is written as text (`core.spreadsheets`).

Up to `QINQING_EXPORT_QUEUE_ABOVE` orders the file is the answer to the request; above, it
is rendered on the queue (`core.documents`, renderer `render`) and kept for its requester
only, for `QINQING_EXPORT_KEEP_HOURS`. Every export is audited (`need.export`).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMinute
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.audit import audit_log
from qinqing.core.documents import document_request
from qinqing.core.models import GeneratedDocument, Organisation
from qinqing.core.permissions import grants_of
from qinqing.core.replica import replica_reads
from qinqing.core.roles import Role
from qinqing.core.spreadsheets import StreamedWorkbook
from qinqing.needs import rules, selectors
from qinqing.needs.figures import period
from qinqing.needs.models import Category, Need
from qinqing.needs.permissions import OVERSEERS

RENDERER = "qinqing.needs.exports.render"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000
NEEDS_HEADER = [
    "工单编号",
    "受理时间",
    "渠道",
    "企业",
    "类别",
    "承办部门",
    "状态",
    "办理时限",
    "时限说明",
    "答复时间",
    "办结时间",
    "按时",
    "评价",
]
EVENTS_HEADER = [
    "日期",
    "类型",
    "名称",
    "对象",
    "牵头部门",
    "状态",
    "报名",
    "签到",
    "资料份数",
    "答疑",
]


@dataclass(frozen=True)
class ExportFilters:
    start: date
    end: date
    department: int | None = None
    state: str = ""
    late: bool = False

    @classmethod
    def default(cls, today: date | None = None) -> ExportFilters:
        today = today or timezone.localdate()
        return cls(start=date(today.year, 1, 1), end=today)

    def params(self) -> dict:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data

    @classmethod
    def from_params(cls, data: dict) -> ExportFilters:
        return cls(
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            department=data.get("department"),
            state=data.get("state", ""),
            late=bool(data.get("late")),
        )

    @property
    def filename(self) -> str:
        return f"needs-events-{self.start}-{self.end}.xlsx"


def departments_for(user) -> list[Organisation]:
    """The departments `user` may pick: every department of the catalogue (leading or
    assisting a category: orders go to those) for those who oversee them all; else the user's
    own (staff); none for others (their scope is not a department)."""
    grants = grants_of(user)
    if grants.has(*OVERSEERS):
        handling = set(Category.objects.values_list("lead_department_id", flat=True))
        handling |= set(
            Category.assisting.through.objects.values_list("organisation_id", flat=True)
        )
        return list(Organisation.objects.filter(pk__in=handling).order_by("name"))
    if grants.has(Role.STAFF):
        return list(Organisation.objects.filter(pk__in=grants.org_ids(Role.STAFF)).order_by("name"))
    return []


def needs_for(user, filters: ExportFilters):
    """The orders of the export: what `user` may see, within the filters."""
    lo, hi = period(filters.start, filters.end)
    qs = selectors.needs(user=user, state=filters.state, late=filters.late).filter(
        received_at__gte=lo, received_at__lt=hi
    )
    if filters.department:
        qs = qs.filter(
            Q(department_id=filters.department) | Q(category__assisting=filters.department)
        ).distinct()
    return qs


def _events(filters: ExportFilters):
    """The period's events with their counts, each count a subquery (no row per
    registration, no query per event)."""
    from qinqing.activities.models import Event, MaterialHandout, Question, Registration

    def count(model, *conditions, **where):
        rows = (
            model.objects.filter(*conditions, event=OuterRef("pk"), **where)
            .order_by()
            .values("event")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    handed = (
        MaterialHandout.objects.filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(n=Sum("count"))
        .values("n")
    )
    lo, hi = period(filters.start, filters.end)
    events = Event.objects.filter(starts_at__gte=lo, starts_at__lt=hi)
    if filters.department:
        events = events.filter(lead_department_id=filters.department)
    return (
        events.annotate(
            regs=count(Registration),
            checked=count(Registration, checked_in_at__isnull=False),
            handed=Coalesce(Subquery(handed, output_field=IntegerField()), 0),
            answered=count(Question, ~Q(answer="")),
        )
        .select_related("lead_department")
        .order_by("starts_at")
    )


def write(
    out, *, user, filters: ExportFilters, progress: Callable[[int], None] | None = None
) -> int:
    """Write the export into the binary file `out`; returns the number of orders."""
    from qinqing.activities.models import Event

    channels = {k: str(v) for k, v in Need.Channel.choices}
    states = {k: str(v) for k, v in Need.State.choices}
    estimated: dict[int, bool] = {}
    tz = timezone.get_current_timezone()
    qs = needs_for(user, filters)
    total = qs.count() if progress is not None else 0
    # The database gives the local minute as text and the local days as dates: a time zone
    # aware datetime costs the driver several times more to read, a million times over.
    rows = qs.annotate(
        received=Cast(TruncMinute("received_at", tzinfo=tz), CharField()),
        replied=TruncDate("replied_at", tzinfo=tz),
        closed=TruncDate("closed_at", tzinfo=tz),
    ).values_list(
        "number",
        "received",
        "channel",
        "company_name",
        "category__name",
        "department__name",
        "state",
        "due_date",
        "replied",
        "closed",
        "on_time",
        "rating__level",
    )
    written = 0
    with StreamedWorkbook(out) as book:
        sheet = book.sheet("诉求工单", NEEDS_HEADER)
        for (
            number,
            received,
            channel,
            company,
            category,
            department,
            state,
            due,
            replied,
            closed,
            on_time,
            level,
        ) in rows.iterator(chunk_size=CHUNK):
            if due is not None and due.year not in estimated:
                estimated[due.year] = calendar.is_estimated(due)
            sheet.append(
                [
                    number,
                    received[:16],
                    channels.get(channel, channel),
                    company,
                    category or "",
                    department or "",
                    states.get(state, state),
                    due,
                    calendar.ESTIMATE_LABEL if due is not None and estimated[due.year] else "",
                    replied.isoformat() if replied else "",
                    closed.isoformat() if closed else "",
                    "" if on_time is None else ("是" if on_time else "否"),
                    rules.RATING_LABELS.get(level, "") if level else "",
                ]
            )
            written += 1
            if progress is not None and written % 10_000 == 0:
                progress(95 * written // max(total, 1))
        kinds = {k: str(v) for k, v in Event.Kind.choices}
        event_states = {k: str(v) for k, v in Event.State.choices}
        sheet = book.sheet("活动", EVENTS_HEADER)
        for e in _events(filters).iterator(chunk_size=CHUNK):
            sheet.append(
                [
                    e.starts_at.astimezone(tz).date(),
                    kinds.get(e.kind, e.kind),
                    e.title,
                    e.audience_text,
                    e.lead_department.name,
                    event_states.get(e.state, e.state),
                    e.regs,
                    e.checked,
                    e.handed,
                    e.answered,
                ]
            )
    return written


def render(*, user: int, filters: dict, progress: Callable[[int], None] | None = None) -> Path:
    """The queue's renderer (`core.documents`): the export of `user` (read afresh: rights
    withdrawn meanwhile are withdrawn from the file) written to a temporary file."""
    account = get_user_model().objects.get(pk=user)
    handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="needs-export-")
    path = Path(name)
    try:
        with open(handle, "wb") as out, replica_reads():  # a report: the replica if any
            write(out, user=account, filters=ExportFilters.from_params(filters), progress=progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def queue_above() -> int:
    return settings.QINQING_EXPORT_QUEUE_ABOVE


def keep() -> timedelta:
    return timedelta(hours=settings.QINQING_EXPORT_KEEP_HOURS)


def needs_export(*, actor, filters: ExportFilters) -> tuple[int, GeneratedDocument | None]:
    """An export asked for by `actor`: the number of orders, and the queued document when
    there are more than `QINQING_EXPORT_QUEUE_ABOVE` (None: the caller writes the file now).
    Audited either way, with the filters and the count."""
    rows = needs_for(actor, filters).count()
    with transaction.atomic():
        document = None
        if rows > queue_above():
            document = document_request(
                actor=actor,
                renderer=RENDERER,
                params={"user": actor.pk, "filters": filters.params()},
                filename=filters.filename,
                content_type=XLSX,
                fingerprint=uuid.uuid4().hex,  # each request its own file, of that moment
                keep=keep(),
            )
        audit_log(
            actor=actor,
            action="need.export",
            obj=document,
            object_type="" if document else "needs.need",
            detail={**filters.params(), "rows": rows, "queued": document is not None},
        )
    return rows, document


def exports_of(user):
    """The user's own queued exports not yet expired, newest first."""
    return GeneratedDocument.objects.filter(
        renderer=RENDERER, requested_by=user, expires_at__gt=timezone.now()
    ).order_by("-created_at")
