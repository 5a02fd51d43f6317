from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qinqing.bidding import forms, imports, selectors, services
from qinqing.bidding.models import (
    CentreNumbering,
    ChairVote,
    Draw,
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    Expert,
    InService,
    Seat,
)
from qinqing.bidding.rules import EXCLUSION_LABELS
from qinqing.core.charts import bar_chart
from qinqing.core.errors import DomainError
from qinqing.core.lookups import int_or_404
from qinqing.core.models import Organisation
from qinqing.core.net import client_ip
from qinqing.core.permissions import can, get_visible_or_404, grants_of, require
from qinqing.core.roles import Role

EXCLUSION_TEXT = {**EXCLUSION_LABELS, "ALREADY_DRAWN": "已在本场次被抽中"}
EXCLUDED_PER_PAGE = 200
# The chart's labels (the filter and the table carry the full ones).
EXCLUSION_SHORT = {
    "SPECIALTY": gettext_lazy("专业不符"),
    "STATUS": gettext_lazy("非在库可用"),
    "AGE": gettext_lazy("超龄"),
    "UNAVAILABLE": gettext_lazy("请假或时间冲突"),
    "EMPLOYER": gettext_lazy("现任职关联单位"),
    "PAST_EMPLOYER": gettext_lazy("曾任职投标人"),
    "DECLARED_CONFLICT": gettext_lazy("申报关联"),
    "SUPERVISOR_STAFF": gettext_lazy("监督部门人员"),
    "FREQUENCY": gettext_lazy("抽中过频"),
    "REGION": gettext_lazy("同一地区"),
    "MANUAL": gettext_lazy("人工排除"),
    "ALREADY_DRAWN": gettext_lazy("本场已抽中"),
}


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.view_session")
    page = Paginator(selectors.sessions(user=request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "bidding/session_list.html",
        {"page": page, "can_register": can(request.user, "bidding.register_project")},
    )


def _admin_centres(user):
    return Organisation.objects.filter(
        kind=Organisation.Kind.TRADING_CENTRE, pk__in=grants_of(user).org_ids(Role.CENTRE_ADMIN)
    )


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.register_project")
    centre = _admin_centres(request.user).first()
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
                )
                session = services.session_schedule(
                    actor=request.user,
                    section=section,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    guest_centres=list(data["guest_centres"]),
                )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("项目已登记，评标场次已安排。请设置各中心的抽取需求。"))
            return redirect("bidding:session_detail", pk=session.pk)
    return render(request, "bidding/project_form.html", {"form": form, "centre": centre})


def _quota_forms(request, session, posted_centre: int | None = None):
    centres = [session.host_centre, *session.guest_centres.all()]
    existing = {q.centre_id: q for q in session.quotas.all()}
    rows = []
    for centre in centres:
        quota = existing.get(centre.pk)
        initial = (
            {
                "speciality_codes": ";".join(quota.speciality_codes),
                "count": quota.count,
                "backups": quota.backups,
                "requires_other_region": quota.requires_other_region,
            }
            if quota
            else None
        )
        data = request.POST if posted_centre == centre.pk else None
        rows.append(
            {
                "centre": centre,
                "quota": quota,
                "form": forms.QuotaForm(data, initial=initial, prefix=f"c{centre.pk}"),
            }
        )
    return rows


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session(user=request.user, pk=pk)
    user = request.user
    can_manage = can(user, "bidding.manage_session", session)
    posted_centre = None
    if request.method == "POST" and "centre" in request.POST:
        if not can_manage:
            raise Http404
        try:
            posted_centre = int(request.POST["centre"])
        except ValueError:
            raise Http404 from None
    quota_rows = _quota_forms(request, session, posted_centre)
    if posted_centre is not None:
        row = next((r for r in quota_rows if r["centre"].pk == posted_centre), None)
        if row is None:
            raise Http404
        if row["form"].is_valid():
            try:
                services.quota_set(
                    actor=user, session=session, centre=row["centre"], **row["form"].cleaned_data
                )
            except DomainError as exc:
                _form_error(row["form"], exc)
            else:
                messages.success(request, _("抽取需求已保存。"))
                return redirect("bidding:session_detail", pk=session.pk)
    progress = {row["quota"].pk: row for row in selectors.quota_progress(session)}
    for row in quota_rows:
        row["progress"] = progress.get(row["quota"].pk) if row["quota"] else None
        row["can_commit"] = bool(row["quota"]) and can(user, "bidding.commit_draw", row["quota"])
        row["can_exclude"] = bool(row["quota"]) and can(
            user, "bidding.exclude_expert", row["quota"]
        )
    context = {
        "session": session,
        "project": session.section.project,
        "bidders": session.section.bidders.order_by("name"),
        "quota_rows": quota_rows,
        "can_manage": can_manage,
        "exclusion_form": forms.ExclusionForm(),
        "committee": list(services.committee_seats(session).order_by("workstation__code")),
        "can_view_live": can(user, "bidding.view_live", session),
        "can_supervise": can(user, "bidding.supervise_session", session),
        "can_fees": can(user, "bidding.view_fees", session),
        "can_appoint": session.chair_id is None
        and session.status == "evaluating"
        and can(user, "bidding.appoint_chair", session),
    }
    if can_manage and session.status in ("drawing", "ready"):
        context["start_problems"] = services.session_start_problems(session)
    return render(request, "bidding/session_detail.html", context)


@login_required
@require_POST
def quota_exclude(request: HttpRequest, pk: int) -> HttpResponse:
    quota = get_visible_or_404(
        request.user, "bidding.exclude_expert", DrawQuota.objects.all(), pk=pk
    )
    form = forms.ExclusionForm(request.POST)
    if form.is_valid():
        expert = Expert.objects.filter(
            code=form.cleaned_data["expert_code"].strip(), database=quota.database
        ).first()
        try:
            if expert is None:
                raise DomainError(_("本中心专家库中没有该编号的专家"))
            services.exclusion_add(
                actor=request.user, quota=quota, expert=expert, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已排除该专家，理由已记录。"))
    else:
        messages.error(request, _("请填写专家编号和书面理由。"))
    return redirect("bidding:session_detail", pk=quota.session_id)


@login_required
@require_POST
def draw_commit(request: HttpRequest, pk: int) -> HttpResponse:
    quota = get_visible_or_404(request.user, "bidding.commit_draw", DrawQuota.objects.all(), pk=pk)
    try:
        draw = services.draw_commit(actor=request.user, quota=quota)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("bidding:session_detail", pk=quota.session_id)
    messages.success(request, _("候选池已冻结，承诺值已生成。请行政监督人员见证抽取。"))
    return redirect("bidding:draw_detail", draw_id=draw.draw_id)


@login_required
def draw_detail(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = selectors.draw(user=request.user, draw_id=draw_id)
    user = request.user
    can_witness = draw.status == Draw.Status.COMMITTED and can(user, "bidding.witness_draw", draw)
    form = forms.WitnessForm(request.POST or None)
    if request.method == "POST":
        if not can_witness:
            raise Http404
        if form.is_valid():
            try:
                services.draw_witness(
                    actor=user, draw=draw, witness_entropy=form.cleaned_data["witness_entropy"]
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("抽取完成，已按顺序通知正选专家。"))
                return redirect("bidding:draw_detail", draw_id=draw.draw_id)
    report = draw.exclusion_report
    summary = selectors.exclusion_summary(report["excluded"])
    reason = request.GET.get("reason", "")
    if reason not in dict(summary):
        reason = ""
    rows = [row for row in report["excluded"] if not reason or reason in row["reasons"]]
    page = Paginator(rows, EXCLUDED_PER_PAGE).get_page(request.GET.get("page"))
    excluded = [
        {"code": row["code"], "reasons": [(c, EXCLUSION_TEXT.get(c, c)) for c in row["reasons"]]}
        for row in page
    ]
    context = {
        "draw": draw,
        "session": draw.quota.session,
        "form": form,
        "can_witness": can_witness,
        "can_reveal": can(user, "bidding.reveal_names", draw),
        "can_answer": can(user, "bidding.record_answer")
        and can(user, "bidding.reveal_names", draw),
        "board": selectors.outcome_board(draw),
        "excluded": excluded,
        "excluded_total": len(report["excluded"]),
        "reasons": [(code, EXCLUSION_TEXT.get(code, code), n) for code, n in summary],
        "reason": reason,
        "reason_query": f"reason={reason}" if reason else "",
        "page": page,
        "reason_chart": bar_chart(
            [(EXCLUSION_SHORT.get(code, code), n) for code, n in summary],
            title=_("排除原因（人次，一名专家可有多项原因）"),
        ),
        "candidates": report["candidates"],
        "public": services.proof_is_public(draw),
        "answer_form": forms.AnswerForm(),
    }
    return render(request, "bidding/draw_detail.html", context)


@login_required
@require_POST
def draw_names(request: HttpRequest, draw_id: str) -> HttpResponse:
    draw = selectors.draw(user=request.user, draw_id=draw_id)
    if not can(request.user, "bidding.reveal_names", draw):
        raise Http404
    names = services.names_reveal(actor=request.user, draw=draw)
    return render(request, "bidding/_names.html", {"names": names})


@login_required
@require_POST
def outcome_answer(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = get_visible_or_404(
        request.user, "bidding.record_answer", DrawOutcome.objects.select_related("draw"), pk=pk
    )
    form = forms.AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.outcome_respond(
                actor=request.user, outcome=outcome, channel="phone", **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已记录电话答复。"))
    return redirect("bidding:draw_detail", draw_id=outcome.draw.draw_id)


def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The expert's confirmation page, reached from the SMS; no login, no project name."""
    outcome = services.outcome_by_token(token)
    if outcome is None:
        return render(request, "bidding/respond.html", {"invalid": True}, status=404)
    form = forms.AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_respond(
                actor=outcome.expert.user, outcome=outcome, channel="link", **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return render(request, "bidding/respond.html", {"done": form.cleaned_data["answer"]})
    return render(request, "bidding/respond.html", {"outcome": outcome, "form": form})


@login_required
@require_POST
def session_close(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_session", session):
        raise Http404
    try:
        services.session_close(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评标场次已结束，抽取证明已公开。"))
    return redirect("bidding:session_detail", pk=session.pk)


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
    ).prefetch_related("speciality_links")
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
            _form_error(form, exc)
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


# --- evaluation day: rooms and workstations -------------------------------------------------


def _my_centre(user) -> Organisation:
    centre = _admin_centres(user).first()
    if centre is None:
        raise Http404
    return centre


@login_required
def room_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.manage_rooms")
    centre = _my_centre(request.user)
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
                _form_error(form, exc)
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
    centre = _my_centre(request.user)
    form = forms.SeatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            seating = services.seating_assign(
                actor=request.user, centre=centre, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
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
            code = services.seat_signin_staff(
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

SEAT_KEY = "bidding_seat"
CHALLENGE_KEY = "bidding_signin_challenge"


def signin(request: HttpRequest) -> HttpResponse:
    """The workstation terminal: phone → code; code + last 4 of the ID → the workstation;
    or the code a staff member gives after checking identity in person."""
    phone_form = forms.PhoneForm(request.POST if request.POST.get("op") == "phone" else None)
    signin_form = forms.SignInForm(request.POST if request.POST.get("op") == "code" else None)
    terminal_form = forms.TerminalCodeForm(
        request.POST if request.POST.get("op") == "terminal" else None
    )
    challenge_id = request.session.get(CHALLENGE_KEY)
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "phone" and phone_form.is_valid():
                challenge = services.signin_code_send(
                    phone=phone_form.cleaned_data["phone"], ip=client_ip(request)
                )
                request.session[CHALLENGE_KEY] = challenge.pk
                messages.info(request, _("如您今日在本中心参加评标，验证码已发送到您的手机。"))
                return redirect("bidding:signin")
            if op == "code" and signin_form.is_valid():
                if challenge_id is None:
                    raise DomainError(_("请先获取验证码"), field="code")
                seat = services.signin_verify(
                    challenge=services.SignInCode(pk=challenge_id), **signin_form.cleaned_data
                )
                return _bind_seat(request, seat)
            if op == "terminal" and terminal_form.is_valid():
                seat = services.seat_terminal_claim(
                    terminal_code=terminal_form.cleaned_data["terminal_code"]
                )
                if seat is None:
                    raise DomainError(_("工位启用码无效或已使用"), field="terminal_code")
                return _bind_seat(request, seat)
        except DomainError as exc:
            for form in (phone_form, signin_form, terminal_form):
                if form.is_bound:
                    _form_error(form, exc)
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


def _my_seat(request: HttpRequest) -> Seat | None:
    pk = request.session.get(SEAT_KEY)
    if pk is None:
        return None
    return selectors.signed_in_seat(pk)


def workstation(request: HttpRequest) -> HttpResponse:
    """After sign-in only: the workstation, the project, the bidders, the recusal question;
    after the start, the chair election."""
    seat = _my_seat(request)
    if seat is None:
        return redirect("bidding:signin")
    session = seat.outcome.session
    if request.method == "POST":
        op = request.POST.get("op")
        actor = seat.outcome.expert.user
        try:
            if op == "declare":
                services.seat_declare(actor=actor, seat=seat)
            elif op == "recuse":
                form = forms.RecuseForm(request.POST)
                services.seat_recuse(
                    actor=actor,
                    seat=seat,
                    reason=form.data.get("reason", ""),
                )
            elif op == "vote":
                candidate = get_object_or_404(
                    services.committee_seats(session), pk=int_or_404(request.POST.get("candidate"))
                )
                services.chair_vote(actor=actor, seat=seat, candidate=candidate)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("bidding:workstation")
    members = list(services.committee_seats(session).order_by("workstation__code"))
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
        from qinqing.bidding import scoring_views, supervision

        supervision.seat_seen(seat)
        context.update(scoring_views.evaluation_context(seat))
    return render(request, "bidding/workstation.html", context)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SEAT_KEY, None)
    return redirect("bidding:signin")


# --- session start and chair ----------------------------------------------------------------


@login_required
@require_POST
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_session", session):
        raise Http404
    try:
        services.session_start(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评标已开始，请评标委员会推举负责人。"))
    return redirect("bidding:session_detail", pk=session.pk)


@login_required
@require_POST
def chair_appoint(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.appoint_chair", session):
        raise Http404
    seat = get_object_or_404(
        services.committee_seats(session), pk=int_or_404(request.POST.get("seat"))
    )
    try:
        services.chair_appoint(actor=request.user, session=session, seat=seat)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确定评标委员会负责人。"))
    return redirect("bidding:session_detail", pk=session.pk)
