"""Pages of projects: the sessions one may see, and a new project with its session."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from qinqing.bidding.common import admin_centres, form_error
from qinqing.bidding.projects import forms, selectors, services
from qinqing.core.errors import DomainError
from qinqing.core.permissions import can, require


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.view_session")
    page = Paginator(selectors.sessions(user=request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "bidding/session_list.html",
        {"page": page, "can_register": can(request.user, "bidding.register_project")},
    )


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.register_project")
    centre = admin_centres(request.user).first()
    if centre is None:
        raise Http404
    form = forms.ProjectForm(request.POST or None)
    form.fields["guest_centres"].queryset = form.fields["guest_centres"].queryset.exclude(
        pk=centre.pk
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                section = services.project_register(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    tenderer=data["tenderer"],
                    agency=data["agency"],
                    supervising_department=data["supervising_department"],
                    host_centre=centre,
                    region_code=data["region_code"],
                    method=data["method"],
                    rule_set=data["rule_set"],
                    budget=data["budget"],
                    section_code=data["section_code"],
                    section_name=data["section_name"],
                    bidders=data["bidders"],
                    procurement_category=data["procurement_category"],
                    complex_or_significant=data["complex_or_significant"],
                )
                session = services.session_schedule(
                    actor=request.user,
                    section=section,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    guest_centres=list(data["guest_centres"]),
                )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("项目已登记，评标场次已安排。请设置各中心的抽取需求。"))
            return redirect("bidding:session_detail", pk=session.pk)
    return render(request, "bidding/project_form.html", {"form": form, "centre": centre})
