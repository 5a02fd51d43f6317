from __future__ import annotations

import hashlib
import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from qinqing.core import calendar, calendar_rules, checks, crypto, selectors
from qinqing.core import figures as figures_registry
from qinqing.core.audit import anchors_document, verify_chain
from qinqing.core.calendar_rules import WORKDAY, WorkCalendar
from qinqing.core.forms import HolidayNoticeForm, PeriodForm, ThrottledLoginForm
from qinqing.core.models import AuditAnchor, HolidayNotice, Notification
from qinqing.core.notifier import notification_mark_read
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require
from qinqing.core.services import NoticeDraft, holiday_notice_save

logger = logging.getLogger("qinqing.web")


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "grants": selectors.role_grants(user=user),
        "recent_notifications": selectors.notifications(user=user)[:5],
        "recent_audit": selectors.audit_entries(user=user)[:8],
        "can_view_audit": can(user, "core.view_audit"),
        "calendar_missing": (calendar.missing_years() if can(user, "core.manage_calendar") else []),
    }
    return render(request, "core/home.html", context)


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.view_audit")
    action = request.GET.get("action", "").strip()[:80]
    entries = selectors.audit_entries(user=request.user, action_prefix=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page": page, "action": action})


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.view_audit")
    if not grants_of(request.user).has("platform_admin"):
        return render(request, "core/_audit_verify.html", {"forbidden": True}, status=403)
    report = verify_chain()
    return render(request, "core/_audit_verify.html", {"report": report})


def audit_anchors(request: HttpRequest) -> HttpResponse:
    """The audit chain's daily heads, public: anyone may keep the signed file and later prove
    with it that no record before an anchor was rewritten."""
    page = Paginator(AuditAnchor.objects.order_by("-day"), 60).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_anchors.html",
        {"page": page, "public_key": crypto.public_key_text()},
    )


def audit_anchors_file(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        anchors_document(), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    name = f"qinqing-audit-anchors-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(
        request.user, "core.view_notification", Notification.objects.all(), pk=pk
    )
    notification_mark_read(actor=request.user, notification=notification)
    return render(request, "core/_notification_row.html", {"n": notification})


@login_required
def figures_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.view_figures")
    today = timezone.localdate()
    form = PeriodForm(request.GET if request.GET else PeriodForm.this_year(today))
    rows = []
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = [
            (figure, figures_registry.evaluate(figure, start, end))
            for figure in figures_registry.all_figures()
        ]
    return render(request, "core/figures.html", {"form": form, "rows": rows})


# --- the working-day calendar ------------------------------------------------------------


def _calendar_year_or_404(year: int) -> int:
    if not calendar_rules.FIRST_YEAR <= year <= 2100:
        raise Http404
    return year


def calendar_index(request: HttpRequest) -> HttpResponse:
    """Every year's holiday arrangement and where it comes from; public."""
    rows = selectors.calendar_years()
    return render(
        request,
        "core/calendar_index.html",
        {
            "rows": rows,
            "missing": [r for r in rows if r.missing],
            "can_manage": can(request.user, "core.manage_calendar"),
        },
    )


def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    """A year's twelve months with holidays and make-up days, and the notice it follows."""
    _calendar_year_or_404(year)
    cal = calendar.current()
    notice = HolidayNotice.objects.filter(year=year).first()
    return render(
        request,
        "core/calendar_year.html",
        {
            "year": year,
            "notice": notice,
            "covered": cal.covers(year),
            "months": selectors.calendar_months(cal, year, selectors.calendar_names(year)),
            "working_days": cal.working_days_in_year(year),
            "can_manage": can(request.user, "core.manage_calendar"),
            "estimate_label": calendar.ESTIMATE_LABEL,
        },
    )


def _draft_digest(draft: NoticeDraft) -> str:
    """What the preview showed, so that saving stores exactly that."""
    plain = "|".join(f"{s.day}:{s.kind}:{s.name}" for s in draft.days)
    plain += f"|{draft.number}|{draft.published_on}"
    return hashlib.sha256(plain.encode()).hexdigest()


@login_required
def calendar_edit(request: HttpRequest, year: int) -> HttpResponse:
    """Enter or correct a year's notice: paste it, preview the year, save (audited; deadlines
    computed across the changed days are moved and their people told)."""
    require(request.user, "core.manage_calendar")
    _calendar_year_or_404(year)
    notice = HolidayNotice.objects.filter(year=year).first()
    context = {"year": year, "notice": notice}
    if request.method != "POST":
        initial = {}
        if notice is not None:
            initial = {
                "number": notice.number,
                "published_on": notice.published_on,
                "text": notice.text,
            }
        context["form"] = HolidayNoticeForm(initial=initial, year=year)
        return render(request, "core/calendar_edit.html", context)
    form = HolidayNoticeForm(request.POST, year=year)
    context["form"] = form
    if not form.is_valid():
        return render(request, "core/calendar_edit.html", context, status=400)
    draft = form.cleaned_data["draft"]
    digest = _draft_digest(draft)
    if request.POST.get("confirm") == digest:
        saved = holiday_notice_save(
            actor=request.user, draft=draft, source=HolidayNotice.Source.ENTERED
        )
        moved = "；".join(f"{label} {n} 项" for label, n in saved.moved.items() if n)
        messages.success(
            request,
            f"{year} 年节假日安排已保存：放假 {draft.holidays} 天、调休上班 {draft.workdays} 天，"
            f"工作日变化 {len(saved.changed_days)} 天"
            + (f"；已按新日历重算期限：{moved}，并通知相关人员" if moved else "；无需重算的期限"),
        )
        return redirect("calendar_year", year=year)
    if request.POST.get("confirm"):
        context["changed_since_preview"] = True
    preview = WorkCalendar({s.day: s.kind == WORKDAY for s in draft.days}, [year])
    names = {s.day: s.name for s in draft.days if s.kind != WORKDAY}
    context.update(
        draft=draft,
        digest=digest,
        months=selectors.calendar_months(preview, year, names),
        working_days=preview.working_days_in_year(year),
        current_working_days=calendar.current().working_days_in_year(year),
    )
    return render(request, "core/calendar_edit.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the monitor: 503 when this process cannot serve (the database unreachable, or outside
    DEBUG the static files not collected), 200 otherwise; "warn" for what needs an operator
    without stopping the service (a holiday notice not entered)."""
    static_problem = checks.static_problem()
    static = "missing" if static_problem else "ok"
    if static_problem:
        logger.error("health check: %s", static_problem)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unreachable")
        return JsonResponse(
            {"status": "error", "database": "unreachable", "static": static}, status=503
        )
    missing = calendar.missing_years()
    return JsonResponse(
        {
            "status": "error" if static_problem else "warn" if missing else "ok",
            "database": "ok",
            "static": static,
            # A year whose holiday notice is needed and not entered: deadlines in it are
            # estimated Monday to Friday. Serving goes on (200); monitoring should alert.
            "calendar": {"status": "missing" if missing else "ok", "missing_years": missing},
        },
        status=503 if static_problem else 200,
    )


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors: the database may be the reason we are here.
    return HttpResponseServerError(loader.get_template("500.html").render())
