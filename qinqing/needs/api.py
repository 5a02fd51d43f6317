"""needs API: classification, the user's orders, transitions."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Router, Schema

from qinqing.core import calendar
from qinqing.core.api_errors import responds
from qinqing.core.errors import DomainError
from qinqing.core.permissions import get_visible_or_404, require
from qinqing.needs import rules, selectors, services
from qinqing.needs.models import Category, Need

router = Router(tags=["needs"])


class ClassifyIn(Schema):
    text: str


class ClassifyOut(Schema):
    category: str
    department: str
    confidence: float


@router.post("/classify", auth=None, response=ClassifyOut, summary="按关键词规则判断诉求类别")
@responds(never=[409])  # reads only
def classify(request, payload: ClassifyIn):
    text = payload.text.strip()
    if not text:
        raise DomainError("诉求内容不能为空", field="text")
    if len(text) > 2000:
        raise DomainError("诉求内容不能超过 2000 字", field="text")
    result = rules.classify(text)
    _, department = services.department_for(result.category)
    return {
        "category": result.category,
        "department": department,
        "confidence": float(result.confidence),
    }


class NeedOut(Schema):
    id: int
    number: str
    channel: str
    state: str
    state_label: str
    category: str | None
    department: str | None
    received_at: datetime
    due_date: date | None
    due_date_estimated: bool = Field(
        description="办理时限所在年度的节假日安排尚未录入，按周一至周五估算（录入后自动重算）"
    )
    text: str


def _out(n: Need) -> dict:
    return {
        "id": n.pk,
        "number": n.number,
        "channel": n.channel,
        "state": n.state,
        "state_label": rules.STATE_LABELS[n.state],
        "category": n.category.code if n.category else None,
        "department": n.department.name if n.department else None,
        "received_at": n.received_at,
        "due_date": n.due_date,
        "due_date_estimated": calendar.is_estimated(n.due_date),
        "text": n.text,
    }


@router.get("/", response=list[NeedOut], summary="当前用户可见的诉求工单（最近 200 条）")
def need_list(request, state: str = ""):
    require(request.user, "needs.view_need")
    if state and state not in Need.State.values:
        raise DomainError("未知的状态", field="state")
    return [_out(n) for n in selectors.needs(user=request.user, state=state)[:200]]


@router.get("/{int:pk}", response=NeedOut, summary="一条诉求工单")
def need_get(request, pk: int):
    need = get_visible_or_404(
        request.user, "needs.view_need", selectors.needs(user=request.user), pk=pk
    )
    return _out(need)


class TransitionIn(Schema):
    action: str
    category: str | None = None
    reason: str = ""
    reply: str = ""
    note: str = ""
    days: int = 0
    approve: bool = True


@router.post("/{int:pk}/transition", response=NeedOut, summary="工单流转（派单、签收、退单……）")
def need_transition(request, pk: int, payload: TransitionIn):
    user = request.user
    need = get_visible_or_404(user, "needs.view_need", Need.objects.all(), pk=pk)
    a = payload.action
    if a == "dispatch":
        category = Category.objects.filter(code=payload.category or "").first()
        if category is None:
            raise DomainError("未知的类别", field="category")
        need = services.need_dispatch(actor=user, need=need, category=category)
    elif a == "sign":
        need = services.need_sign(actor=user, need=need)
    elif a == "return":
        need = services.need_return(actor=user, need=need, reason=payload.reason)
    elif a == "request_extension":
        need = services.need_request_extension(
            actor=user, need=need, days=payload.days, reason=payload.reason
        )
    elif a == "decide_extension":
        need = services.need_decide_extension(actor=user, need=need, approve=payload.approve)
    elif a == "reply":
        need = services.need_reply(actor=user, need=need, reply=payload.reply)
    elif a == "callback":
        need = services.need_callback(actor=user, need=need, note=payload.note)
    elif a == "close":
        need = services.need_close(actor=user, need=need)
    elif a == "reopen":
        need = services.need_reopen(actor=user, need=need, reason=payload.reason)
    else:
        raise DomainError("未知的操作", field="action")
    need.refresh_from_db()
    return _out(need)
