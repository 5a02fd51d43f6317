"""Test helpers that every module's tests reuse."""

from __future__ import annotations

from collections.abc import Mapping

ANONYMOUS = "anonymous"


def check_matrix(
    client,
    matrix: Mapping[str, Mapping[str, int]],
    users: Mapping[str, object],
    *,
    method: str = "get",
    data: Mapping | None = None,
) -> None:
    """Request every URL as every user and compare the status with the expected one.

    `matrix` maps URL → {username or ANONYMOUS: expected status}. All mismatches are reported
    together, so one run shows the whole broken row or column.
    """
    failures = []
    for url, expected in matrix.items():
        for who, status in expected.items():
            client.logout()
            if who != ANONYMOUS:
                client.force_login(users[who])
            response = getattr(client, method)(url, data or {})
            if response.status_code != status:
                failures.append(
                    f"{method.upper()} {url} as {who}: {response.status_code} != {status}"
                )
    client.logout()
    assert not failures, "permission matrix mismatches:\n" + "\n".join(failures)


# Invented for the tests, NOT the State Council's 2027 notice (not published when this was
# written): Friday 1 – Sunday 3 January off; 6–14 February off with Saturday 30 January and
# Saturday 20 February worked.
TEST_NOTICE_2027 = (
    "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
    "二、春节：2月6日（周六）至14日（周日）放假调休，共9天。1月30日（周六）、2月20日（周六）上班。"
)


def enter_test_notice_2027(actor=None):
    """Save `TEST_NOTICE_2027` as a platform administrator would (deadlines move)."""
    from qinqing.core.models import HolidayNotice
    from qinqing.core.services import holiday_notice_draft, holiday_notice_save

    draft = holiday_notice_draft(year=2027, text=TEST_NOTICE_2027, number="测试〔2026〕1号")
    return holiday_notice_save(actor=actor, draft=draft, source=HolidayNotice.Source.ENTERED)
