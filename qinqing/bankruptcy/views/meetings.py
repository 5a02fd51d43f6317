"""Pages of creditors' meetings: the meeting and its live tally, the administrator's actions,
sign-in, ballots, scheduling, requests and proxies."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import AgendaItem, Meeting, Proxy
from qinqing.bankruptcy.views.common import _agreement_unread, _attempt, _case, _date
from qinqing.core import calendar
from qinqing.core.permissions import can, get_visible_or_404, require


def _meeting(request, pk: int) -> Meeting:
    return get_visible_or_404(
        request.user, "bankruptcy.view_meeting", Meeting.objects.select_related("case"), pk=pk
    )


def _tally_rows(meeting: Meeting) -> list[dict]:
    names = {str(pk): name for pk, name in meeting.case.creditors.values_list("pk", "name")}
    rows = []
    for item in meeting.items.select_related("meeting__case"):
        result = selectors.item_result(item)
        excluded = [(names.get(cid, cid), reason) for cid, reason in result.get("excluded", [])]
        total = Decimal(result["unsecured_total"])
        share = Decimal(result["yes_amount"]) / total if total else Decimal(0)
        rows.append(
            {
                "item": item,
                "t": result,
                "excluded": excluded,
                "share": share,
                "bases": result.get("bases"),
            }
        )
    return rows


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    case = meeting.case
    staff = selectors.is_case_staff(request.user, case)
    own = list(selectors.own_creditors(user=request.user).filter(case=case))
    context = {
        "meeting": meeting,
        "case": case,
        "staff": staff,
        "is_admin": can(request.user, "bankruptcy.administer_case", case),
        "own": selectors.ballot_sheets(meeting, own),
        "rows": _tally_rows(meeting) if staff or meeting.status == Meeting.Status.CLOSED else [],
        "bases": selectors.case_bases(case) if staff else None,
        "attendances": meeting.attendances.select_related("creditor") if staff else [],
        "case_creditors": case.creditors.order_by("name") if staff else [],
        "proxies": Proxy.objects.filter(creditor__case=case).select_related("creditor")
        if staff
        else [],
        "results_due": rules.results_due(meeting.date, next_working_day=calendar.next_working_day),
    }
    return render(request, "bankruptcy/meeting.html", context)


@login_required
def meeting_tally(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not selectors.is_case_staff(request.user, meeting.case):
        require(request.user, "bankruptcy.administer_case", meeting.case)
    return render(
        request, "bankruptcy/_tally.html", {"rows": _tally_rows(meeting), "meeting": meeting}
    )


@login_required
@require_POST
def meeting_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting = _meeting(request, pk)
    _case(request, meeting.case_id, "bankruptcy.administer_case")
    handlers = {
        "open": (services.meeting_open, _("会议已开始，债权人可在线签到和表决")),
        "close": (services.meeting_close, _("表决已结束，结果已计算")),
        "results": (services.meeting_results_send, _("表决结果已告知参与表决的债权人")),
    }
    if action not in handlers:
        messages.error(request, _("未知的操作"))
    else:
        fn, ok = handlers[action]
        _attempt(request, fn, ok, meeting=meeting)
    return redirect("bankruptcy:meeting_detail", pk=pk)


def _own_creditor(request, case_id: int, creditor_id: str | None):
    return get_visible_or_404(
        request.user,
        "bankruptcy.vote",
        selectors.own_creditors(user=request.user).filter(case_id=case_id),
        pk=creditor_id or 0,
    )


@login_required
@require_POST
def meeting_sign_in(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    creditor = _own_creditor(request, meeting.case_id, request.POST.get("creditor"))
    _attempt(
        request,
        services.attendance_sign_in,
        _("已签到"),
        meeting=meeting,
        creditor=creditor,
        proxy_name=request.POST.get("proxy_name", ""),
    )
    return redirect("bankruptcy:meeting_detail", pk=pk)


@login_required
@require_POST
def item_vote(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(
        request.user,
        "bankruptcy.view_meeting",
        Meeting.objects.all(),
        pk=AgendaItem.objects.filter(pk=pk).values("meeting_id")[:1],
    )
    item = AgendaItem.objects.select_related("meeting").get(pk=pk, meeting=item)
    creditor = _own_creditor(request, item.meeting.case_id, request.POST.get("creditor"))
    if _agreement_unread(request, item):
        return redirect("bankruptcy:meeting_detail", pk=item.meeting_id)
    _attempt(
        request,
        services.ballot_cast,
        _("表决意见已提交"),
        item=item,
        creditor=creditor,
        vote=request.POST.get("vote", ""),
    )
    return redirect("bankruptcy:meeting_detail", pk=item.meeting_id)


@login_required
@require_POST
def meeting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "bankruptcy.administer_case")
    items = []
    if request.POST.get("reconciliation"):
        items.append(("表决和解协议草案", AgendaItem.Kind.RECONCILIATION))
    ordinary = request.POST.get("ordinary_title", "").strip()
    if ordinary:
        items.append((ordinary[:200], AgendaItem.Kind.ORDINARY))
    meeting_day = _date(request.POST.get("date"))
    notice_day = _date(request.POST.get("notice_date")) or timezone.localdate()
    if meeting_day is None:
        messages.error(request, _("请填写会议日期"))
    else:
        _attempt(
            request,
            services.meeting_schedule,
            _("会议已召集，已通知债权人"),
            case=case,
            date=meeting_day,
            notice_date=notice_day,
            items=items,
            kind=request.POST.get("kind") or Meeting.Kind.FIRST,
        )
    return redirect("bankruptcy:case_detail", pk=pk)


@login_required
@require_POST
def meeting_request(request: HttpRequest, pk: int) -> HttpResponse:
    """A creditor holding >= 1/4 of all claims requires a further meeting (Art.62)."""
    case = _case(request, pk)
    own = list(selectors.own_creditors(user=request.user).filter(case=case))
    if not own:
        require(request.user, "bankruptcy.creditor_home")
        messages.error(request, _("您不是本案债权人"))
    else:
        _attempt(
            request,
            services.meeting_request,
            _("提议已送达管理人"),
            case=case,
            creditors=own,
        )
    return redirect("bankruptcy:creditor_home")


@login_required
@require_POST
def proxy_register(request: HttpRequest, pk: int) -> HttpResponse:
    """The administrator registers a creditor's agent (power of attorney) for online voting."""
    meeting = _meeting(request, pk)
    case = _case(request, meeting.case_id, "bankruptcy.administer_case")
    creditor = case.creditors.filter(pk=request.POST.get("creditor") or 0).first()
    user = (
        get_user_model().objects.filter(username=request.POST.get("username", "").strip()).first()
    )
    if creditor is None:
        messages.error(request, _("请选择债权人"))
    else:
        _attempt(
            request,
            services.proxy_register,
            _("委托代理人已登记"),
            creditor=creditor,
            user=user,
            name=request.POST.get("name", ""),
        )
    return redirect("bankruptcy:meeting_detail", pk=pk)
