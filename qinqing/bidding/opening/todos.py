"""What waits on a user at the remote opening (imported by qinqing/bidding/todos.py):

- the host (the agency or the host centre's admin): sections whose bid deadline has passed and
  whose hall is not yet opened (招标投标法 Art.34: the opening is at the deadline);
- a bidder: its firm's bids waiting to be decrypted while the window runs (电子招标投标办法
  Art.31), due the day the window closes."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.bids.permissions import firm_usccs
from qinqing.bidding.opening.models import Opening, OpeningBid
from qinqing.bidding.projects.models import Section
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import TodoItem, register, tally


def _hall_url(pk: int | None) -> str:
    if pk is None:
        return reverse("bidding:opening_list")
    return reverse("bidding:opening_hall", args=[pk])


@register
def opening_host(user):
    grants = grants_of(user)
    if not (grants.has(Role.TENDER_AGENT) or grants.has(Role.CENTRE_ADMIN)):
        return []
    due = (
        visible(user, "bidding.host_opening", Section.objects.all())
        .filter(bid_deadline__lte=timezone.now(), opening__isnull=True)
        .filter(bids__status="submitted")
        .distinct()
    )
    waiting = tally(Section.objects.filter(pk__in=due.values("pk")), oldest="bid_deadline")
    return [
        TodoItem(
            _("待开标的标段"),
            waiting.count,
            _hall_url(waiting.first_pk),
            oldest=waiting.oldest,
            note=_("投标截止时间已到：在开标大厅开标"),
            order=6,
        )
    ]


@register
def opening_bidder(user):
    if not grants_of(user).has(Role.BIDDER):
        return []
    pending = OpeningBid.objects.filter(
        status=OpeningBid.Status.PENDING,
        opening__status=Opening.Status.DECRYPTING,
        opening__decrypt_until__gt=timezone.now(),
        bidder__uscc__in=firm_usccs(grants_of(user)),
    )
    sections = visible(user, "bidding.attend_opening", Section.objects.all()).filter(
        pk__in=pending.values("opening__section_id")
    )
    waiting = tally(Section.objects.filter(pk__in=sections.values("pk")))
    until = pending.order_by("opening__decrypt_until").values_list(
        "opening__decrypt_until", flat=True
    )
    return [
        TodoItem(
            _("待解密的投标文件"),
            waiting.count,
            _hall_url(waiting.first_pk),
            due=timezone.localdate(until[0]) if waiting.count else None,
            note=_("开标已开始：在解密时限内输入解密口令"),
            order=4,
        )
    ]
