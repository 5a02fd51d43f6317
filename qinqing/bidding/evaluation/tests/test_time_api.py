"""The evaluation time in the API (实施条例 Art.48 para.1): members declare at their workstations
(by seat, never by name), everyone who sees the session reads where it stands, and only the
tenderer or its agency extends, once more than a third declared; refusals are the error body."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qinqing.bidding.evaluation.tests.test_clarifications import terminal
from qinqing.bidding.evaluation.tests.test_time_extension import (  # noqa: F401  (a fixture)
    OUTSIDERS,
    running,
)
from qinqing.bidding.models import EvaluationSession, TimeExtension
from qinqing.core.models import AuditEntry
from qinqing.core.testing import ANONYMOUS, check_matrix

API = "/api/v1/bidding"
pytestmark = pytest.mark.django_db


def _declare(seat, reason="投标文件多，时间不够"):
    return terminal(seat).post(
        f"{API}/workstation/time", {"reason": reason}, content_type="application/json"
    )


def test_members_declare_and_the_agency_extends(client, running):  # noqa: F811
    session, seats = running["session"], running["seats"]
    first = _declare(seats[0])
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["mine"] and body["count"] == 1 and body["members"] == 5 and not body["required"]
    assert body["requests"][0]["workstation"] == seats[0].workstation.code
    assert seats[0].outcome.expert.name not in first.content.decode()
    again = _declare(seats[0])
    assert again.status_code == 409 and "已提出" in again.json()["detail"]
    empty = _declare(seats[1], reason="  ")
    assert empty.status_code == 400 and empty.json()["field"] == "reason"
    assert terminal(seats[1]).get(f"{API}/workstation/time").json()["mine"] is False

    new_end = timezone.localtime(session.ends_at + timedelta(hours=2)).replace(tzinfo=None)
    payload = {"new_ends_at": new_end.isoformat(), "reason": "成员要求延长"}
    client.force_login(running["agent"])
    early = client.post(
        f"{API}/sessions/{session.pk}/time/extensions", payload, content_type="application/json"
    )
    assert early.status_code == 409 and "未超过三分之一" in early.json()["detail"]
    assert _declare(seats[1]).json()["required"] is True  # 2 of 5: more than a third
    done = client.post(
        f"{API}/sessions/{session.pk}/time/extensions", payload, content_type="application/json"
    )
    assert done.status_code == 201, done.content
    assert done.json()["count"] == 0 and len(done.json()["extensions"]) == 1
    session.refresh_from_db()
    assert timezone.localtime(session.ends_at).replace(tzinfo=None) == new_end  # Beijing time
    assert TimeExtension.objects.get().decided_by == running["agent"]
    assert AuditEntry.objects.filter(action="time.extend").count() == 1
    assert AuditEntry.objects.filter(action="time.request").count() == 2


def test_permission_matrix_of_the_time_api(client, running):  # noqa: F811
    session, seats = running["session"], running["seats"]
    url = f"{API}/sessions/{session.pk}/time"
    readers = dict.fromkeys(["centre_wh", "centre_jk", "supervisor", "tenderer", "agent"], 200)
    check_matrix(
        client, {url: {ANONYMOUS: 401, **readers, **dict.fromkeys(OUTSIDERS, 403)}}, running
    )
    assert Client().get(f"{API}/workstation/time").status_code == 401
    client.force_login(running["centre_wh"])
    assert client.get(f"{API}/sessions/{2**40}/time").status_code == 404
    _declare(seats[0])
    _declare(seats[1])
    ends = timezone.localtime(session.ends_at + timedelta(hours=1)).isoformat()
    data = {"new_ends_at": ends, "reason": "延长"}
    check_matrix(
        client,
        {
            f"{url}/extensions": {
                ANONYMOUS: 401,
                "centre_wh": 403,
                "centre_jk": 403,
                "supervisor": 403,
                **dict.fromkeys(OUTSIDERS, 403),
            }
        },
        running,
        method="post",
        data=data,
        content_type="application/json",
    )
    assert not TimeExtension.objects.exists()
    assert EvaluationSession.objects.get(pk=session.pk).ends_at == session.ends_at
