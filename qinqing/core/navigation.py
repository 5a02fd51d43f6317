"""Menu entries: each module registers its pages with the action that guards them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from qinqing.core.permissions import can


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    action: str
    section: str | Promise
    order: int = 100


_ENTRIES: list[NavEntry] = []


def register_nav(entry: NavEntry) -> None:
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


def entries_for(user) -> list[dict]:
    """The menu entries this user may open, grouped by section in registration order."""
    sections: dict[str, dict] = {}
    for entry in sorted(_ENTRIES, key=lambda e: e.order):
        if not can(user, entry.action):
            continue
        section = sections.setdefault(str(entry.section), {"label": entry.section, "items": []})
        section["items"].append({"label": entry.label, "url": reverse(entry.url_name)})
    return list(sections.values())
