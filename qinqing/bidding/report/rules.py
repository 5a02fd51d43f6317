"""The law and maths of the report (pure: no Django; conventions in `qinqing.bidding.rules`):
the members' positions and the experts' fees."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from qinqing.bidding.rules import RuleError

# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def signature_outcome(
    signed: bool, dissent_reason: str | None
) -> Literal["agree", "dissent", "deemed_agree"]:
    """A member's position on the report (实施条例 Art.53).

    A written dissent reason makes it a dissent, signed or not. Signing without one is
    agreement; refusing to sign without a written reason is "deemed_agree" (视为同意), which the
    report states as such. A blank reason is no reason.
    """
    if dissent_reason and dissent_reason.strip():
        return "dissent"
    return "agree" if signed else "deemed_agree"


# --------------------------------------------------------------------------------------------
# Expert fees
# --------------------------------------------------------------------------------------------
#
# Expert fees in remote cross-site evaluation (pure: no Django).
#
# 发改办法规〔2025〕807号 and the city rules on remote evaluation (远程异地评标) share experts
# across centres; the practice for paying them is "异地评标专家劳务报酬就高不就低": an expert
# evaluating for a project hosted elsewhere is paid the higher of the host centre's standard and
# the standard of their own centre, never less than at home. Host-centre experts are paid the
# host standard.


class FeeError(RuleError):
    """A standard the computation needs is missing or invalid."""


def _standard(standards: Mapping[str, Decimal], centre: str) -> Decimal:
    try:
        amount = standards[centre]
    except KeyError:
        raise FeeError(f"缺少交易中心 {centre} 的专家评审费标准") from None
    if not isinstance(amount, Decimal) or amount < 0:
        raise FeeError(f"交易中心 {centre} 的专家评审费标准无效")
    return amount


def fee_for(expert_centre: str, host_centre: str, standards: Mapping[str, Decimal]) -> Decimal:
    """One member's fee for one session (就高不就低, 807号 practice).

    ``standards``: centre key → the amount of the standard in force on the session date.
    A host-centre expert gets the host standard; a guest-centre expert gets
    ``max(host standard, own centre's standard)``.
    """
    host = _standard(standards, host_centre)
    if expert_centre == host_centre:
        return host
    return max(host, _standard(standards, expert_centre))
