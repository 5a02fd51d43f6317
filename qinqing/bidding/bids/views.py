"""Pages of sealed bids: the firm's 我的投标, the sealing page (the browser seals and uploads
through the API), the receipt (printable, downloadable), and for the project's parties the
count of sealed bids a section received and when — never their contents."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.bidding.bids import seal, selectors, services
from qinqing.bidding.bids.forms import DeadlineForm, SealForm
from qinqing.bidding.bids.models import Bid
from qinqing.bidding.common import form_error
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import AlreadyApplied, form_once
from qinqing.core.permissions import can, require


@login_required
def my_bids(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.submit_bid")
    sections = list(selectors.my_sections(user=request.user)[:200])
    now = timezone.now()
    for s in sections:
        s.open_for_bids = s.bid_deadline is not None and now < s.bid_deadline
    bids = list(selectors.my_bids(user=request.user)[:200])
    return render(request, "bidding/bids/my_bids.html", {"sections": sections, "bids": bids})


@login_required
def bid_seal(request: HttpRequest, section_pk: int) -> HttpResponse:
    section, registered = selectors.section_for_bid(user=request.user, pk=section_pk)
    if not registered:
        return render(request, "bidding/bids/not_registered.html", {"section": section}, status=403)
    bidder_uscc = selectors.my_registration_uscc(user=request.user, section=section)
    live = Bid.objects.filter(
        section=section, bidder__uscc=bidder_uscc, status=Bid.Status.SUBMITTED
    ).first()
    return render(
        request,
        "bidding/bids/seal.html",
        {
            "section": section,
            "form": SealForm(),
            "bidder_uscc": bidder_uscc,
            "live": live,
            "open_for_bids": section.bid_deadline is not None
            and timezone.now() < section.bid_deadline,
            "max_file_bytes": services.max_file_bytes(),
            "iterations": seal.ITERATIONS,
        },
    )


@login_required
@require_POST
def bid_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    bid = selectors.my_bid(user=request.user, pk=pk)
    try:
        with form_once(request):
            receipt = services.bid_withdraw(actor=request.user, bid=bid)
    except AlreadyApplied:
        return redirect("bidding:my_bids")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("bidding:my_bids")
    messages.success(request, _("投标文件已撤回，撤回回执已生成。"))
    return redirect("bidding:bid_receipt", pk=receipt.pk)


@login_required
def bid_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = selectors.my_receipt(user=request.user, pk=pk)
    return render(request, "bidding/bids/receipt.html", {"r": receipt})


@login_required
def bid_receipt_download(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.my_receipt(user=request.user, pk=pk)
    body = {
        "format": r.bid.manifest.get("version", seal.FORMAT_1),
        "number": r.number,
        "kind": r.kind,
        "issued_at": timezone.localtime(r.issued_at).isoformat(),
        "project": {"code": r.project_code, "name": r.project_name},
        "section": {"code": r.section_code, "name": r.section_name},
        "bidder": {"name": r.bidder_name, "uscc": r.bidder_uscc},
        "files": r.files,
        "manifest_sha256": r.manifest_sha256,
        "audit": {"seq": r.audit_seq, "hash": r.audit_hash},
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="receipt-{r.number}.json"'
    return response


@login_required
def received_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "bidding.view_bids_received")
    sections = list(selectors.sections_received(user=request.user)[:300])
    return render(request, "bidding/bids/received_list.html", {"sections": sections})


@login_required
def section_received(request: HttpRequest, pk: int) -> HttpResponse:
    section = selectors.section_received(user=request.user, pk=pk)
    may_set = can(request.user, "bidding.set_bid_deadline", section)
    form = DeadlineForm(
        request.POST if request.method == "POST" else None,
        initial={"deadline": timezone.localtime(section.bid_deadline)}
        if section.bid_deadline
        else None,
    )
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        if form.is_valid():
            try:
                with form_once(request):
                    services.section_deadline_set(
                        actor=request.user, section=section, deadline=form.cleaned_data["deadline"]
                    )
            except AlreadyApplied:
                return redirect("bidding:section_received", pk=section.pk)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("投标截止时间已登记。"))
                return redirect("bidding:section_received", pk=section.pk)
    received = section.bids.filter(status=Bid.Status.SUBMITTED).count()
    return render(
        request,
        "bidding/bids/section_received.html",
        {
            "section": section,
            "received": received,
            "times": selectors.receipt_times(section),
            "form": form if may_set else None,
        },
    )
