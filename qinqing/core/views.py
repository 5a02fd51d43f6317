from __future__ import annotations

import hashlib
import logging
import sys
from base64 import b32encode
from datetime import date

import segno
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from qinqing.core import (
    audit_labels,
    calendar,
    calendar_rules,
    charts,
    checks,
    crypto,
    frontdoor,
    keyset,
    notifier,
    replica,
    selectors,
    todos,
)
from qinqing.core import figures as figures_registry
from qinqing.core.audit import anchors_document, verify_chain
from qinqing.core.calendar_rules import WORKDAY, WorkCalendar
from qinqing.core.errors import DomainError
from qinqing.core.forms import HolidayNoticeForm, PeriodForm, ThrottledLoginForm
from qinqing.core.models import (
    AccountPhone,
    ApiToken,
    AuditAnchor,
    HolidayNotice,
    Notification,
)
from qinqing.core.navigation import entries_for
from qinqing.core.notifier import notification_mark_read
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require
from qinqing.core.replica import reads_from_replica
from qinqing.core.services import (
    NoticeDraft,
    api_token_revoke,
    api_token_state,
    holiday_notice_save,
    password_changed,
    totp_confirm,
    totp_device,
    totp_disable,
    totp_start,
)
from qinqing.core.tasks import queue_health

logger = logging.getLogger("qinqing.web")


class LoginView(auth_views.LoginView):
    """The one login of the site and the admin: throttled, audited (`user_authenticate`)."""

    form_class = ThrottledLoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page sends to the site's: one throttled, audited login for both."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url if next_url.startswith("/admin/") else "admin:index")
        raise PermissionDenied
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


# --- the user's account: password, API tokens ----------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password (audited); every API token issued under the old one stops."""

    template_name = "core/password_change.html"
    success_url = reverse_lazy("account_tokens")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            password_changed(actor=self.request.user, user=self.request.user)
        messages.success(self.request, _("密码已修改；此前签发的 API 令牌已全部失效。"))
        return response


def _token_rows(tokens) -> list[tuple[ApiToken, str]]:
    now = timezone.now()
    return [(t, ApiToken.State(api_token_state(t, now))) for t in tokens]


@login_required
def account_tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens, each revocable."""
    tokens = selectors.api_tokens(user=request.user, owner=request.user)[:100]
    phone = AccountPhone.objects.filter(user=request.user).first()
    return render(
        request,
        "core/account_tokens.html",
        {
            "rows": _token_rows(tokens),
            "phone": phone.masked if phone else "",
            "can_manage": can(request.user, "core.manage_tokens"),
            "totp": totp_device(request.user) is not None,
        },
    )


@never_cache
@login_required
def account_totp(request: HttpRequest) -> HttpResponse:
    """Set up, confirm or stop the optional second factor (an authenticator app, TOTP)."""
    status = 200
    if request.method == "POST":
        op, user = request.POST.get("op"), request.user
        try:
            if op == "start":
                totp_start(actor=user)
                return redirect("account_totp")
            if op == "confirm":
                totp_confirm(actor=user, code=request.POST.get("code", ""))
                messages.success(request, _("动态口令已启用：以后每次登录都需要它。"))
                return redirect("account_totp")
            if op == "disable":
                totp_disable(
                    actor=user,
                    password=request.POST.get("password", ""),
                    code=request.POST.get("code", ""),
                )
                messages.success(request, _("动态口令已停用。"))
                return redirect("account_totp")
            status = 400
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
    device = TOTPDevice.objects.filter(user=request.user).order_by("-confirmed", "-pk").first()
    context = {"device": device, "confirmed": device is not None and device.confirmed}
    if device is not None and not device.confirmed:
        context["qr"] = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "core/account_totp.html", context, status=status)


@login_required
def token_admin_list(request: HttpRequest) -> HttpResponse:
    """Every user's API tokens, for a platform administrator to revoke."""
    require(request.user, "core.manage_tokens")
    username = request.GET.get("user", "").strip()[:150]
    tokens = selectors.api_tokens(user=request.user, username=username)
    page = Paginator(tokens, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/token_admin_list.html",
        {
            "page": page,
            "rows": _token_rows(page.object_list),
            "username": username,
            "query": urlencode({"user": username}) if username else "",
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(
        request.user, "core.view_token", ApiToken.objects.select_related("user"), pk=pk
    )
    try:
        api_token_revoke(actor=request.user, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已撤销 %(user)s 的令牌。") % {"user": token.user.get_username()}
        )
    if token.user_id == request.user.pk:
        return redirect("account_tokens")
    return redirect("token_admin_list")


ENTRY_POINTS = 5


def _entry_points(user) -> list[dict]:
    """The role's main pages: those its modules name for it, then the first menu entry of
    each of its sections."""
    entries = todos.entry_points_for(user)
    entries += [section["items"][0] for section in entries_for(user) if section["items"]]
    seen, unique = set(), []
    for entry in entries:
        if entry["url"] not in seen:
            seen.add(entry["url"])
            unique.append(entry)
    return unique[:ENTRY_POINTS]


def home(request: HttpRequest) -> HttpResponse:
    """The public front door for a visitor; the to-do home for a signed-in user."""
    if not request.user.is_authenticated:
        return render(request, "core/front.html", {"doors": frontdoor.doors_for(request)})
    user = request.user
    context = {
        "todos": todos.todos_for(user),
        "entry_points": _entry_points(user),
        "grants": selectors.role_grants(user=user),
        "recent_notifications": selectors.notifications(user=user)[:5],
        "recent_audit": selectors.audit_entries(user=user)[:8],
        "can_view_audit": can(user, "core.view_audit"),
        "calendar_missing": (calendar.missing_years() if can(user, "core.manage_calendar") else []),
    }
    return render(request, "core/home.html", context)


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit log in chain order, newest first, 50 entries a page by keyset (a page deep in
    a million entries costs what the first does); filtered by action and by a day to jump to."""
    require(request.user, "core.view_audit")
    action = request.GET.get("action", "").strip()[:80]
    until_text = request.GET.get("until", "").strip()[:10]
    until, until_error = None, ""
    if until_text:
        try:
            until = date.fromisoformat(until_text)
        except ValueError:
            until_error = _("日期格式应为 YYYY-MM-DD，例如 2026-12-01")
    entries = selectors.audit_entries(user=request.user, action_prefix=action)
    before = keyset.parse_key(request.GET.get("before"))
    if until is not None and before is None:
        before = selectors.audit_seq_after(until)
    page = keyset.keyset_page(entries, key="seq", before=before, size=50)
    filters = {"action": action, "until": until_text if until else ""}
    choices = sorted(
        ((code, str(label)) for code, label in audit_labels.all_labels().items()),
        key=lambda c: c[1],
    )
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "action": action,
            "until": until_text,
            "until_error": until_error,
            "action_choices": choices,
            "head_query": urlencode({k: v for k, v in filters.items() if v and k != "until"}),
            "next_query": page.next_query(filters) if page.next_key else "",
        },
    )


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


def demo_outbox(request: HttpRequest) -> HttpResponse:
    """演示短信: the SMS and e-mail the demo notifier kept instead of sending (codes included).
    Exists only while the demo notifier is active; staff only."""
    if not notifier.demo_outbox_active():
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    require(request.user, "core.view_demo_outbox")
    messages_ = notifier.demo_outbox()
    users = get_user_model().objects.in_bulk(
        {m["recipient"] for m in messages_ if m.get("recipient")}
    )
    for m in messages_:
        user = users.get(m.get("recipient"))
        m["recipient_name"] = (user.get_full_name() or user.get_username()) if user else ""
    return render(request, "core/demo_outbox.html", {"outbox": messages_})


@login_required
@reads_from_replica
def figures_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.view_figures")
    today = timezone.localdate()
    form = PeriodForm(request.GET if request.GET else PeriodForm.this_year(today))
    rows, trends, start, end = [], [], None, None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = [
            (figure, figures_registry.evaluate_for_report(figure, start, end))
            for figure in figures_registry.all_figures()
        ]
        trends = figure_trends(start, end)
    periods = charts.period_links(today, (start, end))
    return render(
        request,
        "core/figures.html",
        {
            "form": form,
            "rows": rows,
            "periods": periods,
            "charts": trends,
            "cache_minutes": settings.QINQING_FIGURES_CACHE_SECONDS // 60,
        },
    )


def figure_trends(start: date, end: date) -> list[charts.Chart]:
    """Month by month over the period, one chart per module and unit (figures of one unit
    share an axis); rates as lines, counts and amounts as columns."""
    months = charts.month_labels(start, end, limit=24)
    groups: dict[tuple[str, str], list] = {}
    for figure in figures_registry.all_figures():
        app = django_apps.get_containing_app_config(figure.module)
        if app is None or app.name == "qinqing.core":
            continue
        groups.setdefault((str(app.verbose_name), figure.unit), []).append(figure)
    out = []
    for index, ((module, unit), members) in enumerate(groups.items()):
        series = [
            (
                f.shown_label,
                [figures_registry.evaluate_for_report(f, a, b) for _label, a, b in months],
            )
            for f in members
        ]
        if all(v in (None, 0) for _name, values in series for v in values):
            continue
        out.append(
            charts.Chart(
                id=f"trend-{index}",
                title=_("%(module)s · %(names)s（按月）")
                % {"module": module, "names": _("、").join(f.shown_label for f in members)},
                labels=[label for label, _a, _b in months],
                series=series,
                kind="line" if unit == "%" else "bar",
                unit=members[0].shown_unit,
                category=_("月份"),
            )
        )
    return out


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
    queue = queue_health()
    replica_status = replica.health()
    return JsonResponse(
        {
            "status": "error"
            if static_problem
            else "warn"
            if missing or queue["status"] != "ok" or replica_status["status"] not in ("ok", "none")
            else "ok",
            "database": "ok",
            "static": static,
            # Tasks due for minutes and not taken: no `qinqing worker` runs (SMS and files wait).
            "queue": queue,
            # A year whose holiday notice is needed and not entered: deadlines in it are
            # estimated Monday to Friday. Serving goes on (200); monitoring should alert.
            "calendar": {"status": "missing" if missing else "ok", "missing_years": missing},
            # The read replica of the reports: "none", "ok", "lagging" or "unreachable" (the
            # reports then read the primary).
            "replica": replica_status,
        },
        status=503 if static_problem else 200,
    )


def _api_error(request, status: int, detail: str, code: str) -> JsonResponse | None:
    """Under /api/ the error pages are the API's error body (core.api_errors.ApiError): a
    path no operation matches (e.g. /api/v1/needs/abc) is a JSON 404 like an unknown id."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return None


def error_403(request, exception=None):
    return _api_error(request, 403, "无权执行此操作", "forbidden") or render(
        request, "403.html", status=403
    )


def error_404(request, exception=None):
    return _api_error(request, 404, "未找到该对象", "not_found") or render(
        request, "404.html", status=404
    )


DATABASE_UNAVAILABLE = "数据库暂不可用，请稍后再试"
# Seconds a client is asked to wait before retrying while the database is unreachable (a
# restart or a fail-over takes a few seconds).
DATABASE_RETRY_AFTER = 5


def error_500(request):
    """Every uncaught exception ends here outside DEBUG (views, middleware, the API). The
    database gone (restarted, failed over, a connection dropped) is not the program's fault:
    503 with Retry-After and the plain message, JSON under /api/; Django has already logged the
    exception with its traceback. A kept connection that failed is closed at the end of the
    request, so the next request connects afresh once the database is back."""
    if isinstance(sys.exception(), OperationalError | InterfaceError):
        if request.path_info.startswith("/api/"):
            response = JsonResponse(
                {"detail": DATABASE_UNAVAILABLE, "code": "database_unavailable"}, status=503
            )
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    if response := _api_error(request, 500, "服务器内部错误，请稍后重试", "server_error"):
        return response
    # No context processors: the database may be the reason we are here.
    return HttpResponseServerError(loader.get_template("500.html").render())
