"""Award fixtures: the report world (report/tests/test_report.py) with its report sealed by
all five members, and an account at each of the three bidders' firms: `winner` (ranked 1),
`second` (ranked 2) and `failed` (failed the review)."""

from __future__ import annotations

import pytest

from qinqing.bidding.bids.tests.conftest import _firm_user
from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.report.tests.test_report import build, evaluated, sign_all


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def award_world(world):
    session, seats = evaluated(world)
    build(world, session)
    report = sign_all(world, session, seats)
    assert report.status == "sealed"
    return {
        **world,
        "report": report,
        "section": session.section,
        "second": _firm_user("bidder-second", "firm-second", BIDDER_USCCS[0]),
        "winner": _firm_user("bidder-winner", "firm-winner", BIDDER_USCCS[1]),
        "failed": _firm_user("bidder-failed", "firm-failed", BIDDER_USCCS[2]),
    }
