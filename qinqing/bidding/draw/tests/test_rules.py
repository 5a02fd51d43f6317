"""Eligibility and avoidance (every exclusion code, with its boundaries)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from qinqing.bidding.draw.rules import (
    EXCLUSION_CODES,
    EXCLUSION_LABELS,
    DateRange,
    ExpertFacts,
    Interval,
    PastDraw,
    ProjectFacts,
    QuotaFacts,
    Relation,
    age_on,
    exclusion_codes,
    years_before,
)
from qinqing.bidding.projects.rules import CONSTRUCTION, RuleSet
from qinqing.bidding.rules import RuleError

TENDERER = "12420100TENDERER01"
AGENCY = "91420100AGENCY0001"
BIDDER_A = "91420100BIDDERA001"
BIDDER_B = "91420100BIDDERB001"
DEPT = "11420111SUPERVISOR"
ELSEWHERE = "91420100ELSEWHERE1"

EVAL_DAY = date(2025, 6, 16)

PROJECT = ProjectFacts(
    evaluation_date=EVAL_DAY,
    session=Interval(datetime(2025, 6, 16, 9, 0), datetime(2025, 6, 16, 12, 0)),
    tenderer_uscc=TENDERER,
    bidder_usccs=frozenset({BIDDER_A, BIDDER_B}),
    agency_uscc=AGENCY,
    supervising_dept_uscc=DEPT,
    region_code="420111",
)
QUOTA = QuotaFacts(speciality_codes=("A01",))
EXPERT = ExpertFacts(
    code="WH-0001",
    birth_date=date(1970, 1, 1),
    specialities=frozenset({"A0102"}),
    employer_uscc=ELSEWHERE,
    region_code="420115",
)


def codes(expert=EXPERT, project=PROJECT, quota=QUOTA, ruleset=CONSTRUCTION):
    return exclusion_codes(expert, project, quota, ruleset)


def expert(**changes) -> ExpertFacts:
    return replace(EXPERT, **changes)


def project(**changes) -> ProjectFacts:
    return replace(PROJECT, **changes)


def test_table_order_and_labels():
    assert EXCLUSION_CODES == (
        "SPECIALTY",
        "STATUS",
        "AGE",
        "UNAVAILABLE",
        "EMPLOYER",
        "PAST_EMPLOYER",
        "DECLARED_CONFLICT",
        "SUPERVISOR_STAFF",
        "FREQUENCY",
        "REGION",
        "MANUAL",
    )
    assert all(EXCLUSION_LABELS[code] for code in EXCLUSION_CODES)


def test_clean_expert_is_eligible():
    assert codes() == []


def test_all_codes_reported_in_table_order():
    worst = ExpertFacts(
        code="WH-0666",
        birth_date=date(1950, 1, 1),
        specialities=frozenset({"B07"}),
        status="suspended",
        employer_uscc=DEPT,
        employment=(Relation(BIDDER_A, "director", date(2010, 1, 1)),),
        declared_related=frozenset({TENDERER}),
        region_code="420111",
        leave=(DateRange(EVAL_DAY, EVAL_DAY),),
        past_draws=tuple(PastDraw(date(2025, 6, d), TENDERER) for d in (1, 2, 3, 4)),
        manual_exclusion="曾在同类项目中违规打分",
    )
    quota = QuotaFacts(speciality_codes=("A01",), requires_other_region=True)
    project_by_employer = project(agency_uscc=DEPT)  # the employer is also the agency
    assert codes(worst, project_by_employer, quota) == list(EXCLUSION_CODES)


# ---- SPECIALTY ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "requested", "excluded"),
    [
        ({"A0102"}, ("A01",), False),  # sub-code matches by prefix
        ({"A01"}, ("A01",), False),
        ({"A0"}, ("A01",), True),  # a broader code does not match a narrower request
        ({"B01"}, ("A01",), True),
        ({"a0102"}, ("A01",), True),  # codes are case-sensitive
        ({"B0301", "C02"}, ("A01", "B03"), False),  # any requested code will do
        (set(), ("A01",), True),
    ],
)
def test_specialty(held, requested, excluded):
    result = codes(expert(specialities=frozenset(held)), quota=QuotaFacts(requested))
    assert ("SPECIALTY" in result) is excluded


def test_quota_needs_a_speciality():
    with pytest.raises(RuleError):
        QuotaFacts(speciality_codes=())
    with pytest.raises(RuleError):
        QuotaFacts(speciality_codes=("A01", ""))


# ---- STATUS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "retired", "removed"])
def test_inactive_statuses(status):
    assert codes(expert(status=status)) == ["STATUS"]


@pytest.mark.parametrize(
    ("ban_until", "excluded"),
    [(date(2025, 6, 16), True), (date(2025, 6, 15), False), (date(2026, 1, 1), True)],
)
def test_ban_lasts_through_its_last_day(ban_until, excluded):
    assert (codes(expert(ban_until=ban_until)) == ["STATUS"]) is excluded


# ---- AGE ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "evaluation_date", "excluded"),
    [
        (date(1955, 6, 16), date(2025, 6, 16), False),  # 70th birthday today: 70, eligible
        (date(1954, 6, 17), date(2025, 6, 16), False),  # 71st birthday tomorrow: still 70
        (date(1954, 6, 16), date(2025, 6, 16), True),  # 71st birthday today: 71 > 70
        # born Feb 29: in a common year the new age starts on Mar 1
        (date(1956, 2, 29), date(2027, 2, 28), False),
        (date(1956, 2, 29), date(2027, 3, 1), True),
        # a leap evaluation day
        (date(1957, 2, 28), date(2028, 2, 28), True),  # 71st birthday today
        (date(1957, 3, 1), date(2028, 2, 29), False),  # 71st birthday tomorrow
    ],
)
def test_age_boundary(birth_date, evaluation_date, excluded):
    result = codes(expert(birth_date=birth_date), project(evaluation_date=evaluation_date))
    assert ("AGE" in result) is excluded


def test_age_on_counts_whole_years():
    assert age_on(date(2000, 2, 29), date(2024, 2, 29)) == 24
    assert age_on(date(2000, 2, 29), date(2023, 2, 28)) == 22
    assert age_on(date(2000, 2, 29), date(2023, 3, 1)) == 23
    assert age_on(date(2000, 12, 31), date(2001, 12, 30)) == 0


def test_max_age_is_configurable():
    younger_limit = RuleSet(name="test", kind="construction", max_age=65)
    assert codes(expert(birth_date=date(1959, 6, 16)), ruleset=younger_limit) == ["AGE"]
    assert codes(expert(birth_date=date(1959, 6, 17)), ruleset=younger_limit) == []


# ---- UNAVAILABLE ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "excluded"),
    [
        (date(2025, 6, 10), date(2025, 6, 16), True),  # ends on the day
        (date(2025, 6, 16), date(2025, 6, 16), True),
        (date(2025, 6, 16), date(2025, 6, 30), True),  # starts on the day
        (date(2025, 6, 1), date(2025, 6, 15), False),
        (date(2025, 6, 17), date(2025, 6, 30), False),
    ],
)
def test_leave_covers_the_evaluation_day(start, end, excluded):
    assert (codes(expert(leave=(DateRange(start, end),))) == ["UNAVAILABLE"]) is excluded


@pytest.mark.parametrize(
    ("start", "end", "excluded"),
    [
        ((12, 0), (14, 0), False),  # starts when ours ends: half-open, no overlap
        ((11, 59), (14, 0), True),
        ((8, 0), (9, 0), False),  # ends when ours starts
        ((8, 0), (9, 1), True),
        ((10, 0), (11, 0), True),  # inside
        ((8, 0), (13, 0), True),  # around
    ],
)
def test_overlapping_session(start, end, excluded):
    booked = Interval(datetime(2025, 6, 16, *start), datetime(2025, 6, 16, *end))
    assert (codes(expert(booked_sessions=(booked,))) == ["UNAVAILABLE"]) is excluded


def test_interval_and_date_range_reject_reversed_bounds():
    with pytest.raises(RuleError):
        Interval(datetime(2025, 6, 16, 9), datetime(2025, 6, 16, 9))
    with pytest.raises(RuleError):
        DateRange(date(2025, 6, 16), date(2025, 6, 15))


# ---- EMPLOYER, PAST_EMPLOYER, DECLARED_CONFLICT, SUPERVISOR_STAFF ---------------------------


@pytest.mark.parametrize(
    ("employer", "expected"),
    [
        (TENDERER, ["EMPLOYER"]),
        (AGENCY, ["EMPLOYER"]),
        (BIDDER_A, ["EMPLOYER", "PAST_EMPLOYER"]),  # a bidder: the 3-year window includes today
        (BIDDER_B, ["EMPLOYER", "PAST_EMPLOYER"]),
    ],
)
def test_current_employer_is_a_party(employer, expected):
    assert codes(expert(employer_uscc=employer)) == expected


def test_current_employee_of_a_bidder_gets_both_codes():
    relation = Relation(BIDDER_A, "employee", date(2020, 1, 1))
    assert codes(expert(employment=(relation,))) == ["EMPLOYER", "PAST_EMPLOYER"]


def test_employment_relation_counts_as_current_only_while_active():
    ended = Relation(TENDERER, "employee", date(2020, 1, 1), date(2025, 6, 15))
    current = Relation(TENDERER, "employee", date(2020, 1, 1), date(2025, 6, 16))
    assert codes(expert(employment=(ended,))) == []  # the tenderer is no PAST_EMPLOYER ground
    assert codes(expert(employment=(current,))) == ["EMPLOYER"]


def test_no_agency():
    assert codes(expert(employer_uscc=AGENCY), project(agency_uscc=None)) == []


@pytest.mark.parametrize(
    ("kind", "end", "excluded"),
    [
        ("employee", date(2022, 6, 16), True),  # ended exactly 3 years before: within
        ("employee", date(2022, 6, 15), False),  # one day earlier: outside
        ("director", None, True),  # a current director is not an employee, still excluded
        ("shareholder", date(2024, 12, 31), True),
        ("shareholder", date(2021, 12, 31), False),
    ],
)
def test_past_relation_window(kind, end, excluded):
    relation = Relation(BIDDER_B, kind, date(2015, 3, 1), end)
    assert (codes(expert(employment=(relation,))) == ["PAST_EMPLOYER"]) is excluded


def test_past_relation_window_from_feb_29():
    leap_project = project(evaluation_date=date(2028, 2, 29))
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    inside = Relation(BIDDER_A, "director", date(2015, 1, 1), date(2025, 2, 28))
    outside = Relation(BIDDER_A, "director", date(2015, 1, 1), date(2025, 2, 27))
    assert codes(expert(employment=(inside,)), leap_project) == ["PAST_EMPLOYER"]
    assert codes(expert(employment=(outside,)), leap_project) == []


def test_past_relation_ignores_future_relations_and_non_bidders():
    future = Relation(BIDDER_A, "director", date(2025, 7, 1))
    with_tenderer = Relation(TENDERER, "director", date(2024, 1, 1), date(2024, 12, 31))
    assert codes(expert(employment=(future, with_tenderer))) == []


def test_past_relation_years_configurable():
    five_years = RuleSet(name="test", kind="construction", past_relation_years=5)
    relation = Relation(BIDDER_A, "employee", date(2015, 1, 1), date(2021, 1, 1))
    assert codes(expert(employment=(relation,))) == []
    assert codes(expert(employment=(relation,)), ruleset=five_years) == ["PAST_EMPLOYER"]


@pytest.mark.parametrize(
    ("related", "excluded"),
    [({TENDERER}, True), ({BIDDER_B}, True), ({AGENCY}, False), ({ELSEWHERE}, False)],
)
def test_declared_conflict(related, excluded):
    result = codes(expert(declared_related=frozenset(related)))
    assert (result == ["DECLARED_CONFLICT"]) is excluded


def test_supervising_department_staff():
    assert codes(expert(employer_uscc=DEPT)) == ["SUPERVISOR_STAFF"]
    seconded = Relation(DEPT, "employee", date(2024, 1, 1))
    assert codes(expert(employment=(seconded,))) == ["SUPERVISOR_STAFF"]
    former = Relation(DEPT, "employee", date(2010, 1, 1), date(2024, 12, 31))
    assert codes(expert(employment=(former,))) == []
    assert codes(expert(employer_uscc=DEPT), project(supervising_dept_uscc=None)) == []


# ---- FREQUENCY ------------------------------------------------------------------------------

WINDOW_EDGE = date(2025, 5, 17)  # 2025-06-16 minus 30 days: just outside the window
FIRST_DAY_IN = date(2025, 5, 18)


def draws(*days: date, tenderer: str = ELSEWHERE) -> tuple[PastDraw, ...]:
    return tuple(PastDraw(day, tenderer) for day in days)


@pytest.mark.parametrize(
    ("days", "excluded"),
    [
        ((FIRST_DAY_IN, date(2025, 6, 1), date(2025, 6, 10), WINDOW_EDGE), False),  # 3 inside
        ((FIRST_DAY_IN, date(2025, 6, 1), date(2025, 6, 10), FIRST_DAY_IN), True),  # 4 inside
        ((date(2025, 6, 1), date(2025, 6, 2), date(2025, 6, 3), EVAL_DAY), True),  # day counts
        ((date(2025, 6, 1), date(2025, 6, 2), date(2025, 6, 3), date(2025, 6, 17)), False),
    ],
)
def test_frequency_window_edges(days, excluded):
    assert (codes(expert(past_draws=draws(*days))) == ["FREQUENCY"]) is excluded


@pytest.mark.parametrize(
    ("days", "excluded"),
    [
        ((FIRST_DAY_IN, date(2025, 6, 10)), True),  # 2 for this tenderer
        ((WINDOW_EDGE, date(2025, 6, 10)), False),  # only 1 inside the window
        ((date(2025, 6, 10),), False),
    ],
)
def test_frequency_per_tenderer(days, excluded):
    past = draws(*days, tenderer=TENDERER)
    assert (codes(expert(past_draws=past)) == ["FREQUENCY"]) is excluded


def test_frequency_configurable():
    weekly = RuleSet(
        name="test", kind="construction", frequency_count=2, frequency_days=7, per_tenderer_count=5
    )
    past = draws(date(2025, 6, 10), date(2025, 6, 12))
    assert codes(expert(past_draws=past), ruleset=weekly) == ["FREQUENCY"]
    assert (
        codes(expert(past_draws=draws(date(2025, 6, 9), date(2025, 6, 12))), ruleset=weekly) == []
    )


# ---- REGION, MANUAL -------------------------------------------------------------------------

OTHER_REGION = QuotaFacts(speciality_codes=("A01",), requires_other_region=True)


@pytest.mark.parametrize(("region", "excluded"), [("420111", True), ("420115", False), ("", True)])
def test_other_region_quota(region, excluded):
    result = codes(expert(region_code=region), quota=OTHER_REGION)
    assert (result == ["REGION"]) is excluded


def test_same_region_is_fine_without_the_requirement():
    assert codes(expert(region_code="420111")) == []


def test_other_region_quota_needs_the_project_region():
    with pytest.raises(RuleError, match="项目未填写所在地区"):
        codes(quota=OTHER_REGION, project=project(region_code=""))


def test_manual_exclusion_needs_a_written_reason():
    assert codes(expert(manual_exclusion="与投标人负责人系同学关系")) == ["MANUAL"]
    with pytest.raises(RuleError, match="书面说明理由"):
        expert(manual_exclusion="  ")
