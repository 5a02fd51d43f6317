"""Pages of reconciliation agreements: the creditor's page, the agreement and its actions, drafts,
schedules, consents and payments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import Agreement, AgreementTerm, Case, Payment
from qinqing.bankruptcy.views.common import _attempt, _case, _date
from qinqing.core.errors import DomainError
from qinqing.core.permissions import can, get_visible_or_404, require, visible


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
