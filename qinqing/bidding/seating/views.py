"""Pages of the evaluation day: rooms and workstations, seating and the staff's identity check,
the expert's sign-in and workstation, and the tenderer's appointment of the chair."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bidding.common import form_error, my_centre
from qinqing.bidding.evaluation import supervision
from qinqing.bidding.evaluation import views as evaluation_views
from qinqing.bidding.experts.forms import PhoneForm
from qinqing.bidding.models import (
    CentreNumbering,
    ChairVote,
    DrawOutcome,
    EvaluationSession,
    InService,
    Seat,
    TendererRepresentative,
)
from qinqing.bidding.projects import selectors as project_selectors
from qinqing.bidding.seating import committee, forms, representatives, selectors, services
from qinqing.bidding.seating.workstation import SEAT_KEY, my_seat
from qinqing.core.errors import DomainError
from qinqing.core.lookups import int_or_404
from qinqing.core.net import client_ip
from qinqing.core.permissions import can, require


@login_required
def room_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.manage_rooms")
    centre = my_centre(request.user)
    numbering = CentreNumbering.objects.filter(centre=centre).first()
    prefix_form = forms.PrefixForm(
        request.POST if request.POST.get("op") == "prefix" else None,
        initial={"prefix": numbering.prefix if numbering else ""},
    )
    room_form = forms.RoomForm(request.POST if request.POST.get("op") == "room" else None)
    if request.method == "POST":
        form = prefix_form if request.POST.get("op") == "prefix" else room_form
        if form.is_valid():
            try:
                if form is prefix_form:
                    services.centre_prefix_set(
                        actor=request.user, centre=centre, prefix=form.cleaned_data["prefix"]
                    )
                else:
                    services.room_add(actor=request.user, centre=centre, **form.cleaned_data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("bidding:room_list")
    rooms = (
        selectors.my_rooms(user=request.user)
        .filter(centre=centre)
        .annotate(
            total=Count("workstations"),
            in_service=Count("workstations", filter=Q(workstations__status="in_service")),
        )
        .order_by("number")
    )
    context = {
        "centre": centre,
        "numbering": numbering,
        "prefix_form": prefix_form,
        "room_form": room_form,
        "rooms": rooms,
    }
    return render(request, "bidding/room_list.html", context)


@login_required
def room_detail(request: HttpRequest, pk: int) -> HttpResponse:
    room = selectors.room(user=request.user, pk=pk)
    if request.method == "POST":
        op = request.POST.get("op")
        form = forms.StatusForm(request.POST)
        try:
            if op == "add":
                services.workstation_add(actor=request.user, room=room)
            elif not form.is_valid():
                raise DomainError(_("请选择状态并填写原因"))
            elif op == "room":
                services.room_status_set(actor=request.user, room=room, **form.cleaned_data)
            else:
                workstation = get_object_or_404(
                    room.workstations, pk=int_or_404(request.POST.get("ws"))
                )
                services.workstation_status_set(
                    actor=request.user, workstation=workstation, **form.cleaned_data
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存。"))
        return redirect("bidding:room_detail", pk=room.pk)
    return render(
        request,
        "bidding/room_detail.html",
        {"room": room, "workstations": room.workstations.order_by("seat"), "InService": InService},
    )


@login_required
def room_catalogue(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.view_room_catalogue")
    return render(
        request,
        "bidding/room_catalogue.html",
        {"centres": selectors.room_catalogue(user=request.user)},
    )


# --- seating --------------------------------------------------------------------------------


@login_required
def seating_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.seat_experts")
    centre = my_centre(request.user)
    form = forms.SeatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            seating = services.seating_assign(
                actor=request.user, centre=centre, **form.cleaned_data
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("工位已分配（随机种子已记入审计）。"))
            return redirect("bidding:seating_detail", pk=seating.pk)
    page = Paginator(selectors.seatings(user=request.user).filter(centre=centre), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request, "bidding/seating_list.html", {"centre": centre, "form": form, "page": page}
    )


@login_required
def seating_detail(request: HttpRequest, pk: int) -> HttpResponse:
    seating = selectors.seating(user=request.user, pk=pk)
    if request.method == "POST":
        seat = get_object_or_404(seating.seats.all(), pk=int_or_404(request.POST.get("seat")))
        if not can(request.user, "bidding.verify_signin", seat):
            raise Http404
        form = forms.StaffVerifyForm(request.POST)
        try:
            if not form.is_valid():
                raise DomainError(_("请写明人工核验的原因和核验方式"))
            code = committee.seat_signin_staff(
                actor=request.user, seat=seat, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("已核验签到（工位 %(ws)s）。工位启用码 %(code)s 仅显示一次，请在工位上输入。")
                % {"ws": seat.workstation.code, "code": code},
            )
        return redirect("bidding:seating_detail", pk=seating.pk)
    return render(
        request,
        "bidding/seating_detail.html",
        {
            "seating": seating,
            "seats": selectors.seating_board(seating),
            "verify_form": forms.StaffVerifyForm(),
        },
    )


# --- the expert at the workstation (no account needed) --------------------------------------

CHALLENGE_KEY = "bidding_signin_challenge"


def signin(request: HttpRequest) -> HttpResponse:
    """The workstation terminal: phone → code; code + last 4 of the ID → the workstation;
    or the code a staff member gives after checking identity in person."""
    phone_form = PhoneForm(request.POST if request.POST.get("op") == "phone" else None)
    signin_form = forms.SignInForm(request.POST if request.POST.get("op") == "code" else None)
    terminal_form = forms.TerminalCodeForm(
        request.POST if request.POST.get("op") == "terminal" else None
    )
    challenge_id = request.session.get(CHALLENGE_KEY)
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "phone" and phone_form.is_valid():
                challenge = committee.signin_code_send(
                    phone=phone_form.cleaned_data["phone"], ip=client_ip(request)
                )
                request.session[CHALLENGE_KEY] = challenge.pk
                messages.info(request, _("如您今日在本中心参加评标，验证码已发送到您的手机。"))
                return redirect("bidding:signin")
            if op == "code" and signin_form.is_valid():
                if challenge_id is None:
                    raise DomainError(_("请先获取验证码"), field="code")
                seat = committee.signin_verify(
                    challenge=committee.SignInCode(pk=challenge_id), **signin_form.cleaned_data
                )
                return _bind_seat(request, seat)
            if op == "terminal" and terminal_form.is_valid():
                seat = committee.seat_terminal_claim(
                    terminal_code=terminal_form.cleaned_data["terminal_code"]
                )
                if seat is None:
                    raise DomainError(_("工位启用码无效或已使用"), field="terminal_code")
                return _bind_seat(request, seat)
        except DomainError as exc:
            for form in (phone_form, signin_form, terminal_form):
                if form.is_bound:
                    form_error(form, exc)
    return render(
        request,
        "bidding/signin.html",
        {
            "phone_form": phone_form,
            "signin_form": signin_form,
            "terminal_form": terminal_form,
            "has_challenge": challenge_id is not None,
        },
    )


def _bind_seat(request: HttpRequest, seat: Seat) -> HttpResponse:
    request.session.cycle_key()
    request.session.pop(CHALLENGE_KEY, None)
    request.session[SEAT_KEY] = seat.pk
    return redirect("bidding:workstation")


def workstation(request: HttpRequest) -> HttpResponse:
    """After sign-in only: the workstation, the project, the bidders, the recusal question;
    after the start, the chair election."""
    seat = my_seat(request)
    if seat is None:
        return redirect("bidding:signin")
    session = seat.outcome.session
    if request.method == "POST":
        op = request.POST.get("op")
        actor = seat.member.user
        try:
            if op == "declare":
                committee.seat_declare(actor=actor, seat=seat)
            elif op == "recuse":
                form = forms.RecuseForm(request.POST)
                committee.seat_recuse(
                    actor=actor,
                    seat=seat,
                    reason=form.data.get("reason", ""),
                )
            elif op == "vote":
                candidate = get_object_or_404(
                    selectors.committee_seats(session), pk=int_or_404(request.POST.get("candidate"))
                )
                committee.chair_vote(actor=actor, seat=seat, candidate=candidate)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("bidding:workstation")
    members = list(selectors.committee_seats(session).order_by("workstation__code"))
    voted = ChairVote.objects.filter(
        session=session, round=session.chair_round, voter=seat
    ).exists()
    context = {
        "seat": seat,
        "session": session,
        "project": session.section.project,
        "bidders": session.section.bidders.order_by("name"),
        "members": members,
        "candidates": [m for m in members if str(m.pk) in session.chair_candidates],
        "voted": voted,
        "recuse_form": forms.RecuseForm(),
        "active": seat.outcome.status == DrawOutcome.Status.CONFIRMED,
    }
    if context["active"] and session.status == EvaluationSession.Status.IN_PROGRESS:
        supervision.seat_seen(seat)
        context.update(evaluation_views.evaluation_context(seat))
    return render(request, "bidding/workstation.html", context)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SEAT_KEY, None)
    return redirect("bidding:signin")


@login_required
@require_POST
def chair_appoint(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.appoint_chair", session):
        raise Http404
    seat = get_object_or_404(
        selectors.committee_seats(session), pk=int_or_404(request.POST.get("seat"))
    )
    try:
        committee.chair_appoint(actor=request.user, session=session, seat=seat)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确定评标委员会负责人。"))
    return redirect("bidding:session_detail", pk=session.pk)


# --- the tenderer's representatives (招标投标法 Art.37 para.2) ---------------------------------


@login_required
def session_representatives(request: HttpRequest, pk: int) -> HttpResponse:
    """The tenderer's representatives of a session: named (or withdrawn) by the tenderer or its
    agency before the start; read by the session's parties. Their names are for the tenderer,
    its agency and the staff: no other reader reaches this page (view_session)."""
    session = project_selectors.session(user=request.user, pk=pk)
    may_name = can(request.user, "bidding.name_representatives", session)
    form = forms.RepresentativeForm(request.POST or None)
    if request.method == "POST":
        if not may_name:
            raise Http404
        try:
            if request.POST.get("op") == "remove":
                representative = get_object_or_404(
                    TendererRepresentative,
                    pk=int_or_404(request.POST.get("representative")),
                    session=session,
                )
                representatives.representative_remove(
                    actor=request.user, representative=representative
                )
                messages.success(request, _("已撤回招标人代表。"))
                return redirect("bidding:session_representatives", pk=session.pk)
            if form.is_valid():
                representatives.representative_name(
                    actor=request.user, session=session, **form.cleaned_data
                )
                messages.success(request, _("已指派招标人代表。"))
                return redirect("bidding:session_representatives", pk=session.pk)
        except DomainError as exc:
            if exc.field in form.fields:
                form_error(form, exc)
            else:
                messages.error(request, exc.message)
    return render(
        request,
        "bidding/session_representatives.html",
        {
            "session": session,
            "project": session.section.project,
            "representatives": representatives.representatives_of(session),
            "experts_planned": representatives.experts_planned(session),
            "may_name": may_name and session.status in representatives.BEFORE_START,
            "form": form,
        },
    )
