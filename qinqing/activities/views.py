from __future__ import annotations

import dataclasses
from datetime import date, datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.activities import selectors, services
from qinqing.activities.models import (
    Appointment,
    Event,
    Question,
    Registration,
    SupervisionReport,
    Visit,
)
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import AlreadyApplied, form_once
from qinqing.core.models import Organisation
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require, visible
from qinqing.core.roles import Role
from qinqing.enterprises.models import Firm
from qinqing.needs.models import Need


def _my_department(user) -> Organisation | None:
    ids = grants_of(user).direct_org_ids(Role.STAFF, Role.INSTRUCTOR, Role.PLATFORM_ADMIN)
    return Organisation.objects.filter(pk__in=ids).order_by("pk").first()


def _parse_dt(value: str) -> datetime | None:
    try:
        return timezone.make_aware(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return None


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "activities.view_event")
    kind = request.GET.get("kind", "")
    qs = Event.objects.select_related("lead_department").order_by("-starts_at")
    if kind in Event.Kind.values:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "activities/event_list.html",
        {
            "events": qs[:200],
            "kinds": Event.Kind.choices,
            "kind": kind,
            "can_create": can(request.user, "activities.create_event"),
        },
    )


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "activities.create_event")
    dept = _my_department(request.user)
    error = ""
    needs = Need.objects.filter(pk__in=request.GET.getlist("need") or request.POST.getlist("need"))
    if request.method == "POST":
        p = request.POST
        starts, ends = _parse_dt(p.get("starts_at", "")), _parse_dt(p.get("ends_at", ""))
        try:
            if dept is None:
                raise DomainError(_("您没有所属部门，不能创建活动"))
            if starts is None or ends is None:
                raise DomainError(_("请填写开始和结束时间"), field="starts_at")
            try:
                capacity = int(p.get("capacity") or 0)
            except ValueError:
                raise DomainError(_("容量应为整数"), field="capacity") from None
            event = services.event_create(
                actor=request.user,
                kind=p.get("kind", ""),
                title=p.get("title", ""),
                topic=p.get("topic", ""),
                lead_department=dept,
                starts_at=starts,
                ends_at=ends,
                place=p.get("place", ""),
                capacity=capacity,
                audience_text=p.get("audience_text", ""),
                source_needs=list(needs),
                firms=[n.firm for n in needs if n.firm_id],
            )
            return redirect("activities:event_detail", pk=event.pk)
        except DomainError as exc:
            error = exc.message
    topic = ""
    if needs:
        first = needs[0]
        topic = f"共性需求：{first.category.name if first.category else '综合'}（{len(needs)} 条）"
    return render(
        request,
        "activities/event_form.html",
        {"kinds": Event.Kind.choices, "error": error, "needs": needs, "topic": topic, "dept": dept},
        status=400 if error else 200,
    )


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "activities.view_event")
    event = get_object_or_404(Event.objects.select_related("lead_department"), pk=pk)
    reg_url = request.build_absolute_uri(reverse("activities:register", args=[event.reg_key]))
    regs = event.registrations.all()
    return render(
        request,
        "activities/event_detail.html",
        {
            "event": event,
            "can_manage": can(request.user, "activities.manage_event", event),
            "reg_url": reg_url,
            "reg_qr": segno.make(reg_url, error="m").svg_inline(scale=4, border=1),
            "registered": regs.count(),
            "checked_in": regs.filter(checked_in_at__isnull=False).count(),
            "registrations": regs.order_by("-checked_in_at")[:300],
            "materials": event.materials.all(),
            "questions": event.questions.select_related("need"),
            "follow_ups": event.follow_ups.all(),
            "appointments": Appointment.objects.all(),
        },
    )


@login_required
@require_POST
def event_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    event = get_visible_or_404(request.user, "activities.manage_event", Event.objects.all(), pk=pk)
    p, user = request.POST, request.user
    try:
        if action == "complete":
            services.event_complete(actor=user, event=event, summary=p.get("summary", ""))
        elif action == "material":
            try:
                count = int(p.get("count", "0"))
            except ValueError:
                count = 0
            services.material_record(actor=user, event=event, kind=p.get("kind", ""), count=count)
        elif action == "question":
            services.question_record(
                actor=user,
                event=event,
                text=p.get("text", ""),
                asker=p.get("asker", ""),
                answer=p.get("answer", ""),
            )
        elif action == "answer":
            q = get_object_or_404(Question, pk=p.get("question"), event=event)
            services.question_answer(actor=user, question=q, answer=p.get("answer", ""))
        elif action == "to_need":
            q = get_object_or_404(Question, pk=p.get("question"), event=event)
            services.question_to_need(
                actor=user, question=q, uscc=p.get("uscc", ""), phone=p.get("phone", "")
            )
        elif action == "manual_checkin":
            services.registration_check_in_manual(
                actor=user,
                event=event,
                name=p.get("name", ""),
                phone=p.get("phone", ""),
                company_name=p.get("company_name", ""),
            )
        elif action == "follow_up":
            services.follow_up_add(actor=user, event=event, text=p.get("text", ""))
        elif action == "volunteer":
            appt = get_object_or_404(Appointment, pk=p.get("appointment"))
            services.event_add_volunteer(actor=user, event=event, appointment=appt)
        else:
            raise Http404
        messages.success(request, _("已保存"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("activities:event_detail", pk=pk)


@login_required
def events_for_me(request: HttpRequest) -> HttpResponse:
    require(request.user, "activities.view_own_events")
    ids = grants_of(request.user).direct_org_ids(Role.ENTERPRISE, Role.VOLUNTEER)
    firm = Firm.objects.filter(organisation_id__in=ids).order_by("pk").first()
    events = selectors.events_for_firm(firm) if firm else Event.objects.none()
    return render(request, "activities/events_for_me.html", {"firm": firm, "events": events})


# --- public registration and check-in -------------------------------------------------------


def upcoming(request: HttpRequest) -> HttpResponse:
    """Public: the planned events still to start that any firm may register for."""
    events = selectors.upcoming_public_events().select_related("lead_department")[:100]
    return render(request, "activities/upcoming.html", {"events": events})


def register(request: HttpRequest, key: str) -> HttpResponse:
    event = get_object_or_404(Event, reg_key=key)
    error, status = "", 200
    if request.method == "POST":
        try:
            reg = services.registration_create(
                actor=None,
                event=event,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                company_name=request.POST.get("company_name", ""),
            )
            return redirect("activities:checkin", secret=reg.secret)
        except DomainError as exc:
            error, status = exc.message, exc.status_code
    context = {"event": event, "error": error, "finished": services.event_finished(event)}
    return render(request, "activities/register.html", context, status=status)


def checkin(request: HttpRequest, secret: str) -> HttpResponse:
    """GET: the participant's personal QR code; POST (staff scanning it, or self at the door):
    idempotent check-in — ok / already checked in at … / invalid / closed (the event is over)."""
    result, error = None, ""
    if request.method == "POST":
        try:
            with form_once(request) as once:
                result = services.registration_check_in(secret=secret)
                once.body = result.status
        except AlreadyApplied as repeat:  # the same form again: the answer it had the first time
            result = services.registration_check_in(secret=secret)
            result = dataclasses.replace(result, status=repeat.body or result.status)
        except DomainError as exc:  # an expired page
            error = exc.message
            result = None
    if result is not None:
        reg = result.registration
    else:
        reg = Registration.objects.select_related("event").filter(secret=secret).first()
    if reg is None:
        return render(request, "activities/checkin.html", {"invalid": True}, status=404)
    url = request.build_absolute_uri(reverse("activities:checkin", args=[secret]))
    return render(
        request,
        "activities/checkin.html",
        {
            "reg": reg,
            "result": result,
            "error": error,
            "qr": segno.make(url, error="m").svg_inline(scale=6, border=2),
            "can_rate": reg.checked_in_at and reg.event.state == Event.State.DONE,
            "finished": services.event_finished(reg.event),
        },
        status=409 if result is not None and result.status == "closed" else 200,
    )


@require_POST
def checkin_rate(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        level = int(request.POST.get("level", "0"))
    except ValueError:
        level = 0
    try:
        with form_once(request):
            services.event_rate(secret=secret, level=level, comment=request.POST.get("comment", ""))
        messages.success(request, _("感谢您的评价"))
    except AlreadyApplied:
        messages.success(request, _("感谢您的评价"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("activities:checkin", secret=secret)


# --- visits and supervisors -----------------------------------------------------------------


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "activities.view_visit")
    error = ""
    if request.method == "POST":
        require(request.user, "activities.record_visit")
        p = request.POST
        try:
            firm = Firm.objects.filter(organisation__uscc=p.get("uscc", "").strip().upper()).first()
            if firm is None:
                raise DomainError(
                    _("未找到该信用代码对应的企业，请先在企业名录中登记"), field="uscc"
                )
            dept = _my_department(request.user)
            if dept is None:
                raise DomainError(_("您没有所属部门"))
            try:
                day = date.fromisoformat(p.get("visited_on", ""))
            except ValueError:
                raise DomainError(_("请填写走访日期"), field="visited_on") from None
            visit = services.visit_record(
                actor=request.user,
                firm=firm,
                department=dept,
                visited_on=day,
                people_met=p.get("people_met", ""),
                summary=p.get("summary", ""),
            )
            if p.get("need_text", "").strip():
                services.visit_add_need(
                    actor=request.user, visit=visit, text=p["need_text"], phone=p.get("phone", "")
                )
            messages.success(request, _("走访已登记"))
            return redirect("activities:visit_list")
        except DomainError as exc:
            error = exc.message
    visits = visible(
        request.user,
        "activities.view_visit",
        Visit.objects.select_related("firm__organisation", "visitor").prefetch_related("needs"),
    )[:200]
    return render(
        request,
        "activities/visit_list.html",
        {
            "visits": visits,
            "error": error,
            "can_record": can(request.user, "activities.record_visit"),
            "today": timezone.localdate(),
        },
        status=400 if error else 200,
    )


@login_required
def supervisor_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "activities.view_report")
    error = ""
    if request.method == "POST" and request.POST.get("form") == "appoint":
        require(request.user, "activities.manage_supervisors")
        p = request.POST
        try:
            firm = Firm.objects.filter(organisation__uscc=p.get("uscc", "").strip().upper()).first()
            if firm is None:
                raise DomainError(_("未找到该信用代码对应的企业"), field="uscc")
            dept = _my_department(request.user)
            if dept is None:
                raise DomainError(_("您没有所属部门"))
            try:
                start = date.fromisoformat(p.get("term_start", ""))
                end = date.fromisoformat(p.get("term_end", ""))
            except ValueError:
                raise DomainError(_("请填写聘期"), field="term_start") from None
            services.appointment_create(
                actor=request.user,
                role=p.get("role", ""),
                person_name=p.get("person_name", "").strip(),
                firm=firm,
                department=dept,
                term_start=start,
                term_end=end,
            )
            messages.success(request, _("已聘任"))
            return redirect("activities:supervisor_list")
        except DomainError as exc:
            error = exc.message
    elif request.method == "POST":
        p = request.POST
        appt = get_object_or_404(Appointment, pk=p.get("appointment"))
        try:
            ratings = {d: int(p.get(d) or 0) for d in services.DIMENSIONS}
            day = date.fromisoformat(p.get("visited_on", ""))
        except ValueError:
            error = _("请完整填写日期和各维度评分")
        else:
            try:
                services.report_submit(
                    actor=request.user,
                    appointment=appt,
                    hall=p.get("hall", "办税服务厅"),
                    visited_on=day,
                    ratings=ratings,
                    remarks=p.get("remarks", ""),
                    findings=[f for f in p.get("findings", "").splitlines() if f.strip()],
                )
                messages.success(request, _("监督体验报告已提交"))
                return redirect("activities:supervisor_list")
            except DomainError as exc:
                error = exc.message
    reports = visible(
        request.user,
        "activities.view_report",
        SupervisionReport.objects.select_related("appointment").prefetch_related("findings"),
    )[:200]
    user = request.user
    if can(user, "activities.manage_supervisors"):
        appointments = visible(user, "activities.manage_supervisors", Appointment.objects.all())
    else:
        appointments = Appointment.objects.filter(user=user)
    return render(
        request,
        "activities/supervisor_list.html",
        {
            "reports": reports,
            "appointments": appointments.select_related("firm__organisation"),
            "error": error,
            "dimensions": [
                ("overall", "整体满意度"),
                ("efficiency", "服务效率"),
                ("level", "服务水平"),
                ("attitude", "服务态度"),
            ],
            "today": timezone.localdate(),
            "can_appoint": can(user, "activities.manage_supervisors"),
            "roles": Appointment.Role.choices,
        },
        status=400 if error else 200,
    )
