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
