"""Secrecy of the committee (issue 20): until a session's result is final, nobody outside the
centre staff and the supervisors learns which experts sit, not even by code.

The sweep walks every bidding route of the URL resolver (GET, and POST with an empty form) and
every bidding operation of the OpenAPI document, as anonymous and as the tenderer, the agency,
a bidder and an unrelated expert account, and reads every answer — HTML, JSON, PDF (through
pdftotext) and XLSX — for the code, name, phone and ID-number tail of any drawn expert. A route
or operation added later without being placed in `ROUTES` / `_api_params` fails the test.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from itertools import product
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from qinqing.bidding import urls as bidding_urls
from qinqing.bidding.draw import services
from qinqing.bidding.draw.tests.test_draw_flow import overlapping_quota
from qinqing.bidding.models import (
    Bidder,
    Clarification,
    Draw,
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    Expert,
    Incident,
    Report,
    Room,
    Seat,
    Seating,
    Stage,
)
from qinqing.bidding.permissions import committee_identifiable
from qinqing.bidding.report import services as reports
from qinqing.bidding.report.tests.test_report import _pdftotext, build, evaluated
from qinqing.core.testing import ANONYMOUS, run_queued_tasks

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")

OUTSIDERS = [ANONYMOUS, "tenderer", "agent", "bidder", "expert"]
# Distinctive names, so a hit is a leak and not a word of the page.
NAMES = ["欧阳明轩", "司马青云", "上官婉清", "诸葛文远", "慕容秋实", "东方既白", "令狐远山"]
NAMES += ["皇甫嘉树", "公孙语冰", "长孙霁月", "宇文知秋", "尉迟望舒", "端木临风"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _secret_world(world) -> dict:
    """Session 1: drawn, seated, evaluated, its report built and signed by one member of five
    (not final). Session 2 (same tenderer, overlapping): drawn (one principal, one backup),
    nobody seated; its exclusion report names session 1's host members (seated elsewhere). The
    demo bidder is one of session 1's bidders, with a published clarification."""
    for n, expert in enumerate(Expert.objects.order_by("code")):
        Expert.objects.filter(pk=expert.pk).update(name=NAMES[n])
    wh = world["centre_wh"]
    session = world["session"]
    # No backups for session 1: everyone it draws sits, so session 2 draws other experts.
    for key, centre, specialities, count in (
        ("host", "whggzy", ["A05"], 3),
        ("guest", "jkggzy", ["A0501"], 2),
    ):
        world[key] = services.quota_set(
            actor=world["centre_wh" if centre == "whggzy" else "centre_jk"],
            session=session,
            centre=world["orgs"][centre],
            speciality_codes=specialities,
            count=count,
            backups=0,
        )
    demo_bidder = world["orgs"]["demo-bidder"]
    answering = session.section.bidders.order_by("pk")[1]  # asked by the published clarification
    Bidder.objects.filter(pk=answering.pk).update(uscc=demo_bidder.uscc)
    session, seats = evaluated(world)
    build(world, session)
    reports.report_sign(actor=None, seat=seats[0], agree=True)

    quota = overlapping_quota(world, "whggzy", count=1, backups=1)
    draw = services.draw_commit(actor=wh, quota=quota)
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="7")
    other = quota.session
    assert draw.status == Draw.Status.DRAWN
    excluded = {row["code"] for row in draw.exclusion_report["excluded"]}
    first_members = {s.outcome.expert.code for s in seats if s.seating.centre.code == "whggzy"}
    assert first_members <= excluded  # the cross-session case the sweep must cover
    return {
        "session": EvaluationSession.objects.get(pk=session.pk),
        "other": EvaluationSession.objects.get(pk=other.pk),
        "seats": seats,
        "first_experts": _experts_of(session),
        "other_experts": _experts_of(other),
    }


def _experts_of(session) -> list[Expert]:
    ids = DrawOutcome.objects.filter(session=session).values("expert_id")
    return list(Expert.objects.filter(pk__in=ids).order_by("code"))


# --- what identifies an expert -------------------------------------------------------------


def _patterns(experts) -> dict[str, re.Pattern]:
    """Code, name, phone and the last four characters of the ID number, each as a token (the
    ID tail not inside a longer run of letters or digits: hashes and tokens hold any four; nor
    against a date's or a time's "-" or ":": a PDF's text with its spaces removed runs
    "2026-12-10 22:51" together into "2026-12-1022:51", which held one expert's tail "1022"
    whenever the session ended at 22:xx)."""
    found = {}
    for e in experts:
        for kind, value in (("code", e.code), ("name", e.name), ("phone", e.phone)):
            found[f"{e.code} {kind}"] = re.compile(re.escape(value))
        found[f"{e.code} id_last4"] = re.compile(
            rf"(?<![0-9A-Za-z:-]){re.escape(e.id_last4)}(?![0-9A-Za-z:-])"
        )
    return found


def _pdf_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        text = _pdftotext(content, Path(folder))
    return re.sub(r"\s+", "", text) + "\n" + text


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def response_text(response) -> str:
    """Everything a reader of the answer sees: the body as text (JSON unescaped), a PDF's
    text, a workbook's cells, and the redirect target."""
    kind = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if kind.startswith("application/pdf"):
        text = _pdf_text(content)
    elif "spreadsheetml" in kind:
        text = _xlsx_text(content)
    elif kind.startswith("application/json") and content:
        text = json.dumps(json.loads(content), ensure_ascii=False)
    else:
        text = content.decode("utf-8", errors="replace")
    return text + "\n" + response.get("Location", "")


# --- the routes and operations ----------------------------------------------------------------


# Each bidding route by what its URL takes (a new route must be placed here).
ROUTES = {
    "none": """session_list dashboard project_new expert_list expert_import expert_template room_list
        room_catalogue seating_list signin self_start self_home self_signout workstation signout
        workstation_action workstation_ping fee_standards workstation_report live_list
        bidder_clarifications workstation_clarifications proof_list workstation_time
        workstation_low_bids workstation_documents workstation_document_reads workstation_screening""",
    "session": """session_detail session_close session_start chair_appoint session_scoring
        lot_witness report_detail report_build report_refusal report_rate report_pdf fee_sheet
        fee_export live live_board incident_open session_clarifications session_time
        session_coefficient session_representatives session_reads""",
    "quota": "draw_commit quota_exclude",
    "draw": "draw_detail draw_names proof_detail",
    "outcome": "outcome_answer",
    "token": "respond",
    "expert": "expert_detail",
    "room": "room_detail",
    "seating": "seating_detail",
    "stage": "workstation_sheet committee_stage",
    "seat": "member_withdraw",
    "incident": "incident_resolve",
    "clarification": "clarification_review bidder_clarification",
    # sealed bids: a bidder's own, the parties' counts (no committee on them, walked anyway)
    "bids": "my_bids received_list opening_list opening_records",
    "section": "bid_seal",
    "section_pk": """section_received opening_hall opening_live opening_start opening_object
        opening_close screening_report""",
    "objection": "opening_answer",
    "record": "opening_record opening_record_pdf",
    "bid": "bid_withdraw",
    "receipt": "bid_receipt bid_receipt_download",
    # the bid documents at the workstation (viewer/): an opened file's bytes
    "opened_file": "workstation_document_pdf",
    # from the report to the award: a section's award, the public candidates, the notices
    "award_none": "award_list candidates",
    "award_section": (
        "award_detail award_publish award_object award_complain award_issue award_contract "
        "award_succession"
    ),
    "award_pk": "award_answer award_notice award_notice_pdf candidate_publication",
    "award_complaint": "award_complaint_handle",
}


def _route_kwargs(state) -> dict[str, list[dict]]:
    def pks(objects) -> list[dict]:
        return [{"pk": o.pk} for o in objects]

    values = {
        "none": [{}],
        "session": pks([state["session"], state["other"]]),
        "quota": pks(DrawQuota.objects.all()),
        "draw": [{"draw_id": d.draw_id} for d in Draw.objects.all()],
        "outcome": pks(DrawOutcome.objects.all()),
        "token": [{"token": "not-a-token"}],
        "expert": pks(state["first_experts"] + state["other_experts"]),
        "room": pks(Room.objects.all()),
        "seating": pks(Seating.objects.all()),
        "stage": [{"stage": s} for s in Stage.values],
        "seat": [{"pk": state["session"].pk, "seat_pk": s.pk} for s in Seat.objects.all()],
        "incident": pks(Incident.objects.all()),
        "clarification": pks(Clarification.objects.all()),
        "bids": [{}],
        "section": [{"section_pk": state["session"].section_id}],
        "section_pk": [{"pk": state["session"].section_id}],
        "bid": [{"pk": 1}],
        "receipt": [{"pk": 1}],
        "objection": [{"pk": 1}],
        "record": [{"pk": 1}],
        "opened_file": [{"pk": 1}],
        "award_none": [{}],
        "award_section": [{"pk": state["session"].section_id}],
        "award_pk": [{"pk": 1}],
        "award_complaint": [{"pk": 1, "step": step} for step in ("accept", "decide")],
    }
    return {name: values[kind] for kind, names in ROUTES.items() for name in names.split()}


def bidding_urls_to_walk(state) -> list[str]:
    kwargs = _route_kwargs(state)
    names = {p.name for p in bidding_urls.urlpatterns}
    unplaced = names - set(kwargs)
    assert not unplaced, f"routes the secrecy sweep does not know, add them: {sorted(unplaced)}"
    return [reverse(f"bidding:{name}", kwargs=kw) for name in sorted(names) for kw in kwargs[name]]


# Core pages every identity can reach (home, its notifications, the figures), the audit log
# (refused to these identities) and the published anchors of the audit chain.
CORE_URLS = ["/", "/notifications/", "/figures/", "/audit/", "/audit/anchors/"]
CORE_URLS += ["/audit/anchors.json"]


def _api_params(state) -> dict[str, list[str]]:
    sessions = [str(state["session"].pk), str(state["other"].pk)]
    return {
        "session_id": sessions,
        "draw_id": [d.draw_id for d in Draw.objects.all()],
        "quota_id": [str(q.pk) for q in DrawQuota.objects.all()],
        "project_code": list(
            EvaluationSession.objects.values_list("section__project__code", flat=True)
        ),
        "stage": list(Stage.values),
        "sheet_id": ["1"],
        "note_id": ["1"],
        "bid_id": ["1"],
        "receipt_id": ["1"],
        "section_id": sorted(
            {str(pk) for pk in EvaluationSession.objects.values_list("section_id", flat=True)}
        ),
        "objection_id": ["1"],
        "file_id": ["1"],
        "publication_id": ["1"],
        "complaint_id": ["1"],
        "notice_id": ["1"],
        # a sealed bid's chunked upload: only its own account reaches it (bids/tests/test_upload)
        "upload_id": ["00000000-0000-4000-8000-000000000000"],
        "index": ["0"],
        "chunk": ["0"],
    }


def bidding_operations(state) -> list[tuple[str, str]]:
    """(method, path) of every bidding operation in the OpenAPI document, parameters filled."""
    from config.api import api

    params = _api_params(state)
    found = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if not path.startswith("/api/v1/bidding"):
            continue
        names = re.findall(r"{(\w+)}", path)
        unknown = [n for n in names if n not in params]
        assert not unknown, f"path parameters the secrecy sweep cannot fill: {path} {unknown}"
        for values in product(*(params[n] for n in names)):
            filled = path
            for name, value in zip(names, values, strict=True):
                filled = filled.replace("{" + name + "}", value)
            found += [(method.upper(), filled) for method in operations]
    assert found
    return found


def sweep(users, who: str, state, experts, *, skip=()) -> tuple[list[str], dict]:
    """Every route and operation as `who`: the identifiers of `experts` found (as
    'METHOD url: what'), and the status of each GET."""
    client = Client()
    if who != ANONYMOUS:
        client.force_login(users[who])
    patterns = _patterns(experts)
    leaks, statuses = [], {}

    def check(method: str, url: str, response) -> None:
        text = response_text(response)
        for label, pattern in patterns.items():
            if (method, url, label) not in skip and pattern.search(text):
                leaks.append(f"{who}: {method} {url} [{response.status_code}] shows {label}")

    for url in bidding_urls_to_walk(state) + CORE_URLS:
        response = client.get(url)
        statuses[url] = response.status_code
        check("GET", url, response)
        check("POST", url, client.post(url, {}))
    for method, url in bidding_operations(state):
        if method == "GET":
            response = client.get(url)
            statuses[url] = response.status_code
        else:
            response = client.generic(method, url, "{}", content_type="application/json")
        check(method, url, response)
    return leaks, statuses


# --- the tests -------------------------------------------------------------------------------


@needs_poppler
def test_no_outsider_identifies_a_committee_that_is_not_final(world):
    state = _secret_world(world)
    experts = state["first_experts"] + state["other_experts"]
    assert len(state["first_experts"]) == 5 and len(state["other_experts"]) == 2
    session = state["session"]
    leaks, reached = [], {}
    for who in OUTSIDERS:
        found, reached[who] = sweep(world, who, state, experts)
        leaks += found
    assert not leaks, "the committee is identified before the result is final:\n" + "\n".join(leaks)
    # the sweep reached the pages that used to show the codes
    for who in ("tenderer", "agent"):
        statuses = reached[who]
        assert statuses[reverse("bidding:session_detail", args=[session.pk])] == 200
        assert statuses[reverse("bidding:report_detail", args=[session.pk])] == 200
        for draw in Draw.objects.filter(quota__session=session):
            assert statuses[reverse("bidding:draw_detail", args=[draw.draw_id])] == 200
    other_draw = Draw.objects.get(quota__session=state["other"])
    assert reached["tenderer"][reverse("bidding:draw_detail", args=[other_draw.draw_id])] == 200
    assert reached["tenderer"][f"/api/v1/bidding/sessions/{session.pk}/report"] == 200
    published = Clarification.objects.get(status=Clarification.Status.PUBLISHED)
    assert reached["bidder"][reverse("bidding:bidder_clarification", args=[published.pk])] == 200


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response_text(response)


def _sees_the_committee(client, session, codes) -> None:
    """The session page and the report page show every member's code, each draw's board the
    code of everyone it drew."""
    for name in ("bidding:session_detail", "bidding:report_detail"):
        page = _get(client, reverse(name, args=[session.pk]))
        assert all(code in page for code in codes), name
    for draw in Draw.objects.filter(quota__session=session):
        board = _get(client, reverse("bidding:draw_detail", args=[draw.draw_id]))
        assert all(c in board for c in draw.outcomes.values_list("expert__code", flat=True))


@needs_poppler
def test_staff_and_supervisors_identify_the_committee_before_it_is_final(world):
    state = _secret_world(world)
    session, seats = state["session"], state["seats"]
    codes = [e.code for e in state["first_experts"]]
    for who in ("centre_wh", "centre_jk", "supervisor"):
        client = Client()
        client.force_login(world[who])
        _sees_the_committee(client, session, codes)
        api = _get(client, f"/api/v1/bidding/sessions/{session.pk}/report")
        assert all(code in api for code in codes), who
        url = reverse("bidding:report_pdf", args=[session.pk])
        _get(client, url)  # the draft is rendered on the task queue: 生成中 first
        run_queued_tasks()
        draft = _get(client, url)
        assert all(e.name in draft for e in state["first_experts"]), who
        assert committee_identifiable(world[who], session)
    # the exclusion report of session 2 names session 1's members seated elsewhere, for staff
    other_draw = Draw.objects.get(quota__session=state["other"])
    client = Client()
    client.force_login(world["centre_wh"])
    page = _get(client, reverse("bidding:draw_detail", args=[other_draw.draw_id]))
    assert all(s.outcome.expert.code in page for s in seats if s.seating.centre.code == "whggzy")
    for who in ("tenderer", "agent", "bidder", "expert"):
        assert not committee_identifiable(world[who], session)
    # the expert reads their own code at the workstation, no one else's
    terminal = Client()
    store = terminal.session
    store["bidding_seat"] = seats[1].pk
    store.save()
    own = _get(terminal, reverse("bidding:workstation"))
    assert seats[1].outcome.expert.code in own
    others = [s.outcome.expert for s in seats if s.pk != seats[1].pk]
    report = _get(terminal, reverse("bidding:workstation_report"))
    for page in (own, report):
        assert not [e.code for e in others if e.code in page]
        assert not [e.name for e in others if e.name in page]
    assert seats[1].outcome.expert.name in report


@needs_poppler
def test_once_final_the_tenderer_and_the_public_identify_the_committee(world):
    state = _secret_world(world)
    session, seats = state["session"], state["seats"]
    reports_signed = Report.objects.get(session=session)
    for seat in seats[1:]:
        reports.report_sign(actor=None, seat=seat, agree=True)
    reports_signed.refresh_from_db()
    session.refresh_from_db()
    assert reports_signed.status == Report.Status.SEALED and session.secrecy_lifted_at
    codes = [e.code for e in state["first_experts"]]
    names = [e.name for e in state["first_experts"]]
    for who in ("tenderer", "agent"):
        client = Client()
        client.force_login(world[who])
        _sees_the_committee(client, session, codes)
        assert committee_identifiable(world[who], session)
    tenderer = Client()
    tenderer.force_login(world["tenderer"])
    sealed = _get(tenderer, reverse("bidding:report_pdf", args=[session.pk]))
    assert all(name in sealed for name in names)
    api = _get(tenderer, f"/api/v1/bidding/sessions/{session.pk}/report")
    assert all(code in api for code in codes)
    for draw in Draw.objects.filter(quota__session=session):
        proof = Client().get(f"/api/v1/bidding/draws/{draw.draw_id}/proof").json()
        assert proof["drawn"] == list(draw.outcomes.values_list("expert__code", flat=True))

    # Session 2 is still secret: nobody outside learns who it drew. Its experts were in
    # session 1's pool (the eligible, not the drawn), which session 1's public proof lists by
    # design (docs/bidding.md, "Secrecy of the committee").
    pool_proofs = {
        (method, url, f"{e.code} code")
        for d in Draw.objects.filter(quota__session=session)
        for e in state["other_experts"]
        for method, url in (
            ("GET", f"/api/v1/bidding/draws/{d.draw_id}/proof"),
            ("GET", f"/bidding/proofs/{d.draw_id}/"),  # the same proof, to verify in a browser
        )
    }
    leaks = []
    for who in OUTSIDERS:
        found, _ = sweep(world, who, state, state["other_experts"], skip=pool_proofs)
        leaks += found
    assert not leaks, "session 2's committee is identified:\n" + "\n".join(leaks)


@needs_poppler
def test_a_reader_who_may_not_identify_gets_the_report_without_codes_or_names(world):
    """Sealing is what makes the result final, so today the tenderer only ever downloads a
    sealed report it may identify; the PDF route still asks `committee_identifiable`, and a
    reader it refuses gets the report rendered with 评委N, never the signed file."""
    state = _secret_world(world)
    session, seats = state["session"], state["seats"]
    for seat in seats[1:]:
        reports.report_sign(actor=None, seat=seat, agree=True)
    report = Report.objects.get(session=session)
    assert report.status == Report.Status.SEALED
    EvaluationSession.objects.filter(pk=session.pk).update(secrecy_lifted_at=None)
    url = reverse("bidding:report_pdf", args=[session.pk])
    tenderer = Client()
    tenderer.force_login(world["tenderer"])
    response = tenderer.get(url)
    with report.pdf.open("rb") as handle:
        signed = handle.read()
    assert response.status_code == 200 and response.content != signed
    text = response_text(response)
    assert "评委1" in text and "评委5" in text and "示例学生公寓修缮设计" in text
    found = [label for label, p in _patterns(state["first_experts"]).items() if p.search(text)]
    assert not found
    staff = Client()
    staff.force_login(world["centre_wh"])
    assert staff.get(url).content == signed


def test_unidentified_keeps_the_readers_own_seat_only(world):
    state = _secret_world(world)
    content = Report.objects.get(session=state["session"]).content
    mine = content["members"][1]
    hidden = reports.unidentified(content, own_workstation=mine["workstation"])
    assert hidden["members"][1] == mine
    others = [m for n, m in enumerate(hidden["members"]) if n != 1]
    assert [m["name"] for m in others] == ["评委1", "评委3", "评委4", "评委5"]
    assert all(m["expert_code"] == "" for m in others)
    text = json.dumps(hidden, ensure_ascii=False)
    for e in state["first_experts"]:
        if e.code != mine["expert_code"]:
            assert e.code not in text and e.name not in text
    assert content["members"][0]["expert_code"]  # the stored snapshot is untouched
