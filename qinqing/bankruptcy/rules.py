"""Pure law-and-maths core of the bankruptcy reconciliation module (破产和解).

Everything here is plain Python: no Django, no database, no floats. Money is ``Decimal`` in yuan
with at most two decimal places (whole 分); exact intermediate values are ``Fraction``. Domain
errors raise ``RuleError`` with a Chinese message suitable for showing to the user.

Statutes cited: 企业破产法 (Enterprise Bankruptcy Law, "Art.N" below), 民法典 (Civil Code),
民事诉讼法 (Civil Procedure Law, applicable through 企业破产法 Art.4), and the SPC
Interpretation III on the Enterprise Bankruptcy Law (破产法司法解释三).

Counting periods (民法典 Art.201-203; 民事诉讼法 Art.85):
- "within N days of X": the day of X is not counted, so the last day is X + N days.
- a period in months ends on the same day-of-month N months later; when that month has no such
  day it ends on the month's last day (Nov 30 + 3 months = Feb 28, or Feb 29 in a leap year).
- if the last day is a statutory holiday (weekends included) the period ends on the next working
  day. This shift needs a calendar, so every deadline function takes an optional
  ``next_working_day`` callable mapping a date to itself when it is a working day and otherwise to
  the first working day after it (e.g. ``lambda d: chinese_calendar.find_workday(0, d)``).
  ``None`` (the default) means no shift.

Cent rounding: shares of an amount that cannot be paid in full are computed exactly and rounded
to cents by the largest-remainder method (each share floored to the cent, the cents left over go
one each to the largest fractional remainders, ties by ascending creditor id). The shares then add
up exactly to the amount, each is within one cent of its exact value, and the result equals
ROUND_HALF_UP rounding of each share whenever that already adds up.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")

NextWorkingDay = Callable[[date], date]


class RuleError(ValueError):
    """A rule of bankruptcy law or of this module's input contract was violated."""


# --------------------------------------------------------------------------------------------
# Money helpers
# --------------------------------------------------------------------------------------------


def _money(value: Decimal, what: str) -> Decimal:
    """Validate a money amount: a finite, non-negative ``Decimal`` in whole cents."""
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise RuleError(f"{what}必须是有限的 Decimal 金额：{value!r}")
    if value < 0:
        raise RuleError(f"{what}不能为负数：{value}")
    if value % CENT != 0:
        raise RuleError(f"{what}须精确到分：{value}")
    return value


def _money_map(values: Mapping[str, Decimal], what: str) -> dict[str, Decimal]:
    return {key: _money(amount, f"{what}（{key}）") for key, amount in values.items()}


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """Ratio rounded ROUND_HALF_UP to 4 decimal places (0.8000 = 80%); ``None`` if denominator 0.

    Used for every repayment and recovery rate (企业破产法 Art.113 recovery rates; the court's
    creditor repayment rate 债权清偿率).
    """
    if denominator == 0:
        return None
    return _rate(Fraction(numerator) / Fraction(denominator))


def _rate(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        RATE_PLACES, rounding=ROUND_HALF_UP
    )


def _cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _allocate_cents(exact: Mapping[str, Fraction]) -> dict[str, Decimal]:
    """Round exact shares (whose sum is a whole number of cents) to cents, keeping the sum.

    Largest-remainder method, ties broken by ascending key, so the result does not depend on the
    order of the mapping.
    """
    in_cents = {key: share * 100 for key, share in exact.items()}
    floors = {key: math.floor(share) for key, share in in_cents.items()}
    spare = sum(in_cents.values(), Fraction(0)) - sum(floors.values())
    if spare.denominator != 1:
        raise RuleError("待分配金额须精确到分")
    by_remainder = sorted(in_cents, key=lambda key: (floors[key] - in_cents[key], key))
    for key in by_remainder[: int(spare)]:
        floors[key] += 1
    return {key: _cents(floors[key]) for key in exact}


def pro_rata(claims: Mapping[str, Decimal], available: Decimal) -> dict[str, Decimal]:
    """Pay claims of one rank in full, or pro rata to cents when ``available`` is short.

    企业破产法 Art.113 para.2 (破产财产不足以清偿同一顺序的清偿要求的，按照比例分配) and Art.43
    para.3. The shares always add up to ``min(available, total claims)`` exactly.
    """
    amounts = _money_map(claims, "债权额")
    budget = _money(available, "可分配金额")
    total = _total(amounts.values())
    if budget >= total:
        return amounts
    exact = {
        key: Fraction(budget) * Fraction(amount) / Fraction(total)
        for key, amount in amounts.items()
    }
    return _allocate_cents(exact)


# --------------------------------------------------------------------------------------------
# Filing a claim (Art.49): evidence files checked by their content
# --------------------------------------------------------------------------------------------

# The first bytes of each accepted evidence format, and the file name endings that announce it.
EVIDENCE_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
EVIDENCE_EXTENSIONS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
EVIDENCE_HEAD_BYTES = 8


def evidence_format(head: bytes) -> str | None:
    """The format ("pdf", "jpeg", "png") a file's first bytes show, or None (the content
    check of ``evidence_check``, 企业破产法 Art.49)."""
    for kind, signatures in EVIDENCE_SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return kind
    return None


def evidence_check(filename: str, head: bytes) -> str:
    """Accept an evidence file whose content is what its name says: a PDF, JPEG or PNG by its
    first bytes (企业破产法 Art.49: the declaration comes with its evidence, which the
    administrator must be able to open). Returns the format; ``RuleError`` otherwise (a text
    file named ``.pdf``, a PNG named ``.pdf``, an unknown ending)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    expected = EVIDENCE_EXTENSIONS.get(extension)
    if expected is None:
        raise RuleError("证据文件只接受 PDF、JPG、PNG")
    found = evidence_format(head)
    if found is None:
        raise RuleError(f"文件“{filename}”的内容不是 PDF、JPG 或 PNG，请上传原始文件或扫描件")
    if found != expected:
        raise RuleError(
            f"文件“{filename}”的内容是 {found.upper()}，与扩展名不符，请改正扩展名后重新上传"
        )
    return found


@dataclass(frozen=True)
class FiledClaim:
    """A claim as the duplicate check sees it (amounts in cents, its nature, pending or not)."""

    principal: Decimal
    interest: Decimal
    other: Decimal
    rank: str
    nature: str
    secured: bool
    pending: bool


def duplicate_of(new: FiledClaim, earlier: Iterable[FiledClaim]) -> FiledClaim | None:
    """The pending claim of the same creditor that ``new`` repeats, or None (企业破产法 Art.49,
    57: one declaration per debt; a second identical one while the first is under review is a
    mistake or a retry, not a new debt). Same amounts (principal, interest, other), rank,
    nature and security; a reviewed or rejected earlier claim does not block a new filing (a
    corrected or further declaration, which the administrator reviews)."""
    key = (new.principal, new.interest, new.other, new.rank, new.nature, new.secured)
    for claim in earlier:
        if claim.pending and key == (
            claim.principal,
            claim.interest,
            claim.other,
            claim.rank,
            claim.nature,
            claim.secured,
        ):
            return claim
    return None


# --------------------------------------------------------------------------------------------
# Creditors' meeting: who votes and the statutory tallies
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------------


def last_day(day: date, next_working_day: NextWorkingDay | None = None) -> date:
    """Move the last day of a period off a statutory holiday (民法典 Art.203; 民事诉讼法 Art.85).

    With ``next_working_day`` ``None`` the day is returned unchanged.
    """
    if next_working_day is None:
        return day
    shifted = next_working_day(day)
    if shifted < day:
        raise RuleError(f"工作日函数把 {day} 提前到了 {shifted}")
    return shifted


def period_end(start: date, days: int, *, next_working_day: NextWorkingDay | None = None) -> date:
    """Last day of a period of ``days`` days from ``start``.

    民法典 Art.201, 203; 民事诉讼法 Art.85. The start day is not counted, so the period ends
    on ``start + days``, shifted off a holiday.
    """
    if days < 1:
        raise RuleError(f"期间天数须为正整数：{days}")
    return last_day(start + timedelta(days=days), next_working_day)


def add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's end (民法典 Art.202).

    Nov 30 + 3 months = Feb 28 (Feb 29 in a leap year); Jan 31 + 1 month = Feb 28/29.
    """
    if months < 0:
        raise RuleError(f"月数不能为负数：{months}")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def month_period_end(
    start: date, months: int, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Last day of a period of ``months`` months from ``start`` (民法典 Art.201-203)."""
    if months < 1:
        raise RuleError(f"期间月数须为正整数：{months}")
    return last_day(add_months(start, months), next_working_day)


def working_days_after(
    start: date, count: int, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """The ``count``-th working day after ``start`` (the start day is not counted).

    Without a calendar (``next_working_day`` ``None``) every day counts as a working day, which
    gives an earlier, i.e. conservative, deadline.
    """
    if count < 1:
        raise RuleError(f"工作日数须为正整数：{count}")
    day = start
    for _ in range(count):
        day = last_day(day + timedelta(days=1), next_working_day)
    return day


ACCEPTANCE_EXTENSION_DAYS = 15


def debtor_notice_due(
    petition_received: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Creditor's petition: the court notifies the debtor within 5 days of receiving it.

    企业破产法 Art.10 para.1.
    """
    return period_end(petition_received, 5, next_working_day=next_working_day)


def objection_period_end(
    debtor_notified: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Creditor's petition: the debtor may object within 7 days of receiving the court's notice.

    企业破产法 Art.10 para.1.
    """
    return period_end(debtor_notified, 7, next_working_day=next_working_day)


def acceptance_ruling_due_creditor_petition(
    objection_end: date,
    *,
    extended: bool = False,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """Creditor's petition: ruling on acceptance within 10 days after the objection period ends.

    企业破产法 Art.10 para.1; ``extended``: +15 days approved by the higher court (Art.10 para.3).
    Pass the actual last day of the objection period (``objection_period_end``).
    """
    days = 10 + (ACCEPTANCE_EXTENSION_DAYS if extended else 0)
    return period_end(objection_end, days, next_working_day=next_working_day)


def acceptance_ruling_due_debtor_petition(
    petition_received: date,
    *,
    extended: bool = False,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """Any other petition (the debtor's own, a liquidation group's): ruling within 15 days.

    企业破产法 Art.10 para.2; ``extended``: +15 days approved by the higher court (Art.10 para.3).
    """
    days = 15 + (ACCEPTANCE_EXTENSION_DAYS if extended else 0)
    return period_end(petition_received, days, next_working_day=next_working_day)


def creditor_notification_due(
    acceptance: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Notify known creditors and announce within 25 days of the acceptance ruling.

    企业破产法 Art.14 para.1.
    """
    return period_end(acceptance, 25, next_working_day=next_working_day)


def declaration_period_bounds(announcement: date) -> tuple[date, date]:
    """Earliest and latest allowed last day of the claim declaration period.

    企业破产法 Art.45: counted from the announcement of acceptance, at least 30 days and at most
    3 months: ``(announcement + 30 days, announcement + 3 calendar months)``, both inclusive. No
    holiday shift is applied to the bounds; the court picks a day between them.
    """
    return announcement + timedelta(days=30), add_months(announcement, 3)


def validate_declaration_period_end(announcement: date, chosen_end: date) -> None:
    """Raise ``RuleError`` unless ``chosen_end`` lies within the bounds of 企业破产法 Art.45."""
    earliest, latest = declaration_period_bounds(announcement)
    if not earliest <= chosen_end <= latest:
        raise RuleError(
            f"债权申报期限须自公告之日起不少于三十日、不超过三个月："
            f"应在 {earliest} 至 {latest} 之间，实为 {chosen_end}"
        )


def first_meeting_due(
    declaration_end: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """The first creditors' meeting is held within 15 days after the declaration period ends.

    企业破产法 Art.62 para.1. Pass the actual last day of the declaration period (after any
    holiday shift, see ``last_day``).
    """
    return period_end(declaration_end, 15, next_working_day=next_working_day)


MEETING_NOTICE_DAYS = 15


def latest_meeting_notice_date(meeting_date: date) -> date:
    """Last day to notify known creditors of a meeting: 15 days before it (企业破产法 Art.63).

    Counted back from the meeting day (not counted), so a notice on ``meeting - 15 days`` is in
    time. No holiday shift: moving a backward period later would shorten the notice.
    """
    return meeting_date - timedelta(days=MEETING_NOTICE_DAYS)


def meeting_notice_sufficient(notice_date: date, meeting_date: date) -> bool:
    """Whether a notice sent on ``notice_date`` gives 15 days' notice (企业破产法 Art.63)."""
    return notice_date <= latest_meeting_notice_date(meeting_date)


def resolution_challenge_due(
    resolution_date: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """A creditor may ask the court to set a resolution aside within 15 days of it.

    企业破产法 Art.64 para.2.
    """
    return period_end(resolution_date, 15, next_working_day=next_working_day)


# --------------------------------------------------------------------------------------------
# Fast track (破产快审 / 简化审理)
# --------------------------------------------------------------------------------------------
#
# 湖北省高级人民法院《关于规范破产案件简化审理服务法治化营商环境的工作指引（试行）》(2021)
# names seven situations in which the simplified procedure **shall** apply and four in which it
# is unsuitable (湖北日报, 2021-11-19). The guide's full text was not available here: verified
# from the press report are the first trigger (fewer than 20 creditors, and claims or the
# debtor's assets below 5,000,000 yuan), the first exclusion (pending litigation or arbitration,
# complex debt relations), the 6-month limit without extension and the ruling within 5 working
# days. The other triggers and exclusions below are those that comparable court guides name
# (遂川县人民法院 2022, 井冈山市人民法院 2022, 营口 指引); each is a switch of the court's
# profile, so a court whose guide differs turns it off (docs/bankruptcy.md "Fast track").

# key → (label, source): the triggers, any one of which puts a case on the fast track.
FAST_TRACK_TRIGGERS: dict[str, tuple[str, str]] = {
    "few_and_small": ("债权人人数少、债权总额或资产总额小", "湖北指引（已核实）"),
    "no_assets": ("债务人无财产或财产不足以支付破产费用", "同类指引（待核实）"),
    "enforcement_transfer": ("执行程序终结本次执行后移送破产", "同类指引（待核实）"),
    "licence_revoked": ("被吊销营业执照未清算、债权债务关系简单", "同类指引（待核实）"),
    "forced_liquidation_done": ("经强制清算、资产和负债均已确认", "同类指引（待核实）"),
    "parties_agree": ("申请人、债务人及主要债权人协商一致同意简化审理", "同类指引（待核实）"),
}
# key → (label, source): the exclusions, any one of which keeps a case off the fast track.
FAST_TRACK_EXCLUSIONS: dict[str, tuple[str, str]] = {
    "pending_proceedings": ("存在未结诉讼、仲裁，债权债务关系复杂", "湖北指引（已核实）"),
    "books_not_taken_over": ("未能接管债务人账册", "设计说明（待核实）"),
    "assets_hard_to_realise": ("财产管理、变价、分配期限长或困难较大", "同类指引（待核实）"),
    "special_debtor": ("上市公司、金融机构或关联企业合并破产", "同类指引（待核实）"),
    "stability_risk": ("职工安置等可能影响社会稳定", "同类指引（待核实）"),
}


@dataclass(frozen=True)
class FastTrackProfile:
    """A court's fast-track rules (SPC 法发〔2020〕14号 as implemented by local guides; the
    Hubei guide of 2021 is the default).

    ``triggers`` and ``exclusions`` are the keys of ``FAST_TRACK_TRIGGERS`` /
    ``FAST_TRACK_EXCLUSIONS`` the court applies. The first trigger's thresholds are exclusive:
    fewer than ``max_creditors`` creditors, and claims total or assets total (either suffices)
    below ``max_amount``. The time limit in months from acceptance, whether it may be extended,
    and the working days within which the ruling follows once its conditions are met are per
    profile.
    """

    name: str
    max_creditors: int = 20
    max_amount: Decimal = Decimal("5000000")
    triggers: frozenset[str] = frozenset(FAST_TRACK_TRIGGERS)
    exclusions: frozenset[str] = frozenset(FAST_TRACK_EXCLUSIONS)
    time_limit_months: int = 6
    extension_allowed: bool = False
    ruling_working_days: int = 5

    def __post_init__(self) -> None:
        if self.max_creditors < 1 or self.time_limit_months < 1 or self.ruling_working_days < 1:
            raise RuleError("快审配置的人数、期限和工作日数须为正整数")
        if _money(self.max_amount, "快审金额上限") == 0:
            raise RuleError("快审金额上限须为正数")
        unknown = (set(self.triggers) - set(FAST_TRACK_TRIGGERS)) | (
            set(self.exclusions) - set(FAST_TRACK_EXCLUSIONS)
        )
        if unknown:
            raise RuleError(f"未知的快审条件：{', '.join(sorted(unknown))}")
        if not self.triggers:
            raise RuleError("快审配置至少须有一项适用情形")


HUBEI_FAST_TRACK = FastTrackProfile(
    name="湖北示例：破产案件简化审理（湖北高院2021年指引，部分情形待核实，可按法院配置）"
)


@dataclass(frozen=True)
class FastTrackFacts:
    """The facts of a case that the fast-track profile looks at."""

    acceptance_date: date
    creditor_count: int
    claims_total: Decimal
    assets_total: Decimal
    pending_proceedings: bool  # litigation or arbitration involving the debtor still pending
    books_taken_over: bool  # the administrator has taken over the books and records
    assets_liquidation: Decimal | None = None  # free assets' liquidation value (assessment)
    costs_estimate: Decimal | None = None  # estimated bankruptcy costs (Art.41)
    enforcement_transfer: bool = False  # 执转破: sent from enforcement after 终结本次执行
    licence_revoked: bool = False  # business licence revoked, not liquidated
    forced_liquidation_done: bool = False  # after 强制清算, assets and debts confirmed
    parties_agree: bool = False  # petitioner, debtor and main creditors agree
    assets_hard_to_realise: bool = False
    special_debtor: bool = False  # listed company, financial institution, consolidation
    stability_risk: bool = False


@dataclass(frozen=True)
class FastTrackCheck:
    """One trigger or exclusion: its key and label, whether it applies, the finding."""

    key: str
    label: str
    source: str
    applies: bool
    finding: str


@dataclass(frozen=True)
class FastTrackResult:
    """Eligibility, the reasons (the unmet conditions, or all met ones), the time limit, and
    every trigger and exclusion of the profile with whether it applied."""

    eligible: bool
    reasons: tuple[str, ...]
    deadline: date
    triggers: tuple[FastTrackCheck, ...] = ()
    exclusions: tuple[FastTrackCheck, ...] = ()


def _no_assets(facts: FastTrackFacts) -> tuple[bool, str]:
    if facts.assets_total == 0:
        return True, "债务人无财产（资产总额 0 元）"
    free, costs = facts.assets_liquidation, facts.costs_estimate
    if free is None or costs is None:
        return False, "未评估清算价值与破产费用"
    if free < costs:
        return True, f"无担保财产清算价值 {free} 元，不足以支付预计破产费用 {costs} 元"
    return False, f"无担保财产清算价值 {free} 元，足以支付预计破产费用 {costs} 元"


def _fast_track_trigger(key: str, profile: FastTrackProfile, facts: FastTrackFacts):
    if key == "few_and_small":
        count, most = facts.creditor_count, profile.max_creditors
        claims, assets, limit = facts.claims_total, facts.assets_total, profile.max_amount
        few, small = count < most, claims < limit or assets < limit
        return few and small, (
            f"债权人 {count} 人，{'少于' if few else '不少于'} {most} 人；"
            f"债权总额 {claims} 元、资产总额 {assets} 元，"
            + (f"至少一项低于 {limit} 元" if small else f"均不低于 {limit} 元")
        )
    if key == "no_assets":
        return _no_assets(facts)
    flag = getattr(facts, key)
    label = FAST_TRACK_TRIGGERS[key][0]
    return flag, label if flag else f"非“{label}”情形"


def _fast_track_exclusion(key: str, facts: FastTrackFacts):
    label = FAST_TRACK_EXCLUSIONS[key][0]
    if key == "pending_proceedings":
        pending = facts.pending_proceedings
        return pending, "存在未决诉讼或仲裁" if pending else "无未决诉讼或仲裁"
    if key == "books_not_taken_over":
        taken = facts.books_taken_over
        return not taken, "已接管债务人账册" if taken else "未能接管债务人账册"
    flag = getattr(facts, key)
    return flag, label if flag else f"无“{label}”情形"


def fast_track_checks(
    profile: FastTrackProfile, facts: FastTrackFacts
) -> tuple[tuple[FastTrackCheck, ...], tuple[FastTrackCheck, ...]]:
    """Every trigger and every exclusion of the profile, with whether it applies.

    湖北省高级人民法院 简化审理工作指引（试行）(2021) and comparable guides; see
    ``FAST_TRACK_TRIGGERS`` for which are verified.
    """
    triggers = tuple(
        FastTrackCheck(key, label, source, *_fast_track_trigger(key, profile, facts))
        for key, (label, source) in FAST_TRACK_TRIGGERS.items()
        if key in profile.triggers
    )
    exclusions = tuple(
        FastTrackCheck(key, label, source, *_fast_track_exclusion(key, facts))
        for key, (label, source) in FAST_TRACK_EXCLUSIONS.items()
        if key in profile.exclusions
    )
    return triggers, exclusions


def fast_track_assessment(
    profile: FastTrackProfile,
    facts: FastTrackFacts,
    *,
    next_working_day: NextWorkingDay | None = None,
) -> FastTrackResult:
    """Whether a case falls under the profile's mandatory fast track, and its time limit.

    湖北省高级人民法院 简化审理工作指引（试行）(2021; SPC 法发〔2020〕14号 via local guides):
    eligible when at least one trigger applies and no exclusion does. ``reasons`` lists, when
    not eligible, every trigger's negative finding (if none applied) and the exclusions that
    apply; otherwise the triggers that applied and the exclusions that did not. ``deadline``
    is the time limit counted from acceptance (``time_limit_months``, no extension).
    """
    if facts.creditor_count < 0:
        raise RuleError(f"债权人人数不能为负数：{facts.creditor_count}")
    _money(facts.claims_total, "债权总额")
    _money(facts.assets_total, "资产总额")
    for value, what in ((facts.assets_liquidation, "清算价值"), (facts.costs_estimate, "破产费用")):
        if value is not None:
            _money(value, what)
    triggers, exclusions = fast_track_checks(profile, facts)
    met = tuple(c.finding for c in triggers if c.applies)
    barred = tuple(c.finding for c in exclusions if c.applies)
    eligible = bool(met) and not barred
    if eligible:
        reasons = met + tuple(c.finding for c in exclusions)
    else:
        reasons = (() if met else tuple(c.finding for c in triggers)) + barred
    return FastTrackResult(
        eligible=eligible,
        reasons=reasons,
        deadline=fast_track_deadline(
            profile, facts.acceptance_date, next_working_day=next_working_day
        ),
        triggers=triggers,
        exclusions=exclusions,
    )


def fast_track_deadline(
    profile: FastTrackProfile,
    acceptance: date,
    *,
    extension_months: int = 0,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """Last day of the fast-track time limit, counted in months from acceptance.

    Fast-track profile (SPC 法发〔2020〕14号 via local guides): Hubei example 6 months, no
    extension; an extension on a profile that forbids it raises ``RuleError``.
    """
    if extension_months < 0 or (extension_months and not profile.extension_allowed):
        raise RuleError(f"{profile.name}的审理期限不得延长")
    months = profile.time_limit_months + extension_months
    return month_period_end(acceptance, months, next_working_day=next_working_day)


def fast_track_ruling_due(
    profile: FastTrackProfile,
    conditions_met: date,
    *,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """The ruling is due within the profile's working days (Hubei: 5) once conditions are met.

    Fast-track profile (SPC 法发〔2020〕14号 via local guides); see ``working_days_after``.
    """
    return working_days_after(
        conditions_met, profile.ruling_working_days, next_working_day=next_working_day
    )


# --------------------------------------------------------------------------------------------
# Simulated liquidation (企业破产法 Art.43, 109, 110, 113)
# --------------------------------------------------------------------------------------------

SECURED = "secured"
COSTS = "costs"
COMMON_BENEFIT = "common_benefit"
EMPLOYEE = "employee"
SOCIAL_INSURANCE_TAX = "social_insurance_tax"
ORDINARY_CLAIMS = "ordinary"
SUBORDINATED = "subordinated"
RANK_LABELS = {
    SECURED: "有财产担保债权（就担保物）",
    COSTS: "破产费用",
    COMMON_BENEFIT: "共益债务",
    EMPLOYEE: "职工债权",
    SOCIAL_INSURANCE_TAX: "社会保险费用和税款",
    ORDINARY_CLAIMS: "普通债权",
    SUBORDINATED: "劣后债权",
}


# A claim's nature (`models.Claim.Nature`) as the liquidation order sees it.
TAX_LATE_FEE = "tax_late_fee"
PENALTY = "penalty"
COURT_SUBORDINATED = "court_subordinated"
CLAIM_RANKS = ("ordinary", "employee", "tax_social")


def liquidation_class(rank: str, nature: str = "") -> str:
    """The Art.113 class a claim is paid in, from its rank and nature.

    - Tax late fees (税款滞纳金) are ordinary claims, not with the tax (最高人民法院《关于税务
      机关就破产企业欠缴税款产生的滞纳金提起的债权确认之诉应否受理问题的批复》法释〔2012〕9号;
      法〔2018〕53号 §28), whatever rank they were filed under.
    - Fines, penalties and claims the court orders subordinated are paid after the ordinary
      claims (劣后债权, 法〔2018〕53号 §28: 破产财产依照企业破产法第一百一十三条规定的顺序清偿后
      仍有剩余的，可依次用于清偿……行政罚款、刑事罚金等惩罚性债权).
    - Otherwise employee claims (Art.113 para.1 item 1), social insurance and taxes (item 2),
      ordinary claims (item 3).
    """
    if rank not in CLAIM_RANKS:
        raise RuleError(f"未知的债权性质：{rank!r}")
    if nature == TAX_LATE_FEE:
        return ORDINARY_CLAIMS
    if nature in (PENALTY, COURT_SUBORDINATED):
        return SUBORDINATED
    if nature:
        raise RuleError(f"未知的债权细分：{nature!r}")
    return {"ordinary": ORDINARY_CLAIMS, "employee": EMPLOYEE, "tax_social": SOCIAL_INSURANCE_TAX}[
        rank
    ]


def senior_manager_wage_split(
    amount: Decimal, average_monthly_wage: Decimal, months: Decimal
) -> tuple[Decimal, Decimal]:
    """Split a director's, supervisor's or senior manager's wage claim: (employee class,
    ordinary) (企业破产法 Art.113 para.3: 破产企业的董事、监事和高级管理人员的工资按照该企业
    职工的平均工资计算).

    The employee-class part is the wage for the months owed at the firm's average monthly wage
    (rounded down to the cent), at most the claim; the rest is an ordinary claim. A claim at or
    below the average is wholly in the employee class; one cent above it, that cent is ordinary.
    """
    claim = _money(amount, "董事、监事和高级管理人员的工资债权")
    average = _money(average_monthly_wage, "职工月平均工资")
    if isinstance(months, bool) or not isinstance(months, Decimal) or not months.is_finite():
        raise RuleError(f"欠薪月数必须是有限的 Decimal：{months!r}")
    if months <= 0:
        raise RuleError(f"欠薪月数须为正数：{months}")
    cap = (average * months).quantize(CENT, rounding=ROUND_DOWN)
    employee = min(claim, cap)
    return employee, claim - employee


@dataclass(frozen=True)
class SecuredClaim:
    """A secured claim and the net liquidation value of its own collateral.

    Several charges on one asset are entered with the value available to each after prior ones.
    """

    creditor_id: str
    amount: Decimal
    collateral_value: Decimal


@dataclass(frozen=True)
class LiquidationInput:
    """What the estate would realise in a liquidation, and the claims on it, in cents.

    ``free_assets`` is the liquidation value of the unencumbered assets. Each mapping goes from
    claimant id to amount; the same id in several ranks is the same claimant.
    """

    free_assets: Decimal
    secured: Sequence[SecuredClaim] = ()
    costs: Mapping[str, Decimal] = field(default_factory=dict)
    common_benefit_debts: Mapping[str, Decimal] = field(default_factory=dict)
    employee_claims: Mapping[str, Decimal] = field(default_factory=dict)
    social_insurance_and_taxes: Mapping[str, Decimal] = field(default_factory=dict)
    ordinary_claims: Mapping[str, Decimal] = field(default_factory=dict)
    subordinated_claims: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class RankOutcome:
    """Totals of one rank: claims, amount paid, rate (4 places, ``None`` with no claims)."""

    rank: str
    label: str
    claims: Decimal
    paid: Decimal
    rate: Decimal | None


@dataclass(frozen=True)
class CreditorOutcome:
    """One claimant's total claim (all ranks), what it recovers and from where, and its rate."""

    creditor_id: str
    claim: Decimal
    from_collateral: Decimal
    from_estate: Decimal
    recovery: Decimal
    rate: Decimal | None


@dataclass(frozen=True)
class Liquidation:
    """Result of the simulated liquidation.

    ``estate`` = free assets + collateral surplus; ``leftover`` is what remains after every rank
    is paid in full (returned to the shareholders, 0 when any claim is short).
    """

    estate: Decimal
    collateral_surplus: Decimal
    ranks: tuple[RankOutcome, ...]
    creditors: Mapping[str, CreditorOutcome]
    leftover: Decimal


def _realise_collateral(
    secured: Sequence[SecuredClaim],
) -> tuple[list[tuple[str, Decimal]], dict[str, Decimal], Decimal]:
    """Pay each secured claim from its collateral (Art.109); return payments, deficiencies, surplus.

    The unpaid part of a secured claim becomes an ordinary claim (Art.110); collateral value above
    the claim joins the general estate.
    """
    payments: list[tuple[str, Decimal]] = []
    deficiencies: dict[str, Decimal] = {}
    surplus = ZERO
    for claim in secured:
        amount = _money(claim.amount, f"有财产担保债权额（{claim.creditor_id}）")
        value = _money(claim.collateral_value, f"担保物清算价值（{claim.creditor_id}）")
        paid = min(amount, value)
        payments.append((claim.creditor_id, paid))
        surplus += value - paid
        if amount > paid:
            deficiencies[claim.creditor_id] = (
                deficiencies.get(claim.creditor_id, ZERO) + amount - paid
            )
    return payments, deficiencies, surplus


def _merge(claims: Mapping[str, Decimal], extra: Mapping[str, Decimal]) -> dict[str, Decimal]:
    merged = dict(claims)
    for key, amount in extra.items():
        merged[key] = merged.get(key, ZERO) + amount
    return merged


def _rank_outcome(rank: str, claims: Iterable[Decimal], paid: Iterable[Decimal]) -> RankOutcome:
    claimed, paid_total = _total(claims), _total(paid)
    return RankOutcome(rank, RANK_LABELS[rank], claimed, paid_total, ratio(paid_total, claimed))


def simulate_liquidation(data: LiquidationInput) -> Liquidation:
    """Distribute a liquidation by the statutory order (企业破产法 Art.43, 109, 110, 113).

    1. Secured claims are paid from their own collateral (Art.109); an unpaid remainder becomes an
       ordinary claim of the same creditor (Art.110); surplus collateral value joins the estate.
    2. The estate pays, in order: bankruptcy costs, then common-benefit debts (Art.43 paras.1-2:
       costs first when both cannot be paid), employee claims (Art.113 para.1 item 1), other
       social insurance contributions and taxes (item 2), ordinary claims (item 3), then
       subordinated claims (劣后债权: fines, penalties and claims the court orders subordinated,
       全国法院破产审判工作会议纪要 法〔2018〕53号 §28), which get something only once every
       ordinary claim is paid in full. See ``liquidation_class`` for where a claim goes.
    3. A rank that cannot be paid in full is paid pro rata (Art.43 para.3, Art.113 para.2) and
       later ranks get nothing; cents by the largest-remainder method (see ``pro_rata``).
    """
    free_assets = _money(data.free_assets, "无担保财产清算价值")
    collateral_payments, deficiencies, surplus = _realise_collateral(data.secured)
    ranks = [
        (COSTS, _money_map(data.costs, "破产费用")),
        (COMMON_BENEFIT, _money_map(data.common_benefit_debts, "共益债务")),
        (EMPLOYEE, _money_map(data.employee_claims, "职工债权")),
        (SOCIAL_INSURANCE_TAX, _money_map(data.social_insurance_and_taxes, "社会保险费用和税款")),
        (ORDINARY_CLAIMS, _merge(_money_map(data.ordinary_claims, "普通债权"), deficiencies)),
    ]
    if data.subordinated_claims:  # the rank is listed only when there are such claims
        ranks.append((SUBORDINATED, _money_map(data.subordinated_claims, "劣后债权")))
    estate = free_assets + surplus
    remaining = estate
    distributed: list[tuple[str, dict[str, Decimal], dict[str, Decimal]]] = []
    for rank, claims in ranks:
        paid = pro_rata(claims, remaining)
        remaining -= _total(paid.values())
        distributed.append((rank, claims, paid))
    secured_rank = _rank_outcome(
        SECURED,
        (claim.amount for claim in data.secured),
        (paid for _, paid in collateral_payments),
    )
    estate_ranks = (
        _rank_outcome(rank, claims.values(), paid.values()) for rank, claims, paid in distributed
    )
    return Liquidation(
        estate=estate,
        collateral_surplus=surplus,
        ranks=(secured_rank, *estate_ranks),
        creditors=_creditor_outcomes(collateral_payments, distributed),
        leftover=remaining,
    )


def _creditor_outcomes(
    collateral_payments: Sequence[tuple[str, Decimal]],
    distributed: Sequence[tuple[str, Mapping[str, Decimal], Mapping[str, Decimal]]],
) -> dict[str, CreditorOutcome]:
    """Per claimant totals; a secured claim counts once (covered part + ordinary deficiency)."""
    claim: dict[str, Decimal] = defaultdict(lambda: ZERO)
    from_collateral: dict[str, Decimal] = defaultdict(lambda: ZERO)
    from_estate: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for creditor_id, paid in collateral_payments:
        claim[creditor_id] += paid
        from_collateral[creditor_id] += paid
    for _, claims, paid in distributed:
        for creditor_id, amount in claims.items():
            claim[creditor_id] += amount
            from_estate[creditor_id] += paid[creditor_id]
    return {
        creditor_id: CreditorOutcome(
            creditor_id=creditor_id,
            claim=total,
            from_collateral=from_collateral[creditor_id],
            from_estate=from_estate[creditor_id],
            recovery=from_collateral[creditor_id] + from_estate[creditor_id],
            rate=ratio(from_collateral[creditor_id] + from_estate[creditor_id], total),
        )
        for creditor_id, total in claim.items()
    }


# --------------------------------------------------------------------------------------------
# The administrator's fee (最高人民法院《关于审理企业破产案件确定管理人报酬的规定》法释〔2007〕9号)
# --------------------------------------------------------------------------------------------

# Art.2 para.1: (upper end of the bracket in yuan, inclusive; None = no end), upper limit of
# the rate on the part of the value within the bracket.
ADMINISTRATOR_FEE_BRACKETS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal("1000000"), Decimal("0.12")),
    (Decimal("5000000"), Decimal("0.10")),
    (Decimal("10000000"), Decimal("0.08")),
    (Decimal("50000000"), Decimal("0.06")),
    (Decimal("100000000"), Decimal("0.03")),
    (Decimal("500000000"), Decimal("0.01")),
    (None, Decimal("0.005")),
)
LOCAL_FLOAT_LIMIT = Fraction(3, 10)


@dataclass(frozen=True)
class AdministratorFee:
    """The fee on ``base`` (the value finally distributed): ``cap`` is the sum of each
    bracket's part at its upper-limit rate (the most the court may award), ``fee`` the fee at
    the court's rate (the cap when none is set), ``rate`` = fee ÷ base (4 places, None on 0)."""

    base: Decimal
    cap: Decimal
    fee: Decimal
    rate: Decimal | None
    court_rate: Decimal | None


def administrator_fee_cap(base: Decimal, *, local_float: Fraction = Fraction(0)) -> Decimal:
    """The most the court may award the administrator on a distributed value of ``base``.

    SPC《关于审理企业破产案件确定管理人报酬的规定》Art.2 para.1: by brackets of the value of
    the debtor's property finally used to pay creditors — up to 1 million (inclusive) at most
    12 %, the part above 1 up to 5 million at most 10 %, 5–10 million 8 %, 10–50 million 6 %,
    50–100 million 3 %, 100–500 million 1 %, above 500 million 0.5 %. Para.2: the value of
    collateral paid to its secured creditor is not part of ``base`` (the caller leaves it out).
    Para.3: a high people's court may float the limits by up to 30 % (``local_float`` between
    -3/10 and 3/10). Rounded down to the cent (never above the limit).
    """
    value = _money(base, "管理人报酬计酬基数")
    if not -LOCAL_FLOAT_LIMIT <= Fraction(local_float) <= LOCAL_FLOAT_LIMIT:
        raise RuleError("高级人民法院调整报酬比例限制的浮动范围不得超过30%（第2条第3款）")
    total = Fraction(0)
    lower = Decimal(0)
    for upper, rate in ADMINISTRATOR_FEE_BRACKETS:
        top = value if upper is None else min(value, upper)
        if top > lower:
            total += Fraction(top - lower) * Fraction(rate)
        if upper is None or value <= upper:
            break
        lower = upper
    total *= 1 + Fraction(local_float)
    return _cents(math.floor(total * 100))


def administrator_fee(
    base: Decimal, court_rate: Decimal | None = None, *, local_float: Fraction = Fraction(0)
) -> AdministratorFee:
    """The administrator's fee as a cost of a path (SPC 管理人报酬规定 Art.2; Art.9 lets the court
    fix and adjust it within the limits). ``court_rate`` is the percentage of ``base`` the court
    fixed (0–100); the fee may not exceed ``administrator_fee_cap`` (RuleError). Without a rate
    the fee is the cap, the highest cost the path can bear. Rounded down to the cent."""
    cap = administrator_fee_cap(base, local_float=local_float)
    if court_rate is None:
        fee = cap
    else:
        if (
            isinstance(court_rate, bool)
            or not isinstance(court_rate, Decimal)
            or not court_rate.is_finite()
            or not ZERO <= court_rate <= HUNDRED
        ):
            raise RuleError(f"管理人报酬比例应在 0 至 100 之间：{court_rate!r}")
        fee = (base * court_rate / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
        if fee > cap:
            raise RuleError(
                f"按 {court_rate}% 计算的管理人报酬 {fee} 元超过规定第2条的上限 {cap} 元"
            )
    return AdministratorFee(
        base=base, cap=cap, fee=fee, rate=ratio(fee, base), court_rate=court_rate
    )


@dataclass(frozen=True)
class ComparisonRow:
    """One creditor under the draft agreement versus the simulated liquidation.

    ``better_off`` is True only when the agreement pays strictly more; ``difference`` is
    agreement minus liquidation (negative: the creditor would lose by agreeing).
    """

    creditor_id: str
    claim: Decimal
    liquidation_recovery: Decimal
    agreement_recovery: Decimal
    better_off: bool
    difference: Decimal


def compare_with_agreement(
    liquidation: Liquidation, agreement_offers: Mapping[str, Decimal]
) -> tuple[ComparisonRow, ...]:
    """Creditor-by-creditor "better off?" table of a draft agreement (企业破产法 Art.97, 113).

    The economic-impact assessment's comparison: each offered creditor's total recovery in the
    simulated liquidation (Art.113) against the nominal, undiscounted total it would receive
    under the draft agreement (including anything from its own collateral). Rows follow the order
    of ``agreement_offers``. An offer to an unknown creditor or above its claim raises
    ``RuleError``.
    """
    rows = []
    for creditor_id, offer in agreement_offers.items():
        outcome = liquidation.creditors.get(creditor_id)
        if outcome is None:
            raise RuleError(f"模拟清算中没有该债权人：{creditor_id}")
        offered = _money(offer, f"和解协议清偿额（{creditor_id}）")
        if offered > outcome.claim:
            raise RuleError(f"和解协议清偿额 {offered} 超过债权额 {outcome.claim}（{creditor_id}）")
        rows.append(
            ComparisonRow(
                creditor_id=creditor_id,
                claim=outcome.claim,
                liquidation_recovery=outcome.recovery,
                agreement_recovery=offered,
                better_off=offered > outcome.recovery,
                difference=offered - outcome.recovery,
            )
        )
    return tuple(rows)


# --------------------------------------------------------------------------------------------
# Repayment rates (figures for the court and the brief)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepaymentLine:
    """One creditor under an approved agreement: confirmed unsecured claim, agreed, paid so far.

    ``tier`` names the agreement's class for this creditor (e.g. "5万元以下"), if it has tiers.
    """

    creditor_id: str
    confirmed_unsecured: Decimal
    agreed: Decimal
    paid: Decimal
    tier: str | None = None


@dataclass(frozen=True)
class RepaymentRates:
    """Totals and rates: nominal = agreed / confirmed, realised = paid / confirmed (4 places)."""

    confirmed_total: Decimal
    agreed_total: Decimal
    paid_total: Decimal
    nominal: Decimal | None
    realised: Decimal | None


def _validated_line(line: RepaymentLine) -> RepaymentLine:
    confirmed = _money(line.confirmed_unsecured, f"确认的无财产担保债权额（{line.creditor_id}）")
    agreed = _money(line.agreed, f"和解协议清偿额（{line.creditor_id}）")
    paid = _money(line.paid, f"已清偿额（{line.creditor_id}）")
    if agreed > confirmed:
        raise RuleError(f"和解协议清偿额 {agreed} 超过确认债权额 {confirmed}（{line.creditor_id}）")
    if paid > agreed:
        raise RuleError(f"已清偿额 {paid} 超过和解协议清偿额 {agreed}（{line.creditor_id}）")
    return line


def repayment_rates(lines: Iterable[RepaymentLine]) -> RepaymentRates:
    """Nominal and realised repayment rates over the given lines (债权清偿率).

    Basis (design "Formulas"; 企业破产法 Art.100 binds all unsecured claims): nominal =
    Σ agreed / Σ confirmed unsecured claims; realised = Σ paid / Σ confirmed unsecured claims;
    each a ``Decimal`` rounded half-up to 4 places, ``None`` when nothing is confirmed. Pass one
    line for a creditor's own rates.
    """
    checked = [_validated_line(line) for line in lines]
    confirmed = _total(line.confirmed_unsecured for line in checked)
    agreed = _total(line.agreed for line in checked)
    paid = _total(line.paid for line in checked)
    return RepaymentRates(confirmed, agreed, paid, ratio(agreed, confirmed), ratio(paid, confirmed))


def repayment_rates_by_tier(lines: Iterable[RepaymentLine]) -> dict[str | None, RepaymentRates]:
    """``repayment_rates`` per agreement tier (key ``None`` for lines without a tier): the
    rates of each class of terms of one agreement (企业破产法 Art.100: every unsecured claim is
    bound at the agreement's terms, so each tier's rate is over its confirmed claims)."""
    groups: dict[str | None, list[RepaymentLine]] = defaultdict(list)
    for line in lines:
        groups[line.tier].append(line)
    return {tier: repayment_rates(group) for tier, group in groups.items()}


# --------------------------------------------------------------------------------------------
# A draft agreement's offers (Art.95), uniform or with a small-claims tier
# --------------------------------------------------------------------------------------------

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class OfferPlan:
    """How a draft agreement pays the confirmed unsecured claims.

    ``rate``: the percentage paid (0–100). ``paid_in_full_up_to``: a small-claims tier — a claim
    up to this amount is paid in full; ``None``: no such tier. ``progressive`` (with the tier):
    every larger claim also gets its first ``paid_in_full_up_to`` in full and ``rate`` on the
    rest, so no claim just above the line gets less than one on it; otherwise a larger claim
    gets ``rate`` on the whole of it.
    """

    rate: Decimal
    paid_in_full_up_to: Decimal | None = None
    progressive: bool = True


@dataclass(frozen=True)
class Offer:
    amount: Decimal
    tier: str


def _plan_checked(plan: OfferPlan) -> OfferPlan:
    rate = plan.rate
    if isinstance(rate, bool) or not isinstance(rate, Decimal) or not rate.is_finite():
        raise RuleError(f"清偿比例必须是有限的 Decimal：{rate!r}")
    if not ZERO <= rate <= HUNDRED:
        raise RuleError(f"清偿比例应在 0 至 100 之间：{rate}")
    if plan.paid_in_full_up_to is not None:
        if _money(plan.paid_in_full_up_to, "小额债权全额清偿上限") == 0:
            raise RuleError("小额债权全额清偿上限必须大于零")
        if rate == HUNDRED:
            raise RuleError("统一全额清偿时无需设置小额债权档")
    return plan


def _yuan(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def offer_tiers(plan: OfferPlan) -> tuple[str, str]:
    """The tier labels of a plan: (small claims, the others); equal without a small tier
    (企业破产法 Art.95: the draft states how the claims are paid; each term records its tier)."""
    rate = _yuan(_plan_checked(plan).rate)
    line = plan.paid_in_full_up_to
    if line is None:
        return (f"统一清偿{rate}%",) * 2
    small = f"小额债权全额清偿（{_yuan(line)}元以下）"
    if plan.progressive:
        return small, f"{_yuan(line)}元以下部分全额、超出部分按{rate}%清偿"
    return small, f"超过{_yuan(line)}元的债权按{rate}%清偿"


def draft_offers(claims: Mapping[str, Decimal], plan: OfferPlan) -> dict[str, Offer]:
    """What a draft agreement offers each creditor on its confirmed unsecured claim.

    企业破产法 Art.95 (the debtor's draft) and Art.100 (an approved agreement binds every
    unsecured creditor, so each one with a confirmed unsecured claim gets a term; a zero claim
    gets none). Amounts are rounded down to the cent, so the draft never promises more than the
    plan says; a claim up to the small-claims line is paid in full exactly (see ``OfferPlan``).
    """
    _plan_checked(plan)
    small_label, other_label = offer_tiers(plan)
    line = plan.paid_in_full_up_to
    share = plan.rate / HUNDRED
    offers = {}
    for key, claim in _money_map(claims, "确认的无财产担保债权额").items():
        if claim == 0:
            continue
        if line is not None and claim <= line:
            offers[key] = Offer(claim, small_label)
            continue
        base = line if (line is not None and plan.progressive) else ZERO
        exact = base + (claim - base) * share
        offers[key] = Offer(exact.quantize(CENT, rounding=ROUND_DOWN), other_label)
    return offers


# --------------------------------------------------------------------------------------------
# When claims are no longer filed in the case (Art.98, Art.100(3), Art.105)
# --------------------------------------------------------------------------------------------

# `models.Agreement.Status` values of an agreement the court has approved and that is in force.
AGREEMENT_IN_FORCE = frozenset({"approved", "completed"})


def claims_closed_by(agreements: Iterable[tuple[str, str]]) -> str | None:
    """The kind ("court" or "self_settlement") of the agreement that ended the filing of
    claims in the case, or None while claims are still filed; ``agreements`` are (kind,
    status) pairs.

    企业破产法 Art.98: approving a reconciliation agreement, the court terminates the
    reconciliation procedure; Art.105: approving an out-of-court settlement, it ends the
    case. Either way nothing more is filed in it: under Art.100(3) a reconciliation creditor
    who did not file may not exercise its rights while the agreement is performed and, once it
    is, may claim on the agreement's terms from the debtor. An agreement terminated (Art.104)
    or ruled void (Art.103) sends the case to liquidation, where claims are filed again
    (late ones, Art.56), so it ends nothing.
    """
    for kind, status in agreements:
        if status in AGREEMENT_IN_FORCE:
            return kind
    return None


# --------------------------------------------------------------------------------------------
# Termination of an agreement (Art.104) and out-of-court settlement (Art.105)
# --------------------------------------------------------------------------------------------


def _percentage(received: Decimal, claim: Decimal) -> Fraction:
    return Fraction(received) / Fraction(claim)


def _water_level(
    claims: Mapping[str, Decimal], received: Mapping[str, Decimal], amount: Fraction
) -> Fraction:
    """The common percentage of the original claim that ``amount`` tops everyone up to (max 1).

    Creditors are taken from the lowest percentage up; at each step the group is raised towards
    the next creditor's percentage until the amount runs out.
    """
    order = sorted(claims, key=lambda key: _percentage(received[key], claims[key]))
    claim_sum = got_sum = Fraction(0)
    for index, key in enumerate(order):
        claim_sum += Fraction(claims[key])
        got_sum += Fraction(received[key])
        following = order[index + 1 : index + 2]
        ceiling = _percentage(received[following[0]], claims[following[0]]) if following else 1
        if claim_sum * ceiling - got_sum >= amount:
            return (amount + got_sum) / claim_sum
    return Fraction(1)


def _claims_and_received(
    original_claims: Mapping[str, Decimal], received: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Validated inputs of the Art.103 and Art.104 settlements: positive claims in cents, and
    what each creditor received (0 when absent), never more than its claim."""
    claims = _money_map(original_claims, "原确认债权额")
    for creditor_id, claim in claims.items():
        if claim == 0:
            raise RuleError(f"原确认债权额须为正数（{creditor_id}）")
    unknown = set(received) - set(claims)
    if unknown:
        raise RuleError(f"已受偿债权人不在债权名单中：{', '.join(sorted(unknown))}")
    got = {key: _money(received.get(key, ZERO), f"已受偿额（{key}）") for key in claims}
    for creditor_id, amount in got.items():
        if amount > claims[creditor_id]:
            raise RuleError(f"已受偿额 {amount} 超过原确认债权额（{creditor_id}）")
    return claims, got


def art104_equalise(
    original_claims: Mapping[str, Decimal],
    received: Mapping[str, Decimal],
    distributable: Decimal,
) -> dict[str, Decimal]:
    """Share one class's distribution after a reconciliation agreement is terminated.

    企业破产法 Art.104 para.2–3: on termination the concessions lapse, payments received under
    the agreement stay, and the unpaid rest (original confirmed claim minus received) is a
    bankruptcy claim; a creditor that was paid shares further only once the others of the
    class have reached the same percentage. So ``distributable`` (the amount for this class)
    first tops up the creditors with the lowest percentage of their original claim until all
    are level, then all rise together, i.e. pro rata to the original claims, up to 100%
    (water-filling). A creditor of the liquidation that took nothing under the agreement
    (a new creditor, or one that did not file in time) is simply one with 0 received.

    Returns each creditor's share in cents (largest-remainder rounding), adding up to
    ``distributable``, or to the total unpaid rest when that is smaller. ``received`` may omit
    creditors that received nothing.
    """
    claims, got = _claims_and_received(original_claims, received)
    level = _water_level(claims, got, Fraction(_money(distributable, "可分配金额")))
    exact = {
        key: max(Fraction(0), level * Fraction(claims[key]) - Fraction(got[key])) for key in claims
    }
    return _allocate_cents(exact)


# The Art.113 classes that follow costs and common-benefit debts, in the order they are paid;
# subordinated claims last (法〔2018〕53号 §28).
ART104_CLASSES = (EMPLOYEE, SOCIAL_INSURANCE_TAX, ORDINARY_CLAIMS, SUBORDINATED)


@dataclass(frozen=True)
class Art104Claim:
    """A creditor's claim of one class in the liquidation after termination: the original
    amount (the agreement's concessions lapsed, Art.104 para.2) and what it received under the
    agreement towards it (0 for a creditor that had no term: a new creditor of the
    liquidation)."""

    creditor: str
    rank: str
    amount: Decimal
    received: Decimal = ZERO


@dataclass(frozen=True)
class Art104Distribution:
    """Per class: each creditor's share and the common percentage the class reached (received
    and shared together, ROUND_HALF_UP to 4 places); per creditor the total share; what is left
    once every class is paid in full."""

    by_class: dict[str, dict[str, Decimal]]
    levels: dict[str, Decimal]
    shares: dict[str, Decimal]
    left_over: Decimal


def art104_distribution(
    claims: Sequence[Art104Claim], distributable: Decimal
) -> Art104Distribution:
    """Distribute the estate after an agreement is terminated, class by class.

    企业破产法 Art.104 para.2–3 within the Art.113 order: ``distributable`` (what remains for
    claims after secured claims on their collateral, costs and common-benefit debts) goes to
    the employee class first, then social insurance and taxes, then ordinary claims, then
    subordinated claims (法〔2018〕53号 §28); a class is paid in full before the next gets
    anything, and within a class ``art104_equalise`` applies: what a reconciliation creditor
    received under the agreement is kept, and it shares further only once the other creditors
    of the class — the new creditors of the liquidation included, who received nothing — have
    reached the same percentage. One creditor may hold claims in several classes; its receipts
    are given per class by the caller (payments under an agreement go first to the employee
    and tax claims it pays in full, Art.113).
    """
    available = _money(distributable, "可分配金额")
    grouped: dict[str, dict[str, Decimal]] = {rank: {} for rank in ART104_CLASSES}
    got: dict[str, dict[str, Decimal]] = {rank: {} for rank in ART104_CLASSES}
    for claim in claims:
        if claim.rank not in grouped:
            raise RuleError(f"未知的清偿顺序：{claim.rank}")
        if claim.creditor in grouped[claim.rank]:
            raise RuleError(f"同一债权人在同一顺序中重复列示：{claim.creditor}")
        grouped[claim.rank][claim.creditor] = claim.amount
        got[claim.rank][claim.creditor] = claim.received
    by_class: dict[str, dict[str, Decimal]] = {}
    levels: dict[str, Decimal] = {}
    shares: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for rank in ART104_CLASSES:
        if not grouped[rank]:
            continue
        amounts, received = _claims_and_received(grouped[rank], got[rank])
        unpaid = _total(amounts.values()) - _total(received.values())
        share = art104_equalise(amounts, received, min(available, unpaid))
        available -= _total(share.values())
        by_class[rank] = share
        final = _total(received.values()) + _total(share.values())
        levels[rank] = _rate(Fraction(final) / Fraction(_total(amounts.values())))
        for creditor, amount in share.items():
            shares[creditor] += amount
    return Art104Distribution(
        by_class=by_class, levels=levels, shares=dict(shares), left_over=available
    )


@dataclass(frozen=True)
class Art103Settlement:
    """What each creditor ends with when an agreement is void: ``level`` (the common
    percentage of the original claims, ROUND_HALF_UP to 4 places), and per creditor the amount
    still ``to_pay`` from the distribution or ``to_return`` to the estate (one of them is 0)."""

    level: Decimal
    to_pay: dict[str, Decimal]
    to_return: dict[str, Decimal]


def art103_settlement(
    original_claims: Mapping[str, Decimal],
    received: Mapping[str, Decimal],
    distributable: Decimal,
) -> Art103Settlement:
    """Settle the creditors of a reconciliation agreement the court rules void.

    企业破产法 Art.103: an agreement reached by the debtor's fraud or other unlawful act is
    void and the debtor is declared bankrupt; what a creditor received under it is not returned
    **within the percentage the other creditors receive**. So, unlike Art.104 (where a creditor
    paid ahead keeps everything), the excess over the common percentage goes back to the
    estate: the pool is ``distributable`` plus everything received, shared pro rata to the
    original claims (at most 100%); each creditor is topped up to its share or returns what it
    holds above it. Shares are rounded to cents by the largest remainder, so the payments and
    returns balance exactly: Σ to_pay − Σ to_return = ``distributable`` (or the unpaid total
    when every claim is paid in full).
    """
    claims, got = _claims_and_received(original_claims, received)
    pool = Fraction(_money(distributable, "可分配金额")) + Fraction(_total(got.values()))
    level = min(Fraction(1), pool / Fraction(_total(claims.values())))
    final = _allocate_cents({key: level * Fraction(claims[key]) for key in claims})
    return Art103Settlement(
        level=_rate(level),
        to_pay={key: max(ZERO, final[key] - got[key]) for key in claims},
        to_return={key: max(ZERO, got[key] - final[key]) for key in claims},
    )


def self_settlement_valid(all_creditor_ids: Iterable[str], consenting_ids: Iterable[str]) -> bool:
    """Whether an out-of-court settlement has every creditor's consent (企业破产法 Art.105).

    Raises ``RuleError`` when there are no creditors or a consenting id is not a creditor.
    """
    creditors = set(all_creditor_ids)
    consenting = set(consenting_ids)
    if not creditors:
        raise RuleError("债权人名单为空")
    strangers = consenting - creditors
    if strangers:
        raise RuleError(f"同意的一方不在债权人名单中：{', '.join(sorted(strangers))}")
    return consenting == creditors


# --------------------------------------------------------------------------------------------
# Creditors' committee (债权人委员会, Art.67–69; Interp. III Art.13–15)
# --------------------------------------------------------------------------------------------

COMMITTEE_MAX_MEMBERS = 9
COMMITTEE_CREDITOR = "creditor"
COMMITTEE_EMPLOYEE = "employee"  # 债务人的职工代表
COMMITTEE_UNION = "union"  # 工会代表
COMMITTEE_STAFF_KINDS = frozenset({COMMITTEE_EMPLOYEE, COMMITTEE_UNION})
REMOVED_BY_MEETING = "meeting"  # 债权人会议更换 (Art.61 para.1(8))
REMOVED_BY_COURT = "court"  # 人民法院撤销认可 (Art.67 para.2)


def committee_composition_problems(kinds: Sequence[str], *, complete: bool) -> list[str]:
    """What is wrong with a committee of members of these kinds (empty list: nothing).

    企业破产法 Art.67 para.1: the committee consists of the creditors' representatives chosen by
    the creditors' meeting and **one** representative of the debtor's employees or trade
    union; it has **no more than nine** members in all (the employee representative included).
    While the membership is being recorded (``complete=False``) only the limits are checked;
    for the court's approval (Art.67 para.2, ``complete=True``) there must also be at least one
    creditors' representative and exactly one employee or union representative.
    """
    unknown = set(kinds) - {COMMITTEE_CREDITOR} - COMMITTEE_STAFF_KINDS
    if unknown:
        raise RuleError(f"未知的委员类别：{', '.join(sorted(unknown))}")
    creditors = sum(1 for kind in kinds if kind == COMMITTEE_CREDITOR)
    staff = len(kinds) - creditors
    problems = []
    if len(kinds) > COMMITTEE_MAX_MEMBERS:
        problems.append(
            f"债权人委员会成员不得超过{COMMITTEE_MAX_MEMBERS}人（第67条第1款），现为{len(kinds)}人"
        )
    if staff > 1:
        problems.append("职工代表或者工会代表只能有一名（第67条第1款）")
    if complete and staff == 0:
        problems.append("债权人委员会须有一名债务人的职工代表或者工会代表（第67条第1款）")
    if complete and creditors == 0:
        problems.append("债权人委员会须有债权人会议选任的债权人代表（第67条第1款）")
    return problems


@dataclass(frozen=True)
class CommitteeChange:
    """The effect of removing (and perhaps replacing) a member: whether the court's approval
    stands for the membership that remains, and what is wrong with it (empty: nothing)."""

    approval_stands: bool
    problems: tuple[str, ...]


def committee_change(
    kinds: Sequence[str], removed: str, added: str | None, *, removed_by: str
) -> CommitteeChange:
    """Remove a member of kind ``removed`` from a committee of ``kinds`` (and, for a
    replacement, add one of kind ``added``).

    企业破产法 Art.61 para.1(8): the creditors' meeting chooses **and replaces** the committee's
    members (``REMOVED_BY_MEETING``); Art.67 para.2: the members serve with the court's written
    approval, which the court may withdraw for a member (``REMOVED_BY_COURT``; the court does
    not choose a replacement — the meeting does, and the court approves it). The committee must
    stay within Art.67 para.1: no more than nine members, **one** employee or union
    representative (``committee_composition_problems``).

    The approval stands only when no one is added and what remains is still a complete
    committee (at least one creditors' representative and the employee or union
    representative); a new member needs the court's approval (Art.67 para.2), and a committee
    left without its employee representative or without creditors' representatives is not in
    office until it is completed and approved again (Art.69 reports then go to the court).
    ``RuleError`` when a kind is unknown, ``removed`` is not among ``kinds``, or a court tries
    to name a replacement.
    """
    if removed_by not in (REMOVED_BY_MEETING, REMOVED_BY_COURT):
        raise RuleError(f"未知的决定机关：{removed_by!r}")
    if added is not None and removed_by == REMOVED_BY_COURT:
        raise RuleError("接替的委员由债权人会议选任（第61条第1款第8项），法院只作认可")
    remaining = list(kinds)
    if removed not in remaining:
        raise RuleError(f"委员会中没有该类别的委员：{removed!r}")
    remaining.remove(removed)
    if added is not None:
        remaining.append(added)
    limits = committee_composition_problems(remaining, complete=False)
    complete = committee_composition_problems(remaining, complete=True)
    return CommitteeChange(
        approval_stands=added is None and not complete,
        problems=tuple(limits),
    )


@dataclass(frozen=True)
class CommitteeTally:
    """A committee decision's count: members in office, yes, no, abstentions (or absent),
    the votes needed and whether it passed."""

    members: int
    yes: int
    no: int
    abstain: int
    needed: int
    passed: bool


def committee_decision(members: int, votes: Sequence[str]) -> CommitteeTally:
    """Whether the committee has decided a matter.

    最高人民法院《关于适用〈企业破产法〉若干问题的规定（三）》Art.14 para.1: the committee
    decides by a majority of **all** its members (全体成员过半数通过), not of those present —
    with 5 members 3 votes pass and 2 do not; with 4 members 3 pass and 2 (exactly half) do
    not. Members who did not vote count against. ``votes`` are "yes", "no" or "abstain", one per
    voting member.
    """
    if members < 1:
        raise RuleError("债权人委员会没有成员，不能表决")
    if len(votes) > members:
        raise RuleError(f"表决票数 {len(votes)} 多于委员人数 {members}")
    unknown = set(votes) - {"yes", "no", "abstain"}
    if unknown:
        raise RuleError(f"未知的表决意见：{', '.join(sorted(unknown))}")
    yes, no = votes.count("yes"), votes.count("no")
    needed = members // 2 + 1
    return CommitteeTally(
        members=members,
        yes=yes,
        no=no,
        abstain=len(votes) - yes - no,
        needed=needed,
        passed=yes >= needed,
    )


# Art.69 para.1 (1)–(10): the administrator's acts that must be reported in time.
ART69_ACTS: dict[str, str] = {
    "real_property": "涉及土地、房屋等不动产权益的转让",
    "mining_ip": "探矿权、采矿权、知识产权等财产权的转让",
    "inventory_business": "全部库存或者营业的转让",
    "borrowing": "借款",
    "security": "设定财产担保",
    "claims_securities": "债权和有价证券的转让",
    "contracts": "履行债务人和对方当事人均未履行完毕的合同",
    "waiver": "放弃权利",
    "collateral_recovery": "担保物的取回",
    "other_major": "对债权人利益有重大影响的其他财产处分行为",
}
ART69_REPORT_DAYS = 10
REPORT_TO_COMMITTEE = "committee"
REPORT_TO_COURT = "court"


def art69_reported_to(committee_in_office: bool) -> str:
    """To whom the administrator reports an Art.69 act.

    企业破产法 Art.69 para.1: to the creditors' committee; para.2: where no committee has been
    set up, to the court. A committee is in office once the court has approved its membership
    (Art.67 para.2); until then the court receives the reports.
    """
    return REPORT_TO_COMMITTEE if committee_in_office else REPORT_TO_COURT


def art69_report_late(act: str, act_date: date, reported_on: date) -> bool:
    """Whether the report of an Art.69 act came later than the rule allows.

    企业破产法 Art.69 requires the report "in time" (及时); Interp. III Art.15 para.1: the
    administrator reports in writing **ten days before** disposing of the property (提前十日书面报告).
    So a report made on ``act_date`` − 10 days or earlier is in time; nine days before is late.
    ``act`` must be one of ``ART69_ACTS``.
    """
    if act not in ART69_ACTS:
        raise RuleError(f"不是第69条规定的行为：{act}")
    return reported_on > act_date - timedelta(days=ART69_REPORT_DAYS)
