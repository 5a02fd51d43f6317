"""Pages of the evaluation day: permission matrix, the workstation terminal, staff fallback."""

import re

from django.test import Client

from qinqing.bidding.models import DrawOutcome, Room, Seat
from qinqing.bidding.seating.tests.test_evaluation_day import (
    _day,
    full_committee,
    prepare_scoring,
    rooms,
    seat_host,
    started_committee,
)
from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix


def test_permission_matrix_rooms_and_seating(client, world):
    seating = seat_host(world, second=False)
    rooms(world, "jkggzy", "G", [2])
    wh_room = Room.objects.get(centre__code="whggzy", number="1")
    jk_room = Room.objects.get(centre__code="jkggzy")
    outsiders = {"editor": 403, "judge": 403, "expert": 403, "enterprise": 403, ANONYMOUS: 302}
    matrix = {
        "/bidding/rooms/": {"centre_wh": 200, "centre_jk": 200, "supervisor": 403, **outsiders},
        f"/bidding/rooms/{wh_room.pk}/": {
            "centre_wh": 200,
            "centre_jk": 404,
            "supervisor": 403,
            "tenderer": 403,
            **outsiders,
        },
        f"/bidding/rooms/{jk_room.pk}/": {"centre_wh": 404, "centre_jk": 200},
        "/bidding/rooms/catalogue/": {
            "centre_wh": 200,
            "centre_jk": 200,
            "supervisor": 200,
            "tenderer": 403,
            "agent": 403,
            **outsiders,
        },
        "/bidding/seating/": {"centre_wh": 200, "centre_jk": 200, "supervisor": 403, **outsiders},
        f"/bidding/seating/{seating.pk}/": {
            "centre_wh": 200,
            "centre_jk": 404,
            "supervisor": 403,
            "tenderer": 403,
            **outsiders,
        },
        "/bidding/signin/": {ANONYMOUS: 200, "expert": 200},
        "/bidding/workstation/": {ANONYMOUS: 302, "centre_wh": 302, "expert": 302},
    }
    check_matrix(client, matrix, world)
    # Writes to another centre's room or seating are 404 too.
    check_matrix(
        client,
        {
            f"/bidding/rooms/{wh_room.pk}/": {"centre_jk": 404},
            f"/bidding/seating/{seating.pk}/": {"centre_jk": 404},
        },
        world,
        method="post",
        data={"op": "add", "seat": "1", "reason": "核对身份证原件"},
    )
    assert wh_room.workstations.count() == 2


def test_catalogue_is_read_only_across_centres(client, world):
    rooms(world, "whggzy", "H", [3])
    client.force_login(world["centre_jk"])
    page = client.get("/bidding/rooms/catalogue/").content.decode()
    assert "武汉市公共资源交易中心" in page and "第1评标室" in page
    assert "/bidding/rooms/" + str(Room.objects.get().pk) not in page


def test_room_pages_add_rooms_and_toggle_status(client, world):
    client.force_login(world["centre_wh"])
    assert client.post("/bidding/rooms/", {"op": "prefix", "prefix": "h"}).status_code == 302
    response = client.post(
        "/bidding/rooms/", {"op": "room", "number": "3", "name": "三号室", "seats": 7}
    )
    assert response.status_code == 302
    room = Room.objects.get(number="3")
    assert list(room.workstations.values_list("code", flat=True))[-1] == "H-3-07"
    ws = room.workstations.get(seat=7)
    client.post(
        f"/bidding/rooms/{room.pk}/",
        {"op": "ws", "ws": ws.pk, "status": "out_of_service", "reason": "键盘故障"},
    )
    ws.refresh_from_db()
    assert ws.status == "out_of_service"
    assert AuditEntry.objects.filter(action="workstation.set_status").count() == 1


def test_expert_signs_in_at_the_terminal_and_only_then_sees_the_project(world, outbox):
    seating = seat_host(world, second=False)
    seat = seating.seats.select_related("outcome__expert").first()
    expert = seat.outcome.expert
    project = world["session"].section.project
    terminal = Client()
    assert terminal.get("/bidding/workstation/").url == "/bidding/signin/"
    page = terminal.get("/bidding/signin/").content.decode()
    assert project.name not in page and "示例投标人" not in page
    with _day(world):
        terminal.post("/bidding/signin/", {"op": "phone", "phone": expert.phone})
        code = re.search(r"\d{6}", outbox[-1].body).group()
        wrong = terminal.post("/bidding/signin/", {"op": "code", "code": code, "id_last4": "00"})
        assert "不正确" in wrong.content.decode()
        assert terminal.get("/bidding/workstation/").status_code == 302
        ok = terminal.post(
            "/bidding/signin/", {"op": "code", "code": code, "id_last4": expert.id_last4}
        )
        assert ok.url == "/bidding/workstation/"
    page = terminal.get("/bidding/workstation/").content.decode()
    assert seat.workstation.code in page and project.name in page and "示例投标人0" in page
    # Recusal from the workstation calls the next backup.
    terminal.post("/bidding/workstation/", {"op": "recuse", "reason": "与投标人有利害关系"})
    seat.outcome.refresh_from_db()
    assert seat.outcome.status == DrawOutcome.Status.RECUSED
    assert seat.outcome.draw.outcomes.filter(
        status=DrawOutcome.Status.NOTIFIED, role="backup"
    ).exists()
    assert project.name not in terminal.get("/bidding/workstation/").content.decode()


def test_the_signin_page_answers_alike_for_an_unknown_phone(world, outbox):
    """A phone without a seat today gets the same pages as a seated expert's (no SMS, a code
    row all the same), so the terminal does not reveal who evaluates today."""
    from qinqing.core.models import OneTimeCode

    expert = seat_host(world, second=False).seats.first().outcome.expert
    pages = {}  # each page without its CSRF tokens
    with _day(world):
        for phone in (expert.phone, "13900000000"):
            terminal = Client()
            sent = terminal.post("/bidding/signin/", {"op": "phone", "phone": phone}, follow=True)
            wrong = terminal.post(
                "/bidding/signin/", {"op": "code", "code": "000000", "id_last4": "0000"}
            )
            pages[phone] = [
                sent.redirect_chain,
                re.sub(r"[A-Za-z0-9]{32,}", "", sent.content.decode()),
                wrong.status_code,
                re.sub(r"[A-Za-z0-9]{32,}", "", wrong.content.decode()),
            ]
    assert pages[expert.phone] == pages["13900000000"]
    assert "不正确" in pages["13900000000"][3]
    assert [m.address for m in outbox if m.subject == "评标签到验证码"] == [expert.phone]
    unknown = OneTimeCode.objects.get(phone="13900000000")
    assert unknown.purpose == "bidding.signin" and unknown.subject_id is None
    assert unknown.attempts == 1 and len(unknown.code_hash) == 64
    assert AuditEntry.objects.filter(action="seat.signin_code").count() == 1


def test_staff_fallback_from_the_seating_page(client, world):
    seating = seat_host(world, second=False)
    seat = seating.seats.first()
    client.force_login(world["centre_wh"])
    response = client.post(
        f"/bidding/seating/{seating.pk}/",
        {"seat": seat.pk, "reason": "短信未送达，已核对身份证原件"},
        follow=True,
    )
    code = re.search(r"工位启用码 ([0-9A-F]{10})", response.content.decode()).group(1)
    terminal = Client()
    assert terminal.post("/bidding/signin/", {"op": "terminal", "terminal_code": code}).url == (
        "/bidding/workstation/"
    )
    assert seat.workstation.code in terminal.get("/bidding/workstation/").content.decode()
    assert Seat.objects.get(pk=seat.pk).verify_reason == "短信未送达，已核对身份证原件"
    other = Client()
    again = other.post("/bidding/signin/", {"op": "terminal", "terminal_code": code})
    assert "无效或已使用" in again.content.decode()


def test_start_and_appointment_from_the_session_page(client, world):
    session, seats = full_committee(world)
    prepare_scoring(world, session)
    url = f"/bidding/sessions/{session.pk}/"
    client.force_login(world["tenderer"])
    assert client.post(url + "start/").status_code == 404  # only the host centre starts
    client.force_login(world["centre_wh"])
    assert "开始评标" in client.get(url).content.decode()
    client.post(url + "start/")
    session.refresh_from_db()
    assert session.status == "evaluating"
    assert client.post(url + "chair/", {"seat": seats[1].pk}).status_code == 404
    client.force_login(world["tenderer"])
    page = client.get(url).content.decode()
    assert "招标人确定负责人" in page
    client.post(url + "chair/", {"seat": seats[1].pk})
    session.refresh_from_db()
    assert session.chair_id == seats[1].pk and session.chair_method == "appointed"


def _terminal(seat):
    terminal = Client()
    session = terminal.session
    session["bidding_seat"] = seat.pk
    session.save()
    return terminal


def test_chair_vote_at_the_workstations(world):
    session, seats = started_committee(world)
    for seat in seats:
        terminal = _terminal(seat)
        assert "投票" in terminal.get("/bidding/workstation/").content.decode()
        terminal.post("/bidding/workstation/", {"op": "vote", "candidate": seats[0].pk})
    session.refresh_from_db()
    assert session.chair_id == seats[0].pk and session.chair_method == "elected"
    page = _terminal(seats[3]).get("/bidding/workstation/").content.decode()
    assert seats[0].workstation.code in page and "同等表决权" in page


def test_the_workstation_routes_need_a_signed_in_workstation(client, world):
    """Without a workstation signed in at its terminal, every page of the terminal sends to
    its sign-in (a staff session is no workstation) and the terminal's API answers 401."""
    to_sign_in = {ANONYMOUS: 302, "centre_wh": 302, "expert": 302, "supervisor": 302}
    pages = [
        "/bidding/workstation/clarifications/",
        "/bidding/workstation/committee/qualification/",
        "/bidding/workstation/report/",
        "/bidding/workstation/sheet/qualification/",
    ]
    check_matrix(client, dict.fromkeys(pages, to_sign_in), world)
    writes = ["/bidding/workstation/action/", "/bidding/workstation/signout/"]
    check_matrix(client, dict.fromkeys(writes, to_sign_in), world, method="post")
    # the terminal's background calls: the documents' read log (no account reads the
    # documents: 404, as for the documents themselves) and the heartbeat (401)
    check_matrix(
        client,
        {
            "/bidding/workstation/documents/reads/": dict.fromkeys(to_sign_in, 404),
            "/bidding/workstation/ping/": dict.fromkeys(to_sign_in, 401),
        },
        world,
        method="post",
    )
    api = "/api/v1/bidding/workstation"
    refused = {ANONYMOUS: 401, "centre_wh": 401, "expert": 401}
    reads = [
        api,
        f"{api}/committee/sheets/1",
        f"{api}/documents/1",
        f"{api}/sheets/qualification",
        f"{api}/time",
    ]
    check_matrix(client, dict.fromkeys(reads, refused), world)
    for method, urls in {
        "post": [
            f"{api}/deviations/1/explain",
            f"{api}/report/sign",
            f"{api}/sheets/1/reopen",
            f"{api}/sheets/qualification/submit",
            f"{api}/stages/qualification/close",
            f"{api}/time",
        ],
        "put": [f"{api}/sheets/qualification"],
    }.items():
        check_matrix(
            client,
            dict.fromkeys(urls, refused),
            world,
            method=method,
            data={},
            content_type="application/json",
        )
