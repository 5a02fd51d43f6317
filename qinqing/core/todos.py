"""The to-do home (待办): what is waiting on a user, gathered from every module.

A module registers providers from its `AppConfig.ready` (as it registers menu entries):
`register(provider)`, where `provider(user) -> Iterable[TodoItem]` returns, through that
module's selectors, only what this user may see and act on — a count per kind of task (count
queries, a fixed number per user whatever the data), the oldest waiting item's date and the
nearest deadline. A provider first checks the user's roles and returns nothing when none fits,
so most providers cost no query for most users. The home page lists the items with a count
(overdue first); an item whose deadline has passed is overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.functional import Promise

from qinqing.core.permissions import grants_of


@dataclass(frozen=True)
class TodoItem:
    label: str | Promise
    count: int
    url: str = ""  # where the user acts; empty when the task is done outside the platform
    oldest: date | None = None  # when the oldest waiting item arrived
    due: date | None = None  # the nearest deadline
    note: str | Promise = ""  # one line of context (a place, a time, how to act)
    order: int = 100  # among items without a deadline, lower first

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()

    @property
    def due_today(self) -> bool:
        return self.due is not None and self.due == timezone.localdate()


Provider = Callable[[object], Iterable[TodoItem]]

_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Register a provider (usable as a decorator); registering twice is harmless."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


@dataclass(frozen=True)
class EntryPoint:
    """A role's main page that no menu entry offers (the menu shows what an action guards;
    some roles act on public or code-protected pages): offered on the home beside the
    first menu entries."""

    role: str
    label: str | Promise
    url_name: str
    order: int = 100


_ENTRY_POINTS: list[EntryPoint] = []


def register_entry(entry: EntryPoint) -> None:
    if entry not in _ENTRY_POINTS:
        _ENTRY_POINTS.append(entry)


def entry_points_for(user) -> list[dict]:
    from django.urls import reverse

    roles = grants_of(user).roles
    return [
        {"label": e.label, "url": reverse(e.url_name)}
        for e in sorted(_ENTRY_POINTS, key=lambda e: e.order)
        if e.role in roles
    ]


def as_date(value: date | datetime | None) -> date | None:
    """A stored moment as the local day (aggregates of datetimes come back aware)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


@dataclass(frozen=True)
class Tally:
    count: int
    oldest: date | None
    due: date | None
    first_pk: int | None  # the one row's pk when count == 1 (to link straight to it)


def tally(qs, *, oldest: str | None = None, due: str | None = None) -> Tally:
    """One aggregate query: how many rows, the earliest `oldest` and `due` values."""
    from django.db.models import Count, Min

    aggregates = {"n": Count("pk"), "pk": Min("pk")}
    if oldest:
        aggregates["oldest"] = Min(oldest)
    if due:
        aggregates["due"] = Min(due)
    found = qs.order_by().aggregate(**aggregates)
    return Tally(
        count=found["n"] or 0,
        oldest=as_date(found.get("oldest")),
        due=as_date(found.get("due")),
        first_pk=found["pk"] if found["n"] == 1 else None,
    )


def todos_for(user) -> list[TodoItem]:
    """Every item waiting on `user` with a count above zero: overdue first, then by deadline,
    then in the providers' order."""
    if not user.is_authenticated or not grants_of(user).roles:
        return []
    items = [item for provider in _PROVIDERS for item in provider(user) if item.count > 0]
    far = date.max
    return sorted(
        items, key=lambda i: (not i.overdue, i.due or far, i.order, i.oldest or far, str(i.label))
    )
