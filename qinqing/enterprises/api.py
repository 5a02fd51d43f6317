"""enterprises API: the firm register as the user may see it."""

from __future__ import annotations

from ninja import Router, Schema

from qinqing.core.permissions import require
from qinqing.enterprises import selectors

router = Router(tags=["enterprises"])


class FirmOut(Schema):
    id: int
    name: str
    uscc: str
    kind: str
    cluster: str | None
    industry: str | None
    credit_grade: str
    tags: list[str]


@router.get("/firms", response=list[FirmOut], summary="企业名录（按权限）")
def firm_list(request, q: str = "", cluster: str = ""):
    # As the register's page: a role without the register is refused, not shown an empty list.
    require(request.user, "enterprises.view_firm")
    return [
        {
            "id": f.pk,
            "name": f.name,
            "uscc": f.uscc,
            "kind": f.kind,
            "cluster": f.cluster.name if f.cluster else None,
            "industry": f.industry.name if f.industry else None,
            "credit_grade": f.credit_grade,
            "tags": [t.name for t in f.tags.all()],
        }
        for f in selectors.firms(user=request.user, q=q[:100], cluster=cluster[:50])[:500]
    ]
