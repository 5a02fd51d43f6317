"""The workstation viewer's writes: a member opens a bid file (audited once per member and
file) and the viewer reports the pages on screen (the read log, not audited page by page:
docs/bidding.md)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from qinqing.bidding.models import Seat
from qinqing.bidding.opening.models import OpenedFile
from qinqing.bidding.rules import RuleError
from qinqing.bidding.viewer import rules
from qinqing.bidding.viewer.models import DocumentAccess, PageRead
from qinqing.core.audit import audit_log
from qinqing.core.errors import DomainError


def document_open(*, actor, seat: Seat, opened_file: OpenedFile) -> DocumentAccess:
    """The member at `seat` opens `opened_file`: the first time it is audited (电子招标投标办法
    Art.33: online evaluation under effective monitoring), later times only counted."""
    now = timezone.now()
    with transaction.atomic():
        access, created = DocumentAccess.objects.get_or_create(
            seat=seat,
            opened_file=opened_file,
            defaults={
                "workstation_code": seat.workstation.code,
                "first_opened_at": now,
                "last_opened_at": now,
            },
        )
        if created:
            session = seat.outcome.session
            audit_log(
                actor=actor,
                action="viewer.open",
                obj=access,
                organisation=session.host_centre,
                detail={
                    "session": session.pk,
                    "workstation": seat.workstation.code,
                    "file": opened_file.pk,
                    "name": opened_file.bid_file.name,
                    "bidder": opened_file.opening_bid.bidder.uscc,
                    "sha256": opened_file.sha256,
                },
            )
        else:
            DocumentAccess.objects.filter(pk=access.pk).update(
                fetches=F("fetches") + 1, last_opened_at=now
            )
    return access


def page_count_record(*, seat: Seat, opened_file: OpenedFile, pages: int) -> None:
    """The viewer reports the file's page count once it parsed it (for the supervisors'
    "pages read of pages")."""
    if not isinstance(pages, int) or isinstance(pages, bool) or not 1 <= pages <= rules.MAX_PAGE:
        raise DomainError("总页数须为正整数")
    DocumentAccess.objects.filter(seat=seat, opened_file=opened_file).update(page_count=pages)


def reads_record(*, seat: Seat, data) -> int:
    """A batch of the viewer's read log: each page's seconds added to its row, a row created
    the first time a page is seen. Only files this seat opened count; a page beyond the file's
    known page count is refused. Returns the number of pages recorded."""
    try:
        reads = rules.reads_check(data)
    except RuleError as exc:
        raise DomainError(str(exc)) from None
    if not reads:
        return 0
    try:
        _record(seat, reads)
    except IntegrityError:  # a batch sent at the same time created a row first: add to it
        _record(seat, reads)
    return len(reads)


def _record(seat: Seat, reads: list[rules.ReadIn]) -> None:
    now = timezone.now()
    with transaction.atomic():
        accesses = {
            a.opened_file_id: a
            for a in DocumentAccess.objects.filter(
                seat=seat, opened_file_id__in={r.file for r in reads}
            )
        }
        for r in reads:
            access = accesses.get(r.file)
            if access is None:
                raise DomainError("只能记录本工位已打开的投标文件的阅读情况")
            if access.page_count is not None and r.page > access.page_count:
                raise DomainError(f"页码 {r.page} 超出该文件的总页数 {access.page_count}")
        existing = {
            (p.access_id, p.page): p
            for p in PageRead.objects.select_for_update().filter(
                access__in=list(accesses.values()), page__in={r.page for r in reads}
            )
        }
        new, changed = [], []
        for r in reads:
            access = accesses[r.file]
            row = existing.get((access.pk, r.page))
            if row is None:
                new.append(
                    PageRead(
                        access=access,
                        page=r.page,
                        first_seen_at=now,
                        last_seen_at=now,
                        seconds=r.seconds,
                    )
                )
            else:
                row.seconds += r.seconds
                row.views += 1
                row.last_seen_at = now
                changed.append(row)
        PageRead.objects.bulk_create(new)
        PageRead.objects.bulk_update(changed, ["seconds", "views", "last_seen_at"])
