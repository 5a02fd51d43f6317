"""Pages of the bankruptcy module (server-rendered, htmx for the live tally and reviews)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bankruptcy import figures as bankruptcy_figures
from qinqing.bankruptcy import imports, rules, selectors, services
from qinqing.bankruptcy.forms import (
    FAST_TRACK_FACTS,
    AnnounceForm,
    Art69ReportForm,
    AssessmentForm,
    CaseForm,
    CaseSettingsForm,
    ClaimFileForm,
    CommitteeApproveForm,
    CommitteeCourtRemoveForm,
    CommitteeCreateForm,
    CommitteeDecisionForm,
    CommitteeMemberForm,
    CommitteeRemoveForm,
    FastTrackProfileForm,
    ImportForm,
    PhoneForm,
    PublicClaimForm,
)
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Art69Report,
    Case,
    CaseDecision,
    Claim,
    ClaimEvidence,
    CommitteeVote,
    FastTrackProfile,
    Meeting,
    Payment,
    Proxy,
)
from qinqing.core import calendar, otp
from qinqing.core import figures as figures_registry
from qinqing.core.actions import run_posted
from qinqing.core.charts import Chart, period_links
from qinqing.core.errors import DomainError
from qinqing.core.http import redirect_back
from qinqing.core.idempotency import AlreadyApplied, form_once
from qinqing.core.models import Organisation
from qinqing.core.net import client_ip
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


def _case(request, pk: int, action: str = "bankruptcy.view_case") -> Case:
    return get_visible_or_404(request.user, action, Case.objects.all(), pk=pk)


def _attempt(request, fn, ok: str, **kwargs) -> bool:
    """Run the service `fn` as the user for a posted form (core.actions.run_posted)."""
    return run_posted(request, lambda: fn(actor=request.user, **kwargs), ok=ok)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


@login_required
def claims(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.assess_case")
    rows = selectors.with_senior_splits(case, selectors.claims_for(user=request.user, case=case))
    return render(
        request,
        "bankruptcy/claims.html",
        {
            "case": case,
            "claims": rows,
            "is_admin": can(request.user, "bankruptcy.administer_case", case),
            "is_judge": can(request.user, "bankruptcy.manage_case", case),
            "import_form": ImportForm(),
            "import_errors": None,
        },
    )


@login_required
@require_POST
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_visible_or_404(
        request.user,
        "bankruptcy.view_claim",
        Claim.objects.select_related("case", "creditor"),
        pk=pk,
    )
    _case(request, claim.case_id, "bankruptcy.administer_case")
    error = None
    admitted = request.POST.get("admitted_amount", "").strip()
    try:
        services.claim_review(
            actor=request.user,
            claim=claim,
            admitted_amount=None if request.POST.get("decision") == "reject" else admitted,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        error = exc.message
    claim.refresh_from_db()
    if request.headers.get("HX-Request"):
        (claim,) = selectors.with_senior_splits(claim.case, [claim])
        return render(
            request,
            "bankruptcy/_claim_row.html",
            {"claim": claim, "is_admin": True, "error": error},
        )
    if error:
        messages.error(request, error)
    return redirect("bankruptcy:claims", pk=claim.case_id)


@login_required
@require_POST
def claim_provisional(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_visible_or_404(
        request.user, "bankruptcy.view_claim", Claim.objects.select_related("case"), pk=pk
    )
    _case(request, claim.case_id, "bankruptcy.manage_case")
    _attempt(
        request,
        services.claim_set_provisional,
        _("已临时确定表决额"),
        claim=claim,
        amount=request.POST.get("amount", ""),
    )
    return redirect("bankruptcy:claims", pk=claim.case_id)


@login_required
@require_POST
def claims_publish(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.administer_case")
    _attempt(request, services.claims_table_publish, _("债权表已编制"), case=case)
    return redirect("bankruptcy:claims", pk=pk)


@login_required
@require_POST
def claims_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.manage_case")
    _attempt(request, services.claims_confirm, _("无异议债权已裁定确认"), case=case)
    return redirect("bankruptcy:claims", pk=pk)


@login_required
def claims_import(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.administer_case")
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            errors = [imports.RowError(0, _("文件"), _("文件不能超过 5 MB"))]
        else:
            try:
                created = imports.import_claims(actor=request.user, case=case, data=upload.read())
            except imports.ImportFailed as exc:
                errors = exc.errors
            except DomainError as exc:
                errors = [imports.RowError(0, "", exc.message)]
            else:
                messages.success(request, _("已导入 %(n)d 笔债权") % {"n": len(created)})
                return redirect("bankruptcy:claims", pk=pk)
    return render(
        request,
        "bankruptcy/claims_import.html",
        {"case": case, "form": form, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
def claims_template(request: HttpRequest) -> HttpResponse:
    require(request.user, "bankruptcy.administer_case")
    response = HttpResponse(
        imports.template_bytes(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="claims-template.xlsx"'
    return response


@login_required
def claim_file(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.file_claim")
    orgs = Organisation.objects.filter(pk__in=grants_of(request.user).direct_org_ids(Role.CREDITOR))
    organisation = orgs.first()
    form = ClaimFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and organisation is None:
        form.add_error(None, _("您的账号未关联债权人单位，请使用公开申报页凭手机号申报"))
    if request.method == "POST" and form.is_valid() and organisation is not None:
        data = form.cleaned_data
        evidence = [data["evidence"]] if data.get("evidence") else []
        try:
            claim = services.claim_file(
                actor=request.user,
                case=case,
                creditor_name=organisation.name,
                organisation=organisation,
                principal=data["principal"],
                interest=data["interest"] or 0,
                other=data["other"] or 0,
                nature=data.get("nature") or "",
                secured=data["secured"],
                collateral_value=data["collateral_value"] or 0,
                waived_priority=data["waived_priority"],
                phone=data["phone"],
                evidence=evidence,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("债权申报已提交")
                + (_("（逾期申报，依第56条承担审查费用）") if claim.late else ""),
            )
            return redirect("bankruptcy:creditor_home")
    return render(
        request,
        "bankruptcy/claim_file.html",
        {"case": case, "form": form, "organisation": organisation},
    )


# --------------------------------------------------------------------------------------------
# Meetings
# --------------------------------------------------------------------------------------------


def _meeting(request, pk: int) -> Meeting:
    return get_visible_or_404(
        request.user, "bankruptcy.view_meeting", Meeting.objects.select_related("case"), pk=pk
    )


def _tally_rows(meeting: Meeting) -> list[dict]:
    names = {str(pk): name for pk, name in meeting.case.creditors.values_list("pk", "name")}
    rows = []
    for item in meeting.items.select_related("meeting__case"):
        result = selectors.item_result(item)
        excluded = [(names.get(cid, cid), reason) for cid, reason in result.get("excluded", [])]
        total = Decimal(result["unsecured_total"])
        share = Decimal(result["yes_amount"]) / total if total else Decimal(0)
        rows.append(
            {
                "item": item,
                "t": result,
                "excluded": excluded,
                "share": share,
                "bases": result.get("bases"),
            }
        )
    return rows


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    case = meeting.case
    staff = selectors.is_case_staff(request.user, case)
    own = list(selectors.own_creditors(user=request.user).filter(case=case))
    context = {
        "meeting": meeting,
        "case": case,
        "staff": staff,
        "is_admin": can(request.user, "bankruptcy.administer_case", case),
        "own": selectors.ballot_sheets(meeting, own),
        "rows": _tally_rows(meeting) if staff or meeting.status == Meeting.Status.CLOSED else [],
        "bases": selectors.case_bases(case) if staff else None,
        "attendances": meeting.attendances.select_related("creditor") if staff else [],
        "case_creditors": case.creditors.order_by("name") if staff else [],
        "proxies": Proxy.objects.filter(creditor__case=case).select_related("creditor")
        if staff
        else [],
        "results_due": selectors.rules.results_due(
            meeting.date, next_working_day=calendar.next_working_day
        ),
    }
    return render(request, "bankruptcy/meeting.html", context)


@login_required
def meeting_tally(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not selectors.is_case_staff(request.user, meeting.case):
        require(request.user, "bankruptcy.administer_case", meeting.case)
    return render(
        request, "bankruptcy/_tally.html", {"rows": _tally_rows(meeting), "meeting": meeting}
    )


@login_required
@require_POST
def meeting_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting = _meeting(request, pk)
    _case(request, meeting.case_id, "bankruptcy.administer_case")
    handlers = {
        "open": (services.meeting_open, _("会议已开始，债权人可在线签到和表决")),
        "close": (services.meeting_close, _("表决已结束，结果已计算")),
        "results": (services.meeting_results_send, _("表决结果已告知参与表决的债权人")),
    }
    if action not in handlers:
        messages.error(request, _("未知的操作"))
    else:
        fn, ok = handlers[action]
        _attempt(request, fn, ok, meeting=meeting)
    return redirect("bankruptcy:meeting_detail", pk=pk)


def _own_creditor(request, case_id: int, creditor_id: str | None):
    return get_visible_or_404(
        request.user,
        "bankruptcy.vote",
        selectors.own_creditors(user=request.user).filter(case_id=case_id),
        pk=creditor_id or 0,
    )


@login_required
@require_POST
def meeting_sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    creditor = _own_creditor(request, meeting.case_id, request.POST.get("creditor"))
    _attempt(
        request,
        services.attendance_sign_in,
        _("已签到"),
        meeting=meeting,
        creditor=creditor,
        proxy_name=request.POST.get("proxy_name", ""),
    )
    return redirect("bankruptcy:meeting_detail", pk=pk)


@login_required
@require_POST
def item_vote(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(
        request.user,
        "bankruptcy.view_meeting",
        Meeting.objects.all(),
        pk=AgendaItem.objects.filter(pk=pk).values("meeting_id")[:1],
    )
    item = AgendaItem.objects.select_related("meeting").get(pk=pk, meeting=item)
    creditor = _own_creditor(request, item.meeting.case_id, request.POST.get("creditor"))
    if _agreement_unread(request, item):
        return redirect("bankruptcy:meeting_detail", pk=item.meeting_id)
    _attempt(
        request,
        services.ballot_cast,
        _("表决意见已提交"),
        item=item,
        creditor=creditor,
        vote=request.POST.get("vote", ""),
    )
    return redirect("bankruptcy:meeting_detail", pk=item.meeting_id)


def _agreement_unread(request: HttpRequest, item: AgendaItem) -> bool:
    """The Art.97 vote is cast only after the creditor confirms it read the draft agreement and
    its own term (the page shows both); refused with a message otherwise."""
    if item.kind != AgendaItem.Kind.RECONCILIATION or request.POST.get("read") == "1":
        return False
    messages.error(request, _("请先阅读和解协议草案和本人的清偿条件，勾选确认后再表决"))
    return True


# --------------------------------------------------------------------------------------------
# Creditor's page, agreements, dashboard
# --------------------------------------------------------------------------------------------


@login_required
def creditor_home(request: HttpRequest) -> HttpResponse:
    require(request.user, "bankruptcy.creditor_home")
    today = timezone.localdate()
    open_cases = selectors.accepting_claims(
        visible(request.user, "bankruptcy.file_claim", Case.objects.select_related("debtor"))
    ).filter(declaration_end__gte=today)
    return render(
        request,
        "bankruptcy/creditor_home.html",
        {
            "rows": selectors.creditor_overview(user=request.user),
            "open_cases": open_cases,
            "committee_cases": visible(
                request.user, "bankruptcy.committee_member", Case.objects.select_related("debtor")
            ),
        },
    )


@login_required
@require_POST
def payment_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The creditor confirms it received a payment (only its own)."""
    require(request.user, "bankruptcy.creditor_home")
    own = selectors.own_creditors(user=request.user)
    payment = get_visible_or_404(
        request.user,
        "bankruptcy.view_payment",
        Payment.objects.select_related("term__agreement__case").filter(term__creditor__in=own),
        pk=pk,
    )
    _attempt(request, services.payment_confirm_receipt, _("已确认收款"), payment=payment)
    return redirect("bankruptcy:creditor_home")


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_visible_or_404(
        request.user,
        "bankruptcy.view_agreement",
        Agreement.objects.select_related("case__debtor"),
        pk=pk,
    )
    today = timezone.localdate()
    excess = selectors.senior_excess_by_creditor(agreement.case)
    terms = [
        {
            "term": t,
            "pos": selectors.term_position(t, today),
            "senior_excess": excess.get(t.creditor_id),
        }
        for t in selectors.terms_for(user=request.user, agreement=agreement)
    ]
    staff = selectors.is_case_staff(request.user, agreement.case)
    bases = selectors.case_bases(agreement.case) if staff else None
    tiers = None
    if staff:
        tiers = sorted(
            rules.repayment_rates_by_tier(
                rules.RepaymentLine(
                    creditor_id=str(row["term"].creditor_id),
                    confirmed_unsecured=row["term"].confirmed_amount,
                    agreed=row["term"].agreed_amount,
                    paid=row["pos"]["paid"],
                    tier=row["term"].tier or None,
                )
                for row in terms
            ).items(),
            key=lambda item: item[0] or "",
        )
    art104 = None
    if (
        staff
        and agreement.status == Agreement.Status.TERMINATED
        and request.GET.get("distributable")
    ):
        try:
            amount = services.money(request.GET["distributable"], "distributable")
            art104 = selectors.art104_preview(agreement, amount)
        except DomainError as exc:
            messages.error(request, exc.message)
        except rules.RuleError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "bankruptcy/agreement.html",
        {
            "agreement": agreement,
            "case": agreement.case,
            "terms": terms,
            "rates": selectors.agreement_rates(agreement) if staff else None,
            "bases": bases,
            "bases_agreement": bases.amount("agreement_basis") if bases else None,
            "tiers": tiers,
            "is_admin": can(request.user, "bankruptcy.administer_case", agreement.case),
            "is_judge": can(request.user, "bankruptcy.manage_case", agreement.case),
            "today": today,
            "art104": art104,
        },
    )


@login_required
@require_POST
def agreement_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    agreement = get_visible_or_404(
        request.user, "bankruptcy.view_agreement", Agreement.objects.all(), pk=pk
    )
    today = _date(request.POST.get("on")) or timezone.localdate()
    if action == "pay":
        _case(request, agreement.case_id, "bankruptcy.administer_case")
        term = AgreementTerm.objects.filter(
            agreement=agreement, pk=request.POST.get("term") or 0
        ).first()
        if term is None:
            messages.error(request, _("请选择债权人"))
        else:
            _attempt(
                request,
                services.payment_record,
                _("清偿款已登记"),
                term=term,
                amount=request.POST.get("amount", ""),
                paid_on=today,
                reference=request.POST.get("reference", ""),
            )
    elif action in ("approve", "complete", "terminate", "void"):
        _case(request, agreement.case_id, "bankruptcy.manage_case")
        if action == "approve":
            _attempt(
                request,
                services.agreement_approve,
                _("已裁定认可和解协议"),
                agreement=agreement,
                on=today,
            )
        elif action == "complete":
            _attempt(
                request,
                services.agreement_complete,
                _("协议执行完毕，减免部分不再清偿"),
                agreement=agreement,
                on=today,
            )
        else:
            extra = {}
            if action == "terminate":
                extra["requested_by"] = agreement.case.creditors.filter(
                    pk=request.POST.get("requested_by") or 0
                ).first()
            ruling = services.agreement_void if action == "void" else services.agreement_terminate
            try:
                outcome = ruling(
                    actor=request.user,
                    agreement=agreement,
                    on=today,
                    reason=request.POST.get("reason", ""),
                    distributable=request.POST.get("distributable") or 0,
                    **extra,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _ruling_message(action, outcome))
    else:
        messages.error(request, _("未知的操作"))
    return redirect("bankruptcy:agreement_detail", pk=pk)


def _ruling_message(action: str, outcome) -> str:
    if action == "void":  # rules.Art103Settlement
        returns = [f"{n} 退回 {a} 元" for n, a in outcome.to_return.items() if a]
        pays = [f"{n} 补足 {a} 元" for n, a in outcome.to_pay.items() if a]
        return _("协议已裁定无效，宣告破产。第103条同等比例 %(level)s：") % {
            "level": outcome.level
        } + "；".join(returns + pays)
    return _("协议已终止，宣告破产。第104条均衡分配：") + "；".join(
        f"{name} {amount} 元" for name, amount in outcome.items()
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


# --------------------------------------------------------------------------------------------
# Administrator's forms: meetings, employee claims, draft agreement, schedules, objections
# --------------------------------------------------------------------------------------------


@login_required
@require_POST
def meeting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.administer_case")
    items = []
    if request.POST.get("reconciliation"):
        items.append(("表决和解协议草案", AgendaItem.Kind.RECONCILIATION))
    ordinary = request.POST.get("ordinary_title", "").strip()
    if ordinary:
        items.append((ordinary[:200], AgendaItem.Kind.ORDINARY))
    meeting_day = _date(request.POST.get("date"))
    notice_day = _date(request.POST.get("notice_date")) or timezone.localdate()
    if meeting_day is None:
        messages.error(request, _("请填写会议日期"))
    else:
        _attempt(
            request,
            services.meeting_schedule,
            _("会议已召集，已通知债权人"),
            case=case,
            date=meeting_day,
            notice_date=notice_day,
            items=items,
            kind=request.POST.get("kind") or Meeting.Kind.FIRST,
        )
    return redirect("bankruptcy:case_detail", pk=pk)


@login_required
@require_POST
def employee_claim(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.administer_case")
    _attempt(
        request,
        services.claim_list_employee,
        _("职工债权已列出（第48条）"),
        case=case,
        employee_name=request.POST.get("employee_name", ""),
        amount=request.POST.get("amount", ""),
        senior_manager=request.POST.get("senior_manager") == "1",
        wage_months=request.POST.get("wage_months", ""),
    )
    return redirect("bankruptcy:claims", pk=pk)


@login_required
@require_POST
def claim_subordinate(request: HttpRequest, pk: int) -> HttpResponse:
    """The court orders a claim subordinated (法〔2018〕53号 §28)."""
    claim = get_visible_or_404(
        request.user, "bankruptcy.view_claim", Claim.objects.select_related("case"), pk=pk
    )
    _case(request, claim.case_id, "bankruptcy.manage_case")
    _attempt(
        request,
        services.claim_subordinate,
        _("已裁定该债权劣后清偿"),
        claim=claim,
        reason=request.POST.get("reason", ""),
    )
    return redirect("bankruptcy:claims", pk=claim.case_id)


@login_required
@require_POST
def agreement_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft paying every creditor with a confirmed unsecured claim one rate, or with a
    small-claims tier paid in full (`rules.OfferPlan`)."""
    case = _case(request, pk, "bankruptcy.administer_case")
    try:
        rate = services.money(request.POST.get("rate", ""), "rate")
        small = request.POST.get("paid_in_full_up_to", "").strip()
        plan = rules.OfferPlan(
            rate=rate,
            paid_in_full_up_to=(
                services.money(small, "paid_in_full_up_to", allow_zero=False) if small else None
            ),
            progressive=request.POST.get("mode", "progressive") != "class",
        )
        services.agreement_draft_by_plan(
            actor=request.user,
            case=case,
            plan=plan,
            summary=request.POST.get("summary", "")[:2000],
            kind=request.POST.get("kind") or Agreement.Kind.COURT,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("和解协议草案已录入"))
    return redirect("bankruptcy:case_detail", pk=pk)


@login_required
@require_POST
def agreement_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Equal instalments every ``interval`` months from ``first`` for every term."""
    agreement = get_visible_or_404(
        request.user, "bankruptcy.view_agreement", Agreement.objects.all(), pk=pk
    )
    _case(request, agreement.case_id, "bankruptcy.administer_case")
    first = _date(request.POST.get("first"))
    try:
        count = int(request.POST.get("count", "0"))
        interval = int(request.POST.get("interval", "0"))
    except ValueError:
        count = interval = 0
    if first is None:
        messages.error(request, _("请填写首期日期、期数（1-60）和间隔月数（1-24）"))
        return redirect("bankruptcy:agreement_detail", pk=pk)
    try:
        services.agreement_schedule_equal(
            actor=request.user, agreement=agreement, first=first, count=count, interval=interval
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("还款计划已生成"))
    return redirect("bankruptcy:agreement_detail", pk=pk)


@login_required
@require_POST
def claim_object(request: HttpRequest, pk: int) -> HttpResponse:
    """A creditor (or the administrator for an employee) objects to a reviewed claim."""
    claim = get_visible_or_404(
        request.user, "bankruptcy.view_claim", Claim.objects.select_related("case"), pk=pk
    )
    _attempt(
        request,
        services.claim_object,
        _("异议已提交"),
        claim=claim,
        text=request.POST.get("text", ""),
    )
    return redirect_back(request, reverse("bankruptcy:creditor_home"))


# --------------------------------------------------------------------------------------------
# Public pages: announced cases (Art.14) and filing with a verified phone, no account needed
# --------------------------------------------------------------------------------------------


def _public_case(pk: int) -> Case:
    return get_object_or_404(selectors.public_cases(), pk=pk)


def public_cases(request: HttpRequest) -> HttpResponse:
    cases = [(case, selectors.filing_bar(case)) for case in selectors.public_cases()]
    return render(request, "bankruptcy/public_cases.html", {"cases": cases})


def public_file(request: HttpRequest, pk: int) -> HttpResponse:
    case = _public_case(pk)
    bar = selectors.filing_bar(case)
    if bar is not None:
        return render(request, "bankruptcy/public_file.html", {"case": case, "bar": bar})
    session_key = f"bk_challenge_{case.pk}"
    challenge = otp.code_find(
        policy=services.PHONE,
        pk=request.session.get(session_key),
        subject_id=case.pk,
        unused=True,
    )
    phone_form = PhoneForm(request.POST if request.POST.get("step") == "send" else None)
    claim_form = PublicClaimForm(
        request.POST if request.POST.get("step") == "file" else None,
        request.FILES or None,
    )
    if request.method == "POST" and request.POST.get("step") == "send" and phone_form.is_valid():
        try:
            challenge = services.phone_challenge_send(
                case=case,
                phone=phone_form.cleaned_data["phone"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            phone_form.add_error("phone", exc.message)
        else:
            request.session[session_key] = challenge.pk
            messages.success(request, _("验证码已发送，10 分钟内有效"))
            return redirect("bankruptcy:public_file", pk=pk)
    if request.method == "POST" and request.POST.get("step") == "file":
        if challenge is None:
            messages.error(request, _("请先获取短信验证码"))
        elif claim_form.is_valid():
            data = claim_form.cleaned_data
            try:
                claim = services.claim_file_by_phone(
                    challenge=challenge,
                    code=data["code"],
                    creditor_name=data["creditor_name"],
                    principal=data["principal"],
                    interest=data["interest"] or 0,
                    other=data["other"] or 0,
                    nature=data.get("nature") or "",
                    secured=data["secured"],
                    collateral_value=data["collateral_value"] or 0,
                    waived_priority=data["waived_priority"],
                    evidence=[data["evidence"]] if data.get("evidence") else [],
                )
            except DomainError as exc:
                claim_form.add_error(
                    exc.field if exc.field in claim_form.fields else None, exc.message
                )
            else:
                request.session.pop(session_key, None)
                return render(
                    request, "bankruptcy/public_done.html", {"case": case, "claim": claim}
                )
    return render(
        request,
        "bankruptcy/public_file.html",
        {
            "case": case,
            "challenge": challenge,
            "phone_form": phone_form,
            "claim_form": claim_form,
        },
    )


@login_required
@require_POST
def meeting_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A creditor holding >= 1/4 of all claims requires a further meeting (Art.62)."""
    case = _case(request, pk)
    own = list(selectors.own_creditors(user=request.user).filter(case=case))
    if not own:
        require(request.user, "bankruptcy.creditor_home")
        messages.error(request, _("您不是本案债权人"))
    else:
        _attempt(
            request,
            services.meeting_request,
            _("提议已送达管理人"),
            case=case,
            creditors=own,
        )
    return redirect("bankruptcy:creditor_home")


@login_required
def claims_table(request: HttpRequest, pk: int) -> HttpResponse:
    """The claims table, open to the case's interested parties once drawn up (Art.57 para.2:
    供利害关系人查阅): names, nature and reviewed amounts only, no contact data or evidence."""
    case = _case(request, pk)
    rows = []
    if case.claims_table_published_on:
        rows = (
            case.claims.exclude(status=Claim.Status.FILED)
            .select_related("creditor")
            .order_by("rank", "creditor__name")
        )
    return render(request, "bankruptcy/claims_table.html", {"case": case, "rows": rows})


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file, to the case's judge and administrator and to the filing creditor."""
    evidence = get_object_or_404(ClaimEvidence.objects.select_related("claim"), pk=pk)
    get_visible_or_404(
        request.user, "bankruptcy.view_claim", Claim.objects.all(), pk=evidence.claim_id
    )
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


@login_required
@require_POST
def proxy_register(request: HttpRequest, pk: int) -> HttpResponse:
    """The administrator registers a creditor's agent (power of attorney) for online voting."""
    meeting = _meeting(request, pk)
    case = _case(request, meeting.case_id, "bankruptcy.administer_case")
    creditor = case.creditors.filter(pk=request.POST.get("creditor") or 0).first()
    user = (
        get_user_model().objects.filter(username=request.POST.get("username", "").strip()).first()
    )
    if creditor is None:
        messages.error(request, _("请选择债权人"))
    else:
        _attempt(
            request,
            services.proxy_register,
            _("委托代理人已登记"),
            creditor=creditor,
            user=user,
            name=request.POST.get("name", ""),
        )
    return redirect("bankruptcy:meeting_detail", pk=pk)


@login_required
@require_POST
def term_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """A creditor consents to an out-of-court settlement for its own term (Art.105)."""
    require(request.user, "bankruptcy.creditor_home")
    term = get_visible_or_404(
        request.user,
        "bankruptcy.view_term",
        AgreementTerm.objects.select_related("agreement__case").filter(
            creditor__in=selectors.own_creditors(user=request.user)
        ),
        pk=pk,
    )
    _attempt(request, services.term_consent, _("已同意自行和解"), term=term)
    return redirect("bankruptcy:creditor_home")


def _phone_identify(request: HttpRequest, case: Case, *, purpose: str, audit_action: str, back):
    """The two steps that identify a case's account-less creditors by an SMS code to the phone
    they filed with: "send" (the code) and "verify" (which keeps their ids in the session for
    this case). Returns the response for a handled step (`back`, a redirect) or None, the
    phone form (with its errors), and the creditors already identified in this session."""
    key = f"bk_phone_creditors_{case.pk}"
    challenge_key = f"bk_phone_challenge_{case.pk}"
    creditors = list(case.creditors.filter(pk__in=request.session.get(key, [])))
    step = request.POST.get("step") if request.method == "POST" else None
    phone_form = PhoneForm(request.POST if step == "send" else None)
    if step == "send" and phone_form.is_valid():
        try:
            challenge = services.phone_challenge_send(
                case=case,
                phone=phone_form.cleaned_data["phone"],
                ip=client_ip(request),
                purpose=purpose,
            )
        except DomainError as exc:
            phone_form.add_error("phone", exc.message)
        else:
            request.session[challenge_key] = challenge.pk
            messages.success(request, _("验证码已发送，10 分钟内有效"))
            return back, phone_form, creditors
    elif step == "verify":
        challenge = otp.code_find(
            policy=services.PHONE, pk=request.session.get(challenge_key), subject_id=case.pk
        )
        try:
            if challenge is None:
                raise DomainError(_("请先获取短信验证码"), field="code")
            found = services.phone_creditors(
                challenge=challenge, code=request.POST.get("code", ""), audit_action=audit_action
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            request.session[key] = [c.pk for c in found]
            request.session.pop(challenge_key, None)
        return back, phone_form, creditors
    return None, phone_form, creditors


def _own(request: HttpRequest, objects, field: str):
    """The object named by POST `field` among `objects` (the identified creditors' own), or
    None with a message."""
    found = objects.filter(pk=request.POST.get(field) or 0).first()
    if found is None:
        messages.error(request, _("请先验证手机号"))
    return found


def _masked(phone: str) -> str:
    return f"手机 {phone[:3]}****{phone[-4:]}"


def public_mine(request: HttpRequest, pk: int) -> HttpResponse:
    """An account-less creditor's own claims, terms and payments, after an SMS code to the
    phone it filed with; it may object to a reviewed claim (Art.58) and confirm a payment."""
    case = get_object_or_404(selectors.announced_cases(), pk=pk)
    back = redirect("bankruptcy:public_mine", pk=pk)
    response, phone_form, creditors = _phone_identify(
        request,
        case,
        purpose=services.LOOKUP,
        audit_action="claim.phone_lookup",
        back=back,
    )
    if response is not None:
        return response
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "object":
        claim = _own(request, Claim.objects.filter(creditor__in=creditors), "claim")
        if claim is not None:
            _attempt(
                request,
                services.claim_object,
                _("异议已提交"),
                claim=claim,
                text=request.POST.get("text", ""),
                via=_masked(claim.creditor.phone),
            )
        return back
    if step == "confirm":
        payments = Payment.objects.filter(term__creditor__in=creditors)
        payment = _own(request, payments.select_related("term__creditor"), "payment")
        if payment is not None:
            _attempt(
                request,
                services.payment_confirm_receipt,
                _("已确认收款"),
                payment=payment,
                via=_masked(payment.term.creditor.phone),
            )
        return back
    return render(
        request,
        "bankruptcy/public_mine.html",
        {
            "case": case,
            "rows": [selectors.creditor_row(c) for c in creditors],
            "phone_form": phone_form,
        },
    )


def public_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """Online sign-in and voting for creditors without an account, identified by an SMS code
    to the phone they filed with (SPC Interp. III Art.11)."""
    meeting = get_object_or_404(
        Meeting.objects.select_related("case").filter(case__in=selectors.public_cases()), pk=pk
    )
    case = meeting.case
    response, phone_form, creditors = _phone_identify(
        request,
        case,
        purpose=services.MEETING,
        audit_action="meeting.phone_identify",
        back=redirect("bankruptcy:public_meeting", pk=pk),
    )
    if response is not None:
        return response
    step = request.POST.get("step") if request.method == "POST" else None
    if step in ("sign_in", "vote"):
        creditor = next((c for c in creditors if str(c.pk) == request.POST.get("creditor")), None)
        if creditor is None:
            messages.error(request, _("请先验证手机号"))
        else:
            via = _masked(creditor.phone)
            if step == "sign_in":
                _attempt(
                    request,
                    services.attendance_sign_in,
                    _("已签到"),
                    meeting=meeting,
                    creditor=creditor,
                    proxy_name=request.POST.get("proxy_name", ""),
                    via=via,
                )
            else:
                item = meeting.items.filter(pk=request.POST.get("item") or 0).first()
                if item is None:
                    messages.error(request, _("未知的表决事项"))
                elif _agreement_unread(request, item):
                    pass
                else:
                    _attempt(
                        request,
                        services.ballot_cast,
                        _("表决意见已提交"),
                        item=item,
                        creditor=creditor,
                        vote=request.POST.get("vote", ""),
                        via=via,
                    )
        return redirect("bankruptcy:public_meeting", pk=pk)
    own = selectors.ballot_sheets(meeting, list(creditors))
    return render(
        request,
        "bankruptcy/public_meeting.html",
        {"meeting": meeting, "case": case, "own": own, "phone_form": phone_form},
    )


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


# --------------------------------------------------------------------------------------------
# Creditors' committee (Art.67–69)
# --------------------------------------------------------------------------------------------

COMMITTEE_FORMS = {
    # posted "form" → (form class, the action that may submit it)
    "create": (CommitteeCreateForm, "bankruptcy.administer_case"),
    "member": (CommitteeMemberForm, "bankruptcy.administer_case"),
    "approve": (CommitteeApproveForm, "bankruptcy.manage_case"),
    "remove": (CommitteeRemoveForm, "bankruptcy.administer_case"),
    "court_remove": (CommitteeCourtRemoveForm, "bankruptcy.manage_case"),
    "decision": (CommitteeDecisionForm, "bankruptcy.administer_case"),
    "report": (Art69ReportForm, "bankruptcy.administer_case"),
}


def _committee_forms(case, view, data=None, which=None) -> dict:
    """The page's forms, the posted one bound to ``data``."""
    today = timezone.localdate()
    kwargs = {
        "create": {"case": case, "initial": {"chosen_on": today}},
        "member": {"case": case, "initial": {"added_on": today}},
        "approve": {"initial": {"on": today}},
        "remove": {"case": case, "members": view.members, "initial": {"on": today}},
        "court_remove": {"members": view.members, "initial": {"on": today}},
        "decision": {"members": view.members, "initial": {"decided_on": today}},
        "report": {"initial": {"reported_on": today}},
    }
    return {
        name: cls(data if name == which else None, prefix=name, **kwargs[name])
        for name, (cls, _action) in COMMITTEE_FORMS.items()
    }


def _committee_submit(request, case, view, form) -> bool:
    """Call the service for a valid posted form; a DomainError goes onto the form."""
    which, data = request.POST.get("form"), form.cleaned_data
    committee = view.committee
    try:
        with form_once(request):
            if which == "create":
                services.committee_create(actor=request.user, case=case, **data)
            elif committee is None:
                raise DomainError(_("请先登记债权人会议设立债权人委员会的决定"))
            elif which == "member":
                services.committee_member_add(actor=request.user, committee=committee, **data)
            elif which == "approve":
                services.committee_approve(actor=request.user, committee=committee, **data)
            elif which in ("remove", "court_remove"):
                services.committee_member_remove(
                    actor=request.user,
                    member=data["member"],
                    removed_by="meeting" if which == "remove" else "court",
                    reason=data["reason"],
                    on=data["on"],
                    replacement=form.replacement() if which == "remove" else None,
                )
            elif which == "decision":
                services.committee_decision_record(
                    actor=request.user,
                    committee=committee,
                    subject=data["subject"],
                    matter=data["matter"],
                    decided_on=data["decided_on"],
                    votes=form.votes(),
                )
            else:
                services.art69_report(actor=request.user, case=case, **data)
    except AlreadyApplied as exc:
        messages.info(request, exc.message)
        return True
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    messages.success(request, _("已记录"))
    return True


@login_required
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    """债权人委员会: members and the court's approval (Art.67), decisions (Art.68, Interp. III
    Art.14), the administrator's Art.69 reports. Staff of the case and the committee's creditor
    members see it; each acts only where its role allows."""
    case = selectors.committee_case(request.user, pk)
    view = selectors.committee_view(request.user, case)
    which = request.POST.get("form") if request.method == "POST" else None
    if request.method == "POST":
        if which not in COMMITTEE_FORMS:
            raise Http404
        require(request.user, COMMITTEE_FORMS[which][1], case)
    forms_ = _committee_forms(case, view, request.POST, which)
    if which:
        form = forms_[which]
        if form.is_valid() and _committee_submit(request, case, view, form):
            return redirect("bankruptcy:committee", pk=pk)
    context = {
        "case": case,
        "view": view,
        "forms": forms_,
        "is_admin": can(request.user, "bankruptcy.administer_case", case),
        "is_judge": can(request.user, "bankruptcy.manage_case", case),
        "today": timezone.localdate(),
    }
    return render(request, "bankruptcy/committee.html", context, status=400 if which else 200)


@login_required
@require_POST
def art69_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """A committee member (reports to the committee) or the judge (reports to the court)
    acknowledges an Art.69 report."""
    report = get_object_or_404(Art69Report.objects.select_related("case"), pk=pk)
    case = selectors.committee_case(request.user, report.case_id)
    view = selectors.committee_view(request.user, case)
    if report.reported_to not in view.acknowledges:
        raise PermissionDenied
    _attempt(request, services.art69_acknowledge, _("已确认收悉"), report=report)
    return redirect("bankruptcy:committee", pk=case.pk)


@login_required
@require_POST
def committee_vote_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """A member signs the minutes of a decision it voted on (Interp. III Art.14)."""
    vote = get_visible_or_404(
        request.user,
        "bankruptcy.sign_committee_vote",
        CommitteeVote.objects.select_related("decision__committee"),
        pk=pk,
    )
    _attempt(request, services.committee_vote_sign, _("已签名"), vote=vote)
    return redirect("bankruptcy:committee", pk=vote.decision.committee.case_id)
