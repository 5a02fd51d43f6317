"""Permission matrix, sealed identities, imports and the API of the bidding module."""

import io
import threading

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook

from qinqing.bidding.conftest import build_world, expert_row, id_number
from qinqing.bidding.draw import services
from qinqing.bidding.draw.tests.test_draw_flow import _holders, overlapping_quota
from qinqing.bidding.experts import imports
from qinqing.bidding.models import DrawOutcome, Expert
from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

OUTSIDERS = ["editor", "judge", "creditor", "enterprise", "expert"]


def test_permission_matrix(client, world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    session = world["session"]
    expert = Expert.objects.get(code="WH-001")
    participants = {
        "centre_wh": 200,
        "centre_jk": 200,
        "supervisor": 200,
        "tenderer": 200,
        "agent": 200,
    }
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    matrix = {
        "/bidding/": {**participants, **nobody},
        f"/bidding/sessions/{session.pk}/": {
            **participants,
            ANONYMOUS: 302,
            **dict.fromkeys(OUTSIDERS, 403),
        },
        f"/bidding/draws/{draw.draw_id}/": {**participants, **nobody},
        "/bidding/experts/": {
            "centre_wh": 200,
            "centre_jk": 200,
            "supervisor": 403,
            "tenderer": 403,
            **nobody,
        },
        f"/bidding/experts/{expert.pk}/": {
            "centre_wh": 200,
            "centre_jk": 404,
            "supervisor": 403,
            **nobody,
        },
        "/bidding/projects/new/": {"centre_wh": 200, "supervisor": 403, "tenderer": 403, **nobody},
        "/bidding/experts/import/": {"centre_jk": 200, "tenderer": 403, ANONYMOUS: 302},
        # the committee's low-bid page: only a signed-in workstation, everyone else to sign-in
        "/bidding/workstation/low-bids/": {ANONYMOUS: 302, "centre_wh": 302, "expert": 302},
        # the K draw at the opening takes POSTs only (its roles: evaluation/tests/test_low_bids)
        f"/bidding/sessions/{session.pk}/coefficient/": {ANONYMOUS: 302, "centre_wh": 405},
        # sealed bids (bids/tests/test_access.py has the full matrix with bids and receipts)
        "/bidding/bids/": {"bidder": 200, **dict.fromkeys(participants, 403), **nobody},
        f"/bidding/bids/sections/{session.section_id}/seal/": {
            "bidder": 403,  # its firm is not registered for this section: told so
            "tenderer": 403,
            ANONYMOUS: 302,
        },
        "/bidding/bids/received/": {**participants, "bidder": 403, **nobody},
        f"/bidding/bids/received/{session.section_id}/": {**participants, "bidder": 403, **nobody},
        "/api/v1/bidding/bids": {"bidder": 200, "tenderer": 403, ANONYMOUS: 401},
        # the opening hall (opening/tests/test_access.py has the full matrix through the close)
        "/bidding/openings/": {**participants, "bidder": 200, **nobody},
        f"/bidding/openings/sections/{session.section_id}/": {
            **participants,
            "bidder": 404,  # its firm is not registered for this section
            **nobody,
        },
        f"/bidding/openings/sections/{session.section_id}/live/": {"agent": 200, **nobody},
        f"/bidding/openings/sections/{session.section_id}/start/": {ANONYMOUS: 302, "agent": 405},
        f"/bidding/openings/records/{session.section_id}/": {ANONYMOUS: 404, "agent": 404},
        f"/api/v1/bidding/openings/{session.section_id}": {
            "tenderer": 200,
            "bidder": 404,
            "expert": 403,
            ANONYMOUS: 401,
        },
        f"/api/v1/bidding/openings/{session.section_id}/record": {ANONYMOUS: 404},
    }
    check_matrix(client, matrix, world)


def test_session_of_another_centre_is_404(client, world):
    quota = overlapping_quota(world, "jkggzy", count=1, backups=0)
    client.force_login(world["centre_wh"])  # neither host nor guest of that session
    assert client.get(f"/bidding/sessions/{quota.session_id}/").status_code == 404
    client.force_login(world["centre_jk"])
    assert client.get(f"/bidding/sessions/{quota.session_id}/").status_code == 200


def test_names_are_sealed_and_each_reveal_is_audited(client, world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    draw = services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="7")
    names = set(Expert.objects.filter(code__in=draw.drawn).values_list("name", flat=True))
    url = f"/bidding/draws/{draw.draw_id}/"
    for who in ("tenderer", "agent", "supervisor", "centre_jk"):
        client.force_login(world[who])
        page = client.get(url).content.decode()
        # codes only for the staff and the supervisors while the committee is secret
        assert (draw.drawn[0] in page) == (who in ("supervisor", "centre_jk")), who
        assert not any(name in page for name in names), who
        assert client.post(url + "names/").status_code == 404
    assert not AuditEntry.objects.filter(action="draw.reveal_names").exists()
    client.force_login(world["centre_wh"])
    revealed = client.post(url + "names/").content.decode()
    assert all(name in revealed for name in names)
    assert (
        AuditEntry.objects.filter(action="draw.reveal_names", actor=world["centre_wh"]).count() == 1
    )


def test_only_the_supervisor_witnesses(client, world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    url = f"/bidding/draws/{draw.draw_id}/"
    for who in ("tenderer", "centre_wh"):
        client.force_login(world[who])
        assert client.post(url, {"witness_entropy": "1"}).status_code == 404
    client.force_login(world["supervisor"])
    page = client.get(url).content.decode()
    assert draw.commitment in page and "确认见证并抽取" in page
    assert client.post(url, {"witness_entropy": "1"}).status_code == 302
    assert DrawOutcome.objects.filter(draw=draw, status="notified").count() == 3


def test_api_commit_witness_and_errors(client, world):
    client.force_login(world["centre_wh"])
    response = client.post(f"/api/v1/bidding/quotas/{world['host'].pk}/draws")
    assert response.status_code == 201
    draw_id = response.json()["draw_id"]
    again = client.post(f"/api/v1/bidding/quotas/{world['host'].pk}/draws")
    assert again.status_code == 409 and "见证" in again.json()["detail"]
    # The centre admin may not witness; the guest centre's quota is not theirs to commit.
    assert (
        client.post(
            f"/api/v1/bidding/draws/{draw_id}/witness", {}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/bidding/quotas/{world['guest'].pk}/draws").status_code == 404
    client.force_login(world["supervisor"])
    ok = client.post(
        f"/api/v1/bidding/draws/{draw_id}/witness",
        {"witness_entropy": "abc"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "drawn"
    too_long = client.post(
        f"/api/v1/bidding/draws/{draw_id}/witness",
        {"witness_entropy": "x" * 300},
        content_type="application/json",
    )
    assert too_long.status_code == 400 and too_long.json()["field"] == "witness_entropy"
    assert client.get("/api/v1/bidding/draws/NO-SUCH/proof").status_code == 404


def test_sessions_api_lists_only_my_sessions(client, world):
    client.force_login(world["tenderer"])
    assert [s["project_code"] for s in client.get("/api/v1/bidding/sessions").json()] == ["P-001"]
    client.force_login(world["judge"])
    assert client.get("/api/v1/bidding/sessions").status_code == 403


# --- import -------------------------------------------------------------------------------


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append([label for _, label, _ in imports.COLUMNS])
    for row in rows:
        sheet.append([row[name] for name, _, _ in imports.COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_is_all_or_nothing_with_row_errors(world):
    database = world["orgs"]["whggzy-experts"]
    rows = [
        expert_row("NEW-1", 301),
        expert_row("NEW-2", 302, employer_uscc="91350100M000100Y44"),  # bad check character
        expert_row("NEW-3", 303, id_number="110105194912310021"),  # bad ID number
        expert_row("NEW-4", 304, specialities="A0501;Z99"),  # unknown speciality
        expert_row("NEW-1", 305),  # duplicate code within the file
        expert_row("NEW-6", 306, id_number=id_number(1)),  # ID number already in the register
        expert_row("NEW-7", 307, title="教授"),
    ]
    table = imports.read_rows("experts.xlsx", _xlsx(rows))
    before = Expert.objects.count()
    with pytest.raises(imports.ImportErrors) as excinfo:
        imports.experts_import(actor=world["centre_wh"], database=database, rows=table)
    assert excinfo.value.errors == [
        ("专家", 3, "工作单位统一社会信用代码", "格式或校验位不正确"),
        ("专家", 4, "身份证号", "号码或校验位不正确"),
        ("专家", 5, "评标专业代码", "未知代码：Z99"),
        ("专家", 6, "专家编号", "与第 2 行重复"),
        ("专家", 7, "身份证号", "该专家已在库中（身份证号重复）"),
        ("专家", 8, "职称", "应为 正高级、副高级 或 中级"),
    ]
    assert Expert.objects.count() == before


def test_import_csv_and_birth_date_from_the_id_number(world):
    database = world["orgs"]["whggzy-experts"]
    row = expert_row("CSV-1", 401, id_number=id_number(401, birth="19650302"))
    header = ",".join(label for _, label, _ in imports.COLUMNS)
    line = ",".join(row[name] for name, _, _ in imports.COLUMNS)
    table = imports.read_rows("e.csv", f"\ufeff{header}\n{line}\n".encode())
    assert imports.experts_import(actor=world["centre_wh"], database=database, rows=table) == 1
    expert = Expert.objects.get(code="CSV-1")
    assert expert.birth_date.isoformat() == "1965-03-02"
    assert expert.masked_id_number.endswith(row["id_number"][-4:])
    assert row["id_number"] not in expert.id_number_cipher


def test_import_page_shows_row_errors_and_template_downloads(client, world):
    client.force_login(world["centre_wh"])
    template = client.get("/bidding/experts/template.xlsx")
    header = [c.value for c in next(load_workbook(io.BytesIO(template.content)).active.iter_rows())]
    assert header == [label for _, label, _ in imports.COLUMNS]
    upload = io.BytesIO(_xlsx([expert_row("X-1", 501, phone="123")]))
    upload.name = "x.xlsx"
    database = world["orgs"]["whggzy-experts"]
    page = client.post("/bidding/experts/import/", {"database": database.pk, "file": upload})
    html = page.content.decode()
    assert "应为11位数字" in html and "未保存任何数据" in html
    bad = io.BytesIO(b"not a spreadsheet")
    bad.name = "x.pdf"
    page = client.post("/bidding/experts/import/", {"database": database.pk, "file": bad})
    assert "只支持 .xlsx 或 .csv 文件" in page.content.decode()


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_draws_at_once_never_seat_one_expert_twice(demo_users):
    """Two overlapping sessions drawing from one database, witnessed at the same moment.

    Seat-taking is serialised by locking the expert database's row (services._lock_database);
    the audit chain's head lock serialises audited transactions too, so both would have to go
    for this test to fail.
    """
    if connection.vendor != "postgresql":
        pytest.skip("true concurrency is exercised on PostgreSQL")
    world = build_world(demo_users)
    other = overlapping_quota(world, "whggzy", count=3, backups=5)
    draws = [
        services.draw_commit(actor=world["centre_wh"], quota=world["host"]),
        services.draw_commit(actor=world["centre_wh"], quota=other),
    ]
    barrier, errors = threading.Barrier(2), []

    def witness(draw, entropy):
        try:
            barrier.wait()
            services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy=entropy)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=witness, args=(d, str(i))) for i, d in enumerate(draws)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    first, second = _holders(world["session"].pk), _holders(other.session_id)
    assert not first & second
    # The second quota draws the whole pool of 8, so it always seats 3; the first draws 5 and
    # seats 3, or 2 when the other witness went first and took 3 of its 5 (backups run out).
    assert len(second) == 3 and len(first) in (2, 3)
    # Whoever was passed over as unavailable is held by the other session.
    for draw, others in ((draws[0], second), (draws[1], first)):
        skipped = set(
            draw.outcomes.filter(status=DrawOutcome.Status.UNAVAILABLE).values_list(
                "expert__code", flat=True
            )
        )
        assert skipped <= others


def test_malformed_quota_post_is_404_not_500(client, world):
    client.force_login(world["centre_wh"])
    url = f"/bidding/sessions/{world['session'].pk}/"
    assert client.post(url, {"centre": "abc"}).status_code == 404
    assert client.post(url, {"centre": "999999"}).status_code == 404


def test_permission_matrix_of_the_draw_writes_proofs_and_api(client, world):
    """The draw's writes and its public proofs: the host centre acts, the guest centre's
    quota is not its own (404), the other parties are refused; the proofs are public."""
    session = world["session"]
    sealed = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    draw = services.draw_witness(actor=world["supervisor"], draw=sealed, witness_entropy="7")
    outcome = DrawOutcome.objects.filter(draw=draw).order_by("pk").first()
    nobody = {ANONYMOUS: 302, **dict.fromkeys(OUTSIDERS, 403)}
    check_matrix(
        client,
        {
            "/bidding/proofs/": {ANONYMOUS: 200, "centre_wh": 200},
            f"/bidding/proofs/{draw.draw_id}/": {ANONYMOUS: 200, "tenderer": 200},
            f"/api/v1/bidding/draws/{draw.draw_id}/proof": {ANONYMOUS: 200, "tenderer": 200},
            "/bidding/experts/template.xlsx": {"centre_wh": 200, "tenderer": 403, **nobody},
            "/bidding/respond/not-a-token/": {ANONYMOUS: 404},
            # the expert's own pages need the expert's one-time sign-in, not an account
            "/bidding/expert/me/": {ANONYMOUS: 302, "expert": 302, "centre_wh": 302},
            "/api/v1/bidding/sessions": {
                ANONYMOUS: 401,
                "tenderer": 200,
                "centre_wh": 200,
                "judge": 403,
            },
        },
        world,
    )
    check_matrix(
        client,
        {
            f"/bidding/draws/{draw.draw_id}/names/": {
                "tenderer": 404,
                "supervisor": 404,
                ANONYMOUS: 302,
            },
            f"/bidding/quotas/{world['guest'].pk}/draw/": {
                "centre_wh": 404,
                "tenderer": 403,
                **nobody,
            },
            f"/bidding/quotas/{world['host'].pk}/exclude/": {"tenderer": 403, **nobody},
            # a party who sees the session but does not run it: 404, as for the other writes
            f"/bidding/sessions/{session.pk}/close/": {"tenderer": 404, **nobody},
            f"/bidding/sessions/{session.pk}/chair/": {"tenderer": 404, **nobody},
            f"/bidding/sessions/{session.pk}/start/": {"tenderer": 404, **nobody},
            "/bidding/expert/signout/": {ANONYMOUS: 302, "expert": 302},
            # recording an expert's answer taken by phone: the host centre's
            f"/bidding/outcomes/{outcome.pk}/answer/": {
                "centre_jk": 404,
                "supervisor": 403,
                "tenderer": 403,
                **nobody,
            },
        },
        world,
        method="post",
    )
    check_matrix(
        client,
        {
            f"/api/v1/bidding/quotas/{world['guest'].pk}/draws": {
                ANONYMOUS: 401,
                "centre_wh": 404,
                "tenderer": 403,
                "judge": 403,
            },
            f"/api/v1/bidding/draws/{draw.draw_id}/witness": {
                ANONYMOUS: 401,
                "centre_wh": 403,
                "tenderer": 403,
                "judge": 403,
            },
        },
        world,
        method="post",
        data={"witness_entropy": "1"},
        content_type="application/json",
    )
