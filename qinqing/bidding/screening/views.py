"""Pages of the screening report (清标报告): the section's report for the host centre's staff
and the supervisors (with the re-run for the host centre), polled while it runs; and the same
report at a committee member's signed-in workstation. Anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from qinqing.bidding.screening import selectors, services
from qinqing.bidding.seating.workstation import my_seat
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import AlreadyApplied, form_once


def _context(section, *, url: str, may_run: bool) -> dict:
    data = selectors.report(section)
    screening = data["screening"]
    return {
        **data,
        "section": section,
        "url": url,
        "may_run": may_run,
        "busy": screening is not None and screening.state in ("queued", "running"),
    }


@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    section = selectors.section_for(user=request.user, pk=pk)
    may_run = selectors.may_run(request.user, section)
    url = reverse("bidding:screening_report", args=[pk])
    if request.method == "POST":
        if not may_run:
            raise Http404
        try:
            with form_once(request):
                services.screening_request(actor=request.user, section=section)
                messages.success(request, _("已重新请求清标，结果生成后本页自动显示。"))
        except AlreadyApplied:
            pass
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(url)
    context = _context(section, url=url, may_run=may_run)
    if request.GET.get("status"):
        return render(request, "bidding/screening/_status.html", context)
    return render(request, "bidding/screening/report.html", context)


def workstation_report(request: HttpRequest) -> HttpResponse:
    """The report at a committee member's workstation (the seat in the browser session)."""
    seat = my_seat(request)
    if seat is None:
        return redirect("bidding:signin")
    section = selectors.section_for_seat(seat)
    if section is None:
        raise Http404
    url = reverse("bidding:workstation_screening")
    context = _context(section, url=url, may_run=False)
    context["at_workstation"] = True
    if request.GET.get("status"):
        return render(request, "bidding/screening/_status.html", context)
    return render(request, "bidding/screening/workstation_report.html", context)
