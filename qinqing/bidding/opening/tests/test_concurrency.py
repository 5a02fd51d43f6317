"""Concurrent writers at the opening (PostgreSQL): two starts of one hall leave one opening;
the same key sent twice at once decrypts the bid once (one set of files, one audit entry); the
window's end racing the last decryption never leaves a decrypted bid marked withdrawn nor a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from qinqing.bidding.opening import services
from qinqing.bidding.opening.models import OpenedFile, Opening, OpeningBid
from qinqing.bidding.opening.tests.conftest import browser_key, pass_deadline, submit
from qinqing.core.errors import DomainError
from qinqing.core.models import AuditEntry
from qinqing.core.testing import needs_concurrent_writers, race

pytestmark = pytest.mark.django_db(transaction=True)


def _opened(w) -> Opening:
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    return services.opening_start(actor=w["agent"], section=w["section"])


def test_two_starts_leave_one_opening(opening_world):
    needs_concurrent_writers()
    w = opening_world
    for who in ("bidder", "bidder2", "bidder4"):
        submit(w, who)
    pass_deadline(w)
    results = race(
        2,
        lambda i: services.opening_start(
            actor=w["agent" if i else "centre_wh"], section=w["section"]
        ),
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "Opening"], results
    assert Opening.objects.count() == 1 and OpeningBid.objects.count() == 3


def test_the_same_key_twice_at_once_decrypts_once(opening_world):
    needs_concurrent_writers()
    w = opening_world
    _opened(w)
    ob = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder"])
    key = browser_key(ob.bid, "bidder")
    results = race(
        2, lambda i: services.opening_decrypt(actor=w["bidder"], opening_bid=ob, content_key=key)
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "OpeningBid"], results
    assert OpenedFile.objects.count() == 2
    assert AuditEntry.objects.filter(action="opening.decrypt").count() == 1


def test_the_windows_end_racing_the_last_decryption(opening_world):
    needs_concurrent_writers()
    w = opening_world
    opening = _opened(w)
    for who in ("bidder", "bidder2"):
        ob = OpeningBid.objects.get(bidder__uscc=w["usccs"][who])
        services.opening_decrypt(actor=w[who], opening_bid=ob, content_key=browser_key(ob.bid, who))
    last = OpeningBid.objects.get(bidder__uscc=w["usccs"]["bidder4"])
    key = browser_key(last.bid, "bidder4")
    Opening.objects.filter(pk=opening.pk).update(
        decrypt_until=timezone.now() + timedelta(milliseconds=300)
    )

    def act(i):
        if i == 0:
            return services.opening_decrypt(actor=w["bidder4"], opening_bid=last, content_key=key)
        return services.openings_expire(now=timezone.now() + timedelta(seconds=1))

    results = race(2, act)
    assert all(isinstance(r, OpeningBid | int | DomainError) for r in results), results
    last.refresh_from_db()
    opening.refresh_from_db()
    if last.status == OpeningBid.Status.DECRYPTED:
        assert OpenedFile.objects.filter(opening_bid=last).count() == 2
        assert opening.status == Opening.Status.READING
    else:
        assert last.status == OpeningBid.Status.WITHDRAWN
        assert not OpenedFile.objects.filter(opening_bid=last).exists()
        assert opening.status == Opening.Status.FAILED  # two decrypted: Art.44
