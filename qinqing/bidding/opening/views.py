"""Pages of the opening hall (开标大厅): the list of halls, the hall of a section (start, the
bidder's decryption in its browser, the roll, the read-out polled live, objections and their
answers, the K draw, the close), and the public opening record with its PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bidding.evaluation.models import CoefficientDraw, ScoringPlan
from qinqing.bidding.opening import record as opening_record
from qinqing.bidding.opening import selectors, services, signing
from qinqing.bidding.opening.forms import AnswerForm, DecryptForm, ObjectionForm, StartForm
from qinqing.bidding.opening.models import Opening
from qinqing.core.actions import run_posted
from qinqing.core.documents import document_response
from qinqing.core.permissions import can


@login_required
def hall_list(request: HttpRequest) -> HttpResponse:
    if not (
        can(request.user, "bidding.view_opening") or can(request.user, "bidding.attend_opening")
    ):
        raise PermissionDenied
    return render(
        request,
        "bidding/opening/hall_list.html",
        {"sections": selectors.halls(user=request.user)[:200]},
    )


def _k_draw(request, section) -> dict | None:
    session = getattr(section, "session", None)
    if session is None:
        return None
    plan = ScoringPlan.objects.filter(session=session).first()
    draw = CoefficientDraw.objects.filter(session=session).first()
    if draw is None and (plan is None or plan.k_min is None):
        return None
    return {
        "session": session,
        "draw": draw,
        "may_commit": draw is None and can(request.user, "bidding.draw_coefficient", session),
        "may_witness": draw is not None
        and draw.witnessed_at is None
        and can(request.user, "bidding.witness_coefficient", session),
    }


def _context(request, section, role) -> dict:
    opening = selectors.opening_of(section)
    if opening is not None:
        opening = services.opening_refresh(opening=opening)
    host = selectors.may_host(request.user, section)
    own = (
        selectors.own_bid(user=request.user, opening=opening)
        if opening is not None and role == selectors.BIDDER
        else None
    )
    live = opening is not None and opening.status in (
        Opening.Status.DECRYPTING,
        Opening.Status.READING,
    )
    return {
        "section": section,
        "opening": opening,
        "role": role,
        "host": host,
        "own": own,
        "live": live,
        "rows": selectors.bid_rows(opening) if opening else [],
        "read_out": selectors.read_out(opening) if opening else [],
        "objections": selectors.objections(opening) if opening else [],
        "k": _k_draw(request, section),
        "can_screening": role == selectors.PARTY
        and can(request.user, "bidding.view_screening", section),
    }


@login_required
def hall(request: HttpRequest, pk: int) -> HttpResponse:
    section, role = selectors.hall(user=request.user, pk=pk)
    context = _context(request, section, role)
    opening, own = context["opening"], context["own"]
    context.update(
        start_form=StartForm() if context["host"] and opening is None else None,
        decrypt_form=DecryptForm()
        if own is not None and own.status == own.Status.PENDING and opening.status == "decrypting"
        else None,
        objection_form=ObjectionForm() if role == selectors.BIDDER and context["live"] else None,
        answer_form=AnswerForm() if context["host"] and context["live"] else None,
        manifest=own.bid.manifest if own is not None else None,
    )
    return render(request, "bidding/opening/hall.html", context)


@login_required
def hall_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The hall's live part, polled by htmx: the roll, the read-out, the objections."""
    section, role = selectors.hall(user=request.user, pk=pk)
    context = _context(request, section, role)
    context["answer_form"] = AnswerForm() if context["host"] and context["live"] else None
    return render(request, "bidding/opening/_live.html", context)


def _hosted(request, pk: int):
    section, _role = selectors.hall(user=request.user, pk=pk)
    if not can(request.user, "bidding.host_opening"):
        raise PermissionDenied
    if not selectors.may_host(request.user, section):
        raise Http404
    return section


@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    section = _hosted(request, pk)
    form = StartForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
        return redirect("bidding:opening_hall", pk=pk)

    def go():
        opening = services.opening_start(
            actor=request.user,
            section=section,
            window_minutes=form.cleaned_data["window_minutes"],
            late_treatment=form.cleaned_data["late_treatment"],
        )
        if opening.status == Opening.Status.FAILED:
            messages.warning(
                request, _("不予开标：%(reason)s") % {"reason": opening.failure_reason}
            )
        else:
            messages.success(request, _("已开标，请各投标人在解密时限内解密投标文件。"))

    run_posted(request, go)
    return redirect("bidding:opening_hall", pk=pk)


@login_required
@require_POST
def object_(request: HttpRequest, pk: int) -> HttpResponse:
    section, role = selectors.hall(user=request.user, pk=pk)
    if role != selectors.BIDDER:
        raise PermissionDenied
    opening = selectors.opening_of(section)
    bidder = selectors.own_registration(user=request.user, section=section)
    if opening is None or bidder is None:
        raise Http404

    def go():
        services.objection_raise(
            actor=request.user, opening=opening, bidder=bidder, text=request.POST.get("text", "")
        )
        messages.success(request, _("异议已提交，请等候当场答复。"))

    run_posted(request, go)
    return redirect("bidding:opening_hall", pk=pk)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = selectors.objection_for_host(user=request.user, pk=pk)

    def go():
        services.objection_answer(
            actor=request.user, objection=objection, answer=request.POST.get("answer", "")
        )
        messages.success(request, _("已当场答复。"))

    run_posted(request, go)
    return redirect("bidding:opening_hall", pk=objection.opening.section_id)


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    section = _hosted(request, pk)
    opening = selectors.opening_of(section)
    if opening is None:
        raise Http404

    def go():
        services.opening_close(actor=request.user, opening=opening)
        messages.success(request, _("开标结束，开标记录已形成并公开。"))

    run_posted(request, go)
    return redirect("bidding:opening_hall", pk=pk)


def record_list(request: HttpRequest) -> HttpResponse:
    """The public list of opening records (no sign-in), newest first."""
    return render(
        request,
        "bidding/opening/record_list.html",
        {"openings": selectors.public_records()[:200]},
    )


def record(request: HttpRequest, pk: int) -> HttpResponse:
    """The public opening record (no sign-in), once the opening is over."""
    opening = selectors.public_record(pk=pk)
    return render(
        request,
        "bidding/opening/record.html",
        {
            "opening": opening,
            "r": opening_record.record_for_display(opening.record),
            "pdf_signatures": signing.record_signatures(opening),
        },
    )


def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    opening = selectors.public_record(pk=pk)
    document = services.record_document(actor=request.user, opening=opening)
    return document_response(
        request,
        document,
        title=_("开标记录"),
        back_url=reverse("bidding:opening_record", args=[pk]),
    )
