"""HTTP helpers the modules' views share."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """To the `next` the request carries when it is a URL of this site, else to `fallback`.

    A `next` followed as it comes sends people wherever a forged link or form says (an open
    redirect: https://elsewhere, //elsewhere, /\\elsewhere)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)
