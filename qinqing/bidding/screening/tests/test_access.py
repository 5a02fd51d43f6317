"""The permission matrix of the screening report's page and API operations: the host centre's
staff and the supervisors read it, the host centre re-runs it; the guest centre, the tenderer,
its agency, the bidders and everyone else get 404 (anonymous: the sign-in); the committee's
members read it at their signed-in workstations, and only for their own session."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.bidding.screening.models import Screening, ScreeningSignal
from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
from qinqing.core.testing import ANONYMOUS, check_matrix

pytestmark = pytest.mark.django_db

READERS = {"centre_wh": 200, "supervisor": 200}
NOT_THEIRS = dict.fromkeys(
    ["centre_jk", "tenderer", "agent", "bidder", "bidder2", "bidder3", "expert", "editor"], 404
)


def _report(section) -> Screening:
    now = timezone.now()
    screening = Screening.objects.create(
        section=section, state="done", requested_at=now, finished_at=now, progress=100
    )
    ScreeningSignal.objects.create(
        screening=screening,
        kind="same_manager",
        article="实施条例第四十条第（三）项",
        bidders=[{"uscc": "1", "name": "甲"}, {"uscc": "2", "name": "乙"}],
        evidence={"project_manager": "张三"},
        found_at=now,
    )
    return screening


def test_permission_matrix(client, opening_world):
    w = opening_world
    section = w["section"].pk
    _report(w["section"])
    page = f"/bidding/screening/{section}/"
    api = f"/api/v1/bidding/sections/{section}/screening"
    check_matrix(
        client,
        {
            page: {**READERS, **NOT_THEIRS, ANONYMOUS: 302},
            api: {**READERS, **NOT_THEIRS, ANONYMOUS: 401},
            "/bidding/screening/999999/": {"centre_wh": 404, "supervisor": 404},
            "/api/v1/bidding/sections/999999/screening": {"centre_wh": 404},
            # no seat in the browser session: to the sign-in; the API: not authenticated
            "/bidding/workstation/screening/": {"centre_wh": 302, ANONYMOUS: 302},
            "/api/v1/bidding/workstation/screening": {"centre_wh": 401, ANONYMOUS: 401},
        },
        w,
    )
    client.force_login(w["supervisor"])
    assert "张三" in client.get(page).content.decode()
    # linked from the session page for those who may read it, not for the tenderer
    session_page = f"/bidding/sessions/{w['session'].pk}/"
    assert page in client.get(session_page).content.decode()
    client.force_login(w["tenderer"])
    assert page not in client.get(session_page).content.decode()
    client.force_login(w["supervisor"])
    assert client.get(api).json()["signals"][0]["kind"] == "same_manager"
    # re-running: the host centre only (the opening is not over: refused with a message)
    check_matrix(
        client,
        {page: {"centre_wh": 302, "supervisor": 404, "bidder": 404, "agent": 404, ANONYMOUS: 302}},
        w,
        method="post",
    )
    # while it runs the page polls its status part (htmx), like the needs export
    Screening.objects.update(state="running", progress=40)
    client.force_login(w["centre_wh"])
    part = client.get(page + "?status=1").content.decode()
    assert 'hx-trigger="every 2s"' in part and "40%" in part
    Screening.objects.update(state="done", progress=100)
    response = client.post(page, follow=True)
    assert "开标结束后才能清标" in response.content.decode()
    assert Screening.objects.get().state == "done"


def test_committee_members_read_it_at_their_workstations(world):
    session, seats = full_committee(world)
    _report(session.section)
    terminal = Client()
    store = terminal.session
    store["bidding_seat"] = seats[0].pk
    store.save()
    page = terminal.get("/bidding/workstation/screening/")
    assert page.status_code == 200 and "张三" in page.content.decode()
    assert "重新清标" not in page.content.decode()
    assert terminal.get("/api/v1/bidding/workstation/screening").json()["state"] == "done"
    assert (
        "/bidding/workstation/screening/" in terminal.get("/bidding/workstation/").content.decode()
    )
