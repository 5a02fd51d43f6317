"""The time limits for failures during a remote evaluation (pure functions, no Django).

Remote cross-site evaluation practice (发改办法规〔2025〕807号 and the city's rules on
远程异地评标, as the design summarises them: ../shared/design/bidding.md, "Remote evaluation
practice"):

- a failure (network, power, device) **before the evaluation starts** that is not fixed within
  **2 hours** → the tenderer decides whether to postpone the evaluation;
- a failure **during the evaluation** fixed within **4 hours** → the evaluation continues;
  otherwise the evaluation materials are sealed and a new committee is formed.

The limits are inclusive: a failure fixed after exactly 2 h (4 h) is still within the limit;
one second more is beyond it. The software only warns; the decisions are the people's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

BEFORE_START_LIMIT = timedelta(hours=2)
DURING_EVALUATION_LIMIT = timedelta(hours=4)

WARN_BEFORE_START_OPEN = "开标前故障已超过 2 小时仍未排除：由招标人决定是否推迟评标"
WARN_BEFORE_START_LATE = "开标前故障历时超过 2 小时才排除：应已由招标人决定是否推迟评标"
WARN_DURING_OPEN = "评标过程中故障已超过 4 小时仍未排除：应封存评标资料，重新组建评标委员会评标"
WARN_DURING_LATE = "评标过程中故障历时超过 4 小时才排除：应封存评标资料，重新组建评标委员会评标"


def incident_limit(during_evaluation: bool) -> timedelta:
    """2 h before the start, 4 h during the evaluation."""
    return DURING_EVALUATION_LIMIT if during_evaluation else BEFORE_START_LIMIT


def incident_elapsed(
    started_at: datetime, resolved_at: datetime | None, now: datetime
) -> timedelta:
    """How long the failure lasted (until it was fixed) or has lasted so far."""
    end = resolved_at if resolved_at is not None else now
    if end < started_at:
        raise ValueError("the end of an incident cannot precede its start")
    return end - started_at


def incident_warnings(
    started_at: datetime,
    resolved_at: datetime | None,
    now: datetime,
    during_evaluation: bool,
) -> list[str]:
    """The warnings the 2 h / 4 h rules give for one incident (empty while within the limit;
    exactly the limit is still within it)."""
    if incident_elapsed(started_at, resolved_at, now) <= incident_limit(during_evaluation):
        return []
    if during_evaluation:
        return [WARN_DURING_OPEN if resolved_at is None else WARN_DURING_LATE]
    return [WARN_BEFORE_START_OPEN if resolved_at is None else WARN_BEFORE_START_LATE]


def incident_remaining(
    started_at: datetime, resolved_at: datetime | None, now: datetime, during_evaluation: bool
) -> timedelta | None:
    """Time left before the limit for an open incident (zero once beyond); None when fixed."""
    if resolved_at is not None:
        return None
    left = incident_limit(during_evaluation) - incident_elapsed(started_at, None, now)
    return max(left, timedelta(0))


def is_idle(last_seen_at: datetime | None, now: datetime, idle_minutes: int) -> bool:
    """A workstation is idle too long when its last sign of life is strictly older than
    `idle_minutes` (exactly that many minutes is not yet idle); no sign of life → not idle."""
    if last_seen_at is None:
        return False
    return now - last_seen_at > timedelta(minutes=idle_minutes)
