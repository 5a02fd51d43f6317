"""Helpers shared by the bankruptcy pages."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from qinqing.bankruptcy.models import AgendaItem, Case
from qinqing.core.actions import run_posted
from qinqing.core.permissions import get_visible_or_404


def _case(request, pk: int, action: str = "bankruptcy.view_case") -> Case:
    return get_visible_or_404(request.user, action, Case.objects.all(), pk=pk)


def _attempt(request, fn, ok: str, **kwargs) -> bool:
    """Run the service `fn` as the user for a posted form (core.actions.run_posted)."""
    return run_posted(request, lambda: fn(actor=request.user, **kwargs), ok=ok)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _agreement_unread(request: HttpRequest, item: AgendaItem) -> bool:
    """The Art.97 vote is cast only after the creditor confirms it read the draft agreement and
    its own term (the page shows both); refused with a message otherwise."""
    if item.kind != AgendaItem.Kind.RECONCILIATION or request.POST.get("read") == "1":
        return False
    messages.error(request, _("请先阅读和解协议草案和本人的清偿条件，勾选确认后再表决"))
    return True
