"""exclusion_codes_many: the bulk eligibility check must agree with a naive per-rule oracle.

``reference`` below is the per-rule logic of ``exclusion_codes`` as it stood before the bulk
path was added (one function per code, recomputing everything for each expert), copied here on
purpose so the optimised implementation is checked against the old behaviour, not against
itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bidding.draw.rules import (
    DateRange,
    ExpertFacts,
    Interval,
    PastDraw,
    ProjectFacts,
    QuotaFacts,
    Relation,
    exclusion_codes,
    exclusion_codes_many,
)
from qinqing.bidding.projects.rules import CONSTRUCTION, RuleSet
from qinqing.bidding.rules import RuleError

TENDERER = "12420100TENDERER01"
AGENCY = "91420100AGENCY0001"
BIDDER_A = "91420100BIDDERA001"
BIDDER_B = "91420100BIDDERB001"
DEPT = "11420111SUPERVISOR"
ELSEWHERE = "91420100ELSEWHERE1"
ORGS = (TENDERER, AGENCY, BIDDER_A, BIDDER_B, DEPT, ELSEWHERE)
PROJECT_REGION = "420111"


# ---- the oracle: the pre-refactoring rules, verbatim in substance ----------------------------


def _age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _current_employers(e: ExpertFacts, day: date) -> set[str]:
    employers = {
        r.org_uscc
        for r in e.employment
        if r.kind == "employee" and r.start <= day and (r.end is None or day <= r.end)
    }
    if e.employer_uscc:
        employers.add(e.employer_uscc)
    return employers


def _lacks_specialty(e, p, q, rs):
    requested = tuple(q.speciality_codes)
    return not any(code.startswith(requested) for code in e.specialities)


def _inactive(e, p, q, rs):
    banned = e.ban_until is not None and p.evaluation_date <= e.ban_until
    return e.status != "active" or banned


def _too_old(e, p, q, rs):
    return _age_on(e.birth_date, p.evaluation_date) > rs.max_age


def _unavailable(e, p, q, rs):
    day = p.evaluation_date
    on_leave = any(leave.start <= day <= leave.end for leave in e.leave)
    return on_leave or any(
        b.start < p.session.end and p.session.start < b.end for b in e.booked_sessions
    )


def _employed_by_party(e, p, q, rs):
    parties = {p.tenderer_uscc, *p.bidder_usccs}
    if p.agency_uscc:
        parties.add(p.agency_uscc)
    return bool(_current_employers(e, p.evaluation_date) & parties)


def _past_relation(e, p, q, rs):
    cutoff = _years_before(p.evaluation_date, rs.past_relation_years)
    return e.employer_uscc in p.bidder_usccs or any(
        r.org_uscc in p.bidder_usccs
        and r.start <= p.evaluation_date
        and (r.end is None or r.end >= cutoff)
        for r in e.employment
    )


def _declared_conflict(e, p, q, rs):
    return bool(e.declared_related & {p.tenderer_uscc, *p.bidder_usccs})


def _supervisor_staff(e, p, q, rs):
    department = p.supervising_dept_uscc
    return department is not None and department in _current_employers(e, p.evaluation_date)


def _too_frequent(e, p, q, rs):
    window_start = p.evaluation_date - timedelta(days=rs.frequency_days)
    recent = [d for d in e.past_draws if window_start < d.on <= p.evaluation_date]
    for_tenderer = sum(d.tenderer_uscc == p.tenderer_uscc for d in recent)
    return len(recent) >= rs.frequency_count or for_tenderer >= rs.per_tenderer_count


def _same_region(e, p, q, rs):
    if not q.requires_other_region:
        return False
    if not p.region_code:
        raise RuleError("项目未填写所在地区，无法进行异地抽取")
    return not e.region_code or e.region_code == p.region_code


def _manually_excluded(e, p, q, rs):
    return e.manual_exclusion is not None


ORACLE = (
    ("SPECIALTY", _lacks_specialty),
    ("STATUS", _inactive),
    ("AGE", _too_old),
    ("UNAVAILABLE", _unavailable),
    ("EMPLOYER", _employed_by_party),
    ("PAST_EMPLOYER", _past_relation),
    ("DECLARED_CONFLICT", _declared_conflict),
    ("SUPERVISOR_STAFF", _supervisor_staff),
    ("FREQUENCY", _too_frequent),
    ("REGION", _same_region),
    ("MANUAL", _manually_excluded),
)


def reference(e: ExpertFacts, p: ProjectFacts, q: QuotaFacts, rs: RuleSet) -> list[str]:
    return [code for code, test in ORACLE if test(e, p, q, rs)]


# ---- strategies: values clustered around every boundary the rules have ----------------------

EVALUATION_DAYS = (
    date(2025, 6, 16),
    date(2028, 2, 29),  # leap evaluation day
    date(2027, 2, 28),
    date(2027, 3, 1),
    date(2028, 3, 1),
    date(2024, 12, 31),
    date(2025, 1, 1),
)
orgs = st.sampled_from(ORGS)
maybe_org = st.none() | orgs
offsets = st.integers(-3, 3)


def mostly(common, *others):
    """``common`` about two times in three, else one of ``others``."""
    return st.sampled_from([common] * 2 * len(others) + list(others))


def sometimes(strategy, empty):
    """``empty`` about two times in three, else a value from ``strategy``."""
    return st.one_of(st.just(empty), st.just(empty), strategy)


def shift(day: date, days: int) -> date:
    return day + timedelta(days=days)


@st.composite
def contexts(draw):
    day = draw(st.sampled_from(EVALUATION_DAYS))
    start = datetime(day.year, day.month, day.day, 9, 0)
    project = ProjectFacts(
        evaluation_date=day,
        session=Interval(start, start + timedelta(hours=3)),
        # the roles usually go to their own organisations, but may coincide
        tenderer_uscc=draw(mostly(TENDERER, *ORGS)),
        # "" stands for a bidder without a USCC, which the loader can produce
        bidder_usccs=draw(st.frozensets(mostly(BIDDER_A, BIDDER_B, "", *ORGS), max_size=3)),
        agency_uscc=draw(mostly(AGENCY, None, "", *ORGS)),
        supervising_dept_uscc=draw(mostly(DEPT, None, "", *ORGS)),
        region_code=draw(st.sampled_from([PROJECT_REGION, PROJECT_REGION, "420115"])),
    )
    quota = QuotaFacts(
        speciality_codes=draw(
            st.lists(mostly("A01", "B03", "A", "A0102"), min_size=1, max_size=2).map(tuple)
        ),
        requires_other_region=draw(st.booleans()),
    )
    ruleset = RuleSet(
        name="test",
        kind="construction",
        max_age=draw(mostly(70, 65, 0, -1, 3000, -9000)),
        frequency_count=draw(mostly(4, 2, 1, 0)),
        frequency_days=draw(mostly(30, 7, 1)),
        per_tenderer_count=draw(mostly(2, 1, 0, 5)),
        past_relation_years=draw(mostly(3, 5, 1, 0)),
    )
    return project, quota, ruleset


@st.composite
def birth_dates(draw, day: date, max_age: int):
    if draw(st.integers(0, 49)) == 0:
        return date.min  # no age limit can be expressed as a cut-off before this day
    years = draw(mostly(45, 30, 71, 72, max_age, max_age + 1, max_age + 2))
    year = min(max(day.year - years, 1900), 2030)
    month, dom = draw(
        st.sampled_from(
            [
                (day.month, day.day),
                (2, 28),
                (2, 29),
                (3, 1),
                (shift(day, -1).month, shift(day, -1).day),
                (shift(day, 1).month, shift(day, 1).day),
            ]
        )
    )
    if (month, dom) == (2, 29):
        year -= year % 4  # a leap year (1900 is avoided by the clamp above, 2000 is leap)
        year = max(year, 1904)
    return date(year, month, dom)


@st.composite
def relations(draw, day: date, years: int):
    cutoff = _years_before(day, years)
    start = draw(mostly(date(2010, 1, 1), shift(day, -1), day, shift(day, 1)))
    end = draw(
        st.sampled_from([None, cutoff, shift(cutoff, -1), shift(cutoff, 1), shift(day, -1), day])
    )
    kind = draw(st.sampled_from(["employee", "director", "shareholder"]))
    return Relation(draw(st.sampled_from([BIDDER_A, BIDDER_B, *ORGS, ""])), kind, start, end)


@st.composite
def leaves(draw, day: date):
    a, b = sorted(draw(st.tuples(offsets, offsets)))
    return DateRange(shift(day, a), shift(day, b))


@st.composite
def booked(draw, session: Interval):
    minute = timedelta(minutes=1)
    start = draw(
        st.sampled_from(
            [
                session.start - timedelta(hours=2),
                session.start - minute,
                session.start,
                session.end - minute,
                session.end,  # touches: no overlap
                session.end + timedelta(hours=1),
            ]
        )
    )
    length = draw(st.sampled_from([minute, timedelta(hours=1), timedelta(hours=2), minute * 121]))
    return Interval(start, start + length)


@st.composite
def past_draws(draw, day: date, window: int, tenderer: str):
    ago = draw(st.sampled_from([-1, 0, 1, 5, window - 1, window, window + 1]))
    return PastDraw(shift(day, -ago), draw(st.sampled_from([tenderer, tenderer, *ORGS])))


@st.composite
def experts(draw, project: ProjectFacts, ruleset: RuleSet, serial: int):
    day = project.evaluation_date
    held_codes = st.frozensets(
        mostly("A0102", "A01", "A0", "B0301", "C02", "a0102", "A"), min_size=1, max_size=3
    )

    def rare() -> bool:
        return draw(st.integers(0, 9)) == 0

    common = {
        "code": f"E{serial:05d}",
        "birth_date": draw(birth_dates(day, ruleset.max_age)),
        "specialities": draw(st.just(frozenset()) | held_codes) if rare() else draw(held_codes),
        "employer_uscc": draw(mostly(ELSEWHERE, None, "", *ORGS)),
        "region_code": draw(mostly("420115", PROJECT_REGION, "")),
    }
    if draw(st.booleans()):  # the common case, eligible for the fast path
        return ExpertFacts(**common)
    day_offsets = offsets.map(lambda d: shift(day, d))
    return ExpertFacts(
        **common,
        status=draw(mostly("active", "suspended", "retired", "removed")),
        ban_until=draw(sometimes(day_offsets, None)),
        employment=draw(
            sometimes(
                st.lists(relations(day, ruleset.past_relation_years), min_size=1, max_size=3).map(
                    tuple
                ),
                (),
            )
        ),
        declared_related=draw(sometimes(st.frozensets(orgs, min_size=1, max_size=2), frozenset())),
        leave=draw(sometimes(st.lists(leaves(day), min_size=1, max_size=2).map(tuple), ())),
        booked_sessions=draw(
            sometimes(st.lists(booked(project.session), min_size=1, max_size=2).map(tuple), ())
        ),
        past_draws=draw(
            sometimes(
                st.lists(
                    past_draws(day, ruleset.frequency_days, project.tenderer_uscc),
                    min_size=1,
                    max_size=5,
                ).map(tuple),
                (),
            )
        ),
        manual_exclusion=draw(sometimes(st.just("监督人员书面说明的理由"), None)),
    )


@st.composite
def draws_(draw):
    project, quota, ruleset = draw(contexts())
    count = draw(st.integers(0, 12))
    return project, quota, ruleset, [draw(experts(project, ruleset, i)) for i in range(count)]


# ---- properties ------------------------------------------------------------------------------


@settings(derandomize=True, max_examples=300, deadline=None)
@given(draws_())
def test_bulk_agrees_with_the_reference(case):
    project, quota, ruleset, candidates = case
    try:
        expected = [reference(e, project, quota, ruleset) for e in candidates]
    except RuleError as exc:
        with pytest.raises(RuleError, match=re.escape(str(exc))):
            exclusion_codes_many(candidates, project, quota, ruleset)
        with pytest.raises(RuleError, match=re.escape(str(exc))):
            exclusion_codes(candidates[0], project, quota, ruleset)
        return
    assert exclusion_codes_many(candidates, project, quota, ruleset) == expected
    assert exclusion_codes_many(iter(candidates), project, quota, ruleset) == expected
    assert [exclusion_codes(e, project, quota, ruleset) for e in candidates] == expected


@settings(derandomize=True, max_examples=30, deadline=None)
@given(draws_())
def test_project_without_region_with_an_other_region_quota(case):
    project, quota, ruleset, candidates = case
    project = replace(project, region_code="")
    quota = QuotaFacts(quota.speciality_codes, requires_other_region=True)
    if candidates:
        with pytest.raises(RuleError, match="项目未填写所在地区"):
            exclusion_codes_many(candidates, project, quota, ruleset)
    else:  # like exclusion_codes, the check is per expert: nobody to check, nothing to refuse
        assert exclusion_codes_many(candidates, project, quota, ruleset) == []


# ---- a few fixed cases, readable without the property ----------------------------------------


def test_results_are_in_input_order_and_independent_lists():
    day = date(2025, 6, 16)
    start = datetime(2025, 6, 16, 9)
    project = ProjectFacts(
        evaluation_date=day,
        session=Interval(start, start + timedelta(hours=3)),
        tenderer_uscc=TENDERER,
        bidder_usccs=frozenset({BIDDER_A}),
        agency_uscc=AGENCY,
        supervising_dept_uscc=DEPT,
        region_code=PROJECT_REGION,
    )
    quota = QuotaFacts(("A01",))
    fine = ExpertFacts("E1", date(1970, 1, 1), frozenset({"A0102"}), employer_uscc=ELSEWHERE)
    employee = ExpertFacts("E2", date(1970, 1, 1), frozenset({"A0102"}), employer_uscc=BIDDER_A)
    old = ExpertFacts("E3", date(1954, 6, 16), frozenset({"B01"}), employer_uscc=DEPT)
    result = exclusion_codes_many([fine, employee, old, fine], project, quota, CONSTRUCTION)
    assert result == [
        [],
        ["EMPLOYER", "PAST_EMPLOYER"],
        ["SPECIALTY", "AGE", "SUPERVISOR_STAFF"],
        [],
    ]
    result[0].append("ALREADY_DRAWN")  # the caller appends to the lists it gets back
    assert result[3] == []


@pytest.mark.parametrize("blank", ["", None])
def test_blank_agency_or_department_as_before(blank):
    """Blank USCCs keep their old meaning: a blank agency is no party, but a blank (not None)
    department matches an employment relation with a blank USCC."""
    start = datetime(2025, 6, 16, 9)
    project = ProjectFacts(
        evaluation_date=date(2025, 6, 16),
        session=Interval(start, start + timedelta(hours=3)),
        tenderer_uscc=TENDERER,
        bidder_usccs=frozenset({BIDDER_A}),
        agency_uscc=blank,
        supervising_dept_uscc=blank,
    )
    blank_employer = Relation("", "employee", date(2020, 1, 1))
    expert = ExpertFacts(
        "E1", date(1970, 1, 1), frozenset({"A01"}), employer_uscc="", employment=(blank_employer,)
    )
    quota = QuotaFacts(("A01",))
    expected = reference(expert, project, quota, CONSTRUCTION)
    assert exclusion_codes_many([expert], project, quota, CONSTRUCTION) == [expected]
    assert expected == ([] if blank is None else ["SUPERVISOR_STAFF"])


def test_bidder_without_uscc_as_before():
    """A bidder loaded with a blank USCC still matches an expert's blank employer for
    PAST_EMPLOYER (the old rule compares the employer without checking it is given)."""
    start = datetime(2025, 6, 16, 9)
    project = ProjectFacts(
        evaluation_date=date(2025, 6, 16),
        session=Interval(start, start + timedelta(hours=3)),
        tenderer_uscc=TENDERER,
        bidder_usccs=frozenset({BIDDER_A, ""}),
    )
    expert = ExpertFacts("E1", date(1970, 1, 1), frozenset({"A01"}), employer_uscc="")
    quota = QuotaFacts(("A01",))
    expected = reference(expert, project, quota, CONSTRUCTION)
    assert exclusion_codes_many([expert], project, quota, CONSTRUCTION) == [expected]
    assert expected == ["PAST_EMPLOYER"]


def test_no_experts():
    project = ProjectFacts(
        evaluation_date=date(2025, 6, 16),
        session=Interval(datetime(2025, 6, 16, 9), datetime(2025, 6, 16, 12)),
        tenderer_uscc=TENDERER,
        bidder_usccs=frozenset(),
    )
    assert exclusion_codes_many([], project, QuotaFacts(("A01",)), CONSTRUCTION) == []
