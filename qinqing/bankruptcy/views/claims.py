"""Pages of the claims register: the table, review, provisional amounts, publication and
confirmation, the import, filing, employee claims, objections and evidence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bankruptcy import imports, selectors, services
from qinqing.bankruptcy.forms import ClaimFileForm, ImportForm
from qinqing.bankruptcy.models import Claim, ClaimEvidence
from qinqing.bankruptcy.views.common import _attempt, _case
from qinqing.core.errors import DomainError
from qinqing.core.http import redirect_back
from qinqing.core.models import Organisation
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require
from qinqing.core.roles import Role


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
