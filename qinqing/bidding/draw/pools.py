"""Eligibility of a quota's experts: load the facts in bulk, apply rules.exclusion_codes.

Only experts holding one of the requested specialities are examined; the report lists each
of them that was excluded with every code that applied. The candidates and the expert
columns the rules read come from one index-only range scan of the eligibility index
(`EligibilityEntry`, kept equal to its sources by triggers: `eligibility_index.py`).

Most candidates are plainly eligible: active, of age, not on leave, never seated recently,
unrelated to the tender's parties. The database splits them off (`_verdicts`: a conservative
condition on the index's columns under which no rule can apply) and returns their codes as
one text. Of the others, those whose only possible reasons are status and age — both read
exactly from the index's columns — come back as codes too, one text per verdict; only the
rest — at 1M experts under 1 % — come back with their columns, have their facts built and
go through the rules. Their other facts are loaded narrowly — only relations with this
tender's parties, leave covering the day (for experts whose leave dates span it), seats
overlapping the session or inside the frequency window (for experts with a session that
recent or ending after this one starts) — which is all the rules can react to, so the
result is the same as loading everything, at a fraction of the cost.

Every read is a plain statement (no ORM query to compile): the session, project and rule
set in one; the relations, declarations and manual exclusions in one; the candidates —
clean codes aggregated, the others as rows, the trigger check — in one scan; leave and seats
in one each, only when some candidate needs them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from itertools import islice
from operator import itemgetter

from django.db import connection
from django.utils import timezone

from qinqing.bidding import eligibility_index
from qinqing.bidding.draw import rules
from qinqing.bidding.models import (
    Bidder,
    DrawOutcome,
    DrawQuota,
    EligibilityEntry,
    EvaluationSession,
    ExpertDeclaredRelation,
    ExpertLeave,
    ExpertRelation,
    Project,
    RuleSet,
    Section,
    Speciality,
)
from qinqing.bidding.projects import rules as project_rules
from qinqing.core.models import Organisation


def party_key(org: Organisation | None) -> str | None:
    """How an organisation is matched in avoidance rules: its USCC, else a stable local id."""
    if org is None:
        return None
    return org.uscc or f"org:{org.pk}"


@dataclass(frozen=True)
class PoolResult:
    pool: list[str]  # canonical (QQ-DRAW-1 step 1)
    excluded: list[dict]
    candidates: int
    # The pool's digest, computed with the sort (derived from the pool: not compared).
    digest: str = field(default="", compare=False)

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


# The verdicts `_verdicts` can reach from the index's columns alone: the reasons, in
# `rules.EXCLUSION_CODES` order (0, absent here, sends the expert to the rules).
VERDICTS: dict[int, tuple[str, ...]] = {
    1: (),
    2: ("STATUS",),
    3: ("AGE",),
    4: ("STATUS", "AGE"),
}


def _verdicts(
    project: rules.ProjectFacts,
    quota: rules.QuotaFacts,
    ruleset: project_rules.RuleSet,
    window_start,
    flagged: set[int],
) -> tuple[str, list] | None:
    """SQL over the index's columns giving an entry's verdict (a key of `VERDICTS`: the
    exact reasons that exclude it), or 0 when the rules must examine it (NULL anywhere makes
    it 0), with its parameters; None when the rule set or project leaves no such shortcut
    (everybody is then examined).

    Under the conditions below no rule but STATUS and AGE can apply; those two read only the
    status, ban and birth date, which the index holds as they are, so their SQL is the exact
    negation of the rule and the verdict is exact. The other conditions are a conservative
    restatement of `rules.exclusion_codes`, rule by rule: an expert they do not clear is
    examined by the rules themselves, so they may only err on the side of examining too many
    (`test_eligibility_index.py` compares every pool and report with eligibility computed
    from every fact, and puts each column on both sides of its edge):

    - SPECIALTY: every entry read is one of the requested codes or a sub-code of one.
    - STATUS (exact): active, and no ban, or one that ended before the day.
    - AGE (exact): born after the last birth date that is too old on the day
      (`rules._born_by`).
    - UNAVAILABLE, FREQUENCY: the day outside [earliest leave's first day, latest leave's
      last day]; no session of the expert's ending after this one starts (so none overlaps
      it); and no outcome in a session starting after `window_start` (which precedes the
      frequency window), or — where both count settings are at least 2 — at most one (the
      second latest start is not after `window_start`). A count setting of 0 excludes
      everybody: no shortcut.
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
    status = "status = 'active' AND (ban_until IS NULL OR ban_until < %s)"
    # No session of the expert's ends after this one starts, so none overlaps it; and no
    # seat inside the frequency window, or (where both count settings are 2 or more) one,
    # which stays under both limits.
    window = ops.adapt_datetimefield_value(window_start)
    recent = "seat_until <= %s"
    seat_params = [ops.adapt_datetimefield_value(project.session.start), window]
    if ruleset.frequency_count >= 2 and ruleset.per_tenderer_count >= 2:
        recent += " OR seat_before IS NULL OR seat_before <= %s"
        seat_params.append(window)
    seats = f"seat_until IS NULL OR (seat_end <= %s AND ({recent}))"
    terms = [
        "(leave_until IS NULL OR leave_until < %s OR leave_from > %s)",
        f"({seats})",
    ]
    params = [day, day, *seat_params]
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
    # 1, plus 1 when STATUS applies, plus 2 when AGE does (NULL, and so 0, if either is NULL).
    verdict = f"1 + CASE WHEN {status} THEN 0 WHEN NOT ({status}) THEN 1 END"
    params += [day, day]
    if born_by is not None:
        verdict += " + CASE WHEN birth_date > %s THEN 0 WHEN NOT (birth_date > %s) THEN 2 END"
        params += [ops.adapt_datefield_value(born_by)] * 2
    return f"COALESCE(CASE WHEN {' AND '.join(terms)} THEN {verdict} END, 0)", params


_ENTRY_COLUMNS = (
    "expert_id",
    "speciality_id",
    "code",
    "birth_date",
    "status",
    "ban_until",
    "employer_uscc",
    "region_code",
)
# Within the aggregated text, rows (and decided codes) are separated by line feeds and a
# row's fields by the unit separator: control characters that no code may hold (the import
# refuses them). Text that does not split into what the database counted is refused, never
# guessed at.
ROW_SEP, FIELD_SEP = "\n", "\x1f"
_ROW_FIELDS = 10
_DAY_ZERO = date(2000, 1, 1)  # PostgreSQL sends dates as days since it


def _candidates_sql(condition: str, prefixes: str) -> str:
    """The candidate scan: per verdict, its entries' count and text (their codes, or for
    verdict 0 their fields), and one more row with the number of speciality codes matched
    and the trigger count.

    One pass over the entries and one aggregate: the verdict-0 entries as rows beside an
    array of codes per verdict took a materialised scan read twice and arrays for the driver
    to parse (at 1M experts 9.7 → 5.1 ms a draw, the client's parsing included)."""
    if connection.vendor == "postgresql":
        sep, nl, fence, concat = "chr(31)", "E'\\n'", " OFFSET 0", "string_agg"

        def day(column: str) -> str:  # days since _DAY_ZERO, whatever the DateStyle
            return f"coalesce(({column} - DATE '{_DAY_ZERO.isoformat()}')::text, '')"

    else:
        sep, nl, fence, concat = "char(31)", "char(10)", "", "group_concat"

        def day(column: str) -> str:  # stored as ISO text
            return f"coalesce({column}, '')"

    row = f" || {sep} || ".join(
        [
            "CAST(expert_id AS TEXT)",
            "speciality_id",
            day("birth_date"),
            "status",
            day("ban_until"),
            "employer_uscc",
            "region_code",
            "CASE WHEN leave_until >= %s AND leave_from <= %s THEN '1' ELSE '' END",
            "CASE WHEN seat_until > %s OR seat_end > %s THEN '1' ELSE '' END",
            "code",  # last, so that the fields before it split off cleanly
        ]
    )
    # OFFSET 0 keeps PostgreSQL from pulling the subquery up and computing the verdict twice.
    return (
        f"SELECT verdict, count(*), {concat}(CASE WHEN verdict = 0 THEN {row} ELSE code END,"  # noqa: S608
        f" {nl}), NULL FROM (SELECT {', '.join(_ENTRY_COLUMNS)},"
        f" leave_from, leave_until, seat_until, seat_end, {condition} AS verdict"
        f" FROM {EligibilityEntry._meta.db_table}"
        " WHERE database_id = %s AND speciality_id IN"
        f" (SELECT code FROM {Speciality._meta.db_table} WHERE {prefixes}){fence}) c"
        " GROUP BY verdict"
        f" UNION ALL SELECT NULL, (SELECT count(*) FROM {Speciality._meta.db_table}"
        f" WHERE {prefixes}), NULL, ({eligibility_index.installed_count_sql()})"
    )


def _candidate_rows(
    database_id: int,
    requested: list[str],
    verdicts: tuple[str, list] | None,
    day,
    window_start,
    session_start,
) -> tuple[dict[int, list[str]], list[tuple], int, int]:
    """One index range scan of the entries of the requested codes and their sub-codes: the
    codes `verdicts` decides, one list per verdict; the other entries as rows (the expert
    columns the rules read, and whether the expert's leave and seats need loading); how many
    speciality codes matched (with one, no expert has two entries); and how many eligibility
    triggers are installed (checked with the same round trip; see `eligibility_index.ensure`)."""
    ops = connection.ops
    condition, verdict_params = verdicts if verdicts is not None else ("0", [])
    prefixes = " OR ".join(["code LIKE %s ESCAPE '\\'"] * len(requested)) or "1 = 0"
    params = [
        ops.adapt_datefield_value(day),
        ops.adapt_datefield_value(day),
        ops.adapt_datetimefield_value(window_start),
        ops.adapt_datetimefield_value(session_start),
        *verdict_params,
        database_id,
        *(_like_prefix(code) for code in requested),
        *(_like_prefix(code) for code in requested),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_candidates_sql(condition, prefixes), params)
        found = cursor.fetchall()
    entries, decided, matched, triggers = [], {}, 0, 0
    for verdict, count, text, installed in found:
        if verdict is None:
            matched, triggers = count, installed
            continue
        items = text.split(ROW_SEP)
        if len(items) != count:
            raise _unsplittable()
        if verdict == 0:
            day_of = _day_reader()
            entries = [_entry(item, day_of) for item in items]
        else:
            decided[verdict] = items
    return decided, entries, matched, triggers


def _entry(text: str, day) -> tuple:
    """An entry's fields, in `_ENTRY_COLUMNS` order then the leave and seat flags; `day`
    reads a date column (`_day_reader`)."""
    fields = text.split(FIELD_SEP, _ROW_FIELDS - 1)
    if len(fields) != _ROW_FIELDS:
        raise _unsplittable()
    pk, speciality, born, status, ban, employer, region, leave, seat, code = fields
    return (
        int(pk),
        speciality,
        code,
        day(born),
        status,
        day(ban) if ban else None,
        employer,
        region,
        leave == "1",
        seat == "1",
    )


def _day_reader():
    """PostgreSQL sends days since `_DAY_ZERO` (`_candidates_sql`), SQLite ISO dates."""
    if connection.vendor == "postgresql":
        zero = _DAY_ZERO.toordinal()
        return lambda text: date.fromordinal(zero + int(text))
    return date.fromisoformat


def _unsplittable() -> rules.RuleError:
    return rules.RuleError("专家库中有专家编号或专业代码含有换行等控制字符，无法抽取：请先更正")


def _like_prefix(code: str) -> str:
    return code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class _Candidates:
    """A quota's candidates: how many, the codes proved clean, those the index's columns
    exclude with their exact reasons, and the facts of the rest (for the rules)."""

    count: int
    clean: list[str]
    decided: list[tuple[str, tuple[str, ...]]]
    suspects: Iterator[rules.ExpertFacts]


def _ids_sql(column: str, ids: list[int]) -> tuple[str, str]:
    """Membership in a list of ids as one parameter (as `core.lookups.Ids`)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", "{" + ",".join(map(str, ids)) + "}"
    return f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(ids)  # noqa: S608


def _leave(experts: list[int], day) -> list[tuple]:
    """(expert, first day, last day) of the leave of `experts` covering `day`."""
    condition, ids = _ids_sql("expert_id", experts)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT expert_id, start, "end" FROM {ExpertLeave._meta.db_table}'  # noqa: S608
            f' WHERE {condition} AND start <= %s AND "end" >= %s',
            [ids, *[connection.ops.adapt_datefield_value(day)] * 2],
        )
        found = cursor.fetchall()
    if connection.vendor != "postgresql":
        found = [
            (pk, *(date.fromisoformat(d) if isinstance(d, str) else d for d in days))
            for pk, *days in found
        ]
    return found


def _seats(experts: list[int], session: EvaluationSession, window_start) -> list[tuple]:
    """(expert, the other session's local day, its start and end or None, its tenderer's
    USCC, its tenderer's id) of the seats held by `experts` in other sessions starting after
    `window_start` or ending after this one starts, and starting before this one ends. The
    times come only for sessions ending after this one starts, the only ones that can overlap
    it; on PostgreSQL the database gives the local day, so a draw's seats are not converted
    one by one."""
    condition, ids = _ids_sql("o.expert_id", experts)
    adapt = connection.ops.adapt_datetimefield_value
    statuses = [s.value for s in DrawOutcome.HOLDING]
    joins = (
        f" JOIN {Section._meta.db_table} sec ON sec.id = s.section_id"
        f" JOIN {Project._meta.db_table} p ON p.id = sec.project_id"
        f" JOIN {Organisation._meta.db_table} t ON t.id = p.tenderer_id"
    )
    outcomes = (
        f" WHERE {condition} AND o.status IN ({', '.join(['%s'] * len(statuses))})"
        " AND o.session_id <> %s"
    )
    window = [adapt(window_start), adapt(session.starts_at), adapt(session.ends_at)]
    if connection.vendor == "postgresql":
        # A few hundred outcomes, each looking up its session by key. As a plain join the
        # planner (random_page_cost 4) hashes every session of the window instead: at 1M
        # experts 3,289 sessions on 1,412 pages for 325 outcomes. A LATERAL subquery with
        # OFFSET 0 cannot be flattened into the join, so it stays a nested loop over them.
        sql = (
            "SELECT o.expert_id, x.day, x.starts_at, x.ends_at, x.uscc, x.tenderer_id"  # noqa: S608
            f" FROM {DrawOutcome._meta.db_table} o CROSS JOIN LATERAL"
            " (SELECT (s.starts_at AT TIME ZONE %s)::date AS day,"
            " CASE WHEN s.ends_at > %s THEN s.starts_at END AS starts_at,"
            " CASE WHEN s.ends_at > %s THEN s.ends_at END AS ends_at, t.uscc, p.tenderer_id"
            f" FROM {EvaluationSession._meta.db_table} s{joins}"
            " WHERE s.id = o.session_id AND (s.starts_at > %s OR s.ends_at > %s)"
            " AND s.starts_at < %s OFFSET 0) x"
            f"{outcomes}"
        )
        starts = adapt(session.starts_at)
        zone = timezone.get_current_timezone_name()
        params = [zone, starts, starts, *window, ids, *statuses, session.pk]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    sql = (
        "SELECT o.expert_id, s.starts_at, s.ends_at, t.uscc, p.tenderer_id"  # noqa: S608
        f" FROM {DrawOutcome._meta.db_table} o"
        f" JOIN {EvaluationSession._meta.db_table} s ON s.id = o.session_id{joins}"
        f"{outcomes} AND (s.starts_at > %s OR s.ends_at > %s) AND s.starts_at < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, *statuses, session.pk, *window])
        found = cursor.fetchall()
    convert = connection.ops.convert_datetimefield_value
    local = timezone.get_current_timezone()  # once: localtime() looks it up per call
    seats = []
    for pk, starts, ends, uscc, org in found:
        starts = convert(starts, None, connection)
        ends = convert(ends, None, connection)
        overlapping = ends > session.starts_at
        seats.append(
            (
                pk,
                starts.astimezone(local).date(),
                starts if overlapping else None,
                ends if overlapping else None,
                uscc,
                org,
            )
        )
    return seats


def _flagged(
    quota: DrawQuota, project: rules.ProjectFacts
) -> tuple[dict[int, list[rules.Relation]], dict[int, set[str]], dict[int, str]]:
    """Relations and declarations with this tender's parties, and the quota's manual
    exclusions, in one plain statement. They are few, and the index on the organisation
    finds them (no join, so no planner can turn this into a walk over the whole register).
    Their experts are never proved clean; for those who are not candidates they are loaded
    and go unused."""
    parties = sorted({project.tenderer_uscc, project.agency_uscc, *project.bidder_usccs} - {None})
    related = sorted({*parties, project.supervising_dept_uscc} - {None})
    relation_table = ExpertRelation._meta.db_table
    branches, params = [], []
    if related:
        branches.append(
            f'SELECT 1, expert_id, org_uscc, kind, start, "end" FROM {relation_table}'  # noqa: S608
            f" WHERE org_uscc IN ({', '.join(['%s'] * len(related))})"
        )
        params += related
    if parties:
        branches.append(
            "SELECT 2, expert_id, org_uscc, NULL, NULL, NULL"  # noqa: S608
            f" FROM {ExpertDeclaredRelation._meta.db_table}"
            f" WHERE org_uscc IN ({', '.join(['%s'] * len(parties))})"
        )
        params += parties
    branches.append(
        "SELECT 3, expert_id, reason, NULL, NULL, NULL"  # noqa: S608
        f" FROM {quota.exclusions.model._meta.db_table} WHERE quota_id = %s"
    )
    params.append(quota.pk)
    relations: dict[int, list[rules.Relation]] = defaultdict(list)
    declared: dict[int, set[str]] = defaultdict(set)
    manual: dict[int, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        found = cursor.fetchall()
    for kind, expert_id, text, relation_kind, start, end in found:
        if kind == 1:
            if isinstance(start, str):  # SQLite without the declared column types
                start = date.fromisoformat(start)
            if isinstance(end, str):
                end = date.fromisoformat(end)
            relations[expert_id].append(rules.Relation(text, relation_kind, start, end))
        elif kind == 2:
            declared[expert_id].add(text)
        else:
            manual[expert_id] = text
    return relations, declared, manual


def _load_facts(
    quota: DrawQuota,
    session: EvaluationSession,
    project: rules.ProjectFacts,
    ruleset: project_rules.RuleSet,
) -> _Candidates:
    """The candidates; the facts of those not proved clean are built lazily (see
    evaluate_pool)."""
    day = project.evaluation_date
    # Seats inside the frequency window start after window_start; a seat overlapping this
    # session ends after it starts (`_seats` reads both, whatever a session's length).
    window_start = session.starts_at - timedelta(days=ruleset.frequency_days + 1)
    relations, declared, manual = _flagged(quota, project)

    # The candidates: one index-only range scan of the entries of the requested codes (an
    # expert holding several of them has one entry for each). Those the index's columns
    # decide come back as one array of codes per verdict; the others as rows, with two flags
    # telling whether their leave and seats need loading.
    verdicts = _verdicts(
        project, quota.to_rules(), ruleset, window_start, {*relations, *declared, *manual}
    )
    requested = list(quota.speciality_codes)
    decided, found, matched, triggers = _candidate_rows(
        quota.database_id, requested, verdicts, day, window_start, session.starts_at
    )
    if triggers < eligibility_index.expected_count():
        # SQLite dropped the triggers with a rebuilt table: re-install them, refill the
        # index, and read it again.
        eligibility_index.ensure()
        decided, found, matched, triggers = _candidate_rows(
            quota.database_id, requested, verdicts, day, window_start, session.starts_at
        )
    entries: dict[int, tuple] = {}
    specialities: dict[int, frozenset[str]] = {}
    singletons: dict[str, frozenset[str]] = {}  # one shared set per code, not one per expert
    on_leave, seated = [], []
    for entry in found:
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
    if matched <= 1:  # one entry an expert: every code is listed once
        clean = decided.get(1, [])
        excluded = [
            (code, VERDICTS[verdict])
            for verdict, codes in decided.items()
            if verdict != 1
            for code in codes
        ]
    else:
        # An expert with several requested codes is listed once for each; the columns the
        # condition reads are the expert's own, so all their entries get the same verdict
        # (the set differences only guard against a half-updated index counting one twice).
        seen = {entry[2] for entry in entries.values()}
        clean_set = set(decided.get(1, ())).difference(seen)
        seen |= clean_set
        clean = list(clean_set)
        excluded = []
        for verdict, codes in decided.items():
            if verdict != 1:
                for code in set(codes).difference(seen):
                    excluded.append((code, VERDICTS[verdict]))
                    seen.add(code)
    count = len(entries) + len(clean) + len(excluded)
    if not entries:
        return _Candidates(count, clean, excluded, iter(()))

    leave: dict[int, list[rules.DateRange]] = defaultdict(list)
    if on_leave:
        for expert_id, start, end in _leave(on_leave, day):
            leave[expert_id].append(rules.DateRange(start, end))

    booked: dict[int, list[rules.Interval]] = defaultdict(list)
    past: dict[int, list[rules.PastDraw]] = defaultdict(list)
    if seated:
        this = rules.Interval(session.starts_at, session.ends_at)
        for expert_id, other_day, starts_at, ends_at, tenderer_uscc, tenderer_id in _seats(
            seated, session, window_start
        ):
            if starts_at is not None:
                other = rules.Interval(starts_at, ends_at)
                if other.overlaps(this):
                    booked[expert_id].append(other)
            if other_day <= day:
                past[expert_id].append(
                    rules.PastDraw(other_day, tenderer_uscc or f"org:{tenderer_id}")
                )

    # Positional arguments in FACT_FIELDS order: a third faster than keywords, and this runs
    # once per examined candidate.
    facts = rules.ExpertFacts
    return _Candidates(
        count,
        clean,  # unordered: evaluate_pool sorts the pool once
        excluded,
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
            for pk, _, code, birth_date, status, ban_until, employer_uscc, region_code, *_ in (
                entries.values()
            )
        ),
    )


_RULE_FIELDS = list(RuleSet._meta.concrete_fields)
_converters: dict[str, list] = {}


def _rule_converters() -> list:
    """The ORM's converters of the rule set's columns (SQLite: decimals, booleans)."""
    found = _converters.get(connection.vendor)
    if found is None:
        found = _converters[connection.vendor] = []
        for i, rule_field in enumerate(_RULE_FIELDS):
            col = rule_field.get_col(RuleSet._meta.db_table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if converters:
                found.append((i, col, converters))
    return found


def _context(
    session_id: int,
) -> tuple[EvaluationSession, rules.ProjectFacts, project_rules.RuleSet]:
    """The session (id and times), the project's facts and the rule set in one plain
    statement (what `project_facts` and the rule set's `to_rules` read through the ORM)."""
    postgresql = connection.vendor == "postgresql"
    qn = connection.ops.quote_name
    aggregate = "array_agg" if postgresql else "json_group_array"
    rule_columns = ", ".join(f"r.{qn(f.column)}" for f in _RULE_FIELDS)
    org = Organisation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.starts_at, s.ends_at, p.region_code, t.id, t.uscc, a.id, a.uscc,"  # noqa: S608
            f" d.uscc, (SELECT {aggregate}(b.uscc) FROM {Bidder._meta.db_table} b"
            f" WHERE b.section_id = s.section_id), {rule_columns}"
            f" FROM {EvaluationSession._meta.db_table} s"
            f" JOIN {Section._meta.db_table} sec ON sec.id = s.section_id"
            f" JOIN {Project._meta.db_table} p ON p.id = sec.project_id"
            f" JOIN {RuleSet._meta.db_table} r ON r.id = p.rule_set_id"
            f" JOIN {org} t ON t.id = p.tenderer_id"
            f" LEFT JOIN {org} a ON a.id = p.agency_id"
            f" JOIN {org} d ON d.id = p.supervising_department_id WHERE s.id = %s",
            [session_id],
        )
        row = cursor.fetchone()
    starts_at, ends_at, region, t_id, t_uscc, a_id, a_uscc, d_uscc, bidders = row[:9]
    if not postgresql:
        starts_at = connection.ops.convert_datetimefield_value(starts_at, None, connection)
        ends_at = connection.ops.convert_datetimefield_value(ends_at, None, connection)
        bidders = json.loads(bidders) if bidders else []
    values = list(row[9:])
    for i, col, converters in _rule_converters():
        for convert in converters:
            values[i] = convert(values[i], col, connection)
    ruleset = RuleSet.from_db(connection.alias, [f.attname for f in _RULE_FIELDS], values)
    session = EvaluationSession.from_db(
        connection.alias, ["id", "starts_at", "ends_at"], [session_id, starts_at, ends_at]
    )
    project = rules.ProjectFacts(
        evaluation_date=timezone.localtime(starts_at).date(),
        session=rules.Interval(starts_at, ends_at),
        tenderer_uscc=t_uscc or f"org:{t_id}",  # party_key
        bidder_usccs=frozenset(bidders or ()),
        agency_uscc=None if a_id is None else (a_uscc or f"org:{a_id}"),
        supervising_dept_uscc=d_uscc or None,
        region_code=region,
    )
    return session, project, ruleset.to_rules()


def evaluate_pool(quota: DrawQuota, *, skip_codes: frozenset[str] = frozenset()) -> PoolResult:
    """The sorted pool of eligible public codes for `quota`, and the exclusion report.

    `skip_codes` are experts already drawn for this session (a supplementary draw leaves them
    out; they are listed with the code ALREADY_DRAWN).
    """
    session, project, ruleset = _context(quota.session_id)
    quota_facts = quota.to_rules()
    candidates = _load_facts(quota, session, project, ruleset)
    # No rule applies to the clean candidates (see _verdicts) and only STATUS and AGE to the
    # decided ones; ALREADY_DRAWN can apply to both.
    if skip_codes:
        pool = [code for code in candidates.clean if code not in skip_codes]
        excluded = [
            {"code": code, "reasons": ["ALREADY_DRAWN"]}
            for code in candidates.clean
            if code in skip_codes
        ]
        for code, reasons in candidates.decided:
            already = ["ALREADY_DRAWN"] if code in skip_codes else []
            excluded.append({"code": code, "reasons": [*reasons, *already]})
    else:  # a first draw: the common case, without a look-up per code
        pool = list(candidates.clean)
        excluded = [
            {"code": code, "reasons": list(reasons)} for code, reasons in candidates.decided
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
    frozen = rules.freeze_pool(pool)  # sorted, checked and digested once
    return PoolResult(
        pool=frozen.codes,
        excluded=sorted(excluded, key=itemgetter("code")),
        candidates=candidates.count,
        digest=frozen.digest,
    )
