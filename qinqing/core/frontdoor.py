"""The public front door: what the platform offers someone without an account.

Each module registers, from its `AppConfig.ready`, a provider `provider(request) ->
PublicDoor | None` (None: nothing to offer now); the anonymous home page shows the doors in
their order. A door leads somewhere in one tap (`url`) and may list a few items (the next
events, the public brief series) or include a small form (`form_template`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublicLink:
    label: str | Promise
    url: str
    note: str | Promise = ""


@dataclass(frozen=True)
class PublicDoor:
    title: str | Promise
    text: str | Promise
    url: str
    action: str | Promise
    order: int = 100
    icon: str = ""
    links: tuple[PublicLink, ...] = field(default_factory=tuple)
    form_template: str = ""


Provider = Callable[[object], "PublicDoor | None"]

_PROVIDERS: list[Provider] = []


def register_door(provider: Provider) -> Provider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def doors_for(request) -> list[PublicDoor]:
    doors = []
    for provider in _PROVIDERS:
        door = provider(request)
        if door is not None:
            doors.append(door)
    return sorted(doors, key=lambda d: d.order)
