"""The one shape of a posted form's action in the views: call the service once per the form's
one-time token, report its domain error as a message, then the view redirects."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest

from qinqing.core.errors import DomainError
from qinqing.core.idempotency import AlreadyApplied, form_once


def run_posted(request: HttpRequest, action: Callable[[], object], *, ok: str = "") -> bool:
    """Run `action` (a service call) for the posted form. A repeated submission (the one-time
    token already used) changes nothing and says so; a DomainError becomes the error message;
    `ok`, if given, the success message. True when the action ran."""
    try:
        with form_once(request):
            action()
    except AlreadyApplied as exc:
        messages.info(request, exc.message)
        return False
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    if ok:
        messages.success(request, ok)
    return True
