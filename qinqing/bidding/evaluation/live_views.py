"""Pages of clarifications (实施条例 Art.52), live supervision and the incident log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qinqing.bidding.evaluation import clarifications, supervision
from qinqing.bidding.models import DrawOutcome, EvaluationSession, Incident
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.bidding.seating.workstation import my_seat
from qinqing.core.errors import DomainError
from qinqing.core.permissions import can, get_visible_or_404, require, visible

# --- forms ----------------------------------------------------------------------------------


class AskForm(forms.Form):
    bidder = forms.TypedChoiceField(label=gettext_lazy("投标人"), coerce=int)
    question = forms.CharField(
        label=gettext_lazy("澄清问题（书面）"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, bidders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bidder"].choices = [(b.pk, b.name) for b in bidders]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("书面答复"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )


class ReviewForm(forms.Form):
    step = forms.ChoiceField(choices=[("question", "question"), ("answer", "answer")])
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    note = forms.CharField(label=gettext_lazy("审核意见"), max_length=500, required=False)


class IncidentForm(forms.Form):
    centre = forms.TypedChoiceField(label=gettext_lazy("发生地"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=Incident.Kind.choices)
    description = forms.CharField(
        label=gettext_lazy("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    pauses = forms.BooleanField(label=gettext_lazy("暂停评标"), required=False, initial=True)

    def __init__(self, *args, centres=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centre"].choices = [(c.pk, c.name) for c in centres]


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=gettext_lazy("处理结果"), max_length=2000)


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- live supervision -----------------------------------------------------------------------


@login_required
def live_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.view_live")
    page = Paginator(supervision.live_sessions(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "bidding/live_list.html", {"page": page})


def _live_context(request: HttpRequest, session: EvaluationSession) -> dict:
    user = request.user
    board = supervision.live_board(session)
    centres = supervision.incident_centres(user, session)
    incident_ids = {row["id"] for row in board["incidents"] if row["open"]}
    resolvable = set(
        visible(
            user, "bidding.manage_incident", Incident.objects.filter(pk__in=incident_ids)
        ).values_list("pk", flat=True)
    )
    for row in board["incidents"]:
        row["can_resolve"] = row["id"] in resolvable
    reviewer = can(user, "bidding.supervise_session", session)
    pending = []
    if reviewer:
        pending = [
            c
            for c in clarifications.for_supervisor(user=user, session=session)
            if c.status
            in (
                clarifications.S.QUESTION_PENDING,
                clarifications.S.ANSWER_PENDING,
            )
        ]
    return {
        "session": session,
        "board": board,
        "incident_form": IncidentForm(centres=centres) if centres else None,
        "can_record": bool(centres) and session.status != EvaluationSession.Status.CLOSED,
        "reviewer": reviewer,
        "pending": pending,
    }


@login_required
def live(request: HttpRequest, pk: int) -> HttpResponse:
    session = supervision.live_session(user=request.user, pk=pk)
    return render(request, "bidding/live_session.html", _live_context(request, session))


@login_required
def live_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The board only (htmx polls it every 5 s)."""
    session = supervision.live_session(user=request.user, pk=pk)
    return render(request, "bidding/live_board.html", _live_context(request, session))


@login_required
@require_POST
def incident_open(request: HttpRequest, pk: int) -> HttpResponse:
    session = supervision.live_session(user=request.user, pk=pk)
    centres = supervision.incident_centres(request.user, session)
    if not centres:
        raise Http404
    form = IncidentForm(request.POST, centres=centres)
    if form.is_valid():
        data = form.cleaned_data
        centre = next(c for c in centres if c.pk == data["centre"])
        try:
            supervision.incident_open(
                actor=request.user,
                session=session,
                centre=centre,
                kind=data["kind"],
                description=data["description"],
                pauses=data["pauses"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("异常情况已登记。"))
    else:
        messages.error(request, _("请选择发生地、类型并填写情况说明。"))
    return redirect("bidding:live", pk=session.pk)


@login_required
@require_POST
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_visible_or_404(
        request.user, "bidding.manage_incident", Incident.objects.all(), pk=pk
    )
    form = ResolveForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请填写处理结果"))
        supervision.incident_resolve(
            actor=request.user, incident=incident, resolution=form.cleaned_data["resolution"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已登记恢复。"))
    return redirect("bidding:live", pk=incident.session_id)


# --- clarifications: the supervising department ----------------------------------------------


@login_required
def session_clarifications(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(
        request.user,
        "bidding.supervise_session",
        EvaluationSession.objects.select_related("section__project"),
        pk=pk,
    )
    rows = clarifications.for_supervisor(user=request.user, session=session)
    return render(
        request,
        "bidding/clarification_review.html",
        {"session": session, "rows": rows},
    )


@login_required
@require_POST
def clarification_review(request: HttpRequest, pk: int) -> HttpResponse:
    clarification = clarifications.for_review(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请选择审核结论"))
        data = form.cleaned_data
        review = (
            clarifications.clarification_review_question
            if data["step"] == "question"
            else clarifications.clarification_review_answer
        )
        review(
            actor=request.user,
            clarification=clarification,
            approve=data["decision"] == "approve",
            note=data["note"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("审核意见已记录。"))
    if request.POST.get("back") == "live":
        return redirect("bidding:live", pk=clarification.session_id)
    return redirect("bidding:session_clarifications", pk=clarification.session_id)


# --- clarifications: the bidder (its own requests only) -------------------------------------


@login_required
@require_GET
def bidder_clarifications(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.answer_clarification")
    page = Paginator(clarifications.for_bidder(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "bidding/clarification_list.html",
        {"page": page, "answerable": clarifications.ANSWERABLE},
    )


@login_required
def bidder_clarification(request: HttpRequest, pk: int) -> HttpResponse:
    clarification = clarifications.bidder_clarification(user=request.user, pk=pk)
    answerable = clarifications.is_answerable(clarification)
    form = AnswerForm(request.POST or None, initial={"answer": clarification.answer})
    if request.method == "POST":
        if not answerable:
            messages.error(request, _("该澄清当前不能答复。"))
            return redirect("bidding:bidder_clarification", pk=clarification.pk)
        if form.is_valid():
            try:
                clarifications.clarification_answer(
                    actor=request.user,
                    clarification=clarification,
                    answer=form.cleaned_data["answer"],
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("答复已提交，待行政监督部门审核后送达评标委员会。"))
                return redirect("bidding:bidder_clarifications")
    return render(
        request,
        "bidding/clarification_answer.html",
        {
            "c": clarification,
            "form": form,
            "answerable": answerable,
        },
    )


# --- clarifications: the committee at the workstation ---------------------------------------


def workstation_clarifications(request: HttpRequest) -> HttpResponse:
    """Every member sees the questions and their status, and an answer once published; only
    the chair asks."""
    seat = my_seat(request)
    if seat is None:
        return redirect("bidding:signin")
    session = EvaluationSession.objects.select_related("section__project").get(
        pk=seat.outcome.session_id
    )
    member = (
        seat.outcome.status == DrawOutcome.Status.CONFIRMED
        and seating_selectors.committee_seats(session).filter(pk=seat.pk).exists()
    )
    if not member:
        return redirect("bidding:workstation")
    supervision.seat_seen(seat)
    is_chair = session.chair_id == seat.pk
    can_ask = is_chair and session.status == EvaluationSession.Status.IN_PROGRESS
    bidders = list(session.section.bidders.in_evaluation().order_by("name"))
    form = AskForm(request.POST if can_ask and request.method == "POST" else None, bidders=bidders)
    if request.method == "POST":
        if not can_ask:
            messages.error(request, _("澄清由评标委员会负责人在评标过程中书面提出。"))
            return redirect("bidding:workstation_clarifications")
        if form.is_valid():
            bidder = get_object_or_404(
                session.section.bidders.in_evaluation(), pk=form.cleaned_data["bidder"]
            )
            try:
                clarifications.clarification_ask(
                    actor=seat.member.user,
                    seat=seat,
                    bidder=bidder,
                    question=form.cleaned_data["question"],
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("澄清问题已提交，待行政监督部门审核后送达投标人。"))
                return redirect("bidding:workstation_clarifications")
    return render(
        request,
        "bidding/clarification_committee.html",
        {
            "seat": seat,
            "session": session,
            "project": session.section.project,
            "rows": clarifications.for_committee(session),
            "form": form,
            "can_ask": can_ask,
            "is_chair": is_chair,
            "workstation_url": reverse("bidding:workstation"),
        },
    )
