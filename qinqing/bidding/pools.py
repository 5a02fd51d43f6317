"""Eligibility of a quota's experts: load the facts in bulk, apply rules.exclusion_codes.

Only experts holding one of the requested specialities are examined; the report lists each
of them that was excluded with every code that applied. The candidates and the expert
columns the rules read come from one index-only range scan of the eligibility index
(`EligibilityEntry`, kept equal to its sources by triggers: `eligibility_index.py`). The
other facts are loaded narrowly — only relations with this tender's parties, leave covering
the day (for experts whose latest leave reaches it), seats overlapping the session or inside
the frequency window (for experts with an outcome in a session that recent) — which is all
the rules can react to, so the result is the same as loading everything, at a fraction of
the cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import reduce
from itertools import islice
from operator import or_

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from qinqing.bidding import eligibility_index, rules
from qinqing.bidding.models import (
    DrawOutcome,
    DrawQuota,
    EligibilityEntry,
    EvaluationSession,
    ExpertDeclaredRelation,
    ExpertLeave,
    ExpertRelation,
    Speciality,
)
from qinqing.core.lookups import Ids
from qinqing.core.models import Organisation


def party_key(org: Organisation | None) -> str | None:
    """How an organisation is matched in avoidance rules: its USCC, else a stable local id."""
    if org is None:
        return None
    return org.uscc or f"org:{org.pk}"


@dataclass(frozen=True)
class PoolResult:
    pool: list[str]
    excluded: list[dict]
    candidates: int

    @property
    def report(self) -> dict:
        return {"candidates": self.candidates, "excluded": self.excluded}


def project_facts(session: EvaluationSession) -> rules.ProjectFacts:
    project = session.section.project
    return rules.ProjectFacts(
        evaluation_date=timezone.localtime(session.starts_at).date(),
        session=rules.Interval(session.starts_at, session.ends_at),
        tenderer_uscc=party_key(project.tenderer),
        bidder_usccs=frozenset(session.section.bidders.values_list("uscc", flat=True)),
        agency_uscc=party_key(project.agency),
        supervising_dept_uscc=project.supervising_department.uscc or None,
        region_code=project.region_code,
    )


def _speciality_codes(quota: DrawQuota) -> list[str]:
    """The requested codes with all their sub-codes, so the index on the code is usable."""
    prefix = reduce(or_, (Q(code__startswith=code) for code in quota.speciality_codes))
    return list(Speciality.objects.filter(prefix).values_list("code", flat=True))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


# The order in which _load_facts passes the facts (it checks at import that it still holds).
FACT_FIELDS = (
    "code",
    "birth_date",
    "specialities",
    "status",
    "ban_until",
    "employer_uscc",
    "employment",
    "declared_related",
    "region_code",
    "leave",
    "booked_sessions",
    "past_draws",
    "manual_exclusion",
)
if tuple(f.name for f in fields(rules.ExpertFacts)) != FACT_FIELDS:  # pragma: no cover
    raise ImportError("pools._load_facts builds ExpertFacts positionally: update it")


NONE: tuple = ()
NO_ONE: frozenset = frozenset()
RULES_BATCH = 256


def _load_facts(
    quota: DrawQuota,
    session: EvaluationSession,
    project: rules.ProjectFacts,
    ruleset: rules.RuleSet,
) -> tuple[int, Iterator[rules.ExpertFacts]]:
    """The number of candidates and their facts, built lazily (see evaluate_pool)."""
    eligibility_index.ensure()
    day = project.evaluation_date
    # Seats that overlap this session or fall inside the frequency window (sessions last less
    # than a day, so both start after window_start).
    window_start = session.starts_at - timedelta(days=ruleset.frequency_days + 1)
    # The candidates: one index-only range scan (an expert holding several of the requested
    # codes has one entry for each). The database compares the two dates, so only the
    # experts that may be on leave or seated have those loaded.
    entries: dict[int, tuple] = {}
    specialities: dict[int, frozenset[str]] = {}
    singletons: dict[str, frozenset[str]] = {}  # one shared set per code, not one per expert
    on_leave, seated = [], []
    for entry in (
        EligibilityEntry.objects.filter(
            database_id=quota.database_id, speciality_id__in=_speciality_codes(quota)
        )
        .annotate(
            may_be_on_leave=_flag(Q(leave_until__gte=day)),
            may_be_seated=_flag(Q(seat_until__gt=window_start)),
        )
        .values_list(
            "expert_id",
            "speciality_id",
            "code",
            "birth_date",
            "status",
            "ban_until",
            "employer_uscc",
            "region_code",
            "may_be_on_leave",
            "may_be_seated",
        )
    ):
        pk, code = entry[0], entry[1]
        if pk in entries:
            specialities[pk] = specialities[pk] | {code}
            continue
        entries[pk] = entry
        held = singletons.get(code)
        if held is None:
            held = singletons[code] = frozenset((code,))
        specialities[pk] = held
        if entry[8]:
            on_leave.append(pk)
        if entry[9]:
            seated.append(pk)
    if not entries:
        return 0, iter(())

    # Relations and declarations with this tender's parties are few, and the index on the
    # organisation finds them; those of experts who are not candidates are dropped here (no
    # join, so no planner can turn this into a walk over the whole register).
    parties = {project.tenderer_uscc, project.agency_uscc, *project.bidder_usccs} - {None}
    relations: dict[int, list[rules.Relation]] = defaultdict(list)
    for expert_id, uscc, kind, start, end in ExpertRelation.objects.filter(
        org_uscc__in=(parties | {project.supervising_dept_uscc}) - {None}
    ).values_list("expert_id", "org_uscc", "kind", "start", "end"):
        if expert_id in entries:
            relations[expert_id].append(rules.Relation(uscc, kind, start, end))
    declared: dict[int, set[str]] = defaultdict(set)
    for expert_id, uscc in ExpertDeclaredRelation.objects.filter(org_uscc__in=parties).values_list(
        "expert_id", "org_uscc"
    ):
        if expert_id in entries:
            declared[expert_id].add(uscc)
    leave: dict[int, list[rules.DateRange]] = defaultdict(list)
    if on_leave:
        for expert_id, start, end in ExpertLeave.objects.filter(
            expert_id__any_of=Ids(on_leave), start__lte=day, end__gte=day
        ).values_list("expert_id", "start", "end"):
            leave[expert_id].append(rules.DateRange(start, end))

    booked: dict[int, list[rules.Interval]] = defaultdict(list)
    past: dict[int, list[rules.PastDraw]] = defaultdict(list)
    if seated:
        this = rules.Interval(session.starts_at, session.ends_at)
        seats = (
            DrawOutcome.objects.filter(
                expert_id__any_of=Ids(seated),
                status__in=DrawOutcome.HOLDING,
                session__starts_at__gt=window_start,
                session__starts_at__lt=session.ends_at,
            )
            .exclude(session=session)
            .order_by()
            .values_list(
                "expert_id",
                "session__starts_at",
                "session__ends_at",
                "session__section__project__tenderer__uscc",
                "session__section__project__tenderer_id",
            )
        )
        for expert_id, starts_at, ends_at, tenderer_uscc, tenderer_id in seats:
            other = rules.Interval(starts_at, ends_at)
            if other.overlaps(this):
                booked[expert_id].append(other)
            other_day = timezone.localtime(starts_at).date()
            if other_day <= day:
                past[expert_id].append(
                    rules.PastDraw(other_day, tenderer_uscc or f"org:{tenderer_id}")
                )

    manual = dict(quota.exclusions.values_list("expert_id", "reason"))
    # Positional arguments in FACT_FIELDS order: a third faster than keywords, and this runs
    # once per candidate.
    facts = rules.ExpertFacts
    return len(entries), (
        facts(
            code,
            birth_date,
            specialities[pk],
            status,
            ban_until,
            employer_uscc or None,
            tuple(relations[pk]) if pk in relations else NONE,
            frozenset(declared[pk]) if pk in declared else NO_ONE,
            region_code,
            tuple(leave[pk]) if pk in leave else NONE,
            tuple(booked[pk]) if pk in booked else NONE,
            tuple(past[pk]) if pk in past else NONE,
            manual.get(pk),
        )
        for pk, _, code, birth_date, status, ban_until, employer_uscc, region_code, _, _ in (
            entries.values()
        )
    )


def evaluate_pool(quota: DrawQuota, *, skip_codes: frozenset[str] = frozenset()) -> PoolResult:
    """The sorted pool of eligible public codes for `quota`, and the exclusion report.

    `skip_codes` are experts already drawn for this session (a supplementary draw leaves them
    out; they are listed with the code ALREADY_DRAWN).
    """
    session = EvaluationSession.objects.select_related(
        "section__project__rule_set",
        "section__project__tenderer",
        "section__project__agency",
        "section__project__supervising_department",
    ).get(pk=quota.session_id)
    ruleset = session.section.project.rule_set.to_rules()
    project = project_facts(session)
    quota_facts = quota.to_rules()
    pool, excluded = [], []
    candidates, facts = _load_facts(quota, session, project, ruleset)
    # The rules run over a few hundred experts at a time, so each batch of facts dies young:
    # thousands of them alive at once would be promoted to the oldest GC generation and
    # trigger a full collection of the process every few draws (the p99).
    while batch := list(islice(facts, RULES_BATCH)):
        verdicts = rules.exclusion_codes_many(batch, project, quota_facts, ruleset)
        for expert, codes in zip(batch, verdicts, strict=True):
            if expert.code in skip_codes:
                codes.append("ALREADY_DRAWN")
            if codes:
                excluded.append({"code": expert.code, "reasons": codes})
            else:
                pool.append(expert.code)
    return PoolResult(
        pool=rules.canonical_pool(pool),
        excluded=sorted(excluded, key=lambda row: row["code"]),
        candidates=candidates,
    )
