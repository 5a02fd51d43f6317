"""Live supervision (workstation states, never scores), the idle flag, the incident log and
the 2 h / 4 h rules of remote evaluation, and who may see the live page."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from qinqing.bidding.evaluation import rules, supervision
from qinqing.bidding.evaluation.tests.test_clarifications import in_progress, other_supervisor
from qinqing.bidding.models import (
    BidResult,
    Criterion,
    DeviationNote,
    EvaluationSession,
    EvaluationStage,
    Incident,
    ScoreEntry,
    ScoreSheet,
    Seat,
    Stage,
)
from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
from qinqing.core.audit import verify_chain
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import AuditEntry, Organisation, RoleGrant
from qinqing.core.roles import Role
from qinqing.core.testing import ANONYMOUS, check_matrix

T0 = datetime(2025, 6, 3, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
SEC = timedelta(seconds=1)

# Values planted in score rows: none may appear on the board.
PLANTED = ["87.35", "12.34", "56.78", "91.23", "27.65", "1234567.89"]


# --- the 2 h / 4 h rules (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("during", "elapsed", "warned"),
    [
        (False, 2 * H - SEC, False),
        (False, 2 * H, False),  # exactly 2 h is still within
        (False, 2 * H + SEC, True),
        (True, 2 * H + SEC, False),  # during the evaluation the limit is 4 h
        (True, 4 * H, False),  # exactly 4 h is still within
        (True, 4 * H + SEC, True),
    ],
)
def test_incident_warning_boundaries(during, elapsed, warned):
    open_now = rules.incident_warnings(T0, None, T0 + elapsed, during)
    resolved = rules.incident_warnings(T0, T0 + elapsed, T0 + 10 * H, during)
    assert bool(open_now) is warned and bool(resolved) is warned
    if warned:
        expected = (
            (rules.WARN_DURING_OPEN, rules.WARN_DURING_LATE)
            if during
            else (rules.WARN_BEFORE_START_OPEN, rules.WARN_BEFORE_START_LATE)
        )
        assert (open_now, resolved) == ([expected[0]], [expected[1]])
    assert ("招标人" in "".join(open_now)) is (warned and not during)
    assert ("重新组建评标委员会" in "".join(open_now)) is (warned and during)


def test_incident_time_helpers():
    assert rules.incident_limit(False) == 2 * H
    assert rules.incident_limit(True) == 4 * H
    assert rules.incident_remaining(T0, None, T0 + H, True) == 3 * H
    assert rules.incident_remaining(T0, None, T0 + 5 * H, True) == timedelta(0)
    assert rules.incident_remaining(T0, T0 + H, T0 + 2 * H, True) is None
    with pytest.raises(ValueError):
        rules.incident_warnings(T0, T0 - SEC, T0, True)


@pytest.mark.parametrize(
    ("ago", "idle"),
    [
        (timedelta(minutes=15) - SEC, False),
        (timedelta(minutes=15), False),
        (timedelta(minutes=15) + SEC, True),
    ],
)
def test_idle_boundary_pure(ago, idle):
    assert rules.is_idle(T0 - ago, T0, 15) is idle
    assert rules.is_idle(None, T0, 15) is False


# --- the board ------------------------------------------------------------------------------


def plant_scores(session, seats):
    """An open review stage with sheets in every state, entries with scores and pass/fail,
    a deviation note and results: the board must show states only."""
    now = timezone.now()
    EvaluationStage.objects.create(
        session=session,
        stage=Stage.REVIEW,
        status="closed",
        opened_at=now - 2 * H,
        closed_at=now - H,
    )
    EvaluationStage.objects.create(session=session, stage=Stage.DETAILED, opened_at=now - H)
    review = Criterion.objects.create(
        session=session, stage=Stage.REVIEW, code="R1", name="资格", step=Decimal("1"), order=1
    )
    item = Criterion.objects.create(
        session=session,
        stage=Stage.DETAILED,
        code="D1",
        name="技术方案",
        max_score=Decimal("100"),
        step=Decimal("0.01"),
        order=2,
    )
    bidders = list(session.section.bidders.order_by("pk"))
    states = ["submitted", "void", "draft", "draft", "draft"]
    for seat, state in zip(seats, states, strict=True):
        done = ScoreSheet.objects.create(
            session=session,
            seat=seat,
            stage=Stage.REVIEW,
            status="submitted",
            updated_at=now - H,
            submitted_at=now - H,
        )
        ScoreEntry.objects.create(
            sheet=done, bidder=bidders[0], criterion=review, passed=False, note="不通过理由甲"
        )
        sheet = ScoreSheet.objects.create(
            session=session,
            seat=seat,
            stage=Stage.DETAILED,
            status=state,
            updated_at=now - timedelta(minutes=3),
            submitted_at=now if state == "submitted" else None,
        )
        ScoreEntry.objects.create(
            sheet=sheet, bidder=bidders[0], criterion=item, score=Decimal("87.35")
        )
    DeviationNote.objects.create(
        sheet=ScoreSheet.objects.filter(stage=Stage.DETAILED).first(),
        bidder=bidders[0],
        criterion=item,
        score=Decimal("12.34"),
        mean=Decimal("56.78"),
    )
    BidResult.objects.create(
        session=session,
        bidder=bidders[0],
        passed_review=True,
        total=Decimal("91.23"),
        price_score=Decimal("27.65"),
        evaluated_price=Decimal("1234567.89"),
        rank=1,
        candidate=True,
    )


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def test_the_board_shows_states_and_never_scores(client, world):
    session, seats = in_progress(world)
    plant_scores(session, seats)
    client.force_login(world["supervisor"])
    data = client.get(f"/api/v1/bidding/sessions/{session.pk}/live").json()
    keys = _keys(data)
    for forbidden in ("score", "passed", "total", "rank", "mean", "price", "candidate", "note"):
        assert not any(forbidden in k for k in keys), forbidden
    text = json.dumps(data, ensure_ascii=False)
    assert not any(v in text for v in PLANTED) and "不通过理由甲" not in text
    # Centres and counts: 3 at the host, 2 at the guest centre, all signed in.
    centres = {c["name"]: c for c in data["centres"]}
    host, guest = centres["武汉市公共资源交易中心"], centres["武汉经开区公共资源交易中心"]
    assert (host["host"], host["seats"], host["signed_in"]) == (True, 3, 3)
    assert (guest["host"], guest["seats"], guest["signed_in"]) == (False, 2, 2)
    assert host["submitted"] + guest["submitted"] == 1
    stages = {s["stage"]: s for s in data["stages"]}
    assert stages["review"]["percent"] == 100 and stages["review"]["status"] == "closed"
    detailed = stages["detailed"]
    assert (detailed["submitted"], detailed["draft"], detailed["void"]) == (1, 3, 1)
    assert detailed["percent"] == 25 and detailed["current"]  # 1 of 4 valid sheets
    assert data["current_stage"] == "detailed"
    rows = {w["workstation"]: w for w in data["workstations"]}
    assert len(rows) == 5 and {w["centre"] for w in rows.values()} == set(centres)
    first = rows[Seat.objects.get(pk=seats[0].pk).workstation.code]
    assert first["sheet_status"] == "submitted" and first["chair"] and first["signed_in_at"]
    assert first["sign_in_method"] == "staff" and first["room"]
    assert rows[Seat.objects.get(pk=seats[1].pk).workstation.code]["sheet_status"] == "void"
    # The pages carry none of the planted values either.
    for url in (
        f"/bidding/sessions/{session.pk}/live/",
        f"/bidding/sessions/{session.pk}/live/board/",
    ):
        page = client.get(url).content.decode()
        assert not any(v in page for v in PLANTED), url
        assert "不通过理由甲" not in page
    page = client.get(f"/bidding/sessions/{session.pk}/live/").content.decode()
    assert f'hx-get="/bidding/sessions/{session.pk}/live/board/"' in page
    assert 'hx-trigger="every 5s"' in page
    board = client.get(f"/bidding/sessions/{session.pk}/live/board/").content.decode()
    assert "<html" not in board and "<progress" in board


def test_idle_flag_boundary_and_setting(world, settings):
    session, seats = in_progress(world)
    now = timezone.now()
    Seat.objects.filter(pk=seats[0].pk).update(last_seen_at=now - timedelta(minutes=15))
    Seat.objects.filter(pk=seats[1].pk).update(last_seen_at=now - timedelta(minutes=15) - SEC)
    Seat.objects.filter(pk__in=[s.pk for s in seats[2:]]).update(last_seen_at=now)
    codes = {s.pk: Seat.objects.get(pk=s.pk).workstation.code for s in seats}

    def idle():
        board = supervision.live_board(session, now=now)
        return {w["workstation"] for w in board["workstations"] if w["idle"]}

    assert idle() == {codes[seats[1].pk]}  # exactly 15 minutes is not yet idle
    assert sum(c["idle"] for c in supervision.live_board(session, now=now)["centres"]) == 1
    settings.QINQING_IDLE_MINUTES = 20
    assert idle() == set()
    settings.QINQING_IDLE_MINUTES = 5
    assert idle() == {codes[seats[0].pk], codes[seats[1].pk]}
    # No sign of life since sign-in counts from the sign-in time.
    Seat.objects.filter(pk=seats[2].pk).update(
        last_seen_at=None, signed_in_at=now - timedelta(minutes=6)
    )
    assert codes[seats[2].pk] in idle()
    # Before the start nobody is flagged.
    EvaluationSession.objects.filter(pk=session.pk).update(status=EvaluationSession.Status.READY)
    session.refresh_from_db()
    assert idle() == set()


# --- incidents ------------------------------------------------------------------------------


def test_incidents_open_pause_resolve_and_are_audited(client, world):
    session, _ = in_progress(world)
    orgs = world["orgs"]
    incident = supervision.incident_open(
        actor=world["centre_jk"],
        session=session,
        centre=orgs["jkggzy"],
        kind="network",
        description="客场专线中断",
    )
    assert incident.during_evaluation and incident.pauses
    assert supervision.session_paused(session)
    assert Incident.objects.filter(session=session, pauses=True, resolved_at__isnull=True).exists()
    with pytest.raises(PermissionDenied):  # the guest admin cannot speak for the host centre
        supervision.incident_open(
            actor=world["centre_jk"],
            session=session,
            centre=orgs["whggzy"],
            kind="power",
            description="停电",
        )
    with pytest.raises(PermissionDenied):
        supervision.incident_open(
            actor=world["supervisor"],
            session=session,
            centre=orgs["jkggzy"],
            kind="power",
            description="停电",
        )
    with pytest.raises(DomainError):
        supervision.incident_open(
            actor=world["centre_wh"],
            session=session,
            centre=orgs["whggzy"],
            kind="x",
            description="?",
        )
    host_note = supervision.incident_open(  # the host admin records at any centre of the session
        actor=world["centre_wh"],
        session=session,
        centre=orgs["whggzy"],
        kind="device",
        description="H 工位显示器黑屏，已更换",
        pauses=False,
    )
    client.force_login(world["supervisor"])  # supervisors see every incident and the banner
    page = client.get(f"/bidding/sessions/{session.pk}/live/").content.decode()
    assert "客场专线中断" in page and "H 工位显示器黑屏" in page and "评标已暂停" in page
    assert "登记异常情况" not in page  # supervisors do not record incidents
    # Four hours and one second later the warning shows.
    Incident.objects.filter(pk=incident.pk).update(started_at=timezone.now() - 4 * H - SEC)
    board = client.get(f"/bidding/sessions/{session.pk}/live/board/").content.decode()
    assert rules.WARN_DURING_OPEN in board
    with pytest.raises(PermissionDenied):  # the guest admin cannot close the host's incident
        supervision.incident_resolve(actor=world["centre_jk"], incident=host_note, resolution="好")
    with pytest.raises(DomainError):
        supervision.incident_resolve(actor=world["centre_jk"], incident=incident, resolution=" ")
    supervision.incident_resolve(
        actor=world["centre_wh"], incident=incident, resolution="专线恢复，数据完整"
    )
    with pytest.raises(ConflictError):
        supervision.incident_resolve(actor=world["centre_jk"], incident=incident, resolution="再")
    assert not supervision.session_paused(session)
    board = client.get(f"/bidding/sessions/{session.pk}/live/board/").content.decode()
    assert "评标已暂停" not in board and rules.WARN_DURING_LATE in board
    resolved = AuditEntry.objects.get(action="incident.resolve")
    assert resolved.detail["warnings"] == [rules.WARN_DURING_LATE]
    assert resolved.detail["elapsed_seconds"] >= 4 * 3600 + 1
    assert resolved.organisation == orgs["jkggzy"]
    assert AuditEntry.objects.filter(action="incident.open").count() == 2
    assert verify_chain().ok


def test_incident_before_the_start_and_after_the_end(world):
    session, _ = full_committee(world)
    incident = supervision.incident_open(
        actor=world["centre_wh"],
        session=session,
        centre=world["orgs"]["whggzy"],
        kind="power",
        description="开标前机房停电",
    )
    assert incident.during_evaluation is False
    row = supervision.incident_rows(session, now=incident.started_at + 2 * H)[0]
    assert row["warnings"] == [] and row["limit_hours"] == 2
    row = supervision.incident_rows(session, now=incident.started_at + 2 * H + SEC)[0]
    assert row["warnings"] == [rules.WARN_BEFORE_START_OPEN]
    EvaluationSession.objects.filter(pk=session.pk).update(status=EvaluationSession.Status.CLOSED)
    with pytest.raises(ConflictError):
        supervision.incident_open(
            actor=world["centre_wh"],
            session=session,
            centre=world["orgs"]["whggzy"],
            kind="other",
            description="结束后",
        )


def test_incident_pages(client, world):
    session, _ = in_progress(world)
    client.force_login(world["centre_jk"])
    page = client.get(f"/bidding/sessions/{session.pk}/live/").content.decode()
    assert "登记异常情况" in page
    jk = world["orgs"]["jkggzy"]
    client.post(
        f"/bidding/sessions/{session.pk}/incidents/",
        {"centre": jk.pk, "kind": "network", "description": "网络抖动", "pauses": "on"},
    )
    incident = Incident.objects.get()
    assert incident.centre == jk and incident.reported_by == world["centre_jk"]
    # Another centre's admin cannot record at a centre it does not run.
    response = client.post(
        f"/bidding/sessions/{session.pk}/incidents/",
        {"centre": world["orgs"]["whggzy"].pk, "kind": "power", "description": "x"},
    )
    assert response.status_code == 302 and Incident.objects.count() == 1
    client.force_login(world["supervisor"])
    assert (
        client.post(
            f"/bidding/sessions/{session.pk}/incidents/",
            {"centre": jk.pk, "kind": "power", "description": "x"},
        ).status_code
        == 404
    )
    assert (
        client.post(f"/bidding/incidents/{incident.pk}/resolve/", {"resolution": "x"}).status_code
        == 403
    )
    client.force_login(world["centre_jk"])
    client.post(f"/bidding/incidents/{incident.pk}/resolve/", {"resolution": "已恢复"})
    incident.refresh_from_db()
    assert incident.resolved_at is not None and incident.resolution == "已恢复"


# --- who sees the live page -----------------------------------------------------------------


def test_permission_matrix_live(client, world):
    session, seats = in_progress(world)
    other_centre = Organisation.objects.create(
        kind=Organisation.Kind.TRADING_CENTRE, name="另一交易中心", code="qt-centre"
    )
    outsider_admin = get_user_model().objects.create_user(username="centre_other")
    RoleGrant.objects.create(user=outsider_admin, role=Role.CENTRE_ADMIN, organisation=other_centre)
    users = {
        **world,
        "supervisor_other": other_supervisor(world),
        "centre_other": outsider_admin,
    }
    expected = {
        "supervisor": 200,
        "centre_wh": 200,
        "centre_jk": 200,  # the guest centre's admin sees the board too
        "supervisor_other": 404,
        "centre_other": 404,
        "tenderer": 403,
        "agent": 403,
        "expert": 403,
        "enterprise": 403,
    }
    matrix = {
        f"/bidding/sessions/{session.pk}/live/": {**expected, ANONYMOUS: 302},
        f"/bidding/sessions/{session.pk}/live/board/": {**expected, ANONYMOUS: 302},
        # what each member read of the bids (viewer/): the live page's audience
        f"/bidding/sessions/{session.pk}/reads/": {**expected, ANONYMOUS: 302},
        # the documents themselves only from a signed-in workstation: no account reads them
        "/bidding/workstation/documents/": {
            **dict.fromkeys(expected, 404),
            ANONYMOUS: 404,
        },
        "/bidding/workstation/documents/1/pdf/": {"supervisor": 404, "expert": 404},
        "/api/v1/bidding/workstation/documents": {"supervisor": 401, ANONYMOUS: 401},
        f"/api/v1/bidding/sessions/{session.pk}/live": expected,
        "/bidding/live/": {
            "supervisor": 200,
            "centre_jk": 200,
            "supervisor_other": 200,
            "tenderer": 403,
            ANONYMOUS: 302,
        },
    }
    matrix.update(
        {
            # the clarifications the supervisor reviews
            f"/bidding/sessions/{session.pk}/clarifications/": {
                "supervisor": 200,
                "supervisor_other": 404,
                "tenderer": 403,
                "expert": 403,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            # the stages as the session's parties follow them (no scores)
            f"/bidding/sessions/{session.pk}/scoring/": {
                "centre_wh": 200,
                "supervisor": 200,
                "tenderer": 200,
                "centre_other": 404,
                "expert": 403,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            # a bidder's own clarification requests
            "/bidding/clarifications/": {
                "tenderer": 403,
                "supervisor": 403,
                "enterprise": 403,
                ANONYMOUS: 302,
            },
            "/bidding/clarifications/999999/": {"supervisor": 403, ANONYMOUS: 302},
        }
    )
    check_matrix(client, matrix, users)
    incident = supervision.incident_open(
        actor=world["centre_wh"],
        session=session,
        centre=world["orgs"]["whggzy"],
        kind="network",
        description="网络抖动",
    )
    seat = seats[-1]
    writes = {
        # recording an incident is a centre's; resolving it the centre's too
        f"/bidding/sessions/{session.pk}/incidents/": {
            "supervisor": 404,
            "centre_other": 404,
            "tenderer": 403,
            ANONYMOUS: 302,
        },
        f"/bidding/incidents/{incident.pk}/resolve/": {
            "supervisor": 403,
            "centre_other": 404,
            ANONYMOUS: 302,
        },
        # the ranking lot is witnessed by the supervisor; a member withdrawn by the host centre
        f"/bidding/sessions/{session.pk}/lot/": {
            "tenderer": 404,
            "centre_other": 404,
            ANONYMOUS: 302,
        },
        f"/bidding/sessions/{session.pk}/members/{seat.pk}/withdraw/": {
            "supervisor": 404,
            "tenderer": 404,
            "centre_other": 404,
            ANONYMOUS: 302,
        },
        "/bidding/clarifications/999999/review/": {"supervisor": 404, ANONYMOUS: 302},
    }
    check_matrix(client, writes, users, method="post")
    incident.refresh_from_db()
    assert incident.resolved_at is None
    client.force_login(users["supervisor_other"])
    assert session.section.project.name not in client.get("/bidding/live/").content.decode()
    client.force_login(world["centre_jk"])
    assert session.section.project.name in client.get("/bidding/live/").content.decode()
    client.logout()
    assert client.get(f"/api/v1/bidding/sessions/{session.pk}/live").status_code == 401
