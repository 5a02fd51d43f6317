from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from qinqing.bidding.common import form_error
from qinqing.bidding.draw import forms, selectors, services
from qinqing.bidding.draw.rules import EXCLUSION_LABELS
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import Draw, DrawOutcome, DrawQuota, Expert, Speciality
from qinqing.bidding.permissions import committee_identifiable, exclusions_identifiable
from qinqing.bidding.projects import selectors as project_selectors
from qinqing.bidding.projects.rules import bidders_sufficient
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.core.charts import bar_chart
from qinqing.core.errors import DomainError
from qinqing.core.permissions import can, get_visible_or_404

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


def _quota_forms(request, session, posted_centre: int | None = None):
    centres = [session.host_centre, *session.guest_centres.all()]
    existing = {q.centre_id: q for q in session.quotas.all()}
    rows = []
    for centre in centres:
        quota = existing.get(centre.pk)
        initial = (
            {
                "speciality_codes": "、".join(quota.speciality_codes),
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
                "can_set": can(request.user, "bidding.set_quota", centre),
            }
        )
    return rows


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    user = request.user
    can_manage = can(user, "bidding.manage_session", session)
    posted_centre = None
    if request.method == "POST" and "centre" in request.POST:
        try:
            posted_centre = int(request.POST["centre"])
        except ValueError:
            raise Http404 from None
    quota_rows = _quota_forms(request, session, posted_centre)
    if posted_centre is not None:
        row = next((r for r in quota_rows if r["centre"].pk == posted_centre), None)
        if row is None or not row["can_set"]:
            raise Http404
        if row["form"].is_valid():
            try:
                services.quota_set(
                    actor=user, session=session, centre=row["centre"], **row["form"].cleaned_data
                )
            except DomainError as exc:
                form_error(row["form"], exc)
            else:
                messages.success(request, _("抽取需求已保存。"))
                return redirect("bidding:session_detail", pk=session.pk)
    progress = {row["quota"].pk: row for row in selectors.quota_progress(session)}
    codes = {c for row in quota_rows if row["quota"] for c in row["quota"].speciality_codes}
    names = dict(Speciality.objects.filter(code__in=codes).values_list("code", "name"))
    bidders = list(session.section.bidders.order_by("name"))
    for row in quota_rows:
        row["progress"] = progress.get(row["quota"].pk) if row["quota"] else None
        row["can_commit"] = bool(row["quota"]) and can(user, "bidding.commit_draw", row["quota"])
        row["can_exclude"] = bool(row["quota"]) and can(
            user, "bidding.exclude_expert", row["quota"]
        )
        if row["quota"]:
            row["specialities"] = [(c, names.get(c, "")) for c in row["quota"].speciality_codes]
    context = {
        "session": session,
        "project": session.section.project,
        "bidders": bidders,
        "bidder_problems": bidders_sufficient(len(bidders)),
        "quota_rows": quota_rows,
        "can_manage": can_manage,
        "exclusion_form": forms.ExclusionForm(),
        "committee": list(seating_selectors.committee_seats(session).order_by("workstation__code")),
        "identify": committee_identifiable(user, session),
        "can_view_live": can(user, "bidding.view_live", session),
        "can_supervise": can(user, "bidding.supervise_session", session),
        "can_fees": can(user, "bidding.view_fees", session),
        "can_screening": can(user, "bidding.view_screening", session.section),
        "can_appoint": session.chair_id is None
        and session.status == "evaluating"
        and can(user, "bidding.appoint_chair", session),
    }
    if can_manage and session.status in ("drawing", "ready"):
        context["start_problems"] = evaluation_services.session_start_problems(session)
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
                form_error(form, exc)
            else:
                messages.success(request, _("抽取完成，已按顺序通知正选专家。"))
                return redirect("bidding:draw_detail", draw_id=draw.draw_id)
    session = draw.quota.session
    identify_exclusions = exclusions_identifiable(user, session)
    report = draw.exclusion_report
    summary = selectors.exclusion_summary(report["excluded"])
    reason = request.GET.get("reason", "")
    if reason not in dict(summary):
        reason = ""
    rows = [row for row in report["excluded"] if not reason or reason in row["reasons"]]
    if not identify_exclusions:
        rows = []
    page = Paginator(rows, EXCLUDED_PER_PAGE).get_page(request.GET.get("page"))
    excluded = [
        {"code": row["code"], "reasons": [(c, EXCLUSION_TEXT.get(c, c)) for c in row["reasons"]]}
        for row in page
    ]
    context = {
        "draw": draw,
        "session": session,
        "identify": committee_identifiable(user, session),
        "identify_exclusions": identify_exclusions,
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
        "answer_form": forms.BoardAnswerForm(),
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
            form_error(form, exc)
        else:
            return render(request, "bidding/respond.html", {"done": form.cleaned_data["answer"]})
    return render(request, "bidding/respond.html", {"outcome": outcome, "form": form})


@login_required
@require_POST
def session_close(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_session", session):
        raise Http404
    try:
        services.session_close(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评标场次已结束，抽取证明已公开。"))
    return redirect("bidding:session_detail", pk=session.pk)


PROOFS_PER_PAGE = 50


@require_safe
def proof_list(request: HttpRequest) -> HttpResponse:
    """Public: every draw whose proof is published, to be checked by anyone."""
    page = Paginator(selectors.public_draws(), PROOFS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "bidding/proof_list.html", {"page": page})


@require_safe
def proof_detail(request: HttpRequest, draw_id: str) -> HttpResponse:
    """Public: one draw's proof, verified in the reader's browser (static/bidding/draw_proof.js
    recomputes QQ-DRAW-1 with WebCrypto); before the result is final, only the commitment."""
    draw = get_object_or_404(
        Draw.objects.select_related("quota__centre", "quota__session__section__project"),
        draw_id=draw_id,
    )
    public = services.proof_is_public(draw)
    return render(
        request,
        "bidding/proof_detail.html",
        {
            "draw": draw,
            "public": public,
            "proof": services.proof(draw),
            "session": draw.quota.session,
        },
    )
