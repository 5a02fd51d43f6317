"""The tenderer's representatives on the committee (招标投标法 Art.37 para.2: "评标委员会由招标人
的代表和有关技术、经济等方面的专家组成……其中技术、经济等方面的专家不得少于成员总数的三分之二";
政府采购: 87号令 Art.47, the purchaser's representatives; Art.48, they may not sit as experts).

The tenderer (or its agency) names them for a session before the evaluation starts: name,
phone, the last four characters of the ID number (for the workstation sign-in, as the experts'),
organisation = the project's tenderer, and a pseudonymous code. Each is a committee membership
without a draw (`DrawOutcome` with no draw and no expert, confirmed): the host centre seats
them with its experts, they sign in, declare, score, vote and sign like the experts, and they
get no expert fee (the tenderer pays them). At most `rules.representatives_max` of the
committee (experts to draw = the quotas + these); the start checks the whole composition.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from qinqing.bidding.models import DrawOutcome, EvaluationSession, TendererRepresentative
from qinqing.bidding.projects import rules as project_rules
from qinqing.bidding.seating.committee import SIGNIN
from qinqing.core import otp
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError

ID_LAST4 = re.compile(r"^[0-9]{3}[0-9X]$")
BEFORE_START = (
    EvaluationSession.Status.PLANNED,
    EvaluationSession.Status.DRAWING,
    EvaluationSession.Status.READY,
)


def experts_planned(session: EvaluationSession) -> int:
    return session.quotas.aggregate(n=Sum("count"))["n"] or 0


def representative_name(
    *, actor, session: EvaluationSession, name: str, phone: str, id_last4: str
) -> TendererRepresentative:
    """Name one representative of the project's tenderer to the session's committee."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写姓名", field="name")
    if len(name) > 50:
        raise DomainError("姓名不能超过 50 字", field="name")
    phone = otp.phone_clean(policy=SIGNIN, phone=phone)
    id_last4 = (id_last4 or "").strip().upper()
    if not ID_LAST4.match(id_last4):
        raise DomainError("身份证号后四位应为 3 位数字加 1 位数字或 X", field="id_last4")
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=session.pk)
        if session.status not in BEFORE_START:
            raise ConflictError("评标已开始或已结束，不能再指派招标人代表")
        named = TendererRepresentative.objects.filter(session=session)
        if named.filter(phone=phone).exists():
            raise DomainError("该手机号已指派为本场招标人代表", field="phone")
        if DrawOutcome.objects.filter(
            session=session, expert__phone=phone, status__in=DrawOutcome.HOLDING
        ).exists():
            raise DomainError(
                "该手机号属于本场抽取的评标专家：招标人代表不得以评审专家身份参加评标"
                "（政府采购货物和服务招标投标管理办法第四十八条）",
                field="phone",
            )
        representatives = named.count() + 1
        experts = experts_planned(session)
        total = experts + representatives
        ruleset = session.section.project.rule_set.to_rules()
        allowed = project_rules.representatives_max(total, ruleset)
        if representatives > allowed:
            raise DomainError(
                f"招标人代表 {representatives} 人、抽取专家 {experts} 人时，专家少于成员总数的"
                f"{ruleset.expert_share}（招标投标法第三十七条第二款）：请先增加抽取人数",
                field="name",
            )
        taken = [
            int(code.rsplit("-", 1)[1])
            for code in named.values_list("code", flat=True)
            if code.rsplit("-", 1)[1].isdigit()
        ]
        representative = TendererRepresentative.objects.create(
            session=session,
            organisation=session.section.project.tenderer,
            code=f"REP-{session.pk}-{max(taken, default=0) + 1}",
            name=name,
            phone=phone,
            id_last4=id_last4,
            named_by=actor,
            named_at=timezone.now(),
        )
        now = timezone.now()
        DrawOutcome.objects.create(
            session=session,
            representative=representative,
            position=0,
            role=DrawOutcome.Role.REPRESENTATIVE,
            status=DrawOutcome.Status.CONFIRMED,
            responded_at=now,
            response_channel="named",
        )
        audit_log(
            actor=actor,
            action="representative.name",
            obj=representative,
            organisation=session.host_centre,
            detail={
                "code": representative.code,
                "name": name,
                "organisation": representative.organisation.name,
                "representatives": representatives,
                "experts_planned": experts,
            },
        )
    return representative


def representative_remove(*, actor, representative: TendererRepresentative) -> None:
    """Withdraw a representative before they are seated and before the start."""
    with transaction.atomic():
        session = EvaluationSession.objects.select_for_update().get(pk=representative.session_id)
        if session.status not in BEFORE_START:
            raise ConflictError("评标已开始或已结束，不能撤回招标人代表")
        outcome = DrawOutcome.objects.select_for_update().get(representative=representative)
        if hasattr(outcome, "seat"):
            raise ConflictError("该招标人代表已分配工位，不能撤回")
        audit_log(
            actor=actor,
            action="representative.remove",
            obj=representative,
            organisation=session.host_centre,
            detail={"code": representative.code},
        )
        outcome.delete()
        representative.delete()


def representatives_of(session: EvaluationSession) -> list[TendererRepresentative]:
    return list(
        TendererRepresentative.objects.filter(session=session)
        .select_related("outcome__seat__workstation")
        .order_by("code")
    )
