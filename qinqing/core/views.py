from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from qinqing.core import figures as figures_registry
from qinqing.core import selectors
from qinqing.core.audit import verify_chain
from qinqing.core.forms import PeriodForm, ThrottledLoginForm
from qinqing.core.models import Notification
from qinqing.core.notifier import notification_mark_read
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require

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


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors: the database may be the reason we are here.
    return HttpResponseServerError(loader.get_template("500.html").render())
