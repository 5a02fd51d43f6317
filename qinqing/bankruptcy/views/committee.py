"""Pages of the creditors' committee (Art.67–69)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bankruptcy import selectors, services
from qinqing.bankruptcy.forms import (
    Art69ReportForm,
    CommitteeApproveForm,
    CommitteeCourtRemoveForm,
    CommitteeCreateForm,
    CommitteeDecisionForm,
    CommitteeMemberForm,
    CommitteeRemoveForm,
)
from qinqing.bankruptcy.models import Art69Report, CommitteeVote
from qinqing.bankruptcy.views.common import _attempt
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import AlreadyApplied, form_once
from qinqing.core.permissions import can, get_visible_or_404, require

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
