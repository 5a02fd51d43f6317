"""Eligibility of a quota's experts: load the facts in bulk, apply rules.exclusion_codes.

Only experts holding one of the requested specialities are examined; the report lists each
of them that was excluded with every code that applied. The candidates and the expert
columns the rules read come from index-only range scans of the eligibility index
(`EligibilityEntry`, kept equal to its sources by triggers: `eligibility_index.py`).

Most candidates are plainly eligible: active, of age, not on leave, never seated recently,
unrelated to the tender's parties. The database splits them off (`_clean`: a conservative
condition on the index's columns under which no rule can apply) and returns their codes as
one array; only the others — typically a fifth — have their facts built and go through the
rules. Their other facts are loaded narrowly — only relations with this tender's parties,
leave covering the day (for experts whose latest leave reaches it), seats overlapping the
session or inside the frequency window (for experts with an outcome in a session that
recent) — which is all the rules can react to, so the result is the same as loading
everything, at a fraction of the cost.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import reduce
from itertools import islice
from operator import or_

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, IntegerField, Q
from django.db.models.expressions import RawSQL
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


def _clean(
    project: rules.ProjectFacts,
    quota: rules.QuotaFacts,
    ruleset: rules.RuleSet,
    window_start,
    flagged: set[int],
) -> tuple[str, list] | None:
    """SQL over the index's columns that is 1 for an entry to which no exclusion rule can
    apply and 0 otherwise (NULL anywhere makes it 0), with its parameters; None when the rule
    set or project leaves no such shortcut (everybody is then examined).

    It is a conservative restatement of `rules.exclusion_codes`, rule by rule; an expert it
    does not prove clean is examined by the rules themselves, so it may only err on the side
    of examining too many (`test_eligibility_index.py` compares every pool with eligibility
    computed from every fact, and puts each column on both sides of its edge):

    - SPECIALTY: every entry read is one of the requested codes or a sub-code of one.
    - STATUS: active, and no ban, or one that ended before the day.
    - AGE: born after the last birth date that is too old on the day (`rules._born_by`).
    - UNAVAILABLE, FREQUENCY: no leave ending on or after the day, and no outcome in a
      session starting after `window_start` (which precedes both the frequency window and
      any session overlapping this one); a count setting of 0 excludes everybody: no shortcut.
    - EMPLOYER, PAST_EMPLOYER, SUPERVISOR_STAFF: the employer column is none of the parties
      nor the supervising department, and the expert has no relation with any of them;
      DECLARED_CONFLICT: no declaration naming a party; MANUAL: no manual exclusion (the
      experts with such relations, declarations or exclusions are `flagged`).
    - REGION: for quotas requiring another region, a region code other than the project's
      (a project without one makes the rules refuse the quota: no shortcut).

    Plain SQL rather than ORM expressions: Django takes milliseconds to compile this
    condition, more than it saves at 100,000 experts.
    """
    if ruleset.frequency_count <= 0 or ruleset.per_tenderer_count <= 0:
        return None
    if quota.requires_other_region and not project.region_code:
        return None
    ops = connection.ops
    day = ops.adapt_datefield_value(project.evaluation_date)
    terms = [
        "status = 'active'",
        "(ban_until IS NULL OR ban_until < %s)",
        "(leave_until IS NULL OR leave_until < %s)",
        "(seat_until IS NULL OR seat_until <= %s)",
    ]
    params = [day, day, ops.adapt_datetimefield_value(window_start)]
    concerned = sorted(
        {
            project.tenderer_uscc,
            project.agency_uscc,
            project.supervising_dept_uscc,
            *project.bidder_usccs,
        }
        - {None}
    )
    if concerned:
        terms.append(f"employer_uscc NOT IN ({', '.join(['%s'] * len(concerned))})")
        params += concerned
    born_by = rules._born_by(project.evaluation_date, ruleset.max_age)
    if born_by is not None:
        terms.append("birth_date > %s")
        params.append(ops.adapt_datefield_value(born_by))
    if quota.requires_other_region:
        terms.append("region_code <> '' AND region_code <> %s")
        params.append(project.region_code)
    if flagged:
        if connection.vendor == "postgresql":
            terms.append("expert_id <> ALL(%s::bigint[])")
            params.append("{" + ",".join(map(str, sorted(flagged))) + "}")
        else:
            terms.append("expert_id NOT IN (SELECT value FROM json_each(%s))")
            params.append(json.dumps(sorted(flagged)))
    return f"CASE WHEN {' AND '.join(terms)} THEN 1 ELSE 0 END", params


def _clean_codes(database_id: int, codes: list[str], clean: tuple[str, list]) -> list[str]:
    """The codes of the entries `clean` proves clean, as one value (an array, not rows)."""
    condition, params = clean
    aggregate = "array_agg" if connection.vendor == "postgresql" else "json_group_array"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {aggregate}(code) FROM {EligibilityEntry._meta.db_table} "  # noqa: S608
            f"WHERE database_id = %s AND speciality_id IN ({', '.join(['%s'] * len(codes))}) "
            f"AND {condition} = 1",
            [database_id, *codes, *params],
        )
        (value,) = cursor.fetchone()
    if value is None:  # array_agg over no rows
        return []
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Candidates:
    """A quota's candidates: how many, the codes proved clean, the facts of the rest."""

    count: int
    clean: list[str]
    suspects: Iterator[rules.ExpertFacts]


def _load_facts(
    quota: DrawQuota,
    session: EvaluationSession,
    project: rules.ProjectFacts,
    ruleset: rules.RuleSet,
) -> _Candidates:
    """The candidates; the facts of those not proved clean are built lazily (see
    evaluate_pool)."""
    eligibility_index.ensure()
    day = project.evaluation_date
    # Seats that overlap this session or fall inside the frequency window (sessions last less
    # than a day, so both start after window_start).
    window_start = session.starts_at - timedelta(days=ruleset.frequency_days + 1)

    # Relations and declarations with this tender's parties are few, and the index on the
    # organisation finds them (no join, so no planner can turn this into a walk over the
    # whole register). Their experts are never proved clean; for those who are not
    # candidates they are loaded and go unused.
    parties = {project.tenderer_uscc, project.agency_uscc, *project.bidder_usccs} - {None}
    relations: dict[int, list[rules.Relation]] = defaultdict(list)
    for expert_id, uscc, kind, start, end in ExpertRelation.objects.filter(
        org_uscc__in=(parties | {project.supervising_dept_uscc}) - {None}
    ).values_list("expert_id", "org_uscc", "kind", "start", "end"):
        relations[expert_id].append(rules.Relation(uscc, kind, start, end))
    declared: dict[int, set[str]] = defaultdict(set)
    for expert_id, uscc in ExpertDeclaredRelation.objects.filter(org_uscc__in=parties).values_list(
        "expert_id", "org_uscc"
    ):
        declared[expert_id].add(uscc)
    manual = dict(quota.exclusions.values_list("expert_id", "reason"))

    # The candidates: index-only range scans of the entries of the requested codes (an expert
    # holding several of them has one entry for each). Those the index's columns prove clean
    # come back as one array of codes; the others as rows, with two flags telling whether
    # their leave and seats need loading.
    clean = _clean(
        project, quota.to_rules(), ruleset, window_start, {*relations, *declared, *manual}
    )
    codes = _speciality_codes(quota)
    suspects = EligibilityEntry.objects.filter(
        database_id=quota.database_id, speciality_id__in=codes
    )
    clean_codes: list[str] = []
    if clean is not None and codes:
        clean_codes = _clean_codes(quota.database_id, codes, clean)
        # `clean` is built from this module's constants; the values are parameters.
        condition = RawSQL(*clean, output_field=IntegerField())  # noqa: S611
        suspects = suspects.alias(clean=condition).filter(clean=0)
    entries: dict[int, tuple] = {}
    specialities: dict[int, frozenset[str]] = {}
    singletons: dict[str, frozenset[str]] = {}  # one shared set per code, not one per expert
    on_leave, seated = [], []
    for entry in suspects.annotate(
        may_be_on_leave=_flag(Q(leave_until__gte=day)),
        may_be_seated=_flag(Q(seat_until__gt=window_start)),
    ).values_list(
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
    # An expert with several requested codes is listed once for each; the columns the
    # condition reads are the expert's own, so all their entries fall on the same side (the
    # set difference only guards against a half-updated index counting one twice).
    clean_set = set(clean_codes).difference(entry[2] for entry in entries.values())
    if not entries:
        return _Candidates(len(clean_set), list(clean_set), iter(()))

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

    # Positional arguments in FACT_FIELDS order: a third faster than keywords, and this runs
    # once per examined candidate.
    facts = rules.ExpertFacts
    return _Candidates(
        len(entries) + len(clean_set),
        list(clean_set),  # unordered: evaluate_pool sorts the pool once
        (
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
        ),
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
    candidates = _load_facts(quota, session, project, ruleset)
    # No rule applies to the clean candidates (see _clean): only ALREADY_DRAWN can.
    pool = [code for code in candidates.clean if code not in skip_codes]
    excluded = [
        {"code": code, "reasons": ["ALREADY_DRAWN"]}
        for code in candidates.clean
        if code in skip_codes
    ]
    # The rules run over a few hundred experts at a time, so each batch of facts dies young:
    # thousands of them alive at once would be promoted to the oldest GC generation and
    # trigger a full collection of the process every few draws (the p99).
    while batch := list(islice(candidates.suspects, RULES_BATCH)):
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
        candidates=candidates.count,
    )
