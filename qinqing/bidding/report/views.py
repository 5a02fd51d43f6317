"""Pages of the evaluation report: the session's report page (signature board, build, refusal,
PDF, conduct rating), the expert's signing page at the workstation, fee sheet and standards."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qinqing.bidding.common import my_centre
from qinqing.bidding.evaluation import supervision
from qinqing.bidding.models import (
    BidResult,
    ConductRating,
    EvaluationSession,
    EvaluationStage,
    FeeStandard,
    Report,
    Stage,
)
from qinqing.bidding.permissions import committee_identifiable, result_is_final
from qinqing.bidding.projects import selectors as project_selectors
from qinqing.bidding.report import selectors
from qinqing.bidding.report import services as reports
from qinqing.bidding.report import signing as report_signing
from qinqing.bidding.seating.workstation import my_seat
from qinqing.core import documents
from qinqing.core.errors import DomainError
from qinqing.core.permissions import can, get_visible_or_404, require
from qinqing.core.spreadsheets import workbook_bytes


class RefusalForm(forms.Form):
    seat = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("书面理由（没有则留空，视为同意）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    seat = forms.IntegerField(widget=forms.HiddenInput)
    score = forms.TypedChoiceField(
        label=gettext_lazy("评价"),
        coerce=int,
        choices=[
            (5, gettext_lazy("5 优秀")),
            (4, gettext_lazy("4 良好")),
            (3, gettext_lazy("3 合格")),
            (2, gettext_lazy("2 基本合格")),
            (1, gettext_lazy("1 不合格")),
        ],
    )
    note = forms.CharField(label=gettext_lazy("评价说明"), required=False, max_length=500)


class SignForm(forms.Form):
    dissent_reason = forms.CharField(
        label=gettext_lazy("不同意见及理由"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class FeeStandardForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("每场次评审费（元）"), min_value=Decimal("0"), decimal_places=2
    )
    valid_from = forms.DateField(
        label=gettext_lazy("执行日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _report_of(session: EvaluationSession) -> Report | None:
    return Report.objects.filter(session=session).first()


# --- the session's report page ---------------------------------------------------------------


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    user = request.user
    report = _report_of(session)
    can_manage = can(user, "bidding.manage_session", session)
    summary_closed = EvaluationStage.objects.filter(
        session=session, stage=Stage.SUMMARY, status=EvaluationStage.Status.CLOSED
    ).exists()
    has_results = BidResult.objects.filter(session=session).exists()
    signing = report is not None and report.status == Report.Status.SIGNING
    sealed = report is not None and report.status == Report.Status.SEALED
    board = selectors.signature_board(report) if report else []
    context = {
        "session": session,
        "project": session.section.project,
        "report": report,
        "board": board,
        "signed_count": sum(1 for row in board if row["signature"]),
        "summary_closed": summary_closed,
        "has_results": has_results,
        "can_build": can_manage
        and session.status == EvaluationSession.Status.IN_PROGRESS
        and summary_closed
        and has_results
        and (report is None or (signing and not report.signatures.exists())),
        "can_refuse": can_manage and signing,
        "can_pdf": (sealed and can(user, "bidding.view_report", session))
        or (signing and can(user, "bidding.preview_report", session)),
        "can_fees": can(user, "bidding.view_fees", session),
        "refusal_form": RefusalForm(),
        "identify": committee_identifiable(user, session),
    }
    if sealed and context["can_pdf"] and context["identify"]:
        # Who signed the file and when, read from the file itself (pyHanko's verdict beside).
        context["pdf_signatures"] = report_signing.pdf_signatures(report)
        context["show_pdf_signatures"] = True
    if sealed and can(user, "bidding.rate_experts", session):
        seats = [row["seat"] for row in board]
        mine = {r.seat_id: r for r in ConductRating.objects.filter(rater=user, seat__in=seats)}
        context["ratings"] = [
            {
                "seat": seat,
                "rating": mine.get(seat.pk),
                "form": RatingForm(initial={"seat": seat.pk}),
            }
            for seat in seats
        ]
    return render(request, "bidding/report_detail.html", context)


def _managed_session(request: HttpRequest, pk: int) -> EvaluationSession:
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.manage_session", session):
        raise Http404
    return session


@login_required
@require_POST
def report_build(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    try:
        reports.report_build(actor=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评标报告已生成，请评标委员会成员在工位上签署。"))
    return redirect("bidding:report_detail", pk=session.pk)


@login_required
@require_POST
def report_refusal(request: HttpRequest, pk: int) -> HttpResponse:
    session = _managed_session(request, pk)
    report = _report_of(session)
    if report is None:
        raise Http404
    form = RefusalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择拒签的成员。"))
        return redirect("bidding:report_detail", pk=session.pk)
    seat = next((s for s in selectors.members(session) if s.pk == form.cleaned_data["seat"]), None)
    if seat is None:
        raise Http404
    try:
        signature = reports.report_record_refusal(
            actor=request.user, report=report, seat=seat, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已记录 %(ws)s 拒签：%(position)s。")
            % {"ws": seat.workstation.code, "position": signature.get_position_display()},
        )
    return redirect("bidding:report_detail", pk=session.pk)


@login_required
@require_POST
def report_rate(request: HttpRequest, pk: int) -> HttpResponse:
    session = project_selectors.session(user=request.user, pk=pk)
    if not can(request.user, "bidding.rate_experts", session):
        raise Http404
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择 1 至 5 的评价。"))
        return redirect("bidding:report_detail", pk=session.pk)
    seat = next((s for s in selectors.members(session) if s.pk == form.cleaned_data["seat"]), None)
    if seat is None:
        raise Http404
    try:
        reports.rating_record(
            actor=request.user,
            seat=seat,
            score=form.cleaned_data["score"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("评价已记录。"))
    return redirect("bidding:report_detail", pk=session.pk)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    return response


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The sealed PDF for the host/guest centre admins, the supervisors and the tenderer; before
    sealing a draft (草稿) for centre admins and supervisors only. Others: 403 or 404. A reader
    who may not identify the committee yet (`committee_identifiable`) gets the report rendered
    with 评委N instead of codes and names, never the signed file."""
    session = project_selectors.session(user=request.user, pk=pk)
    sessions = EvaluationSession.objects.all()
    report = Report.objects.filter(session_id=pk).select_related("session__host_centre").first()
    if report is None:
        raise Http404
    identify = committee_identifiable(request.user, session)
    if report.status == Report.Status.SEALED:
        get_visible_or_404(request.user, "bidding.view_report", sessions, pk=pk)
        if not report.pdf:
            raise Http404
        if not identify:
            pdf = reports.render_pdf(report, identify=False)
            return _pdf_response(pdf, f"evaluation-report-{pk}-unidentified.pdf")
        with report.pdf.open("rb") as handle:
            return _pdf_response(handle.read(), f"evaluation-report-{pk}.pdf")
    get_visible_or_404(request.user, "bidding.preview_report", sessions, pk=pk)
    # The draft is rendered on the task queue; this address shows "生成中" until it is ready.
    document = reports.report_preview_document(actor=request.user, report=report, identify=identify)
    if documents.is_download(request, document):
        reports.report_preview_audit(actor=request.user, report=report)
    return documents.document_response(
        request,
        document,
        title=_("评标报告草稿"),
        back_url=reverse("bidding:report_detail", args=[pk]),
    )


# --- the expert at the workstation -----------------------------------------------------------


def _for_member(report: Report, seat) -> dict:
    """A member reads the whole report, but until the result is final the other members only
    as 评委N at their workstations (an expert identifies their own seat, no one else's)."""
    if result_is_final(report.session):
        return report.content
    return reports.unidentified(report.content, own_workstation=seat.workstation.code)


def workstation_report(request: HttpRequest) -> HttpResponse:
    """The signed-in expert reads the report and signs: agree, or dissent with reasons."""
    seat = my_seat(request)
    if seat is None:
        return redirect("bidding:signin")
    supervision.seat_seen(seat)
    session = seat.outcome.session
    report = _report_of(session)
    member = report is not None and seat.pk in {s.pk for s in selectors.members(session)}
    form = SignForm(request.POST or None)
    if request.method == "POST":
        if not member:
            raise Http404
        agree = request.POST.get("op") == "agree"
        try:
            if not form.is_valid():
                raise DomainError(_("请检查填写的内容"))
            reports.report_sign(
                actor=seat.member.user,
                seat=seat,
                agree=agree,
                dissent_reason="" if agree else form.cleaned_data["dissent_reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("您的意见已记录。"))
            return redirect("bidding:workstation_report")
    mine = report.signatures.filter(seat=seat).first() if member else None
    board = selectors.signature_board(report) if member else []
    context = {
        "seat": seat,
        "session": session,
        "report": report,
        "member": member,
        "signature": mine,
        "signed_count": sum(1 for row in board if row["signature"]),
        "member_count": len(board),
        "r": reports.display(_for_member(report, seat)) if member else None,
        "form": form,
    }
    return render(request, "bidding/report_workstation.html", context)


# --- fees ------------------------------------------------------------------------------------


def _fee_session(request: HttpRequest, pk: int) -> EvaluationSession:
    qs = EvaluationSession.objects.select_related("section__project", "host_centre")
    return get_visible_or_404(request.user, "bidding.view_fees", qs, pk=pk)


@login_required
def fee_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    session = _fee_session(request, pk)
    rows = list(selectors.fees_of(session).order_by("centre__name", "seat__workstation__code"))
    return render(
        request,
        "bidding/report_fees.html",
        {
            "session": session,
            "project": session.section.project,
            "rows": rows,
            "total": sum((f.amount for f in rows), Decimal("0")),
            "report": _report_of(session),
        },
    )


@login_required
def fee_export(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    session = _fee_session(request, pk)
    rows = list(selectors.fees_of(session).order_by("centre__name", "seat__workstation__code"))
    if not rows:
        raise Http404
    book = Workbook()
    sheet = book.active
    sheet.title = _("专家评审费")
    project = session.section.project
    sheet.append([f"{project.name}（{session.section.name}）{_('专家评审费清单')}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [
            _("序号"),
            _("工位"),
            _("专家编号"),
            _("姓名"),
            _("专家所在交易中心"),
            _("主/客场"),
            _("应付评审费（元）"),
            _("计算依据"),
        ]
    )
    for n, fee in enumerate(rows, start=1):
        sheet.append(
            [
                n,
                fee.seat.workstation.code,
                fee.seat.member.code,
                fee.seat.member.name,
                fee.centre.name,
                _("主场") if fee.centre_id == session.host_centre_id else _("客场"),
                fee.amount,
                fee.basis,
            ]
        )
        sheet.cell(row=sheet.max_row, column=7).number_format = "#,##0.00"
    sheet.append(["", "", "", "", "", _("合计"), sum((f.amount for f in rows), Decimal("0"))])
    sheet.cell(row=sheet.max_row, column=7).number_format = "#,##0.00"
    for column, width in zip("ABCDEFGH", (6, 10, 12, 10, 30, 8, 16, 60), strict=True):
        sheet.column_dimensions[column].width = width
    response = HttpResponse(
        workbook_bytes(book),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''fees-{session.pk}.xlsx"
    return response


@login_required
def fee_standards(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.set_fee_standard")
    centre = my_centre(request.user)
    if not can(request.user, "bidding.set_fee_standard", centre):
        raise Http404
    form = FeeStandardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reports.fee_standard_set(actor=request.user, centre=centre, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("评审费标准已保存。"))
            return redirect("bidding:fee_standards")
    return render(
        request,
        "bidding/report_fee_standards.html",
        {
            "centre": centre,
            "form": form,
            "standards": FeeStandard.objects.filter(centre=centre).order_by("-valid_from"),
        },
    )
