"""Creditors' meeting: who votes and the statutory tallies (Art.59, 61, 64, 84, 97)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from qinqing.bankruptcy.rules.common import ZERO, NextWorkingDay, RuleError, _cents, _money, _total
from qinqing.bankruptcy.rules.deadlines import period_end

RECONCILIATION = "reconciliation"
ORDINARY = "ordinary"
REQUIRED_SHARE = {RECONCILIATION: Fraction(2, 3), ORDINARY: Fraction(1, 2)}
VOTES = frozenset({"yes", "no", "abstain", None})

SECURED_NOT_WAIVED = "SECURED_NOT_WAIVED"
SECURED_FULLY_COVERED = "SECURED_FULLY_COVERED"
UNCONFIRMED_NO_PROVISIONAL = "UNCONFIRMED_NO_PROVISIONAL"


@dataclass(frozen=True)
class Voter:
    """One creditor's position on one agenda item of a creditors' meeting.

    ``amount`` is the claim amount (the confirmed amount when ``confirmed``); ``provisional_amount``
    is the amount the court fixed for voting while the claim is unconfirmed (企业破产法 Art.59
    para.2) and is ignored once the claim is confirmed. ``present`` means the creditor attended
    in person or took part in off-site voting (SPC Interpretation III Art.11). ``vote`` is one of
    ``"yes"``, ``"no"``, ``"abstain"`` or ``None`` (present but no ballot).
    """

    creditor_id: str
    amount: Decimal
    secured: bool
    waived_priority: bool
    confirmed: bool
    provisional_amount: Decimal | None
    present: bool
    vote: str | None
    # A secured creditor that has not waived: the part of its claims the collateral will not
    # cover (its plain unsecured claims plus the shortfall, 企业破产法 Art.110). 0 = covered.
    unsecured_part: Decimal = ZERO


@dataclass(frozen=True)
class VotingBases:
    """The amounts one vote is measured against, each with what it counts (企业破产法 Art.59,
    64, 97). Every page and the API show these, so no two pages disagree.

    - ``unsecured_total`` (U, 无财产担保债权总额): the counted amounts of every creditor with a
      vote on the item, present or not (absentees count against on amount).
    - ``confirmed_part`` / ``provisional_part``: U split into court-confirmed claims and
      amounts the court fixed provisionally (Art.59 para.2).
    - ``present_total``: the counted amounts of the creditors present with a vote.
    - ``secured_shortfall_part``: the part of U that is secured creditors' uncovered claims
      (only on an ordinary item, or with ``secured_votes_shortfall``).
    - ``secured_covered_excluded``: secured claims (not waived) left out of the amounts: the
      part the collateral covers, or the whole claim where the creditor has no vote.
    - ``unconfirmed_excluded``: claims without a vote (unconfirmed, no provisional amount).
    - ``voters_with_vote`` / ``voters_present``: heads.
    """

    item: str
    unsecured_total: Decimal
    confirmed_part: Decimal
    provisional_part: Decimal
    present_total: Decimal
    secured_shortfall_part: Decimal
    secured_covered_excluded: Decimal
    unconfirmed_excluded: Decimal
    voters_with_vote: int
    voters_present: int


@dataclass(frozen=True)
class Tally:
    """Outcome of a vote with both statutory tests, their figures and their margins.

    Heads: ``heads_required`` is the smallest integer strictly greater than half of
    ``present_voters``; ``heads_margin = yes_voters - heads_required`` (>= 0 means passed).
    Amount: ``required_amount`` is exact (``Fraction``: share x unsecured total);
    ``required_amount_display`` rounds it *up* to the cent, i.e. it is the smallest cent amount
    that passes (rounding half-up could show a figure that fails). ``amount_margin`` is exact
    (``yes_amount - required_amount``, >= 0 means passed); ``amount_margin_display`` is
    ``yes_amount - required_amount_display`` and has the same sign test.
    ``excluded`` lists ``(creditor_id, reason)`` for creditors without a vote on the item.
    """

    item: str
    passed: bool
    present_voters: int
    yes_voters: int
    heads_required: int
    heads_margin: int
    heads_passed: bool
    yes_amount: Decimal
    unsecured_total: Decimal
    required_share: Fraction
    required_amount: Fraction
    required_amount_display: Decimal
    amount_margin: Fraction
    amount_margin_display: Decimal
    amount_passed: bool
    excluded: tuple[tuple[str, str], ...]
    # yes_amount ÷ unsecured_total (0 when U is 0); never above 1 (checked in ``tally``).
    yes_share: Fraction = Fraction(0)
    bases: VotingBases | None = None


def voting_amount(voter: Voter) -> Decimal | None:
    """The amount a creditor votes with, or ``None`` when it has no vote (企业破产法 Art.59 para.2).

    A confirmed claim votes with its amount; an unconfirmed claim votes with the provisional amount
    fixed by the court, and without one it has no vote.
    """
    if voter.confirmed:
        return voter.amount
    return voter.provisional_amount


def exclusion_reason(
    item: str, voter: Voter, *, secured_votes_shortfall: bool = False
) -> str | None:
    """Why a creditor has no vote on ``item``, or ``None`` (企业破产法 Art.59 paras.2-3, 110).

    ``SECURED_NOT_WAIVED``: a secured creditor that has not waived its priority does not vote on
    the reconciliation agreement (Art.59 para.3). The literal reading (default) puts its whole
    claim out, including any part the collateral may not cover. With
    ``secured_votes_shortfall`` (the Art.110 reading many courts follow: the uncovered part is
    an ordinary claim) it votes with that part, and only a creditor whose collateral covers
    everything is out (``SECURED_FULLY_COVERED``). On an ordinary resolution it votes.
    ``UNCONFIRMED_NO_PROVISIONAL``: unconfirmed claim without a court-fixed provisional amount.
    """
    _required_share(item)
    if item == RECONCILIATION and voter.secured and not voter.waived_priority:
        if not secured_votes_shortfall:
            return SECURED_NOT_WAIVED
        if voter.unsecured_part <= 0:
            return SECURED_FULLY_COVERED
    if voting_amount(voter) is None:
        return UNCONFIRMED_NO_PROVISIONAL
    return None


def counted_amount(
    item: str, voter: Voter, *, secured_votes_shortfall: bool = False
) -> Decimal | None:
    """The amount a creditor's vote weighs on ``item`` and adds to U, or ``None`` without a vote
    (企业破产法 Art.59, 64, 97, 110).

    U is the total of *unsecured* claims, so the amount side counts only unsecured amounts: an
    unsecured (or waived) creditor its voting amount; a secured creditor that has not waived
    only the part its collateral will not cover (``Voter.unsecured_part``, at most its voting
    amount). On an ordinary item such a creditor counts in the heads with its whole vote but its
    covered part weighs nothing (the common reading of Art.64: 计算人数时计入、计算债权额时
    只计无担保部分). So the agreeing amount can never exceed U.
    """
    if exclusion_reason(item, voter, secured_votes_shortfall=secured_votes_shortfall):
        return None
    amount = voting_amount(voter)
    if amount is None:  # pragma: no cover - exclusion_reason returned a reason
        return None
    if voter.secured and not voter.waived_priority:
        return min(amount, voter.unsecured_part)
    return amount


def voting_bases(
    item: str, voters: Sequence[Voter], *, secured_votes_shortfall: bool = False
) -> VotingBases:
    """The labelled amounts of one vote (企业破产法 Art.59, 64, 97; see ``VotingBases``)."""
    _required_share(item)
    _validate_voters(voters)
    confirmed = provisional = present = shortfall = covered = unconfirmed = ZERO
    with_vote = present_heads = 0
    for voter in voters:
        amount = voting_amount(voter)
        counted = counted_amount(item, voter, secured_votes_shortfall=secured_votes_shortfall)
        if amount is None:  # no vote at all (Art.59 para.2), secured or not
            unconfirmed += voter.amount
            continue
        if counted is None:  # a secured creditor out of the agreement vote (Art.59 para.3)
            covered += amount
            continue
        with_vote += 1
        if voter.confirmed:
            confirmed += counted
        else:
            provisional += counted
        if voter.secured and not voter.waived_priority:
            shortfall += counted
            covered += (amount or ZERO) - counted
        if voter.present:
            present += counted
            present_heads += 1
    return VotingBases(
        item=item,
        unsecured_total=confirmed + provisional,
        confirmed_part=confirmed,
        provisional_part=provisional,
        present_total=present,
        secured_shortfall_part=shortfall,
        secured_covered_excluded=covered,
        unconfirmed_excluded=unconfirmed,
        voters_with_vote=with_vote,
        voters_present=present_heads,
    )


def _required_share(item: str) -> Fraction:
    try:
        return REQUIRED_SHARE[item]
    except KeyError:
        raise RuleError(f"未知的表决事项：{item!r}（应为 reconciliation 或 ordinary）") from None


def _validate_voters(voters: Sequence[Voter]) -> None:
    seen: set[str] = set()
    for voter in voters:
        if voter.creditor_id in seen:
            raise RuleError(f"债权人重复：{voter.creditor_id}")
        seen.add(voter.creditor_id)
        _money(voter.amount, f"债权额（{voter.creditor_id}）")
        if voter.provisional_amount is not None:
            _money(voter.provisional_amount, f"临时确定的债权额（{voter.creditor_id}）")
        _money(voter.unsecured_part, f"担保物不足清偿部分（{voter.creditor_id}）")
        if voter.vote not in VOTES:
            raise RuleError(f"未知的表决意见：{voter.vote!r}（{voter.creditor_id}）")
        if voter.vote is not None and not voter.present:
            raise RuleError(f"未出席（未参加表决）的债权人不能有表决意见：{voter.creditor_id}")


def tally(
    item: str,
    voters: Sequence[Voter],
    unsecured_total: Decimal | None = None,
    *,
    secured_votes_shortfall: bool = False,
) -> Tally:
    """Count a creditors' meeting vote on the reconciliation agreement or an ordinary resolution.

    Reconciliation agreement (企业破产法 Art.97): more than half of the creditors present with a
    vote agree AND the agreeing creditors' claims are at least 2/3 of the total unsecured claims.
    Ordinary resolution (企业破产法 Art.64 para.1): more than half of the creditors present with a
    vote agree AND their claims are at least 1/2 of the total unsecured claims.

    - Who votes: ``exclusion_reason`` (Art.59; ``secured_votes_shortfall`` as there). Excluded
      creditors are not counted at all; a ballot recorded for one is disregarded.
    - P = present creditors with a vote; abstentions and missing ballots count in P but not in
      the yes side. Absentees are not in P, but their claims stay in U, so on amount they count
      against.
    - Amounts are ``counted_amount``: unsecured amounts only, on both sides of the fraction. A
      secured creditor that has not waived counts in the heads of an ordinary item, but only the
      part its collateral will not cover weighs on the amount (so the agreeing share of U can
      never exceed 100 %).
    - "过半数" is strictly more than half; "以上" includes the threshold (exact ``Fraction``).
    - U: ``voting_bases(...).unsecured_total`` (every counted amount, present or not) unless the
      caller passes a larger total (creditors not listed); a smaller one is refused.

    Raises ``RuleError`` for an unknown item or vote value, a duplicate creditor, a negative or
    non-cent amount, a vote recorded for an absent creditor, or a U below the counted amounts.
    """
    share = _required_share(item)
    bases = voting_bases(item, voters, secured_votes_shortfall=secured_votes_shortfall)
    if unsecured_total is None:
        total = bases.unsecured_total
    else:
        total = _money(unsecured_total, "无财产担保债权总额")
        if bases.unsecured_total > total:
            raise RuleError(
                f"无财产担保债权总额 {total} 小于有表决权的无财产担保债权之和 "
                f"{bases.unsecured_total}"
            )

    excluded: list[tuple[str, str]] = []
    present: list[tuple[Voter, Decimal]] = []
    for voter in voters:
        reason = exclusion_reason(item, voter, secured_votes_shortfall=secured_votes_shortfall)
        if reason is not None:
            excluded.append((voter.creditor_id, reason))
            continue
        amount = counted_amount(item, voter, secured_votes_shortfall=secured_votes_shortfall)
        if voter.present and amount is not None:
            present.append((voter, amount))
    yes_amounts = [amount for voter, amount in present if voter.vote == "yes"]

    heads_required = len(present) // 2 + 1
    heads_passed = len(yes_amounts) >= heads_required
    yes_amount = _total(yes_amounts)
    yes_share = Fraction(yes_amount) / Fraction(total) if total else Fraction(0)
    if not 0 <= yes_share <= 1 or yes_amount > bases.present_total:
        raise RuleError(f"同意债权额 {yes_amount} 超过无财产担保债权总额 {total}")  # unreachable
    required = share * Fraction(total)
    required_display = _cents(math.ceil(required * 100))
    amount_passed = yes_amount >= required
    return Tally(
        item=item,
        passed=heads_passed and amount_passed,
        present_voters=len(present),
        yes_voters=len(yes_amounts),
        heads_required=heads_required,
        heads_margin=len(yes_amounts) - heads_required,
        heads_passed=heads_passed,
        yes_amount=yes_amount,
        unsecured_total=total,
        required_share=share,
        required_amount=required,
        required_amount_display=required_display,
        amount_margin=Fraction(yes_amount) - required,
        amount_margin_display=yes_amount - required_display,
        amount_passed=amount_passed,
        excluded=tuple(excluded),
        yes_share=yes_share,
        bases=bases,
    )


def results_due(meeting_date: date, *, next_working_day: NextWorkingDay | None = None) -> date:
    """Last day to send off-site voting results to the voters: 3 days after the meeting.

    SPC Interpretation III Art.11 (管理人应当在债权人会议召开后的三日内告知参与表决的债权人).
    """
    return period_end(meeting_date, 3, next_working_day=next_working_day)


def meeting_request_sufficient(requesting_claims: Decimal, claims_total: Decimal) -> bool:
    """Whether creditors may require a further meeting: >= 1/4 of all claims.

    企业破产法 Art.62 para.2 (占债权总额四分之一以上): ``claims_total`` is the total of all
    claims, secured included; the threshold is inclusive.
    """
    requesting = _money(requesting_claims, "提议债权人的债权额")
    total = _money(claims_total, "债权总额")
    if requesting > total:
        raise RuleError(f"提议债权人的债权额 {requesting} 超过债权总额 {total}")
    return total > 0 and Fraction(requesting) >= Fraction(total) / 4
