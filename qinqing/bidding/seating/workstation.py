"""The signed-in workstation: after sign-in the browser session holds the seat (`SEAT_KEY`);
pages read it with `my_seat`, the workstation API authenticates by it (`SeatCookie`)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie

from qinqing.bidding.models import Seat
from qinqing.bidding.seating import selectors

SEAT_KEY = "bidding_seat"


def my_seat(request: HttpRequest) -> Seat | None:
    pk = request.session.get(SEAT_KEY)
    if pk is None:
        return None
    return selectors.signed_in_seat(pk)


class SeatCookie(APIKeyCookie):
    """Authenticates by the signed-in workstation in the browser session (CSRF checked)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        pk = request.session.get(SEAT_KEY)
        if pk is None:
            return None
        return selectors.signed_in_seat(pk)
