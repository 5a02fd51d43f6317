"""Keyset pagination for long lists (issue 24 item 5): a page is "the next `size` rows after
this key", read through the index that orders the list, so page 2,000 costs what page 1 costs
and no COUNT(*) runs over a million rows. The cursor is the last key shown; a list shows
"newer/older" links instead of page numbers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet

MAX_KEY = 2**63 - 1


@dataclass(frozen=True)
class KeysetPage:
    object_list: list
    first: bool  # no cursor: the list's head
    next_key: int | None  # the cursor of the page after this one (None: this is the last)

    def next_query(self, params: dict) -> str:
        """The query string of the next page, the list's other filters kept."""
        return urlencode({**{k: v for k, v in params.items() if v}, "before": self.next_key})


def parse_key(value: str | None) -> int | None:
    """A cursor from the query string: a positive integer, else None (the list's head)."""
    if value and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_KEY:
        return int(value)
    return None


def keyset_page(qs: QuerySet, *, key: str, before: int | None, size: int) -> KeysetPage:
    """Rows of `qs` in descending `key` (a unique integer field with an index) whose key is
    below `before`, `size` of them; one more is read to know whether a next page exists."""
    if before is not None:
        qs = qs.filter(**{f"{key}__lt": before})
    rows = list(qs.order_by(f"-{key}")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        object_list=rows,
        first=before is None,
        next_key=getattr(rows[-1], key) if more and rows else None,
    )
