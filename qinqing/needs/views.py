from __future__ import annotations

import io
import tempfile
from datetime import date

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.core.charts import Chart, chart, month_labels, period_links
from qinqing.core.documents import document_response
from qinqing.core.errors import DomainError, ThrottledError
from qinqing.core.forms import PeriodForm
from qinqing.core.models import Organisation
from qinqing.core.net import client_ip
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require
from qinqing.core.replica import reads_from_replica, replica_reads
from qinqing.core.roles import Role
from qinqing.needs import commons, exports, rules, selectors, services
from qinqing.needs.figures import period
from qinqing.needs.forms import (
    ExportForm,
    PublicNeedForm,
    QrForm,
    RateForm,
    StaffNeedForm,
    TrackForm,
)
from qinqing.needs.models import (
    Category,
    CommonSummary,
    CommonSummaryItem,
    Need,
    NeedAttachment,
    QrCode,
    Rating,
    Rectification,
)

FIRM_ROLES = (Role.ENTERPRISE, Role.VOLUNTEER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    if exc.field == "phone" or exc.field == "text" or exc.field == "uscc":
        field = exc.field
    form.add_error(field, exc.message)


# --- public: QR form and progress page ------------------------------------------------------


def public_form(request: HttpRequest, key: str) -> HttpResponse:
    qr = selectors.active_qr(key)
    if qr is None:
        raise Http404
    return _public_submission(request, channel=Need.Channel.QR, qr=qr)


def _public_submission(request: HttpRequest, *, channel: str, qr=None) -> HttpResponse:
    """The public form, by a QR code or on the web: an anonymous firm submits a need and is
    sent to its progress page; a refusal keeps what was typed, with the reason beside its field
    (429 when throttled)."""
    status = 200
    if request.method == "POST":
        form = PublicNeedForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                need = services.need_submit(
                    actor=None,
                    channel=channel,
                    uscc=d["uscc"],
                    phone=d["phone"],
                    text=d["text"],
                    category_hint=d["category_hint"],
                    company_name=d["company_name"],
                    qr=qr,
                    ip=client_ip(request),
                    attachments=d["attachments"],
                )
            except ThrottledError as exc:
                form.add_error(None, exc.message)
                status = 429
            except DomainError as exc:
                _form_error(form, exc)
                status = 400
            else:
                return redirect("needs:progress", token=need.token)
        else:
            status = 400
    else:
        form = PublicNeedForm()
    return render(request, "needs/public_form.html", {"form": form, "qr": qr}, status=status)


def progress(request: HttpRequest, token: str) -> HttpResponse:
    need = get_object_or_404(Need.objects.select_related("category", "department"), token=token)
    rate_form = None
    can_rate = need.state == Need.State.CLOSED and not Rating.objects.filter(need=need).exists()
    if can_rate:
        rate_form = RateForm()
    return render(
        request,
        "needs/progress.html",
        {"need": need, "steps": need.steps.all(), "rate_form": rate_form},
    )


@require_POST
def progress_rate(request: HttpRequest, token: str) -> HttpResponse:
    need = get_object_or_404(Need, token=token)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.need_rate(
                actor=request.user,
                need=need,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("感谢您的评价"))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("needs:progress", token=token)


def public_web(request: HttpRequest) -> HttpResponse:
    """The web channel of the public form (channel `portal`): the QR form without a QR code,
    reached from the platform's front door."""
    return _public_submission(request, channel=Need.Channel.PORTAL)


TRACK_ATTEMPTS = 30  # failed look-ups per address and hour before the page refuses
TRACK_WINDOW = 3600


def track(request: HttpRequest) -> HttpResponse:
    """Follow a need by its number and the phone given with it: the right pair opens its
    progress page; a wrong pair says only that nothing matched (and counts, per address)."""
    form = TrackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        key = f"needs.track:{client_ip(request)}"
        if (cache.get(key) or 0) >= TRACK_ATTEMPTS:
            form.add_error(None, _("查询次数过多，请一小时后再试。"))
            status = 429
        elif form.is_valid():
            need = selectors.need_by_number_and_phone(
                form.cleaned_data["number"], form.cleaned_data["phone"]
            )
            if need is not None:
                return redirect("needs:progress", token=need.token)
            if not cache.add(key, 1, TRACK_WINDOW):
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, TRACK_WINDOW)
            form.add_error(None, _("没有找到该工单：请核对工单编号和提交时填写的联系电话。"))
            status = 404
        else:
            status = 400
    return render(request, "needs/track.html", {"form": form}, status=status)


# --- staff ----------------------------------------------------------------------------------


@login_required
def need_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "needs.view_need")
    state = request.GET.get("state", "")
    state = state if state in Need.State.values else ""
    late = request.GET.get("late") == "1"
    qs = selectors.needs(user=request.user, state=state, late=late)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    query = "&".join(p for p in (f"state={state}" if state else "", "late=1" if late else "") if p)
    return render(
        request,
        "needs/need_list.html",
        {
            "page": page,
            "state": state,
            "late": late,
            "query": query,
            "states": Need.State.choices,
            "can_enter": can(request.user, "needs.enter_need"),
            "can_submit": can(request.user, "needs.submit_own"),
            "can_analyse": can(request.user, "needs.view_dashboard"),
        },
    )


ACTIONS = {
    "dispatch": "needs.dispatch",
    "sign": "needs.handle",
    "return": "needs.handle",
    "request_extension": "needs.handle",
    "approve_extension": "needs.dispatch",
    "reject_extension": "needs.dispatch",
    "reply": "needs.handle",
    "callback": "needs.dispatch",
    "close": "needs.dispatch",
    "reopen": "needs.dispatch",
}


@login_required
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_visible_or_404(
        request.user, "needs.view_need", selectors.needs(user=request.user), pk=pk
    )
    allowed = {a for a, policy in ACTIONS.items() if can(request.user, policy, need)}
    return render(
        request,
        "needs/need_detail.html",
        {
            "need": need,
            "steps": need.steps.all(),
            "allowed": allowed,
            "is_firm": need.firm_org_id in grants_of(request.user).org_ids(*FIRM_ROLES),
            "categories": Category.objects.all(),
            "kinds": Need.Kind.choices,
        },
    )


@login_required
def attachment(request: HttpRequest, pk: int, aid: int) -> FileResponse:
    """Attachments are personal data: served only to those who may see the order."""
    need = get_visible_or_404(request.user, "needs.view_need", Need.objects.all(), pk=pk)
    item = get_object_or_404(NeedAttachment, pk=aid, need=need)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = "attachment"
    return response


@login_required
@require_POST
def need_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    user = request.user
    need = get_visible_or_404(user, "needs.view_need", Need.objects.all(), pk=pk)
    if not can(user, ACTIONS[action], need):
        raise PermissionDenied
    p = request.POST
    try:
        if action == "dispatch":
            category = Category.objects.filter(code=p.get("category", "")).first()
            if category is None:
                raise DomainError(_("请选择类别"), field="category")
            services.need_dispatch(actor=user, need=need, category=category, kind=p.get("kind"))
        elif action == "sign":
            services.need_sign(actor=user, need=need)
        elif action == "return":
            services.need_return(actor=user, need=need, reason=p.get("reason", ""))
        elif action == "request_extension":
            try:
                days = int(p.get("days", "0"))
            except ValueError:
                days = 0
            services.need_request_extension(
                actor=user, need=need, days=days, reason=p.get("reason", "")
            )
        elif action in {"approve_extension", "reject_extension"}:
            services.need_decide_extension(
                actor=user, need=need, approve=action == "approve_extension"
            )
        elif action == "reply":
            services.need_reply(actor=user, need=need, reply=p.get("reply", ""))
        elif action == "callback":
            services.need_callback(actor=user, need=need, note=p.get("note", ""))
        elif action == "close":
            services.need_close(actor=user, need=need)
        elif action == "reopen":
            services.need_reopen(actor=user, need=need, reason=p.get("reason", ""))
        messages.success(request, "已完成：" + rules.ACTION_LABELS.get(action, action))
    except DomainError as exc:
        messages.error(request, exc.message)
    if can(user, "needs.view_need", need):
        return redirect("needs:need_detail", pk=pk)
    return redirect("needs:need_list")


def _own_need_form(*args, **kwargs) -> PublicNeedForm:
    """The public form with the firm's own credit code and name fixed: disabled before it is
    validated, so they come from `initial` (a browser does not send a disabled field)."""
    form = PublicNeedForm(*args, **kwargs)
    form.fields["uscc"].disabled = True
    form.fields["company_name"].disabled = True
    return form


@login_required
def need_submit_own(request: HttpRequest) -> HttpResponse:
    """A signed-in firm user submits a need in the firm's name (channel `portal`)."""
    require(request.user, "needs.submit_own")
    org_ids = grants_of(request.user).direct_org_ids(*FIRM_ROLES)
    org = Organisation.objects.filter(pk__in=org_ids, uscc__isnull=False).order_by("pk").first()
    if org is None:
        raise PermissionDenied
    initial = {"uscc": org.uscc, "company_name": org.name}
    status = 200
    if request.method == "POST":
        form = _own_need_form(request.POST, request.FILES, initial=initial)
        if form.is_valid():
            d = form.cleaned_data
            try:
                need = services.need_submit(
                    actor=request.user,
                    channel=Need.Channel.PORTAL,
                    uscc=org.uscc,
                    phone=d["phone"],
                    text=d["text"],
                    category_hint=d["category_hint"],
                    company_name=org.name,
                    ip=client_ip(request),
                    attachments=d["attachments"],
                )
            except DomainError as exc:
                _form_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, f"已提交，工单编号 {need.number}")
                return redirect("needs:need_detail", pk=need.pk)
        else:
            status = 400
    else:
        form = _own_need_form(initial=initial)
    return render(request, "needs/need_submit_own.html", {"form": form, "org": org}, status=status)


@login_required
def need_enter(request: HttpRequest) -> HttpResponse:
    require(request.user, "needs.enter_need")
    if request.method == "POST":
        form = StaffNeedForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                need = services.need_submit(
                    actor=request.user,
                    channel=d["channel"],
                    uscc=d["uscc"],
                    phone=d["phone"],
                    text=d["text"],
                    category_hint=d["category_hint"],
                    company_name=d["company_name"],
                    kind=d["kind"],
                    attachments=d["attachments"],
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, f"已登记工单 {need.number}")
                return redirect("needs:need_detail", pk=need.pk)
    else:
        form = StaffNeedForm()
    return render(request, "needs/need_enter.html", {"form": form})


# --- QR codes -------------------------------------------------------------------------------


def _qr_url(request, qr: QrCode) -> str:
    return request.build_absolute_uri(reverse("needs:public_form", args=[qr.key]))


@login_required
def qr_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "needs.manage_qr")
    form = QrForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.qr_create(actor=request.user, **form.cleaned_data)
            return redirect("needs:qr_list")
        except DomainError as exc:
            _form_error(form, exc)
    codes = QrCode.objects.annotate(n=Count("needs"))
    return render(request, "needs/qr_list.html", {"codes": codes, "form": form})


@login_required
def qr_image(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    require(request.user, "needs.manage_qr")
    if fmt not in {"png", "svg"}:
        raise Http404
    qr = get_object_or_404(QrCode, pk=pk)
    code = segno.make(_qr_url(request, qr), error="m")
    out = io.BytesIO()
    if fmt == "png":
        code.save(out, kind="png", scale=10, border=2)
        return HttpResponse(out.getvalue(), content_type="image/png")
    code.save(out, kind="svg", scale=8, border=2, title=qr.label)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@login_required
def qr_poster(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "needs.manage_qr")
    qr = get_object_or_404(QrCode, pk=pk)
    svg = segno.make(_qr_url(request, qr), error="m").svg_inline(scale=9, border=2)
    return render(
        request, "needs/qr_poster.html", {"qr": qr, "svg": svg, "url": _qr_url(request, qr)}
    )


# --- rectifications, common needs -----------------------------------------------------------


@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "needs.view_rectification")
    return render(
        request,
        "needs/rectification_list.html",
        {
            "items": selectors.rectifications(user=request.user).select_related("rating")[:200],
            "can_decide": can(request.user, "needs.decide_appeal"),
        },
    )


@login_required
@require_POST
def rectification_complete(request: HttpRequest, pk: int) -> HttpResponse:
    rect = get_visible_or_404(
        request.user, "needs.view_rectification", Rectification.objects.all(), pk=pk
    )
    try:
        services.rectification_complete(
            actor=request.user,
            rectification=rect,
            result=request.POST.get("result", ""),
            callback_note=request.POST.get("callback_note", ""),
        )
        messages.success(request, _("整改已完成"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("needs:rectification_list")


@login_required
@require_POST
def rating_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    rect = get_visible_or_404(
        request.user, "needs.view_rectification", Rectification.objects.all(), pk=pk
    )
    if rect.rating is None:
        raise Http404
    try:
        decision = request.POST.get("decision", "")
        if decision in {"uphold", "reject"}:
            services.rating_appeal_decide(
                actor=request.user, rating=rect.rating, upheld=decision == "uphold"
            )
        else:
            services.rating_appeal(
                actor=request.user, rating=rect.rating, reason=request.POST.get("reason", "")
            )
        messages.success(request, _("已提交"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("needs:rectification_list")


@login_required
def common_needs(request: HttpRequest) -> HttpResponse:
    """The common needs as last computed (`commons`): the page reads the summary, never the
    needs of the window; while a computation runs it polls (htmx) and reloads when done."""
    require(request.user, "needs.view_dashboard")
    summary = selectors.common_summary(user=request.user)
    busy = summary is not None and summary.state in {
        CommonSummary.State.QUEUED,
        CommonSummary.State.RUNNING,
    }
    shown = request.GET.get("shown", "")
    computed = f"{summary.computed_at.timestamp():.6f}" if summary and summary.computed_at else ""
    if request.headers.get("HX-Request") == "true":
        if not busy and computed != shown:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(
            request, "needs/_common_status.html", {"summary": summary, "busy": busy, "shown": shown}
        )
    items = selectors.common_items(summary)
    return render(
        request,
        "needs/common_needs.html",
        {
            "summary": summary,
            "busy": busy,
            "shown": computed,
            "categories": [i for i in items if i.kind == CommonSummaryItem.Kind.CATEGORY],
            "groups": [i for i in items if i.kind == CommonSummaryItem.Kind.SIMILAR],
            "can_plan": can(request.user, "activities.create_event"),
            "can_refresh": can(request.user, "needs.refresh_common"),
            "window_days": rules.COMMON_WINDOW_DAYS,
            "threshold": rules.COMMON_THRESHOLD,
        },
    )


@login_required
@require_POST
def common_needs_refresh(request: HttpRequest) -> HttpResponse:
    """Staff ask for the common needs to be computed now, on the queue."""
    require(request.user, "needs.refresh_common")
    commons.common_summary_request(actor=request.user)
    messages.success(request, _("已开始重新计算，完成后本页自动刷新。"))
    return redirect("needs:common_needs")


@login_required
def answers(request: HttpRequest) -> HttpResponse:
    """Knowledge base: answered event questions and replies of closed orders, searchable."""
    require(request.user, "needs.view_dashboard")
    from django.db.models import Q

    from qinqing.activities.models import Question

    q = request.GET.get("q", "").strip()[:50]
    questions = Question.objects.exclude(answer="").select_related("event")
    replies = Need.objects.filter(state=Need.State.CLOSED).exclude(reply="")
    replies = replies.select_related("category")
    if q:
        questions = questions.filter(Q(text__icontains=q) | Q(answer__icontains=q))
        replies = replies.filter(Q(text__icontains=q) | Q(reply__icontains=q))
    return render(
        request,
        "needs/answers.html",
        {"q": q, "questions": questions.order_by("-pk")[:50], "replies": replies[:50]},
    )


# --- dashboard and export -------------------------------------------------------------------


def _period(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET if request.GET else PeriodForm.this_year(today))
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, date(today.year, 1, 1), today


def _per_month(qs, field: str) -> dict[str, int]:
    """Rows of `qs` per calendar month of `field` (local time), keyed "YYYY-MM"."""
    return {
        f"{row['m']:%Y-%m}": row["n"]
        for row in qs.annotate(m=TruncMonth(field)).values("m").annotate(n=Count("pk"))
        if row["m"]
    }


@login_required
@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, "needs.view_dashboard")
    from qinqing.activities.models import Event
    from qinqing.core import figures as registry

    form, start, end = _period(request)
    lo, hi = period(start, end)
    needs = Need.objects.filter(received_at__gte=lo, received_at__lt=hi)
    months = month_labels(start, end)
    received = _per_month(needs, "received_at")
    closed = _per_month(
        Need.objects.filter(state=Need.State.CLOSED, closed_at__gte=lo, closed_at__lt=hi),
        "closed_at",
    )
    channels = dict(Need.Channel.choices)
    by_channel = [
        (str(channels.get(row["channel"], row["channel"])), row["n"])
        for row in needs.values("channel").annotate(n=Count("pk")).order_by("-n")
    ]
    by_dept = [
        (row["department__short_name"] or row["department__name"] or _("待派单"), row["n"])
        for row in needs.values("department__short_name", "department__name")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    by_cat = [
        (row["category__name"] or _("未分类"), row["n"])
        for row in needs.values("category__name").annotate(n=Count("pk")).order_by("-n")
    ]
    events = Event.objects.filter(starts_at__gte=lo, starts_at__lt=hi, state="done")
    kinds = dict(Event.Kind.choices)
    by_kind = [
        (str(kinds[row["kind"]]), row["n"])
        for row in events.values("kind").annotate(n=Count("pk")).order_by("-n")
    ]
    by_cluster = [
        (row["audience_clusters__name"] or _("未限定集聚区"), row["n"])
        for row in events.values("audience_clusters__name").annotate(n=Count("pk")).order_by("-n")
    ]
    names = [
        "firms_visited",
        "joint_study_events",
        "warning_education_attendees",
        "supervisors_engaged",
        "training_sessions",
        "materials_handed_out",
        "questions_answered",
        "needs_received",
        "needs_closed",
        "on_time_rate",
        "satisfaction_rate",
        "events_held",
        "participants_checked_in",
    ]
    figures = [
        (registry.get_figure(n), registry.evaluate(registry.get_figure(n), start, end))
        for n in names
    ]
    charts = [
        Chart(
            id="needs-month",
            title=_("诉求按月：收到与办结"),
            labels=[label for label, _a, _b in months],
            series=[
                (_("收到"), [received.get(label, 0) for label, _a, _b in months]),
                (_("办结"), [closed.get(label, 0) for label, _a, _b in months]),
            ],
            unit=_("件"),
            category=_("月份"),
        ),
        chart("needs-dept", _("诉求按承办部门"), by_dept, kind="hbar", unit=_("件"),
              category=_("部门")),
        chart("needs-channel", _("诉求按渠道"), by_channel, kind="hbar", unit=_("件"),
              category=_("渠道")),
        chart("needs-category", _("诉求按类别"), by_cat, kind="hbar", unit=_("件"),
              category=_("类别")),
        chart("events-kind", _("活动按类型"), by_kind, kind="hbar", unit=_("场"),
              category=_("类型")),
        chart("events-cluster", _("活动按集聚区"), by_cluster, kind="hbar", unit=_("场"),
              category=_("集聚区")),
    ]  # fmt: skip
    return render(
        request,
        "needs/dashboard.html",
        {
            "form": form,
            "figures": figures,
            "charts": charts,
            "periods": period_links(timezone.localdate(), (start, end)),
            "start": start,
            "end": end,
        },
    )


def _export_form(request: HttpRequest) -> ExportForm:
    """The export's filters from the query: this year and all the user may see unless given."""
    departments = exports.departments_for(request.user)
    if not request.GET:
        default = exports.ExportFilters.default()
        return ExportForm(
            departments=departments, initial={"start": default.start, "end": default.end}
        )
    data = request.GET.copy()
    default = exports.ExportFilters.default()
    data.setdefault("start", default.start.isoformat())
    data.setdefault("end", default.end.isoformat())
    return ExportForm(data, departments=departments)


def _filters(form: ExportForm) -> exports.ExportFilters:
    if not form.is_bound:
        return exports.ExportFilters.default()
    d = form.cleaned_data
    return exports.ExportFilters(
        start=d["start"], end=d["end"], department=d["department"], state=d["state"], late=d["late"]
    )


@login_required
def export_form(request: HttpRequest) -> HttpResponse:
    """The export's filters (the list page's, the period, a department) and the user's own
    exports made on the queue, kept until they expire."""
    require(request.user, "needs.view_dashboard")
    form = _export_form(request)
    if form.is_bound:
        form.is_valid()
    return _export_page(request, form)


def _export_page(request: HttpRequest, form: ExportForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "needs/export.html",
        {
            "form": form,
            "mine": exports.exports_of(request.user)[:20],
            "queue_above": exports.queue_above(),
            "keep_hours": exports.keep().total_seconds() // 3600,
        },
        status=status,
    )


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    """The export of the filters given (this year by default): the file itself up to
    `QINQING_EXPORT_QUEUE_ABOVE` orders, streamed from a temporary file; above, made on the
    queue — the answer sends the user to its page, which shows the progress and the download."""
    require(request.user, "needs.view_dashboard")
    form = _export_form(request)
    if form.is_bound and not form.is_valid():
        return _export_page(request, form, status=400)
    filters = _filters(form)
    _rows, document = exports.needs_export(actor=request.user, filters=filters)
    if document is not None:
        return redirect("needs:export_detail", pk=document.pk)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it, which removes it)
    with replica_reads():  # a report: read from the replica if there is one
        exports.write(out, user=request.user, filters=filters)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filters.filename, content_type=XLSX)


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A queued export: its progress, then the file — for the user who asked for it only
    (anyone else, and anyone after it expired: 404)."""
    require(request.user, "needs.view_dashboard")
    document = get_object_or_404(exports.exports_of(request.user), pk=pk)
    return document_response(
        request,
        document,
        title=_("导出诉求工单"),
        back_url=reverse("needs:export_form"),
        inline=False,
    )
