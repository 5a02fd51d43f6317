"""Pages of cases: the list, creation, the case page and its forms, the impact assessment, the
fast-track profile and the dashboard."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bankruptcy import figures as bankruptcy_figures
from qinqing.bankruptcy import selectors, services
from qinqing.bankruptcy.forms import (
    FAST_TRACK_FACTS,
    AnnounceForm,
    AssessmentForm,
    CaseForm,
    CaseSettingsForm,
    FastTrackProfileForm,
)
from qinqing.bankruptcy.models import Case, CaseDecision, Claim, FastTrackProfile
from qinqing.bankruptcy.views.common import _attempt, _case, _date
from qinqing.core import figures as figures_registry
from qinqing.core.charts import Chart, period_links
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require, visible
from qinqing.core.replica import reads_from_replica
from qinqing.core.roles import Role

FIGURE_NAMES = (
    "assets_revitalised",
    "debts_resolved",
    "repayment_rate_nominal",
    "repayment_rate_realised",
    "firms_rescued",
    "median_days_to_approval",
)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bankruptcy.view_case")
    today = timezone.localdate()
    page = Paginator(selectors.cases(user=request.user), 50).get_page(request.GET.get("page"))
    rows = [(case, selectors.case_alerts(case, today)) for case in page]
    open_for_claims = []
    if grants_of(request.user).has(Role.CREDITOR):
        open_for_claims = selectors.accepting_claims(
            visible(request.user, "bankruptcy.file_claim", Case.objects.select_related("debtor"))
        ).filter(declaration_end__gte=today)
    return render(
        request,
        "bankruptcy/case_list.html",
        {
            "rows": rows,
            "page": page,
            "open_for_claims": open_for_claims,
            "can_create": can(request.user, "bankruptcy.manage_case"),
        },
    )


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    require(request.user, "bankruptcy.manage_case")
    courts = Organisation.objects.filter(
        pk__in=grants_of(request.user).org_ids(Role.JUDGE), kind=Organisation.Kind.COURT
    )
    form = CaseForm(request.POST or None)
    if request.method == "POST" and not courts:
        form.add_error(None, _("您的账号未关联法院，不能立案"))
    if request.method == "POST" and form.is_valid() and courts:
        try:
            case = services.case_create(
                actor=request.user, court=courts[0], judge=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已立案"))
            return redirect("bankruptcy:case_detail", pk=case.pk)
    return render(request, "bankruptcy/case_form.html", {"form": form})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    staff = selectors.is_case_staff(request.user, case)
    own = selectors.own_creditors(user=request.user).filter(case=case)
    context = {
        "case": case,
        "staff": staff,
        "is_judge": can(request.user, "bankruptcy.manage_case", case),
        "is_admin": can(request.user, "bankruptcy.administer_case", case),
        "deadlines": selectors.case_deadlines(case),
        "meetings": case.meetings.prefetch_related("items"),
        "agreements": case.agreements.all(),
        "decisions": case.decisions.all(),
        "own": own,
        "announce_form": AnnounceForm(),
        "settings_form": CaseSettingsForm(
            initial={
                "secured_shortfall_votes": case.secured_shortfall_votes,
                "priority_claims": case.priority_claims,
                "administrator_fee_rate": case.administrator_fee_rate,
            },
            auto_id="settings-%s",
        ),
        "decision_kinds": CaseDecision.Kind.choices,
        "fast_track": selectors.fast_track_result(case) if staff else None,
        "filing_bar": selectors.filing_bar(case),
        "can_file": can(request.user, "bankruptcy.file_claim", case),
        "can_committee": can(request.user, "bankruptcy.view_committee", case),
    }
    return render(request, "bankruptcy/case_detail.html", context)


@login_required
@require_POST
def case_announce(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.manage_case")
    form = AnnounceForm(request.POST)
    if form.is_valid():
        _attempt(request, services.case_announce, _("已公告"), case=case, **form.cleaned_data)
    else:
        messages.error(request, _("请填写公告日和申报期限届满日"))
    return redirect("bankruptcy:case_detail", pk=pk)


@login_required
@require_POST
def case_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The court's per-case readings: secured creditors' shortfall vote (Art.59/110), employee
    and tax claims outside or inside the agreement, the administrator's fee rate."""
    case = _case(request, pk, "bankruptcy.manage_case")
    form = CaseSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("设置有误：") + "；".join(e for errs in form.errors.values() for e in errs)
        )
    else:
        _attempt(
            request,
            services.case_settings_update,
            _("案件设置已保存"),
            case=case,
            **form.cleaned_data,
        )
    return redirect("bankruptcy:case_detail", pk=pk)


@login_required
@require_POST
def claim_priority_paid(request: HttpRequest, pk: int) -> HttpResponse:
    """The administrator records an employee or tax claim paid in full outside the agreement."""
    claim = get_visible_or_404(
        request.user, "bankruptcy.view_claim", Claim.objects.select_related("case"), pk=pk
    )
    _case(request, claim.case_id, "bankruptcy.administer_case")
    _attempt(
        request,
        services.claim_priority_paid,
        _("已登记协议外全额清偿"),
        claim=claim,
        on=_date(request.POST.get("on")) or timezone.localdate(),
    )
    return redirect("bankruptcy:claims", pk=claim.case_id)


@login_required
@require_POST
def case_decide(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.manage_case")
    _attempt(
        request,
        services.case_decide,
        _("决定已记录"),
        case=case,
        kind=request.POST.get("kind", ""),
        decided_on=_date(request.POST.get("decided_on")) or timezone.localdate(),
        reason=request.POST.get("reason", ""),
    )
    return redirect("bankruptcy:case_detail", pk=pk)


@login_required
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.assess_case")
    latest = selectors.latest_assessment(case)
    initial = model_to_dict(latest, fields=AssessmentForm.Meta.fields) if latest else {}
    initial.update({name: getattr(case, name) for name in FAST_TRACK_FACTS})
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_record(actor=request.user, case=case, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("评估已保存"))
            return redirect("bankruptcy:assessment", pk=pk)
    report = selectors.assessment_report(case)
    return render(
        request,
        "bankruptcy/assessment.html",
        {"case": case, "form": form, "report": report},
    )


@login_required
@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    require(request.user, "bankruptcy.view_dashboard")
    today = timezone.localdate()
    start = _date(request.GET.get("from")) or date(2021, 1, 1)
    end = _date(request.GET.get("to")) or today
    if end < start:
        start, end = end, start
    values = [
        (
            figure.shown_label,
            figures_registry.evaluate_for_report(figure, start, end),
            figure.shown_unit,
        )
        for figure in (figures_registry.get_figure(name) for name in FIGURE_NAMES)
    ]
    series = bankruptcy_figures.series(list(range(start.year, end.year + 1))[-8:])
    years = [_("%(year)s年") % {"year": s["year"]} for s in series]
    charts = [
        Chart(
            id="bankruptcy-amounts",
            title=_("按认可年度：盘活资产与化解债务"),
            labels=years,
            series=[
                (_("盘活资产"), [_wan(s["assets"]) for s in series]),
                (_("化解债务"), [_wan(s["debts"]) for s in series]),
            ],
            unit=_("万元"),
            category=_("年度"),
        ),
        Chart(
            id="bankruptcy-firms",
            title=_("按认可年度：挽救企业"),
            labels=years,
            series=[(_("挽救企业"), [s["firms"] for s in series])],
            unit=_("家"),
            category=_("年度"),
        ),
    ]
    return render(
        request,
        "bankruptcy/dashboard.html",
        {
            "values": values,
            "charts": charts,
            "periods": period_links(today, (start, end), start_param="from", end_param="to"),
            "start": start,
            "end": end,
            "case_url": reverse("bankruptcy:case_list"),
            # the demo loader's fictional cases (Case.is_demo) among those the figures count
            "demo_cases": selectors.rescued_agreements(start, end)
            .filter(case__is_demo=True)
            .values("case")
            .distinct()
            .count(),
        },
    )


def _wan(amount) -> Decimal:
    """元 → 万元, two decimals."""
    return (Decimal(amount or 0) / 10000).quantize(Decimal("0.01"))


@login_required
def fast_track_profile(request: HttpRequest) -> HttpResponse:
    """The judge's court's fast-track profile (eligibility checklist, exclusions, time limit)."""
    require(request.user, "bankruptcy.manage_case")
    court = Organisation.objects.filter(
        pk__in=grants_of(request.user).direct_org_ids(Role.JUDGE), kind=Organisation.Kind.COURT
    ).first()
    if court is None:
        raise Http404
    profile = services.fast_track_profile_default(actor=request.user, court=court)
    form = FastTrackProfileForm(
        request.POST or None, instance=FastTrackProfile.objects.get(pk=profile.pk)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.fast_track_profile_update(
                actor=request.user, profile=profile, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("快审配置已保存"))
            return redirect("bankruptcy:fast_track_profile")
    return render(request, "bankruptcy/fast_track_profile.html", {"form": form, "court": court})
