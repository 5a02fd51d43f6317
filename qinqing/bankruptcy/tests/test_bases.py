"""Totals that agree (issue 22): one selector (`selectors.case_bases`) gives the tally, the
agreement page, the assessment and the API the same labelled bases, and an agreeing share of
the unsecured total above 100 % is impossible (Art.59, 64, 97, 110)."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bankruptcy import demo, rules, selectors
from qinqing.bankruptcy.models import AgendaItem, Case, Meeting
from qinqing.bankruptcy.rules import RuleError, Voter

D = Decimal
INVARIANTS = settings(derandomize=True, max_examples=200, deadline=None)


def voter(cid, amount, vote="yes", *, secured=False, waived=False, uncovered="0", present=True):
    return Voter(
        creditor_id=cid,
        amount=D(amount),
        secured=secured,
        waived_priority=waived,
        confirmed=True,
        provisional_amount=None,
        present=present,
        vote=vote if present else None,
        unsecured_part=D(uncovered),
    )


# ------------------------------------------------------------------------------------------
# Rules
# ------------------------------------------------------------------------------------------


def test_the_demo_ordinary_resolution_no_longer_counts_a_covered_secured_claim() -> None:
    """The demo meeting: the bank (1,236,000 secured on collateral worth 1,500,000) voted yes
    with 410,000 of unsecured claims; it was shown as 1,646,000 of 960,000 (171 %)."""
    voters = [
        voter("bank", "1236000.00", secured=True),
        voter("chem", "410000.00"),
        voter("rent", "150000.00", "no"),
        voter("supplier", "320000.00", None, present=False),
        Voter("transport", D("95000.00"), False, False, False, D("80000.00"), False, None),
    ]
    result = rules.tally(rules.ORDINARY, voters)
    assert result.unsecured_total == D("960000.00")
    assert result.yes_amount == D("410000.00")
    assert result.yes_share == Fraction(410000, 960000)
    assert (result.present_voters, result.yes_voters) == (3, 2)  # the bank counts in heads
    assert result.heads_passed and not result.amount_passed
    assert result.bases.secured_covered_excluded == D("1236000.00")
    assert (result.bases.confirmed_part, result.bases.provisional_part) == (
        D("880000.00"),
        D("80000.00"),
    )


def test_secured_shortfall_votes_on_the_agreement_only_under_the_art110_setting() -> None:
    short = voter("S", "1000.00", secured=True, uncovered="0.01")
    covered = voter("T", "1000.00", secured=True, uncovered="0.00")
    literal = rules.tally(rules.RECONCILIATION, [short, covered])
    assert literal.excluded == (
        ("S", rules.SECURED_NOT_WAIVED),
        ("T", rules.SECURED_NOT_WAIVED),
    )
    assert literal.unsecured_total == 0
    art110 = rules.tally(rules.RECONCILIATION, [short, covered], secured_votes_shortfall=True)
    assert art110.excluded == (("T", rules.SECURED_FULLY_COVERED),)  # 0.00 uncovered: out
    assert art110.unsecured_total == D("0.01") and art110.yes_amount == D("0.01")  # 0.01: in
    assert art110.bases.secured_shortfall_part == D("0.01")
    assert art110.bases.secured_covered_excluded == D("1999.99")
    assert art110.passed


def test_uncovered_part_is_capped_at_the_voting_amount_and_must_be_money() -> None:
    capped = voter("S", "100.00", secured=True, uncovered="150.00")
    assert rules.counted_amount(rules.ORDINARY, capped) == D("100.00")
    with pytest.raises(RuleError):
        rules.tally(rules.ORDINARY, [voter("S", "1.00", secured=True, uncovered="-0.01")])


def test_a_total_below_the_counted_amounts_is_refused() -> None:
    voters = [voter("A", "100.00"), voter("S", "500.00", secured=True, uncovered="50.00")]
    assert rules.tally(rules.ORDINARY, voters).unsecured_total == D("150.00")
    assert rules.tally(rules.ORDINARY, voters, D("150.00")).passed
    with pytest.raises(RuleError):
        rules.tally(rules.ORDINARY, voters, D("149.99"))


@st.composite
def meetings(draw):
    voters = []
    for index in range(draw(st.integers(min_value=0, max_value=8))):
        present = draw(st.booleans())
        confirmed = draw(st.booleans())
        provisional = draw(st.none() | st.integers(min_value=0, max_value=10**7))
        voters.append(
            Voter(
                creditor_id=f"C{index}",
                amount=D(draw(st.integers(min_value=0, max_value=10**7))).scaleb(-2),
                secured=draw(st.booleans()),
                waived_priority=draw(st.booleans()),
                confirmed=confirmed,
                provisional_amount=None if provisional is None else D(provisional).scaleb(-2),
                present=present,
                vote=draw(st.sampled_from(["yes", "no", "abstain", None])) if present else None,
                unsecured_part=D(draw(st.integers(min_value=0, max_value=10**7))).scaleb(-2),
            )
        )
    return (
        draw(st.sampled_from([rules.RECONCILIATION, rules.ORDINARY])),
        voters,
        draw(st.booleans()),
    )


@INVARIANTS
@given(meetings())
def test_the_agreeing_share_never_exceeds_the_whole(meeting) -> None:
    item, voters, shortfall = meeting
    result = rules.tally(item, voters, secured_votes_shortfall=shortfall)
    bases = result.bases
    assert 0 <= result.yes_share <= 1
    assert result.yes_amount <= bases.present_total <= bases.unsecured_total
    assert bases.unsecured_total == bases.confirmed_part + bases.provisional_part
    assert result.unsecured_total == bases.unsecured_total
    assert bases.voters_present == result.present_voters
    # every voting amount is either counted in U or listed as left out, never both
    with_vote = sum(
        (a for v in voters if (a := rules.voting_amount(v)) is not None), Decimal("0.00")
    )
    unconfirmed = sum((v.amount for v in voters if rules.voting_amount(v) is None), D("0.00"))
    assert bases.unsecured_total + bases.secured_covered_excluded == with_vote
    assert bases.unconfirmed_excluded == unconfirmed


# ------------------------------------------------------------------------------------------
# Every page and the API against the one selector (the demo meeting of today)
# ------------------------------------------------------------------------------------------


def _num(text: str) -> Decimal:
    return D(text.replace(",", "").replace("元", "").strip())


@pytest.fixture
def voting(bk_demo):
    case = Case.objects.get(number=demo.VOTING_NUMBER)
    return case, Meeting.objects.get(case=case)


def test_demo_bases_explain_960000_and_975000(voting) -> None:
    case, meeting = voting
    bases = selectors.case_bases(case)
    assert bases.amount("confirmed") == D("880000.00")
    assert bases.amount("disputed") == D("95000.00")  # reviewed amount, under suit
    assert bases.amount("provisional") == D("80000.00")  # what the disputed claim votes with
    assert bases.amount("agreement_basis") == D("975000.00")
    assert bases.amount("secured") == D("1236000.00")
    assert bases.amount("secured_covered") == D("1236000.00")
    for item in meeting.items.all():
        item_bases = bases.item(item)
        assert D(item_bases["unsecured_total"]) == D("960000.00")
        assert D(item_bases["unsecured_total"]) == bases.amount("confirmed") + bases.amount(
            "provisional"
        )


def test_every_page_and_the_api_show_the_selectors_bases(client, voting, bk_demo) -> None:
    case, meeting = voting
    client.force_login(bk_demo["judge"])
    bases = selectors.case_bases(case)
    agreement = selectors.agreement_under_vote(case)

    # the meeting page: each item's total and share, and the bases table
    page = client.get(f"/bankruptcy/meetings/{meeting.pk}/").content.decode()
    for item in meeting.items.all():
        u = D(bases.item(item)["unsecured_total"])
        row = re.search(rf'<tr data-item="{item.pk}"><td>[^<]*</td><td class="num">([^<]+)<', page)
        assert row and _num(row.group(1)) == u
    shares = [D(s.rstrip("%")) for s in re.findall(r"<span data-share>([^<]+)</span>", page)]
    assert len(shares) == 2 and all(0 <= s <= 100 for s in shares)
    assert D("42.71") in shares  # the ordinary resolution: 410,000 of 960,000
    fragment = client.get(f"/bankruptcy/meetings/{meeting.pk}/tally/").content.decode()
    assert "960,000.00" in fragment and "171" not in fragment

    # the agreement page: the terms' basis is the selector's agreement basis
    page = client.get(f"/bankruptcy/agreements/{agreement.pk}/").content.decode()
    terms = re.search(r"<span data-terms-basis>([^<]+)</span>", page)
    assert _num(terms.group(1)) == bases.amount("agreement_basis") == D("975000.00")
    line = re.search(
        r'<tr data-basis="agreement_basis"><td>[^<]*</td><td class="num">([^<]+)<', page
    )
    assert _num(line.group(1)) == bases.amount("agreement_basis")
    assert 'data-basis="provisional"' in page  # the 80,000 the vote uses instead is beside it

    # the assessment: the ordinary rank of the simulated liquidation
    page = client.get(f"/bankruptcy/cases/{case.pk}/assessment/").content.decode()
    rank = re.search(r'<tr data-rank="ordinary"><td>[^<]*</td><td class="num">([^<]+)<', page)
    assert _num(rank.group(1)) == bases.amount("liquidation_ordinary")
    report = selectors.assessment_report(case)
    ordinary = next(r for r in report.liquidation.ranks if r.rank == rules.ORDINARY_CLAIMS)
    assert ordinary.claims == bases.amount("liquidation_ordinary") == D("975000.00")

    # the API: the tally's bases and the case's bases
    for item in meeting.items.all():
        tally = client.get(f"/api/v1/bankruptcy/items/{item.pk}/tally").json()
        assert tally["bases"] == bases.item(item)
        assert tally["unsecured_total"] == bases.item(item)["unsecured_total"]
        assert Fraction(tally["yes_share"]) <= 1
    body = client.get(f"/api/v1/bankruptcy/cases/{case.pk}/bases").json()
    assert {line["key"]: D(line["amount"]) for line in body["lines"]} == {
        line.key: line.amount for line in bases.lines
    }
    assert [i["bases"] for i in body["items"]] == [b for _, b in bases.items]


def test_a_closed_item_keeps_its_stored_bases(voting, bk_demo) -> None:
    from qinqing.bankruptcy import services

    case, meeting = voting
    services.meeting_close(actor=bk_demo["administrator"], meeting=meeting)
    bases = selectors.case_bases(case)
    for item in AgendaItem.objects.filter(meeting=meeting):
        assert item.result["bases"] == bases.item(item)
        assert Fraction(item.result["yes_share"]) <= 1
