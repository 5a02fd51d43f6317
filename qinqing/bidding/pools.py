"""Eligibility of a quota's experts: load the facts in bulk, apply rules.exclusion_codes.

Only experts holding one of the requested specialities are examined (one indexed prefix query);
the report lists each of them that was excluded with every code that applied, and counts the
rest of the database as lacking the speciality.
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
    ExpertSpeciality,
)
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
    lacking_speciality: int

    @property
    def report(self) -> dict:
        return {"excluded": self.excluded, "lacking_speciality": self.lacking_speciality}


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


def _speciality_filter(codes: list[str]) -> Q:
    return reduce(or_, (Q(speciality__code__startswith=code) for code in codes))


def candidate_ids(quota: DrawQuota) -> list[int]:
    links = ExpertSpeciality.objects.filter(
        _speciality_filter(list(quota.speciality_codes)), expert__database=quota.database
    )
    return sorted(set(links.values_list("expert_id", flat=True)))


def _facts(
    experts: list[Expert],
    session: EvaluationSession,
    ruleset: rules.RuleSet,
    manual: dict[int, str],
) -> list[rules.ExpertFacts]:
    ids = [e.pk for e in experts]
    specialities, relations, declared, leaves = (
        defaultdict(set),
        defaultdict(list),
        defaultdict(set),
        defaultdict(list),
    )
    for expert_id, code in ExpertSpeciality.objects.filter(expert_id__in=ids).values_list(
        "expert_id", "speciality_id"
    ):
        specialities[expert_id].add(code)
    for expert in experts:
        for r in expert.relations.all():
            relations[expert.pk].append(rules.Relation(r.org_uscc, r.kind, r.start, r.end))
        declared[expert.pk] = {d.org_uscc for d in expert.declared_relations.all()}
        leaves[expert.pk] = [rules.DateRange(v.start, v.end) for v in expert.leaves.all()]

    day = timezone.localtime(session.starts_at).date()
    window_start = session.starts_at - timedelta(days=ruleset.frequency_days + 1)
    booked, past = defaultdict(list), defaultdict(list)
    holding = (
        DrawOutcome.objects.filter(expert_id__in=ids, status__in=DrawOutcome.HOLDING)
        .exclude(session=session)
        .filter(
            Q(session__starts_at__lt=session.ends_at, session__ends_at__gt=session.starts_at)
            | Q(session__starts_at__gte=window_start, session__starts_at__lte=session.ends_at)
        )
        .select_related("session__section__project__tenderer")
    )
    for outcome in holding:
        other = outcome.session
        interval = rules.Interval(other.starts_at, other.ends_at)
        if interval.overlaps(rules.Interval(session.starts_at, session.ends_at)):
            booked[outcome.expert_id].append(interval)
        other_day = timezone.localtime(other.starts_at).date()
        if other_day <= day:
            tenderer = party_key(other.section.project.tenderer)
            past[outcome.expert_id].append(rules.PastDraw(other_day, tenderer))

    return [
        rules.ExpertFacts(
            code=e.code,
            birth_date=e.birth_date,
            specialities=frozenset(specialities[e.pk]),
            status=e.status,
            ban_until=e.ban_until,
            employer_uscc=e.employer_uscc or None,
            employment=tuple(relations[e.pk]),
            declared_related=frozenset(declared[e.pk]),
            region_code=e.region_code,
            leave=tuple(leaves[e.pk]),
            booked_sessions=tuple(booked[e.pk]),
            past_draws=tuple(past[e.pk]),
            manual_exclusion=manual.get(e.pk),
        )
        for e in experts
    ]


def evaluate_pool(quota: DrawQuota, *, skip_codes: frozenset[str] = frozenset()) -> PoolResult:
    """The sorted pool of eligible public codes for `quota`, and the exclusion report.

    `skip_codes` are experts already drawn for this session (a supplementary draw leaves them
    out; they are listed with the code ALREADY_DRAWN).
    """
    session = quota.session
    ruleset = session.section.project.rule_set.to_rules()
    project = project_facts(session)
    quota_facts = quota.to_rules()
    experts = list(
        Expert.objects.filter(pk__in=candidate_ids(quota)).prefetch_related(
            "relations", "declared_relations", "leaves"
        )
    )
    manual = dict(quota.exclusions.values_list("expert_id", "reason"))
    pool, excluded = [], []
    for expert, facts in zip(experts, _facts(experts, session, ruleset, manual), strict=True):
        codes = rules.exclusion_codes(facts, project, quota_facts, ruleset)
        if expert.code in skip_codes:
            codes.append("ALREADY_DRAWN")
        if codes:
            excluded.append({"code": expert.code, "reasons": codes})
        else:
            pool.append(expert.code)
    in_database = Expert.objects.filter(database=quota.database).count()
    return PoolResult(
        pool=rules.canonical_pool(pool),
        excluded=sorted(excluded, key=lambda row: row["code"]),
        lacking_speciality=in_database - len(experts),
    )
