"""The audit log pages by keyset (issue 24 item 5): 50 entries a page in chain order, "older"
links carry the last sequence number, a day can be jumped to, bad input is a message, and a
deep page reads as few statements as the first."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from qinqing.core.audit import AuditRecord, audit_log_many
from qinqing.core.demo import recorded_at
from qinqing.core.keyset import keyset_page, parse_key
from qinqing.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _fill(n: int, *, day: datetime | None = None) -> None:
    records = [AuditRecord("auth.login", None, None, None, {"n": i}, "", "") for i in range(n)]
    if day is None:
        audit_log_many(records)
        return
    with recorded_at(day):
        audit_log_many(records)


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<td class="num"><span title="[^"]*">(\d+)</span>', html)]


def test_parse_key_takes_positive_integers_only():
    assert parse_key("17") == 17
    for bad in (None, "", "0", "-3", "abc", "1e3", str(2**63), "１２"):
        assert parse_key(bad) is None


def test_keyset_pages_walk_the_whole_list_once(demo_users):
    _fill(120)
    qs = AuditEntry.objects.all()
    seen, before = [], None
    while True:
        page = keyset_page(qs, key="seq", before=before, size=50)
        seen += [e.seq for e in page.object_list]
        if page.next_key is None:
            break
        before = page.next_key
    assert seen == sorted(qs.values_list("seq", flat=True), reverse=True)
    assert len(seen) == len(set(seen))


def test_the_page_walks_older_and_back(client, demo_users):
    _fill(120)
    client.force_login(demo_users["admin"])
    top = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)
    html = client.get("/audit/").content.decode()
    assert _seqs(html) == list(top[:50])
    assert "回到最新" not in html
    older = re.search(r'href="\?([^"]*before=\d+[^"]*)">更早的记录', html).group(1)
    assert f"before={top[49]}" in older
    html = client.get(f"/audit/?{older.replace('&amp;', '&')}").content.decode()
    assert _seqs(html) == list(top[50:100]) and "回到最新" in html


def test_a_day_can_be_jumped_to(client, demo_users):
    now = timezone.localtime()
    _fill(3, day=now - timedelta(days=30))
    old = set(AuditEntry.objects.values_list("seq", flat=True).order_by("-seq")[:3])
    _fill(60, day=now - timedelta(days=1))
    recent = set(AuditEntry.objects.values_list("seq", flat=True).order_by("-seq")[:60])
    client.force_login(demo_users["admin"])
    day = (now - timedelta(days=20)).date().isoformat()
    shown = set(_seqs(client.get(f"/audit/?until={day}").content.decode()))
    assert old <= shown and not shown & recent
    assert max(recent) in _seqs(client.get("/audit/").content.decode())


def test_bad_input_is_a_message_and_the_list_still_shows(client, demo_users):
    client.force_login(demo_users["admin"])
    response = client.get("/audit/?until=2026-13-45&before=abc")
    html = response.content.decode()
    assert response.status_code == 200 and "日期格式应为 YYYY-MM-DD" in html
    assert _seqs(html)  # the newest entries, as without the filters


def test_a_deep_page_reads_no_more_than_the_first(
    client, demo_users, django_assert_max_num_queries
):
    _fill(300)
    client.force_login(demo_users["admin"])
    deep = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[200]  # still ours
    with django_assert_max_num_queries(12) as first:
        client.get("/audit/")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(f"/audit/?before={deep}")
    audit_reads = [
        q["sql"].upper() for q in first.captured_queries if "AUDITENTRY" in q["sql"].upper()
    ]
    assert audit_reads and not any("COUNT(" in sql for sql in audit_reads)
