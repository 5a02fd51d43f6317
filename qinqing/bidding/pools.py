"""Eligibility of a quota's experts: load the facts in bulk, apply rules.exclusion_codes.

Only experts holding one of the requested specialities are examined (one indexed prefix
query); the report lists each of them that was excluded with every code that applied.
Facts are loaded narrowly — only relations with this tender's parties, leave covering the
day, seats overlapping the session or inside the frequency window — which is all the rules
can react to, so the result is the same as loading everything, at a fraction of the cost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone

from qinqing.bidding import rules
from qinqing.bidding.models import (
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    Expert,
    ExpertDeclaredRelation,
    ExpertLeave,
    ExpertRelation,
    ExpertSpeciality,
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


EXPERT_COLUMNS = ("pk", "code", "birth_date", "status", "ban_until", "employer_uscc", "region_code")
NONE: tuple = ()
NO_ONE: frozenset = frozenset()


def _load_facts(
    quota: DrawQuota, project: rules.ProjectFacts, ruleset: rules.RuleSet
) -> list[rules.ExpertFacts]:
    session = quota.session
    specialities: dict[int, set[str]] = defaultdict(set)
    for expert_id, code in ExpertSpeciality.objects.filter(
        speciality_id__in=_speciality_codes(quota)
    ).values_list("expert_id", "speciality_id"):
        specialities[expert_id].add(code)
    ids = Ids(specialities)
    if not ids.values:
        return []
    experts = Expert.objects.filter(pk__any_of=ids, database=quota.database).values_list(
        *EXPERT_COLUMNS
    )

    parties = {project.tenderer_uscc, project.agency_uscc, *project.bidder_usccs} - {None}
    relations: dict[int, list[rules.Relation]] = defaultdict(list)
    for expert_id, uscc, kind, start, end in ExpertRelation.objects.filter(
        expert_id__any_of=ids,
        org_uscc__in=(parties | {project.supervising_dept_uscc}) - {None},
    ).values_list("expert_id", "org_uscc", "kind", "start", "end"):
        relations[expert_id].append(rules.Relation(uscc, kind, start, end))
    declared: dict[int, set[str]] = defaultdict(set)
    for expert_id, uscc in ExpertDeclaredRelation.objects.filter(
        expert_id__any_of=ids, org_uscc__in=parties
    ).values_list("expert_id", "org_uscc"):
        declared[expert_id].add(uscc)
    day = project.evaluation_date
    leave: dict[int, list[rules.DateRange]] = defaultdict(list)
    for expert_id, start, end in ExpertLeave.objects.filter(
        expert_id__any_of=ids, start__lte=day, end__gte=day
    ).values_list("expert_id", "start", "end"):
        leave[expert_id].append(rules.DateRange(start, end))

    # Seats that overlap this session or fall inside the frequency window (sessions last less
    # than a day, so both start after window_start).
    booked: dict[int, list[rules.Interval]] = defaultdict(list)
    past: dict[int, list[rules.PastDraw]] = defaultdict(list)
    window_start = session.starts_at - timedelta(days=ruleset.frequency_days + 1)
    this = rules.Interval(session.starts_at, session.ends_at)
    seats = (
        DrawOutcome.objects.filter(
            expert_id__any_of=ids,
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
            past[expert_id].append(rules.PastDraw(other_day, tenderer_uscc or f"org:{tenderer_id}"))

    manual = dict(quota.exclusions.values_list("expert_id", "reason"))
    return [
        rules.ExpertFacts(
            code=code,
            birth_date=birth_date,
            specialities=frozenset(specialities[pk]),
            status=status,
            ban_until=ban_until,
            employer_uscc=employer_uscc or None,
            employment=tuple(relations[pk]) if pk in relations else NONE,
            declared_related=frozenset(declared[pk]) if pk in declared else NO_ONE,
            region_code=region_code,
            leave=tuple(leave[pk]) if pk in leave else NONE,
            booked_sessions=tuple(booked[pk]) if pk in booked else NONE,
            past_draws=tuple(past[pk]) if pk in past else NONE,
            manual_exclusion=manual.get(pk),
        )
        for pk, code, birth_date, status, ban_until, employer_uscc, region_code in experts
    ]


def evaluate_pool(quota: DrawQuota, *, skip_codes: frozenset[str] = frozenset()) -> PoolResult:
    """The sorted pool of eligible public codes for `quota`, and the exclusion report.

    `skip_codes` are experts already drawn for this session (a supplementary draw leaves them
    out; they are listed with the code ALREADY_DRAWN).
    """
    ruleset = quota.session.section.project.rule_set.to_rules()
    project = project_facts(quota.session)
    quota_facts = quota.to_rules()
    pool, excluded = [], []
    facts = _load_facts(quota, project, ruleset)
    verdicts = rules.exclusion_codes_many(facts, project, quota_facts, ruleset)
    for expert, codes in zip(facts, verdicts, strict=True):
        if expert.code in skip_codes:
            codes.append("ALREADY_DRAWN")
        if codes:
            excluded.append({"code": expert.code, "reasons": codes})
        else:
            pool.append(expert.code)
    return PoolResult(
        pool=rules.canonical_pool(pool),
        excluded=sorted(excluded, key=lambda row: row["code"]),
        candidates=len(facts),
    )
