"""A member's position on the report (实施条例 Art.53)."""

from __future__ import annotations

import pytest

from qinqing.bidding.report.rules import signature_outcome


@pytest.mark.parametrize(
    ("signed", "reason", "outcome"),
    [
        (True, None, "agree"),
        (True, "价格分计算口径有误", "dissent"),
        (False, "价格分计算口径有误", "dissent"),
        (False, None, "deemed_agree"),  # refusing without a written reason counts as agreement
        (False, "   ", "deemed_agree"),  # a blank reason is no reason
    ],
)
def test_signature_outcome(signed, reason, outcome):
    assert signature_outcome(signed, reason) == outcome
