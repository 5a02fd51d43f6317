"""Pages of the expert register: the list, an expert, the import and its template."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from qinqing.bidding.common import form_error
from qinqing.bidding.experts import forms, imports, selectors
from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import grants_of, require
from qinqing.core.roles import Role


@login_required
def expert_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.manage_experts")
    form = forms.ExpertFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.experts(
        user=request.user,
        query=data.get("q", ""),
        speciality=data.get("speciality", "").upper(),
        status=data.get("status", ""),
    ).prefetch_related("speciality_links__speciality")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "bidding/expert_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = selectors.expert(user=request.user, pk=pk)
    return render(
        request,
        "bidding/expert_detail.html",
        {
            "expert": expert,
            "specialities": expert.speciality_links.select_related("speciality"),
            "outcomes": expert.outcomes.select_related("draw", "session").order_by("-pk")[:20],
        },
    )


def _my_databases(user):
    return Organisation.objects.filter(
        kind=Organisation.Kind.EXPERT_DATABASE,
        pk__in=grants_of(user).org_ids(Role.CENTRE_ADMIN),
    )


@login_required
def expert_import(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.manage_experts")
    form = forms.ImportForm(
        request.POST or None, request.FILES or None, databases=_my_databases(request.user)
    )
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheets = imports.read_file(upload.name, upload.read())
            count = imports.experts_import(
                actor=request.user,
                database=form.cleaned_data["database"],
                rows=sheets.experts,
                relations=sheets.relations,
                declared=sheets.declared,
            )
        except imports.ImportErrors as exc:
            errors = exc.errors
            form.add_error(None, exc.message)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("已导入 %(n)d 名专家。") % {"n": count})
            return redirect("bidding:expert_list")
    return render(request, "bidding/expert_import.html", {"form": form, "errors": errors})


@login_required
def expert_template(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.manage_experts")
    response = HttpResponse(
        imports.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''expert-import-template.xlsx"
    return response
