"""Pure law-and-maths core of the bidding module (远程异地 + 工位制评标).

Everything here is plain Python: no Django, no database, no floats. Scores and money are
``Decimal``; intermediate values are exact ``Fraction`` and are rounded once, half up
(``ROUND_HALF_UP``), to two places (ratios: four). Domain errors raise ``RuleError`` with a
Chinese message suitable for showing to the user. The specification is
``shared/design/bidding.md``.

Statutes cited: 招标投标法 ("招标投标法 Art.N"), 招标投标法实施条例 ("实施条例 Art.N"),
评标委员会和评标方法暂行规定 ("暂行规定 Art.N") and, for government procurement,
政府采购货物和服务招标投标管理办法 (财政部令第87号, "87号令 Art.N"). Numbers marked
[unverified] in the design are rule-set defaults, not law.

Sections: the verifiable draw QQ-DRAW-1; eligibility and avoidance; committee composition;
seating (工位制); scoring and ranking.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import operator
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal


class RuleError(ValueError):
    """A rule of law or of this module's input contract was violated (Chinese message)."""


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RuleError(f"{what}不是有效的 UTF-8 文本") from exc


# --------------------------------------------------------------------------------------------
# QQ-DRAW-1: the verifiable draw
# --------------------------------------------------------------------------------------------

ALGORITHM = "QQ-DRAW-1"
NONCE_BYTES = 32
PROOF_FIELDS: dict[str, type] = {  # the published proof's fields and their JSON types
    "algorithm": str,
    "draw_id": str,
    "pool": list,
    "pool_digest": str,
    "commitment": str,
    "server_nonce": str,
    "witness_entropy": str,
    "quota": int,
    "backups": int,
    "drawn": list,
}
_U64 = 2**64


def canonical_pool(codes: Iterable[str]) -> list[str]:
    """Freeze a pool (QQ-DRAW-1 step 1): the codes sorted ascending by Unicode code point.

    Rejects duplicates, empty codes and codes containing a line feed (the digest joins codes
    with line feeds, so such codes would make two different pools hash alike).
    """
    pool = sorted(codes)
    if not _plainly_canonical(pool):
        for code in pool:
            if not code or "\n" in code:
                raise RuleError(f"专家编号无效：{code!r}")
        for previous, code in itertools.pairwise(pool):
            if previous == code:
                raise RuleError(f"专家编号重复：{code}")
    return pool


def _plainly_canonical(pool: list[str]) -> bool:
    """For a sorted list: no empty code (it would sort first), no line feed in any code (the
    joined text would hold more than one per gap) and no two equal neighbours; each check is
    one pass in C instead of a Python loop over the codes."""
    if not pool:
        return True
    return (
        pool[0] != ""
        and "\n".join(pool).count("\n") == len(pool) - 1
        and not any(map(operator.eq, pool, itertools.islice(pool, 1, None)))
    )


def _digest(canonical: Sequence[str]) -> str:
    return hashlib.sha256(_utf8("\n".join(canonical), "专家编号")).hexdigest()


def pool_digest(pool: Iterable[str]) -> str:
    """QQ-DRAW-1 step 1: lowercase hex SHA-256 of the canonical pool's codes joined by "\\n".

    The pool is canonicalised first, so the digest is a function of the set of codes.
    """
    return _digest(canonical_pool(pool))


@dataclass(frozen=True)
class FrozenPool:
    """A pool frozen once (QQ-DRAW-1 step 1): the canonical codes and their digest."""

    codes: list[str]
    digest: str


def freeze_pool(codes: Iterable[str]) -> FrozenPool:
    """Sort and check the codes once, and digest them (`canonical_pool`, `pool_digest`)."""
    pool = canonical_pool(codes)
    return FrozenPool(pool, _digest(pool))


def commitment(server_nonce: bytes) -> str:
    """QQ-DRAW-1 step 2: lowercase hex SHA-256 of the server nonce, shown before the witness."""
    return hashlib.sha256(server_nonce).hexdigest()


def draw_seed(server_nonce: bytes, draw_id: str, digest: str, witness_entropy: str) -> bytes:
    """QQ-DRAW-1 step 4: HMAC-SHA256(key=nonce, "QQ-DRAW-1|draw_id|pool_digest|entropy")."""
    message = f"{ALGORITHM}|{draw_id}|{digest}|{witness_entropy}"
    return hmac.new(server_nonce, _utf8(message, "抽取参数"), hashlib.sha256).digest()


def u64_stream(seed: bytes) -> Iterator[int]:
    """QQ-DRAW-1 step 5: 8-byte big-endian integers read from HMAC-SHA256(seed, i) blocks.

    Block i is HMAC-SHA256(key=seed, msg=i as 8-byte big-endian), i = 0, 1, 2, ...; each
    32-byte block holds exactly four integers, so the stream never straddles two blocks.
    """
    for i in itertools.count():
        block = hmac.new(seed, i.to_bytes(8, "big"), hashlib.sha256).digest()
        for offset in range(0, len(block), 8):
            yield int.from_bytes(block[offset : offset + 8], "big")


def uniform_below(n: int, stream: Iterator[int]) -> int:
    """QQ-DRAW-1 step 6: a uniform integer in [0, n) by rejection sampling.

    ``limit = 2^64 - (2^64 mod n)``; integers are read until one is below ``limit`` (for n = 1
    the first is always accepted but still consumed), and that integer mod n is returned.
    """
    if n < 1:
        raise RuleError(f"取值范围无效：{n}")
    limit = _U64 - _U64 % n
    while (u := next(stream)) >= limit:
        pass
    return u % n


def _partial_shuffle(items: list[str], m: int, stream: Iterator[int]) -> None:
    """QQ-DRAW-1 step 7, in place: for k < m, swap items[k] with items[k + uniform(len - k)]."""
    for k in range(m):
        j = k + uniform_below(len(items) - k, stream)
        items[k], items[j] = items[j], items[k]


def qq_draw_1(
    pool: Sequence[str],
    *,
    server_nonce: bytes,
    witness_entropy: str,
    draw_id: str,
    quota: int,
    backups: int,
) -> list[str]:
    """Draw experts at random by QQ-DRAW-1 (实施条例 Art.46: random draw, nobody designates).

    The pool is canonicalised here (sorted by code point, duplicates rejected), so the result
    depends only on the set of codes, not on the order the caller passes them in. Returns
    ``m = min(quota + backups, len(pool))`` codes: the first ``quota`` are the principals, the
    rest the backups in order. Fails when the pool holds fewer than ``quota`` experts.
    """
    if len(server_nonce) != NONCE_BYTES:
        raise RuleError(f"server_nonce 必须为 {NONCE_BYTES} 字节")
    if quota < 1 or backups < 0:
        raise RuleError(f"抽取人数无效：正选 {quota} 名，备选 {backups} 名")
    drawn = canonical_pool(pool)
    if len(drawn) < quota:
        raise RuleError(
            f"专家库中符合条件的专家不足：需要 {quota} 名，仅有 {len(drawn)} 名，本次抽取失败"
        )
    seed = draw_seed(server_nonce, draw_id, _digest(drawn), witness_entropy)
    m = min(quota + backups, len(drawn))
    _partial_shuffle(drawn, m, u64_stream(seed))
    return drawn[:m]


def _proof_shape_problems(proof: Mapping[str, object]) -> list[str]:
    problems = []
    for name, expected in PROOF_FIELDS.items():
        if name not in proof:
            problems.append(f"缺少字段：{name}")
        elif type(proof[name]) is not expected:
            problems.append(f"字段类型错误：{name}")
        elif expected is list and not all(isinstance(code, str) for code in proof[name]):
            problems.append(f"字段类型错误：{name} 须为字符串列表")
    return problems


def verify_proof(proof: Mapping[str, object]) -> list[str]:
    """Re-compute a published QQ-DRAW-1 proof; return the mismatches (empty = valid).

    Checks the algorithm name, that the pool is canonical, the pool digest, the commitment
    (lowercase hex SHA-256 of the nonce), and the drawn sequence re-computed from the
    published pool, nonce, entropy, draw id, quota and backups.
    """
    problems = _proof_shape_problems(proof)
    if problems:
        return problems
    if proof["algorithm"] != ALGORITHM:
        problems.append(f"algorithm 应为 {ALGORITHM}")
    try:
        pool = canonical_pool(proof["pool"])
    except RuleError as exc:
        return [*problems, f"pool 无效：{exc}"]
    if pool != proof["pool"]:
        problems.append("pool 未按码位升序排列")
    if proof["pool_digest"] != _digest(pool):
        problems.append("pool_digest 与 pool 不符")
    try:
        nonce = bytes.fromhex(proof["server_nonce"])
    except ValueError:
        return [*problems, "server_nonce 不是十六进制字符串"]
    if proof["commitment"] != commitment(nonce):
        problems.append("commitment 与 server_nonce 不符")
    try:
        drawn = qq_draw_1(
            pool,
            server_nonce=nonce,
            witness_entropy=proof["witness_entropy"],
            draw_id=proof["draw_id"],
            quota=proof["quota"],
            backups=proof["backups"],
        )
    except RuleError as exc:
        problems.append(f"无法重新计算抽取结果：{exc}")
    else:
        if drawn != proof["drawn"]:
            problems.append("drawn 与重新计算的抽取结果不符")
    return problems


# --------------------------------------------------------------------------------------------
# Rule sets
# --------------------------------------------------------------------------------------------

RuleSetKind = Literal["construction", "procurement"]
DeviationBasis = Literal["item", "total"]
MeanOf = Literal["others", "all"]


@dataclass(frozen=True)
class RuleSet:
    """The configurable numbers of one kind of tender; defaults follow the design.

    - ``max_age``: an expert is excluded when their age in whole years on the evaluation date
      exceeds it [unverified default 70].
    - ``frequency_count`` / ``frequency_days``: excluded when drawn at least that many times in
      the last ``frequency_days`` days; ``per_tenderer_count``: excluded when drawn at least
      that many times for the same tenderer in the same window (default 2).
    - ``past_relation_years``: look-back of employment/director/shareholder relations.
    - committee: at least ``committee_min_size`` members, odd if ``committee_odd``, experts at
      least ``expert_share`` of members (招标投标法 Art.37); for procurement at least
      ``large_budget_min_size`` members when the budget is >= ``large_budget`` yuan.
    - score deviation: ``deviation_threshold`` (ratio), ``deviation_basis`` ("item" or
      "total"), ``deviation_mean_of`` ("others" or "all") [unverified defaults].
    """

    name: str
    kind: RuleSetKind
    max_age: int = 70
    frequency_count: int = 4
    frequency_days: int = 30
    per_tenderer_count: int = 2
    past_relation_years: int = 3
    committee_min_size: int = 5
    committee_odd: bool = True
    expert_share: Fraction = Fraction(2, 3)
    large_budget: Decimal = Decimal("10000000")
    large_budget_min_size: int = 7
    deviation_threshold: Decimal = Decimal("0.30")
    deviation_basis: DeviationBasis = "item"
    deviation_mean_of: MeanOf = "others"

    def __post_init__(self) -> None:
        if self.kind not in ("construction", "procurement"):
            raise RuleError(f"规则集类型无效：{self.kind}")
        if self.deviation_basis not in ("item", "total"):
            raise RuleError(f"偏离度计算口径无效：{self.deviation_basis}")
        if self.deviation_mean_of not in ("others", "all"):
            raise RuleError(f"偏离度均值口径无效：{self.deviation_mean_of}")


CONSTRUCTION = RuleSet(name="工程建设项目招标", kind="construction")
PROCUREMENT = RuleSet(name="政府采购", kind="procurement")


# --------------------------------------------------------------------------------------------
# Eligibility and avoidance
# --------------------------------------------------------------------------------------------

ExpertStatus = Literal["active", "suspended", "retired", "removed"]
RelationKind = Literal["employee", "director", "shareholder"]

EXCLUSION_LABELS: dict[str, str] = {
    "SPECIALTY": "不具备所需专业",
    "STATUS": "非在库可用状态（暂停、退休、除名或禁入期内）",
    "AGE": "评标之日超过年龄上限",
    "UNAVAILABLE": "请假或已参加时间重叠的评标",
    "EMPLOYER": "现任职于招标人、招标代理机构或投标人",
    "PAST_EMPLOYER": "近年内曾任职于投标人或任其董事、股东",
    "DECLARED_CONFLICT": "申报的关联单位涉及招标人或投标人",
    "SUPERVISOR_STAFF": "本项目行政监督部门工作人员",
    "FREQUENCY": "近期被抽中次数过多",
    "REGION": "异地抽取时与项目属同一地区",
    "MANUAL": "监督人员书面说明理由予以排除",
}
EXCLUSION_CODES = tuple(EXCLUSION_LABELS)


@dataclass(frozen=True)
class Interval:
    """A half-open time interval [start, end): sessions touching at one instant do not overlap."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise RuleError("时间段的结束时间必须晚于开始时间")

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class DateRange:
    """A closed range of days [start, end], both days included (e.g. declared leave)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise RuleError("日期区间的结束日期不能早于开始日期")

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Relation:
    """An employment, directorship or shareholding; ``end`` is the last day (None = current)."""

    org_uscc: str
    kind: RelationKind
    start: date
    end: date | None = None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class PastDraw:
    """A past draw in which the expert was selected: the draw's date and the tenderer."""

    on: date
    tenderer_uscc: str


@dataclass(frozen=True)
class ExpertFacts:
    """What eligibility needs to know about one expert.

    ``employer_uscc`` is the current employer; together with the ``employment`` relations of
    kind "employee" active on the evaluation date it forms the expert's current employers
    (government departments have USCCs too, so this also tells supervising-department staff).
    ``ban_until`` is the last day of a ban. ``manual_exclusion`` is a supervisor's written
    reason, or None.
    """

    code: str
    birth_date: date
    specialities: frozenset[str]
    status: ExpertStatus = "active"
    ban_until: date | None = None
    employer_uscc: str | None = None
    employment: tuple[Relation, ...] = ()
    declared_related: frozenset[str] = frozenset()
    region_code: str = ""
    leave: tuple[DateRange, ...] = ()
    booked_sessions: tuple[Interval, ...] = ()
    past_draws: tuple[PastDraw, ...] = ()
    manual_exclusion: str | None = None

    def __post_init__(self) -> None:
        if self.manual_exclusion is not None and not self.manual_exclusion.strip():
            raise RuleError("人工排除专家必须书面说明理由")


@dataclass(frozen=True)
class ProjectFacts:
    """The project side of eligibility. ``evaluation_date`` is the local (Beijing) date."""

    evaluation_date: date
    session: Interval
    tenderer_uscc: str
    bidder_usccs: frozenset[str]
    agency_uscc: str | None = None
    supervising_dept_uscc: str | None = None
    region_code: str = ""


@dataclass(frozen=True)
class QuotaFacts:
    """One quota of a draw request: requested speciality codes and the 异地 requirement."""

    speciality_codes: tuple[str, ...]
    requires_other_region: bool = False

    def __post_init__(self) -> None:
        if not self.speciality_codes or not all(self.speciality_codes):
            raise RuleError("抽取条件须至少包含一个有效的专业代码")


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years (周岁) on ``day``; it increases on the birthday.

    Someone born on Feb 29 reaches the next year of age on Mar 1 in common years.
    """
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` years earlier; Feb 29 maps to Feb 28 in common years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _current_employers(expert: ExpertFacts, day: date) -> Collection[str]:
    """The current employers (see ``ExpertFacts``); no set is built without relations."""
    employer = (expert.employer_uscc,) if expert.employer_uscc else ()
    if not expert.employment:
        return employer
    current = {r.org_uscc for r in expert.employment if r.kind == "employee" and r.active_on(day)}
    return current.union(employer)


def _born_by(day: date, max_age: int) -> date | None:
    """The last birth date whose age on ``day`` exceeds ``max_age`` (None: no such date).

    ``age_on(b, day) > max_age`` means the (max_age + 1)th birthday is on or before ``day``,
    i.e. ``b <= years_before(day, max_age + 1)``: comparing (year, month, day) of b with
    (day.year - max_age - 1, day.month, day.day); when ``day`` is Feb 29 and that year is
    common, Feb 28 bounds the same birth dates (Feb 29 births reach the age on Mar 1).
    """
    year = day.year - max_age - 1
    if year < date.min.year:
        return None
    if year > date.max.year:
        return date.max
    return years_before(day, max_age + 1)


def _exclusion_test(
    project: ProjectFacts, quota: QuotaFacts, ruleset: RuleSet
) -> Callable[[ExpertFacts], list[str]]:
    """The exclusion rules of ``exclusion_codes`` bound to one project, quota and rule set.

    Everything that depends only on the project side is computed here, once; the returned
    function applies each rule to one expert (the only implementation of the rules). The
    rules about leave, sessions, relations, declarations and past draws first check that the
    expert has any, so the common expert (none of those) costs only the speciality, status,
    age, employer and region comparisons.
    """
    if quota.requires_other_region and not project.region_code:
        raise RuleError("项目未填写所在地区，无法进行异地抽取")
    day = project.evaluation_date
    session = project.session
    requested = tuple(quota.speciality_codes)  # SPECIALTY: str.startswith takes a tuple
    born_by = _born_by(day, ruleset.max_age)  # AGE
    tenderer = project.tenderer_uscc
    bidders = project.bidder_usccs
    tenderer_and_bidders = frozenset({tenderer, *bidders})  # DECLARED_CONFLICT
    agency = {project.agency_uscc} if project.agency_uscc else set()
    parties = tenderer_and_bidders | agency  # EMPLOYER
    relation_cutoff = years_before(day, ruleset.past_relation_years)  # PAST_EMPLOYER
    department = project.supervising_dept_uscc  # SUPERVISOR_STAFF
    window_start = day - timedelta(days=ruleset.frequency_days)  # FREQUENCY, exclusive
    frequency_count = ruleset.frequency_count
    per_tenderer_count = ruleset.per_tenderer_count
    avoided_region = project.region_code if quota.requires_other_region else None  # REGION

    def codes_of(e: ExpertFacts) -> list[str]:
        codes = []
        for held in e.specialities:  # a loop, not any(): twice as fast for 1-3 codes
            if held.startswith(requested):
                break
        else:  # no held code matched
            codes.append("SPECIALTY")
        if e.status != "active" or (e.ban_until is not None and day <= e.ban_until):
            codes.append("STATUS")
        if born_by is not None and e.birth_date <= born_by:
            codes.append("AGE")
        if (e.leave or e.booked_sessions) and (
            any(leave.covers(day) for leave in e.leave)
            or any(booked.overlaps(session) for booked in e.booked_sessions)
        ):
            codes.append("UNAVAILABLE")
        employers = _current_employers(e, day)
        if not parties.isdisjoint(employers):
            codes.append("EMPLOYER")
        if e.employer_uscc in bidders or (
            e.employment
            and any(
                r.org_uscc in bidders
                and r.start <= day
                and (r.end is None or r.end >= relation_cutoff)
                for r in e.employment
            )
        ):
            codes.append("PAST_EMPLOYER")
        if e.declared_related and not e.declared_related.isdisjoint(tenderer_and_bidders):
            codes.append("DECLARED_CONFLICT")
        if department is not None and department in employers:
            codes.append("SUPERVISOR_STAFF")
        recent = (  # the tenderers of the draws inside the window
            [draw.tenderer_uscc for draw in e.past_draws if window_start < draw.on <= day]
            if e.past_draws
            else []
        )  # both counts are still compared: a count setting of 0 excludes everybody
        if len(recent) >= frequency_count or recent.count(tenderer) >= per_tenderer_count:
            codes.append("FREQUENCY")
        if avoided_region is not None and (not e.region_code or e.region_code == avoided_region):
            codes.append("REGION")
        if e.manual_exclusion is not None:
            codes.append("MANUAL")
        return codes

    return codes_of


def exclusion_codes(
    expert: ExpertFacts, project: ProjectFacts, quota: QuotaFacts, ruleset: RuleSet
) -> list[str]:
    """All reasons that keep ``expert`` out of ``quota``'s pool, in ``EXCLUSION_CODES`` order.

    Legal basis: 实施条例 Art.46 (draw within the relevant speciality; staff of the supervising
    department may not sit on projects it supervises); 招标投标法 Art.37 and 暂行规定 Art.12
    (no member with an interest in a bidder); the rest are rule-set practice. Boundaries:

    - SPECIALTY: an expert code matches a requested code it starts with ("A0102" matches
      "A01"); a broader expert code does not match a narrower request.
    - STATUS: any status but "active", or a ban whose last day ``ban_until`` is on or after the
      evaluation date.
    - AGE: excluded when the age in whole years on the evaluation date is greater than
      ``max_age``: with 70, eligible up to the day before the 71st birthday.
    - UNAVAILABLE: a leave range (both ends included) covers the evaluation date, or a booked
      session overlaps this one (half-open intervals: back-to-back sessions do not overlap).
    - EMPLOYER: a current employer (see ``ExpertFacts``) is the tenderer, agency or a bidder.
    - PAST_EMPLOYER: a relation with a bidder whose last day is on or after the same calendar
      day ``past_relation_years`` years before the evaluation date (that day counts as within
      the window). Current relations and the current employer count too, so a current
      employee of a bidder gets both EMPLOYER and PAST_EMPLOYER.
    - DECLARED_CONFLICT: a declared related organisation is the tenderer or a bidder.
    - FREQUENCY: counts past draws dated d with ``evaluation_date - frequency_days < d <=
      evaluation_date`` (the evaluation day and the N-1 days before it).
    - REGION: only for quotas requiring another region; an expert without a region code is
      excluded too, since the requirement cannot be shown to hold.

    For many experts of one quota use ``exclusion_codes_many``, which this calls.
    """
    return exclusion_codes_many((expert,), project, quota, ruleset)[0]


def exclusion_codes_many(
    experts: Iterable[ExpertFacts], project: ProjectFacts, quota: QuotaFacts, ruleset: RuleSet
) -> list[list[str]]:
    """``exclusion_codes`` of each expert, in input order (rules and legal basis: see there).

    The project, quota and rule-set side (parties, cut-off days, the requested codes) is
    computed once for all experts. A quota requiring another region for a project without a
    region code is refused with ``RuleError`` as soon as there is an expert to check.
    """
    experts = list(experts)
    if not experts:
        return []
    return list(map(_exclusion_test(project, quota, ruleset), experts))


def committee_is_valid(
    total_members: int, expert_members: int, ruleset: RuleSet, budget: Decimal | None
) -> list[str]:
    """Problems with a committee's composition (empty = valid).

    招标投标法 Art.37: five or more members, an odd number, experts at least two thirds.
    87号令 Art.47 (procurement rule set): seven or more when the budget is >= 10,000,000 yuan;
    the budget is required for that rule set. Numbers come from ``ruleset``.
    """
    problems = []
    if not 0 <= expert_members <= total_members:
        problems.append(f"专家人数 {expert_members} 与成员总数 {total_members} 不符")
    min_size = ruleset.committee_min_size
    if ruleset.kind == "procurement":
        if budget is None:
            problems.append("政府采购项目须提供采购预算金额")
        elif budget >= ruleset.large_budget:
            min_size = max(min_size, ruleset.large_budget_min_size)
    if total_members < min_size:
        problems.append(f"评标委员会成员应不少于 {min_size} 人，现为 {total_members} 人")
    if ruleset.committee_odd and total_members % 2 == 0:
        problems.append(f"评标委员会成员人数应为单数，现为 {total_members} 人")
    if expert_members < ruleset.expert_share * total_members:
        problems.append(
            f"技术、经济等方面的专家应不少于成员总数的 {ruleset.expert_share}，"
            f"现为 {expert_members}/{total_members}"
        )
    return problems


MIN_BIDDERS = 3


def bidders_sufficient(bidder_count: int) -> list[str]:
    """Problems with the number of bidders before evaluation starts (empty = enough).

    招标投标法实施条例 Art.44: with fewer than 3 bidders the bids are not opened and the
    tenderer re-tenders; so an evaluation session cannot start with fewer than 3.
    """
    if bidder_count < MIN_BIDDERS:
        return [
            f"投标人少于 {MIN_BIDDERS} 个（现为 {bidder_count} 个），不得开标评标，"
            "招标人应当依法重新招标（招标投标法实施条例第四十四条）"
        ]
    return []


def chair_tally(
    votes: Mapping[str, str], candidates: Collection[str]
) -> tuple[str | None, list[str]]:
    """The chair elected by one round of votes (voter -> candidate), each member one vote.

    《评标委员会和评标方法暂行规定》Art.9: the chair is elected by the members (or appointed by
    the tenderer) and has the same vote as every other member. The candidate with the most
    votes is elected; a tie for the most votes elects nobody and returns the tied candidates
    (sorted) for a re-vote among them. A vote for a non-candidate is refused (RuleError).
    """
    if not votes:
        raise RuleError("尚无投票")
    for voter, candidate in votes.items():
        if candidate not in candidates:
            raise RuleError(f"{voter} 所投对象不是本轮候选人：{candidate}")
    counts = Counter(votes.values())
    top = max(counts.values())
    leaders = sorted(c for c, n in counts.items() if n == top)
    if len(leaders) == 1:
        return leaders[0], []
    return None, leaders


# --------------------------------------------------------------------------------------------
# Seating (工位制): rooms, then workstations
# --------------------------------------------------------------------------------------------

_WEIGHT_RANGE = 2**20


def _substream(seed: bytes, label: bytes) -> Iterator[int]:
    """The QQ-DRAW-1 byte stream keyed by HMAC-SHA256(seed, label): one per use of a seed."""
    return u64_stream(hmac.new(seed, label, hashlib.sha256).digest())


def _check_counts(counts: Mapping[str, int], what: str) -> None:
    for key, count in counts.items():
        if count < 0:
            raise RuleError(f"{what}不能为负数：{key}")


def allocate_rooms(
    committees: Mapping[str, int],
    rooms: Mapping[str, int],
    seed: bytes,
    *,
    occupied: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, list[str]]:
    """Rooms for the experts of every committee at one centre in one time slot (同标不同室).

    Returns committee id -> one room id per expert (list length = the committee's count).
    Capacities are respected; the number of same-committee pairs sharing a room is the least
    possible, so it is zero whenever an allocation without such pairs exists.

    ``occupied`` (committee -> room -> members already seated there, e.g. when a replacement
    joins a committee seated earlier) counts those members in the pairs: a new expert of a
    committee in a room already holding m of its members adds m pairs. ``rooms`` then gives
    the places still free.

    Method: a min-cost flow (source -> committee, capacity = count; committee -> room, the k-th
    expert of a committee in a room costing k - 1 extra pairs; room -> sink, capacity = room
    capacity), solved by successive shortest paths. To choose at random among the optimal
    allocations, every committee-room edge also carries a random weight drawn from ``seed``;
    the weights are scaled below one pair, so they only break ties between optimal
    allocations. Each committee's rooms are then shuffled over its experts. Randomness is the
    QQ-DRAW-1 byte stream keyed by HMAC-SHA256(seed, "QQ-SEAT-ROOMS"), read over ids in
    sorted order: the result depends only on the mapping contents and the seed.
    """
    _check_counts(committees, "评标委员会人数")
    _check_counts(rooms, "评标室容量")
    need, capacity = sum(committees.values()), sum(rooms.values())
    if need > capacity:
        raise RuleError(f"评标室工位不足：需要 {need} 个，仅有 {capacity} 个")
    stream = _substream(seed, b"QQ-SEAT-ROOMS")
    committee_ids = sorted(c for c in committees if committees[c] > 0)
    room_ids = sorted(rooms)
    weights = [[uniform_below(_WEIGHT_RANGE, stream) for _ in room_ids] for _ in committee_ids]
    present = occupied or {}
    _check_counts(
        {f"{c}/{r}": n for c, by_room in present.items() for r, n in by_room.items()},
        "已就座人数",
    )
    flow = _min_cost_allocation(
        [committees[c] for c in committee_ids],
        [rooms[r] for r in room_ids],
        weights,
        [[present.get(c, {}).get(r, 0) for r in room_ids] for c in committee_ids],
    )
    allocation: dict[str, list[str]] = {c: [] for c in sorted(committees)}
    for c, row in zip(committee_ids, flow, strict=True):
        places = [room for room, count in zip(room_ids, row, strict=True) for _ in range(count)]
        _partial_shuffle(places, len(places), stream)
        allocation[c] = places
    return allocation


def _min_cost_allocation(
    demands: list[int],
    capacities: list[int],
    weights: list[list[int]],
    present: list[list[int]],
) -> list[list[int]]:
    """flow[c][r] minimising sum(C(present + flow, 2) * scale + flow * weight) with the given
    sums (``present``: members already in the room).

    Successive shortest paths with Dijkstra and Johnson potentials over the residual graph;
    the parallel committee->room edges of increasing cost are implicit: the next unit on
    (c, r) costs ``flow * scale + weight``, cancelling one gives back the last unit's cost.
    """
    n_c, n_r = len(demands), len(capacities)
    source, sink = n_c + n_r, n_c + n_r + 1
    scale = sum(demands) * _WEIGHT_RANGE + 1  # one extra pair outweighs all weights together
    flow = [[0] * n_r for _ in range(n_c)]
    sent, used = [0] * n_c, [0] * n_r
    potential = [0] * (n_c + n_r + 2)

    def unit_cost(c: int, r: int, units_before: int) -> int:
        return (present[c][r] + units_before) * scale + weights[c][r]

    def arcs(u: int) -> Iterator[tuple[int, int]]:
        if u == source:
            yield from ((c, 0) for c in range(n_c) if sent[c] < demands[c])
        elif u < n_c:
            yield from ((n_c + r, unit_cost(u, r, flow[u][r])) for r in range(n_r))
        elif u < n_c + n_r:
            r = u - n_c
            yield from ((c, -unit_cost(c, r, flow[c][r] - 1)) for c in range(n_c) if flow[c][r])
            if used[r] < capacities[r]:
                yield sink, 0

    for _ in range(sum(demands)):
        distance, previous = _dijkstra(len(potential), source, arcs, potential)
        for node, d in enumerate(distance):
            if d is not None:
                potential[node] += d
        v = sink
        while v != source:
            u = previous[v]
            if u == source:
                sent[v] += 1
            elif v == sink:
                used[u - n_c] += 1
            elif u < n_c:
                flow[u][v - n_c] += 1
            else:
                flow[v][u - n_c] -= 1
            v = u
    return flow


def _dijkstra(
    n: int,
    source: int,
    arcs: Callable[[int], Iterable[tuple[int, int]]],
    potential: Sequence[int],
) -> tuple[list[int | None], list[int]]:
    """Dense Dijkstra on reduced costs; returns distances (None = unreachable) and parents."""
    distance: list[int | None] = [None] * n
    previous = [-1] * n
    done = [False] * n
    distance[source] = 0
    while True:
        open_nodes = [v for v in range(n) if not done[v] and distance[v] is not None]
        if not open_nodes:
            return distance, previous
        u = min(open_nodes, key=distance.__getitem__)
        done[u] = True
        for v, cost in arcs(u):
            candidate = distance[u] + cost + potential[u] - potential[v]
            if distance[v] is None or candidate < distance[v]:
                distance[v], previous[v] = candidate, u


def collision_pairs(allocation: Mapping[str, Sequence[str]]) -> int:
    """Number of pairs of experts of one committee sharing a room (同标不同室 violations)."""
    return sum(
        math.comb(count, 2) for rooms in allocation.values() for count in Counter(rooms).values()
    )


def seat_within_rooms(
    allocation: Mapping[str, Sequence[str]],
    seats_by_room: Mapping[str, Sequence[str]],
    seed: bytes,
) -> dict[str, list[str]]:
    """Workstations for an allocation: committee id -> the workstation of each expert.

    Each room's workstations are sorted, then shuffled by the QQ-DRAW-1 byte stream keyed by
    HMAC-SHA256(seed, "QQ-SEAT-WORKSTATIONS"); the room's experts (committees in sorted order,
    each in list order) take the first ones. Workstation ids must be distinct.
    """
    all_seats = [seat for seats in seats_by_room.values() for seat in seats]
    if len(set(all_seats)) != len(all_seats):
        raise RuleError("工位编号重复")
    occupants: dict[str, list[tuple[str, int]]] = {}
    for committee in sorted(allocation):
        for index, room in enumerate(allocation[committee]):
            occupants.setdefault(room, []).append((committee, index))
    stream = _substream(seed, b"QQ-SEAT-WORKSTATIONS")
    seat_of: dict[tuple[str, int], str] = {}
    for room in sorted(occupants):
        if room not in seats_by_room:
            raise RuleError(f"评标室不存在：{room}")
        seats = sorted(seats_by_room[room])
        if len(occupants[room]) > len(seats):
            raise RuleError(f"评标室 {room} 工位不足")
        _partial_shuffle(seats, len(occupants[room]), stream)
        seat_of.update(zip(occupants[room], seats, strict=False))
    return {
        committee: [seat_of[committee, i] for i in range(len(rooms))]
        for committee, rooms in allocation.items()
    }


# --------------------------------------------------------------------------------------------
# Scoring and ranking
# --------------------------------------------------------------------------------------------

DROP_EXTREMES_MIN_EXPERTS = 7
MAX_CANDIDATES = 3


def _exact(value: Decimal | Fraction | int) -> Fraction:
    """The exact value of a score or amount; floats and non-finite Decimals are refused."""
    if isinstance(value, float) or (isinstance(value, Decimal) and not value.is_finite()):
        raise RuleError(f"分值和金额须为有限的 Decimal，不能为浮点数：{value!r}")
    return Fraction(value)


def round_half_up(value: Decimal | Fraction, places: int = 2) -> Decimal:
    """Round an exact value half up (away from zero on a tie) to ``places`` decimal places."""
    exact = _exact(value) * 10**places
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    return Decimal(magnitude if exact >= 0 else -magnitude).scaleb(-places)


def _check_prices(prices: Mapping[str, Decimal]) -> None:
    if not prices:
        raise RuleError("没有有效投标报价")
    for bidder, price in prices.items():
        if _exact(price) <= 0:
            raise RuleError(f"投标报价必须大于零：{bidder}")


def low_price_scores(prices: Mapping[str, Decimal], weight: Decimal) -> dict[str, Decimal]:
    """Price scores by the low-price benchmark (低价优先法, 87号令 Art.55).

    ``benchmark = the lowest valid price``; ``score = weight * benchmark / price``, exact, then
    rounded half up to 2 places. ``prices`` holds the valid bids only.
    """
    _check_prices(prices)
    benchmark = min(prices.values())
    return {
        bidder: round_half_up(_exact(weight) * _exact(benchmark) / _exact(price))
        for bidder, price in prices.items()
    }


def k_factor_scores(
    prices: Mapping[str, Decimal],
    weight: Decimal,
    *,
    k: Decimal,
    deduct_above: Decimal,
    deduct_below: Decimal,
    drop_extremes_from: int | None = None,
) -> dict[str, Decimal]:
    """Price scores against a K-factor benchmark (configurable per project; no statute).

    ``benchmark = k * mean(prices)``; when ``drop_extremes_from`` is set and there are at
    least that many bids, one highest and one lowest price are left out of the mean (those
    bidders are still scored). ``deviation = (price - benchmark) / benchmark * 100`` (percent,
    not rounded); ``score = weight - deduct_above * deviation`` above the benchmark,
    ``weight - deduct_below * |deviation|`` below it, never below 0; rounded half up to 2
    places.
    """
    _check_prices(prices)
    if drop_extremes_from is not None and drop_extremes_from < 3:
        raise RuleError("去掉最高价和最低价的最少投标数应不少于 3")
    basis = sorted(_exact(p) for p in prices.values())
    if drop_extremes_from is not None and len(basis) >= drop_extremes_from:
        basis = basis[1:-1]
    benchmark = _exact(k) * sum(basis) / len(basis)
    scores = {}
    for bidder, price in prices.items():
        deviation = (_exact(price) - benchmark) / benchmark * 100
        rate = deduct_above if deviation > 0 else deduct_below
        score = max(_exact(weight) - _exact(rate) * abs(deviation), Fraction(0))
        scores[bidder] = round_half_up(score)
    return scores


@dataclass(frozen=True)
class DeviationWarning:
    """An expert's score outside the allowed deviation from the reference mean.

    ``item`` is None for the "total" basis; ``mean`` is rounded to 2 places and ``ratio`` =
    |score - mean| / mean to 4 places (``Decimal("Infinity")`` when the mean is 0).
    """

    expert: str
    item: str | None
    score: Decimal
    mean: Decimal
    ratio: Decimal


def deviation_warnings(
    scores: Mapping[str, Mapping[str, Decimal]],
    threshold: Decimal,
    basis: DeviationBasis,
    mean_of: MeanOf,
) -> list[DeviationWarning]:
    """Scores outside ±threshold of the mean, which need a written explanation (design rule).

    ``scores``: expert -> item -> score; every expert must score the same items. ``basis``
    "item" compares each item, "total" each expert's sum. ``mean_of`` "others" takes the mean
    of the other experts, "all" includes the expert. A score is flagged only when
    ``|score - mean| / mean > threshold`` strictly, compared exactly: a deviation of exactly
    the threshold is not a warning. With fewer than two experts there is nothing to compare.
    Warnings come in item order (first expert's order), then expert order.
    """
    experts = list(scores)
    if len(experts) < 2:
        return []
    items = list(scores[experts[0]])
    if any(set(scores[e]) != set(items) for e in experts):
        raise RuleError("各专家的评分项不一致")
    if basis == "item":
        columns = [(item, {e: scores[e][item] for e in experts}) for item in items]
    else:
        columns = [(None, {e: sum(scores[e].values(), Decimal(0)) for e in experts})]
    limit = _exact(threshold)
    warnings = []
    for item, column in columns:
        total = sum(_exact(v) for v in column.values())
        for expert, score in column.items():
            if mean_of == "others":
                mean = (total - _exact(score)) / (len(experts) - 1)
            else:
                mean = total / len(experts)
            gap = abs(_exact(score) - mean)
            if gap > limit * mean:
                ratio = round_half_up(gap / mean, 4) if mean else Decimal("Infinity")
                warnings.append(DeviationWarning(expert, item, score, round_half_up(mean), ratio))
    return warnings


def review_outcomes(
    votes: Mapping[str, Mapping[str, Mapping[str, bool]]],
    *,
    fail_share: Fraction = Fraction(1, 2),
) -> dict[str, dict[str, bool]]:
    """Pass/fail of each bidder on each preliminary-review item (初步评审).

    ``votes``: bidder -> item -> expert -> passed. A bidder fails an item when the number of
    experts failing it is strictly greater than ``fail_share`` of the votes (default: a strict
    majority, so a tie passes). Returns bidder -> item -> passed.
    """
    outcomes: dict[str, dict[str, bool]] = {}
    for bidder, items in votes.items():
        outcomes[bidder] = {}
        for item, by_expert in items.items():
            if not by_expert:
                raise RuleError(f"{bidder} 的评审项 {item} 没有专家意见")
            fails = sum(not passed for passed in by_expert.values())
            outcomes[bidder][item] = not fails > fail_share * len(by_expert)
    return outcomes


def subjective_means(
    sheets: Mapping[str, Mapping[str, Decimal]], *, drop_extremes: bool
) -> dict[str, Decimal]:
    """Mean over experts of each bidder's subjective total, rounded half up to 2 places.

    ``sheets``: expert -> bidder -> total. With ``drop_extremes`` and at least
    ``DROP_EXTREMES_MIN_EXPERTS`` (7) experts, one highest and one lowest total per bidder are
    left out of the mean.
    """
    if not sheets:
        raise RuleError("没有专家评分")
    bidders = list(next(iter(sheets.values())))
    if any(set(sheet) != set(bidders) for sheet in sheets.values()):
        raise RuleError("各专家评分的投标人不一致")
    means = {}
    for bidder in bidders:
        values = sorted(_exact(sheet[bidder]) for sheet in sheets.values())
        if drop_extremes and len(values) >= DROP_EXTREMES_MIN_EXPERTS:
            values = values[1:-1]
        means[bidder] = round_half_up(sum(values) / len(values))
    return means


def final_scores(
    sheets: Mapping[str, Mapping[str, Decimal]],
    objective: Mapping[str, Decimal],
    *,
    drop_extremes: bool = False,
) -> dict[str, Decimal]:
    """Final score per bidder (综合评估法, 招标投标法 Art.41(1)).

    The rounded mean of subjective totals (``subjective_means``) plus the objective score
    (price and other computed items) rounded half up to 2 places; the total is their exact sum,
    so a report's columns add up.
    """
    means = subjective_means(sheets, drop_extremes=drop_extremes)
    if set(objective) != set(means):
        raise RuleError("客观分与主观分的投标人不一致")
    return {bidder: mean + round_half_up(objective[bidder]) for bidder, mean in means.items()}


@dataclass(frozen=True)
class RankEntry:
    """One valid bid in the comprehensive method: final total, price and technical score."""

    bidder: str
    total: Decimal
    price: Decimal
    technical: Decimal


@dataclass(frozen=True)
class Lot:
    """QQ-DRAW-1 parameters of the verifiable lot that orders tied bidders.

    The g-th tied group in rank order (g = 1, 2, ...) is ordered by ``qq_draw_1`` over its
    bidder ids with ``draw_id = f"{draw_id}#{g}"``, ``quota`` = group size and no backups.
    """

    draw_id: str
    server_nonce: bytes
    witness_entropy: str


class TieError(RuleError):
    """Bidders remain tied after every rule; ``groups`` lists them, each in code-point order."""

    def __init__(self, groups: list[list[str]]):
        names = "；".join("、".join(group) for group in groups)
        super().__init__(f"以下投标人排名并列，须以可验证抽签确定顺序：{names}")
        self.groups = groups


def _order(keyed: Iterable[tuple[tuple, str]], lot: Lot | None) -> list[str]:
    """Bidders sorted by key; each group of equal keys ordered by the lot (see ``Lot``)."""
    groups = [
        [bidder for _, bidder in group]
        for _, group in itertools.groupby(sorted(keyed), key=lambda pair: pair[0])
    ]
    ties = [group for group in groups if len(group) > 1]
    if lot is None:
        if ties:
            raise TieError(ties)
        return [bidder for group in groups for bidder in group]
    ranking: list[str] = []
    tie_number = 0
    for group in groups:
        if len(group) == 1:
            ranking.extend(group)
            continue
        tie_number += 1
        lot_id = f"{lot.draw_id}#{tie_number}"
        ranking.extend(
            qq_draw_1(
                group,
                server_nonce=lot.server_nonce,
                witness_entropy=lot.witness_entropy,
                draw_id=lot_id,
                quota=len(group),
                backups=0,
            )
        )
    return ranking


def rank_comprehensive(entries: Sequence[RankEntry], lot: Lot | None = None) -> list[str]:
    """Ranking by the comprehensive method (综合评估法, 招标投标法 Art.41(1)).

    Higher total first; ties by lower price, then higher technical score, then the verifiable
    lot ``lot`` (QQ-DRAW-1). Raises ``TieError`` naming the tied groups when a lot is needed
    and ``lot`` is None, so the caller can commit a nonce and ask the witness first.
    """
    if len({e.bidder for e in entries}) != len(entries):
        raise RuleError("投标人重复")
    return _order((((-e.total, e.price, -e.technical), e.bidder) for e in entries), lot)


def rank_lowest_price(
    evaluated_prices: Mapping[str, Decimal],
    review: Mapping[str, Mapping[str, bool]],
    lot: Lot | None = None,
) -> list[str]:
    """Ranking by the lowest evaluated price method (经评审的最低投标价法, 招标投标法 Art.41(2)).

    Only bids passing every review item (``review``: bidder -> item -> passed) are ranked, by
    evaluated price ascending; equal prices are ordered by the verifiable lot as in
    ``rank_comprehensive``.
    """
    if set(review) != set(evaluated_prices):
        raise RuleError("评审结论与评审价格的投标人不一致")
    passing = [bidder for bidder, items in review.items() if all(items.values())]
    return _order((((evaluated_prices[b],), b) for b in passing), lot)


def candidates(ranking: Sequence[str], count: int = MAX_CANDIDATES) -> list[str]:
    """The ranked winning candidates: at most 3 (实施条例 Art.53)."""
    if not 1 <= count <= MAX_CANDIDATES:
        raise RuleError(f"中标候选人应为 1 至 {MAX_CANDIDATES} 个")
    return list(ranking[:count])


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
# Remote-evaluation practice: failures during a session, expert fees
# --------------------------------------------------------------------------------------------
#
# The time limits for failures during a remote evaluation (pure functions, no Django).
#
# Remote cross-site evaluation practice (发改办法规〔2025〕807号 and the city's rules on
# 远程异地评标, as the design summarises them: ../shared/design/bidding.md, "Remote evaluation
# practice"):
#
# - a failure (network, power, device) **before the evaluation starts** that is not fixed within
#   **2 hours** → the tenderer decides whether to postpone the evaluation;
# - a failure **during the evaluation** fixed within **4 hours** → the evaluation continues;
#   otherwise the evaluation materials are sealed and a new committee is formed.
#
# The limits are inclusive: a failure fixed after exactly 2 h (4 h) is still within the limit;
# one second more is beyond it. The software only warns; the decisions are the people's.

BEFORE_START_LIMIT = timedelta(hours=2)
DURING_EVALUATION_LIMIT = timedelta(hours=4)

WARN_BEFORE_START_OPEN = "开标前故障已超过 2 小时仍未排除：由招标人决定是否推迟评标"
WARN_BEFORE_START_LATE = "开标前故障历时超过 2 小时才排除：应已由招标人决定是否推迟评标"
WARN_DURING_OPEN = "评标过程中故障已超过 4 小时仍未排除：应封存评标资料，重新组建评标委员会评标"
WARN_DURING_LATE = "评标过程中故障历时超过 4 小时才排除：应封存评标资料，重新组建评标委员会评标"


def incident_limit(during_evaluation: bool) -> timedelta:
    """2 h before the start, 4 h during the evaluation."""
    return DURING_EVALUATION_LIMIT if during_evaluation else BEFORE_START_LIMIT


def incident_elapsed(
    started_at: datetime, resolved_at: datetime | None, now: datetime
) -> timedelta:
    """How long the failure lasted (until it was fixed) or has lasted so far."""
    end = resolved_at if resolved_at is not None else now
    if end < started_at:
        raise ValueError("the end of an incident cannot precede its start")
    return end - started_at


def incident_warnings(
    started_at: datetime,
    resolved_at: datetime | None,
    now: datetime,
    during_evaluation: bool,
) -> list[str]:
    """The warnings the 2 h / 4 h rules give for one incident (empty while within the limit;
    exactly the limit is still within it)."""
    if incident_elapsed(started_at, resolved_at, now) <= incident_limit(during_evaluation):
        return []
    if during_evaluation:
        return [WARN_DURING_OPEN if resolved_at is None else WARN_DURING_LATE]
    return [WARN_BEFORE_START_OPEN if resolved_at is None else WARN_BEFORE_START_LATE]


def incident_remaining(
    started_at: datetime, resolved_at: datetime | None, now: datetime, during_evaluation: bool
) -> timedelta | None:
    """Time left before the limit for an open incident (zero once beyond); None when fixed."""
    if resolved_at is not None:
        return None
    left = incident_limit(during_evaluation) - incident_elapsed(started_at, None, now)
    return max(left, timedelta(0))


def is_idle(last_seen_at: datetime | None, now: datetime, idle_minutes: int) -> bool:
    """A workstation is idle too long when its last sign of life is strictly older than
    `idle_minutes` (exactly that many minutes is not yet idle); no sign of life → not idle."""
    if last_seen_at is None:
        return False
    return now - last_seen_at > timedelta(minutes=idle_minutes)


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
