"""Concurrent writers on one bidder's bid (PostgreSQL): submissions racing each other leave
exactly one live bid and a receipt for each; a withdrawal racing a resubmission never leaves
two live bids nor a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.bidding.bids import services
from qinqing.bidding.bids.models import Bid, BidReceipt
from qinqing.bidding.bids.tests.conftest import sealed_bid
from qinqing.core.errors import DomainError
from qinqing.core.testing import needs_concurrent_writers, race

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(w, sealed):
    files = [SimpleUploadedFile(f"f{n}.qqs", c) for n, c in enumerate(sealed.ciphertexts)]
    return services.bid_submit(
        actor=w["bidder"], section=w["section"], manifest=sealed.manifest, files=files
    )


def test_racing_submissions_leave_one_live_bid_and_every_receipt(bids_world):
    needs_concurrent_writers()
    w = bids_world
    sealed = [sealed_bid(w["section"].pk, w["firm"].uscc) for _ in range(4)]
    results = race(4, lambda i: _submit(w, sealed[i]))
    assert all(isinstance(r, BidReceipt) for r in results), results
    assert Bid.objects.filter(status=Bid.Status.SUBMITTED).count() == 1
    assert Bid.objects.filter(status=Bid.Status.REPLACED).count() == 3
    assert BidReceipt.objects.count() == 4


def test_withdrawal_racing_a_resubmission(bids_world):
    needs_concurrent_writers()
    w = bids_world
    _submit(w, sealed_bid(w["section"].pk, w["firm"].uscc))
    live = Bid.objects.get()
    again = sealed_bid(w["section"].pk, w["firm"].uscc)

    def act(i):
        if i == 0:
            return services.bid_withdraw(actor=w["bidder"], bid=live)
        return _submit(w, again)

    results = race(2, act)
    assert all(isinstance(r, BidReceipt | DomainError) for r in results), results
    assert Bid.objects.filter(status=Bid.Status.SUBMITTED).count() <= 1
