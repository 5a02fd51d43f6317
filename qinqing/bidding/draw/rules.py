"""The law and maths of the draw (pure: no Django; conventions in `qinqing.bidding.rules`):
the verifiable draw QQ-DRAW-1, and eligibility and avoidance."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from qinqing.bidding.projects.rules import RuleSet
from qinqing.bidding.rules import RuleError


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


def partial_shuffle(items: list[str], m: int, stream: Iterator[int]) -> None:
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
    partial_shuffle(drawn, m, u64_stream(seed))
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
