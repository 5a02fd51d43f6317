"""The bid documents at the workstation (issue 19 item 3): the viewer page beside the score
sheet, the PDF bytes (checked seat and session, never a download, never from /media/), the read
log posted by the viewer, and the supervisors' page of what each member read."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from qinqing.bidding.evaluation import supervision
from qinqing.bidding.permissions import committee_identifiable
from qinqing.bidding.viewer import rules, selectors, services
from qinqing.core.errors import DomainError
from qinqing.core.lookups import int_or_404


def _reader(request: HttpRequest):
    seat = selectors.reader_seat(request)
    supervision.seat_seen(seat)
    return seat


@require_GET
@never_cache
def workstation_documents(request: HttpRequest) -> HttpResponse:
    """The viewer: every decrypted bid's files of the section, one open at a time (`?file=`,
    `?page=`)."""
    seat = _reader(request)
    files = list(selectors.readable_files(seat))
    current = None
    wanted = request.GET.get("file")
    if wanted:
        current = next((f for f in files if str(f.pk) == wanted), None)
    if current is None and files:
        current = files[0]
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    return render(
        request,
        "bidding/workstation_documents.html",
        {
            "seat": seat,
            "session": seat.outcome.session,
            "groups": selectors.by_bidder(files),
            "current": current,
            "page": page,
            "time_zone": settings.TIME_ZONE,
        },
    )


@require_GET
def document_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The bytes of one decrypted bid file for the viewer: only to a committee member at a
    signed-in workstation of the session in progress (404 otherwise); inline, not stored."""
    seat = _reader(request)
    opened = selectors.readable_file(seat, int_or_404(pk))
    services.document_open(actor=seat.member.user, seat=seat, opened_file=opened)
    return pdf_response(opened)


def pdf_response(opened) -> FileResponse:
    response = FileResponse(opened.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store, private"
    response["Content-Length"] = str(opened.size)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def document_reads(request: HttpRequest) -> JsonResponse:
    """The viewer's read log, a batch every few seconds (JSON, CSRF header)."""
    seat = _reader(request)
    try:
        data = json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"detail": _("阅读记录不是有效的 JSON")}, status=400)
    try:
        counts = data.get("page_counts", {}) if isinstance(data, dict) else {}
        if not isinstance(counts, dict) or len(counts) > rules.MAX_BATCH:
            raise DomainError(_("page_counts 应为文件编号到总页数的对象"))
        for key, pages in counts.items():
            if not str(key).isdigit() or not 1 <= int(key) <= 2**63 - 1:
                raise DomainError(_("page_counts 的键应为文件编号"))
            opened = selectors.readable_files(seat).filter(pk=int(key)).first()
            if opened is not None:
                services.page_count_record(seat=seat, opened_file=opened, pages=pages)
        recorded = services.reads_record(seat=seat, data=data)
    except DomainError as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    return JsonResponse({"recorded": recorded})


@login_required
def session_reads(request: HttpRequest, pk: int) -> HttpResponse:
    """What each member read of each bid, for the supervisors and the centres (read-only)."""
    session = supervision.live_session(user=request.user, pk=pk)
    identify = committee_identifiable(request.user, session)
    summary = rules.read_summary(selectors.read_rows(session, identify=identify))
    return render(
        request,
        "bidding/session_reads.html",
        {"session": session, "summary": summary, "identify": identify},
    )
