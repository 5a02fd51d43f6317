"""Core endpoints: tokens, the current user, the figures registry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.security import HttpBearer

from qinqing.core import figures as figures_registry
from qinqing.core import limits
from qinqing.core.api_errors import responds
from qinqing.core.models import Organisation
from qinqing.core.net import client_ip
from qinqing.core.permissions import require
from qinqing.core.replica import replica_reads
from qinqing.core.services import (
    api_token_find,
    api_token_issue,
    api_token_revoke,
    user_authenticate,
)

router = Router(tags=["core"])


class BearerAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = api_token_find(token)
        if found is None:
            return None
        request.user, request.api_token = found.user, found
        return found.user


class TokenIn(Schema):
    username: str
    password: str
    code: str | None = Field(
        None,
        description="短信验证码：账号近期多次登录失败时需要（先不带验证码请求一次，验证码即发送到账号登记的手机）",
    )


class TokenOut(Schema):
    token: str
    expires_at: datetime


class GrantOut(Schema):
    role: str
    role_label: str
    organisation: str


class MeOut(Schema):
    username: str
    name: str
    grants: list[GrantOut]


class FigureOut(Schema):
    name: str
    label: str
    value: int | Decimal | None = Field(
        description="计数为整数；金额和比率为十进制字符串（不经二进制浮点，精确到分）；无数据为 null"
    )
    unit: str
    definition: str


class FiguresOut(Schema):
    start: date
    end: date
    organisation: str | None
    figures: list[FigureOut]


class FiguresQuery(Schema):
    start: date = Query(..., alias="from", description="起始日期（含），YYYY-MM-DD")
    end: date = Query(..., alias="to", description="结束日期（含），YYYY-MM-DD")
    organisation: str | None = Query(None, description="机构代码，限定统计范围")


@router.post("/auth/token", auth=None, response={200: TokenOut}, summary="以用户名和密码换取令牌")
@responds(401, 429, never=[409])
def token_create(request, payload: TokenIn):
    """Failures slow the next attempt (429 with `Retry-After`); after several failures an
    account with a phone also needs an SMS code (401, `code` = `code_required`). A token stops
    working when its owner's password changes or it is revoked."""
    user = user_authenticate(
        request=request, username=payload.username, password=payload.password, code=payload.code
    )
    clear, token = api_token_issue(actor=user, ip=client_ip(request))
    return {"token": clear, "expires_at": token.expires_at}


@router.delete(
    "/auth/token", auth=BearerAuth(), response={204: None}, summary="撤销本次请求所用的令牌"
)
def token_revoke(request):
    api_token_revoke(actor=request.user, token=request.api_token)
    return Status(204, None)


@router.get("/me", response=MeOut, summary="当前用户及其角色")
def me(request):
    user = request.user
    grants = user.role_grants.select_related("organisation").order_by("role")
    return {
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "grants": [
            {
                "role": g.role,
                "role_label": g.get_role_display(),
                "organisation": g.organisation.name,
            }
            for g in grants
        ],
    }


@router.get("/figures", response=FiguresOut, summary="统计指标（按区间与机构）")
@responds(404)  # an unknown organisation code
def figures(request, query: Query[FiguresQuery]):
    require(request.user, "core.view_figures")
    limits.check_period(query.start, query.end, fields=("from", "to"))
    organisation = None
    if query.organisation:
        organisation = get_object_or_404(Organisation, code=query.organisation)
    rows = []
    with replica_reads():
        values = [
            (
                figure,
                figures_registry.evaluate_for_report(figure, query.start, query.end, organisation),
            )
            for figure in figures_registry.all_figures()
        ]
    for figure, value in values:
        rows.append(
            {
                "name": figure.name,
                "label": figure.label,
                "value": value
                if value is None or isinstance(value, int | Decimal)
                else Decimal(str(value)),
                "unit": figure.unit,
                "definition": figure.definition,
            }
        )
    return {
        "start": query.start,
        "end": query.end,
        "organisation": organisation.code if organisation else None,
        "figures": rows,
    }
