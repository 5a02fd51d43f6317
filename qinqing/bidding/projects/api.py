"""Projects' endpoints: the sessions one takes part in."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from qinqing.bidding.projects import selectors
from qinqing.core.permissions import require

router = Router()


class SessionOut(Schema):
    id: int
    project_code: str
    project_name: str
    section: str
    starts_at: datetime
    ends_at: datetime
    host_centre: str
    status: str


@router.get(
    "/sessions",
    response=list[SessionOut],
    summary="我参与的评标场次",
    operation_id="qinqing_bidding_api_session_list",
)
def session_list(request):
    require(request.user, "bidding.view_session")
    return [
        {
            "id": s.pk,
            "project_code": s.section.project.code,
            "project_name": s.section.project.name,
            "section": s.section.name,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "host_centre": s.host_centre.name,
            "status": s.status,
        }
        for s in selectors.sessions(user=request.user)[:500]
    ]
