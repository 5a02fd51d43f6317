"""Constants shared by the bankruptcy reads."""

from __future__ import annotations

from decimal import Decimal

from qinqing.bankruptcy.models import Claim

ZERO = Decimal("0.00")
ALERT_DAYS = 7
REVIEWED = (Claim.Status.ADMITTED, Claim.Status.CONFIRMED, Claim.Status.DISPUTED)
# Claims paid after the ordinary ones (法〔2018〕53号 §28): no vote, no term in the agreement.
SUBORDINATED_NATURES = (Claim.Nature.PENALTY, Claim.Nature.COURT_SUBORDINATED)
