"""Pages from the report to the award: the list of sections at the award stage, a section's
award page (publication, objections and answers, complaints and their handling, the notices),
a notice with who sealed it, its PDF, and the public pages of the candidates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bidding.award import forms, rules, selectors, services, signing
from qinqing.core.actions import run_posted
from qinqing.core.permissions import can


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        messages.error(request, "；".join(errors))


@login_required
def award_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "bidding/award/list.html",
        {"sections": selectors.sections(user=request.user)[:200], "now": timezone.now()},
    )


def _objection_rows(objections, now):
    return [
        {
            "o": o,
            "overdue": rules.answer_overdue(
                now=now, due=o.answer_due, answered=o.answered_at is not None
            ),
        }
        for o in objections
    ]


@login_required
def award_detail(request: HttpRequest, pk: int) -> HttpResponse:
    section, role = selectors.section_for(user=request.user, pk=pk)
    publication = selectors.publication_of(section)
    now = timezone.now()
    manage = can(request.user, "bidding.manage_award", section)
    supervise = can(request.user, "bidding.handle_complaint", section)
    context = {
        "section": section,
        "role": role,
        "publication": publication,
        "manage": manage,
        "supervise": supervise,
        "now": now,
    }
    report = section.session.report
    if publication is None:
        candidates = services.candidates_of(report)
        received = timezone.localdate(report.sealed_at or report.built_at)
        context.update(
            candidates=candidates,
            publish_by=rules.publication_deadline(received),
            publish_form=forms.PublishForm() if manage else None,
        )
        return render(request, "bidding/award/detail.html", context)
    objections = selectors.objections(user=request.user, publication=publication, role=role)
    complaints = selectors.complaints(user=request.user, section=section, role=role)
    notices = selectors.notices(user=request.user, publication=publication, role=role)
    running = selectors.is_running(publication)
    blockers = services.blockers(publication, now)
    own = (
        selectors.own_registration(user=request.user, section=section) if role == "bidder" else None
    )
    settled = [
        o for o in objections if services.objection_settled_on(o, timezone.localtime()) is not None
    ]
    context.update(
        candidates=services.stored_candidates(publication),
        running=running,
        objections=_objection_rows(objections, now),
        complaints=complaints,
        notices=notices,
        problems=rules.award_problems(blockers),
        objection_form=forms.ObjectionForm() if own is not None and running else None,
        complaint_form=forms.ComplaintForm(
            objections=settled, initial={"knew_on": timezone.localdate()}
        )
        if own is not None and settled
        else None,
        answer_form=forms.AnswerForm() if manage else None,
        accept_form=forms.AcceptForm() if supervise else None,
        refuse_form=forms.RefuseForm() if supervise else None,
        decide_form=forms.DecideForm() if supervise else None,
        may_issue=manage and not notices,
    )
    awarded = next((n for n in notices if n.kind == "award" and n.superseded_at is None), None)
    context["successions"] = list(
        publication.successions.select_related("bidder", "next_bidder").order_by("decided_at")
    )
    if awarded is not None:
        contract = getattr(awarded, "contract", None)
        issued_on = timezone.localdate(awarded.issued_at)
        context.update(
            awarded=awarded,
            contract=contract,
            contract_by=rules.contract_deadline(issued_on),
            contract_form=forms.ContractForm(initial={"amount": awarded.price})
            if manage and contract is None
            else None,
            succession_form=forms.SuccessionForm() if manage and contract is None else None,
        )
    return render(request, "bidding/award/detail.html", context)


def _managed(request, pk: int):
    section, _role = selectors.section_for(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_award"):
        raise PermissionDenied
    if not can(request.user, "bidding.manage_award", section):
        raise Http404
    return section


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    section = _managed(request, pk)
    form = forms.PublishForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("bidding:award_detail", pk=pk)

    def go():
        services.publication_publish(
            actor=request.user,
            section=section,
            period_days=form.cleaned_data["period_days"],
            received_on=form.cleaned_data["received_on"],
            note=form.cleaned_data["note"] or "",
        )
        messages.success(request, _("中标候选人已在公示页面公示。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=pk)


@login_required
@require_POST
def object_(request: HttpRequest, pk: int) -> HttpResponse:
    section, role = selectors.section_for(user=request.user, pk=pk)
    if role != selectors.BIDDER:
        raise PermissionDenied
    publication = selectors.publication_of(section)
    bidder = selectors.own_registration(user=request.user, section=section)
    if publication is None or bidder is None:
        raise Http404

    def go():
        services.objection_raise(
            actor=request.user,
            publication=publication,
            bidder=bidder,
            text=request.POST.get("text", ""),
        )
        messages.success(request, _("异议已提交。招标人应在 3 日内答复，答复前暂停招标投标活动。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=pk)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.objection_for_answer(user=request.user, pk=pk)

    def go():
        services.objection_answer(
            actor=request.user, objection=objection, answer=request.POST.get("answer", "")
        )
        messages.success(request, _("已书面答复异议。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=objection.publication.section_id)


@login_required
@require_POST
def complain(request: HttpRequest, pk: int) -> HttpResponse:
    section, role = selectors.section_for(user=request.user, pk=pk)
    if role != selectors.BIDDER:
        raise PermissionDenied
    publication = selectors.publication_of(section)
    bidder = selectors.own_registration(user=request.user, section=section)
    if publication is None or bidder is None:
        raise Http404
    own = selectors.objections(user=request.user, publication=publication, role=role)
    form = forms.ComplaintForm(request.POST, objections=own)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("bidding:award_detail", pk=pk)
    objection = next(o for o in own if o.pk == form.cleaned_data["objection"])

    def go():
        services.complaint_lodge(
            actor=request.user,
            section=section,
            bidder=bidder,
            objection=objection,
            text=form.cleaned_data["text"],
            knew_on=form.cleaned_data["knew_on"],
        )
        messages.success(request, _("投诉已提交行政监督部门，3 个工作日内决定是否受理。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=pk)


@login_required
@require_POST
def complaint_handle(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    complaint = selectors.complaint_for_handling(user=request.user, pk=pk)
    form_class = {
        "accept": forms.AcceptForm,
        "refuse": forms.RefuseForm,
        "decide": forms.DecideForm,
    }
    if step not in form_class and step != "suspend":
        raise Http404
    form = form_class.get(step, forms.AcceptForm)(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("bidding:award_detail", pk=complaint.section_id)
    data = form.cleaned_data

    def go():
        if step == "accept":
            services.complaint_accept(
                actor=request.user, complaint=complaint, suspend=data["suspend"]
            )
            messages.success(request, _("投诉已受理，应在 30 个工作日内作出书面处理决定。"))
        elif step == "refuse":
            services.complaint_refuse(
                actor=request.user, complaint=complaint, reason=data["reason"]
            )
            messages.success(request, _("已决定不予受理。"))
        elif step == "suspend":
            services.complaint_suspend(actor=request.user, complaint=complaint)
            messages.success(request, _("已责令暂停招标投标活动。"))
        else:
            services.complaint_decide(
                actor=request.user,
                complaint=complaint,
                outcome=data["outcome"],
                decision=data["decision"],
            )
            messages.success(request, _("已作出处理决定。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=complaint.section_id)


@login_required
@require_POST
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    section = _managed(request, pk)

    def go():
        services.award_issue(actor=request.user, section=section)
        messages.success(request, _("中标通知书和中标结果通知书已发出，均加盖交易中心电子印章。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=pk)


@login_required
@require_POST
def contract(request: HttpRequest, pk: int) -> HttpResponse:
    section = _managed(request, pk)
    form = forms.ContractForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("bidding:award_detail", pk=pk)

    def go():
        recorded = services.contract_record(
            actor=request.user, section=section, **form.cleaned_data
        )
        if recorded.late:
            messages.warning(
                request, _("合同已登记。签订日期超过中标通知书发出后 30 日，已标记为逾期签订。")
            )
        else:
            messages.success(request, _("合同已登记。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=pk)


@login_required
@require_POST
def succession(request: HttpRequest, pk: int) -> HttpResponse:
    section = _managed(request, pk)
    form = forms.SuccessionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("bidding:award_detail", pk=pk)

    def go():
        decided = services.award_succession(
            actor=request.user, section=section, **form.cleaned_data
        )
        if decided.next_bidder is not None:
            messages.success(
                request,
                _("已记录。原通知书作废，已向%(name)s发出中标通知书，并重新发出中标结果通知书。")
                % {"name": decided.next_bidder.name},
            )
        else:
            messages.success(request, _("已记录。原通知书作废，本标段将重新招标。"))

    run_posted(request, go)
    return redirect("bidding:award_detail", pk=pk)


@login_required
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.notice_for(user=request.user, pk=pk)
    return render(
        request,
        "bidding/award/notice.html",
        {
            "notice": found,
            "section": found.publication.section,
            "pdf_signatures": signing.pdf_signatures(found),
        },
    )


@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.notice_for(user=request.user, pk=pk)
    response = HttpResponse(signing.pdf_bytes(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{found.pk}-{found.kind}.pdf"'
    return response


def public_list(request: HttpRequest) -> HttpResponse:
    """Current and past publications of candidates (no sign-in)."""
    return render(
        request,
        "bidding/award/public_list.html",
        {"publications": selectors.public_publications()[:200], "now": timezone.now()},
    )


def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    publication = selectors.public_publication(pk=pk)
    return render(
        request,
        "bidding/award/public_detail.html",
        {
            "publication": publication,
            "section": publication.section,
            "candidates": services.stored_candidates(publication),
            "running": selectors.is_running(publication),
            "answered": publication.objections.filter(answered_at__isnull=False).count(),
            "pending": publication.objections.filter(answered_at__isnull=True).count(),
            "suspended": services.blockers(publication).suspended,
            "notices_issued": publication.notices.exists(),
        },
    )
