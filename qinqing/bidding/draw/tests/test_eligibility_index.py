"""The eligibility index stays equal to its sources, and pools read from it are exactly the
pools computed by loading every fact of every expert (the definition of eligibility)."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from qinqing.bidding import eligibility_index
from qinqing.bidding.conftest import BIDDER_USCCS, build_world
from qinqing.bidding.draw import pools, rules, services
from qinqing.bidding.draw.tests.test_draw_flow import overlapping_quota
from qinqing.bidding.experts import services as expert_services
from qinqing.bidding.models import (
    DrawOutcome,
    EligibilityEntry,
    EvaluationSession,
    Expert,
    ExpertDeclaredRelation,
    ExpertLeave,
    ExpertRelation,
    ExpertSpeciality,
)
from qinqing.core.demo import demo_uscc

S = DrawOutcome.Status


@pytest.fixture
def world(world):
    """The bidding world with its triggers in place (`pytest --nomigrations` builds tables
    from the models, so the triggers come with the first draw, as after a table rebuild)."""
    eligibility_index.ensure()
    return world


def reference_pool(quota) -> pools.PoolResult:
    """Eligibility from first principles: every expert of the database, all their facts."""
    session = quota.session
    project = pools.project_facts(session)
    ruleset = session.section.project.rule_set.to_rules()
    quota_facts = quota.to_rules()
    requested = tuple(quota.speciality_codes)
    day = project.evaluation_date
    manual = dict(quota.exclusions.values_list("expert_id", "reason"))
    pool, excluded, candidates = [], [], 0
    for expert in Expert.objects.filter(database=quota.database).order_by("code"):
        held = frozenset(expert.speciality_links.values_list("speciality_id", flat=True))
        if not any(code.startswith(requested) for code in held):
            continue  # experts without the speciality are only counted, never reported
        candidates += 1
        seats = list(
            DrawOutcome.objects.filter(expert=expert, status__in=DrawOutcome.HOLDING)
            .exclude(session=session)
            .select_related("session__section__project__tenderer")
        )
        facts = rules.ExpertFacts(
            code=expert.code,
            birth_date=expert.birth_date,
            specialities=held,
            status=expert.status,
            ban_until=expert.ban_until,
            employer_uscc=expert.employer_uscc or None,
            employment=tuple(
                rules.Relation(r.org_uscc, r.kind, r.start, r.end) for r in expert.relations.all()
            ),
            declared_related=frozenset(
                expert.declared_relations.values_list("org_uscc", flat=True)
            ),
            region_code=expert.region_code,
            leave=tuple(rules.DateRange(v.start, v.end) for v in expert.leaves.all()),
            booked_sessions=tuple(
                rules.Interval(o.session.starts_at, o.session.ends_at) for o in seats
            ),
            past_draws=tuple(
                rules.PastDraw(
                    timezone.localtime(o.session.starts_at).date(),
                    pools.party_key(o.session.section.project.tenderer),
                )
                for o in seats
                if timezone.localtime(o.session.starts_at).date() <= day
            ),
            manual_exclusion=manual.get(expert.pk),
        )
        codes = rules.exclusion_codes(facts, project, quota_facts, ruleset)
        if codes:
            excluded.append({"code": expert.code, "reasons": codes})
        else:
            pool.append(expert.code)
    return pools.PoolResult(pool=sorted(pool), excluded=excluded, candidates=candidates)


def assert_consistent(*quotas):
    assert eligibility_index.mismatches() == []
    for quota in quotas:
        quota = quota.__class__.objects.get(pk=quota.pk)  # nothing cached from earlier steps
        assert pools.evaluate_pool(quota) == reference_pool(quota)


def _expert(code: str) -> Expert:
    return Expert.objects.get(code=code)


def test_index_follows_every_kind_of_change(world):
    host, guest = world["host"], world["guest"]
    admin, supervisor = world["centre_wh"], world["supervisor"]
    day = timezone.localtime(world["session"].starts_at).date()
    assert EligibilityEntry.objects.count() == 13  # 8 + 5 imported, one speciality each
    assert_consistent(host, guest)

    # Specialities: added, moved and removed with plain ORM writes.
    ExpertSpeciality.objects.create(expert=_expert("WH-001"), speciality_id="A0502")
    ExpertSpeciality.objects.filter(expert__code="WH-002").update(speciality_id="B01")
    ExpertSpeciality.objects.filter(expert__code="WH-003").delete()
    assert_consistent(host, guest)
    assert "WH-002" not in reference_pool(host).pool

    # Expert columns: through the service and through a bulk update().
    expert_services.expert_status_set(
        actor=admin, expert=_expert("WH-004"), status="suspended", reason="违规记录核查"
    )
    expert_services.expert_status_set(
        actor=admin,
        expert=_expert("WH-001"),
        status="active",
        ban_until=day + timedelta(days=3),
        reason="禁入期",
    )
    Expert.objects.filter(code="WH-005").update(
        birth_date=date(1940, 1, 1), employer_uscc=BIDDER_USCCS[0], region_code="420111"
    )
    assert_consistent(host, guest)

    # Leave: added (covering the day and not), changed and deleted.
    expert_services.expert_leave_add(actor=admin, expert=_expert("WH-006"), start=day, end=day)
    past = expert_services.expert_leave_add(
        actor=admin,
        expert=_expert("WH-007"),
        start=day - timedelta(days=30),
        end=day - timedelta(days=20),
    )
    assert_consistent(host, guest)
    ExpertLeave.objects.filter(pk=past.pk).update(end=day + timedelta(days=1))
    assert_consistent(host, guest)
    ExpertLeave.objects.filter(pk=past.pk).delete()
    assert EligibilityEntry.objects.get(expert__code="WH-007").leave_until is None
    assert_consistent(host, guest)

    # Relations and declarations (read from their own tables, checked against the rules).
    expert_services.expert_relation_add(
        actor=admin,
        expert=_expert("WH-008"),
        org_uscc=BIDDER_USCCS[1],
        org_name="示例投标人1",
        kind="director",
        start=date(2019, 1, 1),
        end=day - timedelta(days=400),
    )
    ExpertDeclaredRelation.objects.create(
        expert=_expert("JK-001"), org_uscc=BIDDER_USCCS[2], org_name="示例投标人2"
    )
    ExpertRelation.objects.create(
        expert=_expert("JK-002"),
        org_uscc=world["orgs"]["hs-zgj"].uscc or BIDDER_USCCS[0],
        org_name="监督部门",
        kind="employee",
        start=date(2020, 1, 1),
    )
    assert_consistent(host, guest)

    # Seats: a draw for an overlapping session, answers, a moved session, a deleted outcome.
    other = overlapping_quota(world, "jkggzy", count=2, backups=1)
    draw = services.draw_commit(actor=world["centre_jk"], quota=other)
    draw = services.draw_witness(actor=supervisor, draw=draw, witness_entropy="7")
    drawn = set(draw.drawn)
    for entry in EligibilityEntry.objects.filter(code__in=drawn):
        assert entry.seat_until == other.session.starts_at
    assert_consistent(host, guest, other)
    notified = list(draw.outcomes.filter(status=S.NOTIFIED).order_by("position"))
    services.outcome_respond(
        actor=world["centre_jk"], outcome=notified[0], answer="confirm", channel="phone"
    )
    services.outcome_respond(
        actor=world["centre_jk"],
        outcome=notified[1],
        answer="decline",
        reason="出差",
        channel="phone",
    )
    assert_consistent(host, guest, other)
    later = other.session.starts_at + timedelta(days=60)
    EvaluationSession.objects.filter(pk=other.session_id).update(
        starts_at=later, ends_at=later + timedelta(hours=3)
    )
    for entry in EligibilityEntry.objects.filter(code__in=drawn):
        assert entry.seat_until == later
    assert_consistent(host, guest)
    DrawOutcome.objects.filter(draw=draw, position=0).delete()
    assert_consistent(host, guest)

    # An expert leaving the register takes their entries along.
    leaving = Expert.objects.filter(code__startswith="JK-", outcomes__isnull=True).first()
    leaving.delete()
    assert not EligibilityEntry.objects.filter(code=leaving.code).exists()
    assert_consistent(host, guest)


def test_draws_with_manual_exclusions_and_supplementary_pools_match_the_reference(world):
    services.exclusion_add(
        actor=world["supervisor"],
        quota=world["host"],
        expert=_expert("WH-002"),
        reason="利害关系申报",
    )
    assert_consistent(world["host"])
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    assert draw.pool == reference_pool(world["host"]).pool
    assert draw.exclusion_report == reference_pool(world["host"]).report


def test_missing_triggers_are_reinstalled_and_the_index_rebuilt_before_a_draw(world):
    """SQLite drops a table's triggers when a later migration rebuilds the table."""
    with connection.cursor() as cursor:
        eligibility_index.uninstall(cursor, connection.vendor)
    expert_services.expert_status_set(
        actor=world["centre_wh"], expert=_expert("WH-001"), status="retired", reason="退休"
    )
    ExpertSpeciality.objects.create(expert=_expert("WH-002"), speciality_id="B01")
    assert eligibility_index.mismatches() != []  # nothing kept it in step meanwhile
    pools.evaluate_pool(world["host"])  # a draw repairs the index before reading it
    assert_consistent(world["host"], world["guest"])
    ExpertSpeciality.objects.filter(expert__code="WH-002", speciality_id="B01").delete()
    assert_consistent(world["host"])  # and the triggers work again


def test_the_data_migration_fills_the_index_from_the_register(world):
    expert_services.expert_leave_add(
        actor=world["centre_wh"],
        expert=_expert("WH-003"),
        start=date.today(),
        end=date.today() + timedelta(days=9),
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bidding_eligibilityentry")
    assert len(eligibility_index.mismatches()) == 13
    with connection.cursor() as cursor:
        eligibility_index.install(cursor, connection.vendor)  # what the migration runs
    assert eligibility_index.mismatches() == []
    assert EligibilityEntry.objects.get(code="WH-003").leave_until == date.today() + timedelta(
        days=9
    )


@pytest.mark.parametrize("vendor", ["mysql", "oracle"])
def test_other_databases_are_refused_rather_than_left_without_triggers(vendor):
    with pytest.raises(RuntimeError):
        eligibility_index.install(None, vendor)


@pytest.mark.django_db(transaction=True)
def test_a_backup_and_restore_keep_the_index_equal_to_its_sources(demo_users, tmp_path):
    world = build_world(demo_users)
    eligibility_index.ensure()
    expert_services.expert_leave_add(
        actor=world["centre_wh"], expert=_expert("WH-004"), start=date.today(), end=date.today()
    )
    draw = services.draw_commit(actor=world["centre_jk"], quota=world["guest"])
    services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="9")
    before = reference_pool(world["host"])
    entries = EligibilityEntry.objects.count()
    path = tmp_path / "qinqing.tar.gz"
    call_command("backup", str(path))  # the snapshot holds the index with its sources
    call_command("flush", interactive=False, verbosity=0)
    eligibility_index.ensure()  # as after `migrate` (SQLite `flush` keeps the triggers too)
    call_command("restore", str(path))
    assert EligibilityEntry.objects.count() == entries
    assert eligibility_index.mismatches() == []
    host = world["host"].__class__.objects.get(pk=world["host"].pk)
    assert pools.evaluate_pool(host) == before == reference_pool(host)


def _local(day, hour: int, minute: int):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def test_the_clean_shortcut_agrees_with_the_rules_at_every_edge(world):
    """Experts proved clean by the index's columns skip the rules (`pools._clean`): each
    column it reads is put on both sides of its edge, and the pools still equal the rules'."""
    session, host, guest = world["session"], world["host"], world["guest"]
    day = timezone.localtime(session.starts_at).date()
    ruleset = world["rule_set"]
    born_by = rules._born_by(day, ruleset.max_age)
    orgs = world["orgs"]
    for code, serial in (("hs-zgj", 700), ("demo-agency", 701)):
        if not orgs[code].uscc:
            orgs[code].__class__.objects.filter(pk=orgs[code].pk).update(
                uscc=demo_uscc("11420100", serial)
            )
    orgs = {code: org.__class__.objects.get(pk=org.pk) for code, org in orgs.items()}
    host, guest = (quota.__class__.objects.get(pk=quota.pk) for quota in (host, guest))
    session = host.session
    Expert.objects.filter(code="WH-001").update(birth_date=born_by)  # AGE on the day
    Expert.objects.filter(code="WH-002").update(birth_date=born_by + timedelta(days=1))
    Expert.objects.filter(code="WH-003").update(ban_until=day)  # STATUS: the ban's last day
    Expert.objects.filter(code="WH-004").update(ban_until=day - timedelta(days=1))
    ExpertLeave.objects.create(expert=_expert("WH-005"), start=day - timedelta(days=5), end=day)
    ExpertLeave.objects.create(
        expert=_expert("WH-006"), start=day - timedelta(days=5), end=day - timedelta(days=1)
    )
    # Leave starting the day after stays clean; leave starting on the day is examined.
    ExpertLeave.objects.create(
        expert=_expert("WH-002"), start=day + timedelta(days=1), end=day + timedelta(days=4)
    )
    ExpertLeave.objects.create(expert=_expert("WH-003"), start=day, end=day + timedelta(days=2))
    Expert.objects.filter(code="WH-007").update(employer_uscc=orgs["hs-zgj"].uscc)
    Expert.objects.filter(code="WH-008").update(employer_uscc=orgs["demo-agency"].uscc)
    Expert.objects.filter(code="JK-001").update(region_code="")
    Expert.objects.filter(code="JK-002").update(region_code="420111")  # the project's region
    guest.requires_other_region = True
    guest.save(update_fields=["requires_other_region"])
    assert_consistent(host, guest)
    result = pools.evaluate_pool(host)
    assert result.pool == ["WH-002", "WH-004", "WH-006"]
    assert {row["code"]: row["reasons"] for row in result.excluded} == {
        "WH-001": ["AGE"],
        "WH-003": ["STATUS", "UNAVAILABLE"],
        "WH-005": ["UNAVAILABLE"],
        "WH-007": ["SUPERVISOR_STAFF"],
        "WH-008": ["EMPLOYER"],
    }
    # The shortcut is taken: the three eligible experts never reached the rules, nor did
    # the two that only status or age excludes.
    project = pools.project_facts(session)
    candidates = pools._load_facts(host, session, project, ruleset.to_rules())
    assert sorted(candidates.clean) == ["WH-002", "WH-004", "WH-006"]
    assert sorted(candidates.decided) == [("WH-001", ("AGE",))]
    assert candidates.count == 8
    assert sorted(f.code for f in candidates.suspects) == [
        "WH-003",
        "WH-005",
        "WH-007",
        "WH-008",
    ]
    # ALREADY_DRAWN applies to clean experts too.
    skipped = pools.evaluate_pool(host, skip_codes=frozenset({"WH-004"}))
    assert skipped.pool == ["WH-002", "WH-006"]
    assert {"code": "WH-004", "reasons": ["ALREADY_DRAWN"]} in skipped.excluded

    # Seats: moved across the frequency window's edge with a count setting of 1.
    ruleset.frequency_count = 1
    ruleset.save(update_fields=["frequency_count"])
    other = overlapping_quota(world, "whggzy", count=2, backups=1)
    draw = services.draw_commit(actor=world["centre_wh"], quota=other)
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="5")
    holding = {o.expert.code for o in draw.outcomes.filter(status__in=DrawOutcome.HOLDING)}
    assert len(holding) == 2
    edge = session.starts_at - timedelta(days=ruleset.frequency_days + 1)
    eligible = {"WH-002", "WH-004", "WH-006"}
    still_clean = eligible - set(draw.drawn)  # drawn (any status): their seats are read
    for starts, clean, frequency in (
        (edge, eligible, 0),  # the bound of seat_until: still proved clean
        (edge + timedelta(microseconds=1), still_clean, 0),  # examined, not counted
        (edge + timedelta(days=1), still_clean, 0),  # the day before the window: not counted
        (edge + timedelta(days=2), still_clean, 2),  # the window's first day: FREQUENCY
        # The day is the local one (the database converts it on PostgreSQL): 00:30 local
        # on the window's first day is the day before in UTC, 23:30 on the day before the
        # window is the window's first day in UTC.
        (_local(day - timedelta(days=ruleset.frequency_days - 1), 0, 30), still_clean, 2),
        (_local(day - timedelta(days=ruleset.frequency_days), 23, 30), still_clean, 0),
        # Overlapping the session on its own day, and UNAVAILABLE (at most 23:59: a session
        # starting at 22:xx local must not push the other into the next day).
        (min(session.starts_at + timedelta(hours=2), _local(day, 23, 59)), still_clean, 2),
    ):
        EvaluationSession.objects.filter(pk=other.session_id).update(
            starts_at=starts, ends_at=starts + timedelta(hours=3)
        )
        assert_consistent(host)
        fresh = host.__class__.objects.get(pk=host.pk)
        candidates = pools._load_facts(
            fresh, fresh.session, project, fresh.session.section.project.rule_set.to_rules()
        )
        assert set(candidates.clean) == clean
        reasons = {row["code"]: row["reasons"] for row in pools.evaluate_pool(fresh).excluded}
        assert sum("FREQUENCY" in reasons.get(code, ()) for code in holding) == frequency
    assert all("UNAVAILABLE" in reasons[code] for code in holding)

    # A count setting of 0 excludes everybody: no shortcut then.
    ruleset.frequency_count = 0
    ruleset.save(update_fields=["frequency_count"])
    assert_consistent(host, guest)
    assert pools.evaluate_pool(host).pool == []


def test_status_and_age_read_from_the_index_give_exact_reasons(world):
    """Status and age are decided from the index's columns only when no other rule can
    apply; with any other possible reason the rules examine the expert and list them all."""
    session, host = world["session"], world["host"]
    day = timezone.localtime(session.starts_at).date()
    born_by = rules._born_by(day, world["rule_set"].max_age)
    department = world["orgs"]["hs-zgj"]
    if not department.uscc:
        department.__class__.objects.filter(pk=department.pk).update(
            uscc=demo_uscc("11420100", 700)
        )
        department = department.__class__.objects.get(pk=department.pk)
    host = host.__class__.objects.get(pk=host.pk)
    session = host.session  # with the department's USCC
    young = born_by + timedelta(days=1)
    for code, changes in {
        "WH-001": {"birth_date": born_by},  # the first day too old
        "WH-002": {"birth_date": born_by, "status": "suspended"},
        "WH-003": {"birth_date": young, "ban_until": day},  # the ban's last day
        "WH-004": {"birth_date": young, "ban_until": day - timedelta(days=1)},
        "WH-005": {"birth_date": born_by},  # and on leave: examined
        "WH-006": {"status": "suspended", "employer_uscc": department.uscc},  # examined
        "WH-007": {"birth_date": young, "status": "retired"},
        "WH-008": {"birth_date": young},
    }.items():
        Expert.objects.filter(code=code).update(**changes)
    ExpertLeave.objects.create(expert=_expert("WH-005"), start=day, end=day)
    for start, end in ((-3, -1), (1, 2)):  # the day falls between two leaves: examined
        ExpertLeave.objects.create(
            expert=_expert("WH-008"),
            start=day + timedelta(days=start),
            end=day + timedelta(days=end),
        )
    assert_consistent(host)  # pool and report equal those computed from every fact

    project = pools.project_facts(session)
    candidates = pools._load_facts(host, session, project, world["rule_set"].to_rules())
    assert sorted(candidates.clean) == ["WH-004"]
    assert sorted(candidates.decided) == [
        ("WH-001", ("AGE",)),
        ("WH-002", ("STATUS", "AGE")),
        ("WH-003", ("STATUS",)),
        ("WH-007", ("STATUS",)),
    ]
    assert sorted(f.code for f in candidates.suspects) == ["WH-005", "WH-006", "WH-008"]
    assert "WH-008" in pools.evaluate_pool(host).pool
    reasons = {row["code"]: row["reasons"] for row in pools.evaluate_pool(host).excluded}
    assert reasons["WH-005"] == ["AGE", "UNAVAILABLE"]
    assert reasons["WH-006"] == ["STATUS", "SUPERVISOR_STAFF"]
    skipped = pools.evaluate_pool(host, skip_codes=frozenset({"WH-002"}))
    assert {"code": "WH-002", "reasons": ["STATUS", "AGE", "ALREADY_DRAWN"]} in skipped.excluded


def test_a_single_recent_seat_is_proved_clean_at_its_edges(world):
    """With both count settings at 2 or more, one seat inside the frequency window cannot
    exclude an expert, and a session that ends by the time this one starts cannot overlap
    it: such experts skip the rules (`seat_before`, `seat_end`). Each bound is put on both
    sides of its edge, and every pool still equals the one computed from every fact."""
    session, host = world["session"], world["host"]
    ruleset = world["rule_set"]
    assert ruleset.frequency_count >= 2 and ruleset.per_tenderer_count >= 2
    first = overlapping_quota(world, "whggzy", count=2, backups=0)
    draw = services.draw_commit(actor=world["centre_wh"], quota=first)
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="7")
    twice = set(draw.drawn)
    # Everybody once more, for the same tenderer (drawn while both sessions lie ahead).
    second = overlapping_quota(world, "whggzy", count=8, backups=0, code="P-003")
    second_session = second.session
    EvaluationSession.objects.filter(pk=first.session_id).update(
        starts_at=session.starts_at - timedelta(days=2),
        ends_at=session.starts_at - timedelta(days=2) + timedelta(hours=3),
    )
    draw = services.draw_commit(actor=world["centre_wh"], quota=second)
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="8")
    everyone = {f"WH-{n:03d}" for n in range(1, 9)}
    assert set(draw.drawn) == everyone
    window_start = session.starts_at - timedelta(days=ruleset.frequency_days + 1)

    def place(pk, starts, ends=None):
        EvaluationSession.objects.filter(pk=pk).update(
            starts_at=starts, ends_at=ends or starts + timedelta(hours=3)
        )

    def clean_and_reasons():
        assert_consistent(host)
        fresh = host.__class__.objects.get(pk=host.pk)
        project = pools.project_facts(fresh.session)
        clean = set(pools._load_facts(fresh, fresh.session, project, ruleset.to_rules()).clean)
        report = pools.evaluate_pool(fresh).excluded
        return clean, {row["code"]: row["reasons"] for row in report}

    once = everyone - twice
    # The second seat before the window: one seat inside it, long over: clean.
    place(second_session.pk, window_start)
    clean, reasons = clean_and_reasons()
    assert clean == everyone and not reasons
    # ... a microsecond later the second latest start is inside the window: examined.
    place(second_session.pk, window_start + timedelta(microseconds=1))
    clean, reasons = clean_and_reasons()
    assert clean == once and not reasons
    # Both inside the window, same tenderer as this tender: FREQUENCY (per tenderer: 2).
    place(second_session.pk, session.starts_at - timedelta(days=3))
    clean, reasons = clean_and_reasons()
    assert clean == once
    assert {code for code, why in reasons.items() if "FREQUENCY" in why} == twice
    # A single seat ending just as this session starts touches it: still clean.
    place(first.session_id, window_start - timedelta(days=1))
    place(second_session.pk, session.starts_at - timedelta(hours=3), session.starts_at)
    clean, reasons = clean_and_reasons()
    assert clean == everyone and not reasons
    # ... ending a microsecond later, it overlaps: examined, UNAVAILABLE.
    place(
        second_session.pk,
        session.starts_at - timedelta(hours=3),
        session.starts_at + timedelta(microseconds=1),
    )
    clean, reasons = clean_and_reasons()
    assert clean == set() and all(reasons[code] == ["UNAVAILABLE"] for code in everyone)
    # A count setting of 1: one seat may exclude, so no shortcut for seats in the window.
    place(second_session.pk, session.starts_at - timedelta(days=3))
    ruleset.frequency_count = 1
    ruleset.save(update_fields=["frequency_count"])
    clean, reasons = clean_and_reasons()
    assert clean == set() and all(reasons[code] == ["FREQUENCY"] for code in everyone)


def test_a_long_session_starting_before_the_window_still_makes_its_experts_unavailable(world):
    """Overlap is read from the sessions' ends, not from an assumed length: with a one-day
    frequency window, a seat in a four-day session that began three days before this one
    still overlaps it."""
    session, host = world["session"], world["host"]
    ruleset = world["rule_set"]
    ruleset.frequency_days = 1
    ruleset.save(update_fields=["frequency_days"])
    other = overlapping_quota(world, "whggzy", count=2, backups=0)
    draw = services.draw_commit(actor=world["centre_wh"], quota=other)
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="9")
    EvaluationSession.objects.filter(pk=other.session_id).update(
        starts_at=session.starts_at - timedelta(days=3),
        ends_at=session.starts_at + timedelta(hours=1),
    )
    assert_consistent(host)
    reasons = {
        row["code"]: row["reasons"]
        for row in pools.evaluate_pool(host.__class__.objects.get(pk=host.pk)).excluded
    }
    assert {code for code, why in reasons.items() if "UNAVAILABLE" in why} == set(draw.drawn)
    # Ending as this session starts, it no longer overlaps.
    EvaluationSession.objects.filter(pk=other.session_id).update(ends_at=session.starts_at)
    assert_consistent(host)
    assert not pools.evaluate_pool(host.__class__.objects.get(pk=host.pk)).excluded
