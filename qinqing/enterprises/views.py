from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import can, get_visible_or_404, require
from qinqing.enterprises import selectors, services
from qinqing.enterprises.models import Cluster, Firm, InstructorProfile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELD_LABELS = {field: label for label, field in services.rules.IMPORT_COLUMNS} | {"file": "文件"}


@login_required
def firm_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "enterprises.view_firm")
    q = request.GET.get("q", "").strip()[:100]
    cluster = request.GET.get("cluster", "").strip()[:50]
    page = Paginator(selectors.firms(user=request.user, q=q, cluster=cluster), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "enterprises/firm_list.html",
        {
            "page": page,
            "q": q,
            "cluster": cluster,
            "clusters": Cluster.objects.all(),
            "can_manage": can(request.user, "enterprises.manage_firm"),
        },
    )


@login_required
def firm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    firm = get_visible_or_404(
        request.user, "enterprises.view_firm", selectors.firms(user=request.user), pk=pk
    )
    return render(
        request,
        "enterprises/firm_detail.html",
        {
            "firm": firm,
            "contacts": firm.contacts.all(),
            "assignments": firm.assignments.select_related("instructor"),
        },
    )


@login_required
def firm_import(request: HttpRequest) -> HttpResponse:
    require(request.user, "enterprises.manage_firm")
    result, error, status = None, "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = "请选择要导入的 Excel 文件", 400
        elif upload.size > 5 * 1024 * 1024:
            error, status = "文件不能超过 5MB", 400
        else:
            try:
                result = services.firm_import(actor=request.user, content=upload.read())
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                if result.ok:
                    messages.success(request, f"已导入 {len(result.created)} 家企业")
                else:
                    status = 400
    rows = [
        (e.row, FIELD_LABELS.get(e.field, e.field), e.reason)
        for e in (result.errors if result else [])
    ]
    return render(
        request,
        "enterprises/firm_import.html",
        {"result": result, "error": error, "rows": rows},
        status=status,
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    require(request.user, "enterprises.manage_firm")
    response = HttpResponse(services.import_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="firm-import-template.xlsx"'
    return response


@login_required
def my_card(request: HttpRequest) -> HttpResponse:
    """An instructor publishes a contact card and commitments, and takes on firms."""
    require(request.user, "enterprises.edit_card")
    user = request.user
    profile = InstructorProfile.objects.filter(user=user).first()
    error, status = "", 200
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("form") == "card":
                dept = _department(user)
                profile = services.instructor_profile_set(
                    actor=user,
                    user=user,
                    department=dept,
                    display_name=p.get("display_name", "").strip() or user.get_full_name(),
                    phone=p.get("phone", ""),
                    email=p.get("email", ""),
                )
            elif p.get("form") == "commitment":
                if profile is None:
                    raise DomainError(_("请先保存联系名片"))
                cluster = get_object_or_404(Cluster, code=p.get("cluster", ""))
                services.commitment_add(
                    actor=user, cluster=cluster, instructor=profile, text=p.get("text", "")
                )
            elif p.get("form") == "assign":
                firm = Firm.objects.filter(organisation__uscc=p.get("uscc", "").strip().upper())
                if not firm.exists():
                    raise DomainError(_("未找到该信用代码对应的企业"), field="uscc")
                services.instructor_assign(actor=user, instructor=user, firm=firm.get())
            messages.success(request, _("已保存"))
            return redirect("enterprises:my_card")
        except DomainError as exc:
            error, status = exc.message, 400
    return render(
        request,
        "enterprises/my_card.html",
        {
            "profile": profile,
            "clusters": Cluster.objects.all(),
            "commitments": profile.commitments.select_related("cluster") if profile else [],
            "assignments": user.firm_assignments.select_related("firm__organisation"),
            "error": error,
        },
        status=status,
    )


def _department(user) -> Organisation:
    from qinqing.core.permissions import grants_of
    from qinqing.core.roles import Role

    ids = grants_of(user).direct_org_ids(Role.INSTRUCTOR, Role.STAFF)
    dept = Organisation.objects.filter(pk__in=ids).order_by("pk").first()
    if dept is None:
        raise DomainError(_("您没有所属部门"))
    return dept


# --- public (no login) ----------------------------------------------------------------------


def cluster_list(request: HttpRequest) -> HttpResponse:
    return render(request, "enterprises/cluster_list.html", {"clusters": Cluster.objects.all()})


def cluster_detail(request: HttpRequest, code: str) -> HttpResponse:
    cluster = get_object_or_404(Cluster, code=code)
    return render(
        request,
        "enterprises/cluster_detail.html",
        {
            "cluster": cluster,
            "cards": selectors.public_cards(cluster),
            "firm_count": Firm.objects.filter(cluster=cluster).count(),
        },
    )
