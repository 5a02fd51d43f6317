"""activities API: idempotent check-in by the per-person secret."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from qinqing.activities import services
from qinqing.core.errors import DomainError
from qinqing.core.idempotency import idempotent

router = Router(tags=["activities"])


class CheckInIn(Schema):
    secret: str


class CheckInOut(Schema):
    result: str
    message: str
    at: datetime | None
    name: str | None
    event: str | None


@router.post(
    "/checkin",
    auth=None,
    response=CheckInOut,
    summary="扫码签到：ok / already（已于…签到）/ invalid / closed（活动已结束）",
)
@idempotent
def checkin(request, payload: CheckInIn):
    secret = payload.secret.strip()
    if not secret or len(secret) > 64:
        raise DomainError("签到码无效", field="secret", code="invalid")
    result = services.registration_check_in(secret=secret)
    reg = result.registration
    return {
        "result": result.status,
        "message": result.message,
        "at": result.at,
        "name": reg.name if reg else None,
        "event": reg.event.title if reg else None,
    }
