"""Writes of the bidding module: projects, sessions, quotas and the verifiable draw."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from qinqing.bidding import rules
from qinqing.bidding.models import (
    Bidder,
    Draw,
    DrawOutcome,
    DrawQuota,
    EvaluationSession,
    Expert,
    ExpertLeave,
    ExpertRelation,
    ManualExclusion,
    Project,
    RuleSet,
    Section,
    Speciality,
)
from qinqing.bidding.pools import evaluate_pool
from qinqing.core import crypto
from qinqing.core.audit import audit_log
from qinqing.core.errors import ConflictError, DomainError
from qinqing.core.models import Organisation
from qinqing.core.notifier import Message, notification_send_many
from qinqing.core.rules import uscc_is_valid, uscc_normalise

K = Organisation.Kind


@dataclass(frozen=True)
class BidderIn:
    uscc: str
    name: str


def _require_kind(org: Organisation, kind: str, field: str, label: str) -> None:
    if org.kind != kind:
        raise DomainError(f"{label}必须是“{K(kind).label}”类机构", field=field)


def project_register(
    *,
    actor,
    code: str,
    name: str,
    tenderer: Organisation,
    agency: Organisation | None,
    supervising_department: Organisation,
    host_centre: Organisation,
    region_code: str,
    method: str,
    rule_set: RuleSet,
    budget: Decimal | None,
    section_code: str,
    section_name: str,
    bidders: list[BidderIn],
) -> Section:
    """Register a project with one section and its bidders (a tender's data as the agent
    submits it at the host centre)."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError("项目编号和项目名称不能为空", field="code" if not code else "name")
    if Project.objects.filter(code=code).exists():
        raise DomainError("项目编号已存在", field="code")
    _require_kind(host_centre, K.TRADING_CENTRE, "host_centre", "主场")
    if method not in Project.Method.values:
        raise DomainError("未知的评标办法", field="method")
    if not (len(region_code) == 6 and region_code.isdigit()):
        raise DomainError("地区代码应为6位数字行政区划代码", field="region_code")
    if budget is not None and budget < 0:
        raise DomainError("预算金额不能为负数", field="budget")
    seen: set[str] = set()
    cleaned: list[BidderIn] = []
    for row, bidder in enumerate(bidders, start=1):
        uscc = uscc_normalise(bidder.uscc)
        if not uscc_is_valid(uscc):
            raise DomainError(f"第 {row} 个投标人的统一社会信用代码不正确", field="bidders")
        if uscc in seen:
            raise DomainError(f"第 {row} 个投标人重复", field="bidders")
        if not bidder.name.strip():
            raise DomainError(f"第 {row} 个投标人缺少名称", field="bidders")
        seen.add(uscc)
        cleaned.append(BidderIn(uscc, bidder.name.strip()))
    with transaction.atomic():
        project = Project.objects.create(
            code=code,
            name=name,
            tenderer=tenderer,
            agency=agency,
            supervising_department=supervising_department,
            host_centre=host_centre,
            region_code=region_code,
            method=method,
            rule_set=rule_set,
            budget=budget,
        )
        section = Section.objects.create(project=project, code=section_code, name=section_name)
        Bidder.objects.bulk_create(
            [Bidder(section=section, uscc=b.uscc, name=b.name) for b in cleaned]
        )
        audit_log(
            actor=actor,
            action="project.register",
            obj=project,
            organisation=host_centre,
            detail={"code": code, "section": section_code, "bidders": len(cleaned)},
        )
    return section


def session_schedule(
    *,
    actor,
    section: Section,
    starts_at: datetime,
    ends_at: datetime,
    guest_centres: list[Organisation],
) -> EvaluationSession:
    project = section.project
    if ends_at <= starts_at:
        raise DomainError("评标结束时间必须晚于开始时间", field="ends_at")
    if starts_at <= timezone.now():
        raise DomainError("评标开始时间必须晚于当前时间", field="starts_at")
    if EvaluationSession.objects.filter(section=section).exists():
        raise ConflictError("该标段已安排评标场次")
    for centre in guest_centres:
        _require_kind(centre, K.TRADING_CENTRE, "guest_centres", "客场")
        if centre.pk == project.host_centre_id:
            raise DomainError("客场不能与主场相同", field="guest_centres")
    with transaction.atomic():
        session = EvaluationSession.objects.create(
            section=section, host_centre=project.host_centre, starts_at=starts_at, ends_at=ends_at
        )
        session.guest_centres.set(guest_centres)
        audit_log(
            actor=actor,
            action="session.schedule",
            obj=session,
            organisation=project.host_centre,
            detail={
                "starts_at": starts_at,
                "ends_at": ends_at,
                "guests": [c.code for c in guest_centres],
            },
        )
    return session


def _expert_database(centre: Organisation) -> Organisation:
    database = centre.children.filter(kind=K.EXPERT_DATABASE, is_active=True).first()
    if database is None:
        raise DomainError(f"{centre.name}尚未建立专家库", field="centre")
    return database


def quota_set(
    *,
    actor,
    session: EvaluationSession,
    centre: Organisation,
    speciality_codes: list[str],
    count: int,
    backups: int,
    requires_other_region: bool = False,
) -> DrawQuota:
    """Set (or change, before any draw) one centre's quota for a session."""
    is_guest = session.guest_centres.filter(pk=centre.pk).exists()
    if centre.pk != session.host_centre_id and not is_guest:
        raise DomainError("只能为本场次的主场或客场设置抽取需求", field="centre")
    codes = sorted({c.strip().upper() for c in speciality_codes if c.strip()})
    if not codes:
        raise DomainError("请至少选择一个评标专业", field="speciality_codes")
    known = set(Speciality.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown := [c for c in codes if c not in known]:
        raise DomainError(f"未知的专业代码：{'、'.join(unknown)}", field="speciality_codes")
    if not 1 <= count <= 50:
        raise DomainError("抽取人数应在 1 至 50 之间", field="count")
    if not 0 <= backups <= 50:
        raise DomainError("备选人数应在 0 至 50 之间", field="backups")
    if session.status == EvaluationSession.Status.CLOSED:
        raise ConflictError("评标场次已结束")
    existing = DrawQuota.objects.filter(session=session, centre=centre).first()
    if existing is not None and existing.draws.exists():
        raise ConflictError("已开始抽取，不能再修改抽取需求")
    with transaction.atomic():
        quota, _ = DrawQuota.objects.update_or_create(
            session=session,
            centre=centre,
            defaults={
                "database": _expert_database(centre),
                "speciality_codes": codes,
                "count": count,
                "backups": backups,
                "requires_other_region": requires_other_region,
                "created_by": actor,
            },
        )
        audit_log(
            actor=actor,
            action="quota.set",
            obj=quota,
            organisation=centre,
            detail={
                "session": session.pk,
                "specialities": codes,
                "count": count,
                "backups": backups,
                "other_region": requires_other_region,
            },
        )
    return quota


def exclusion_add(*, actor, quota: DrawQuota, expert: Expert, reason: str) -> ManualExclusion:
    """A supervisor's written exclusion of one expert (code MANUAL); only before drawing."""
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError("请书面说明排除理由（至少4个字）", field="reason")
    if expert.database_id != quota.database_id:
        raise DomainError("该专家不在本次抽取的专家库中", field="expert")
    if quota.draws.exists():
        raise ConflictError("已开始抽取，不能再人工排除专家")
    with transaction.atomic():
        exclusion, created = ManualExclusion.objects.get_or_create(
            quota=quota, expert=expert, defaults={"reason": reason, "by": actor}
        )
        if not created:
            raise ConflictError("该专家已被排除")
        audit_log(
            actor=actor,
            action="quota.exclude_expert",
            obj=quota,
            organisation=quota.centre,
            detail={"expert": expert.code, "reason": reason},
        )
    return exclusion


def _seated_codes(session: EvaluationSession) -> frozenset[str]:
    return frozenset(
        DrawOutcome.objects.filter(session=session).values_list("expert__code", flat=True)
    )


def _shortfall(quota: DrawQuota) -> int:
    holding = DrawOutcome.objects.filter(
        session_id=quota.session_id, draw__quota=quota, status__in=DrawOutcome.HOLDING
    ).count()
    return max(0, quota.count - holding)


def draw_commit(*, actor, quota: DrawQuota) -> Draw:
    """Steps 1–2 of QQ-DRAW-1: freeze the pool and commit to a fresh server nonce.

    The first draw of a quota draws `count` principals and `backups` backups; a later
    (supplementary) draw draws only the shortfall, from a pool without the experts already
    drawn for this session.
    """
    session = quota.session
    if session.status == EvaluationSession.Status.CLOSED:
        raise ConflictError("评标场次已结束")
    if session.starts_at <= timezone.now():
        raise ConflictError("评标已开始，不能再抽取")
    if quota.draws.filter(status=Draw.Status.COMMITTED).exists():
        raise ConflictError("上一次抽取尚未见证，请先完成见证")
    supplementary = quota.draws.exists()
    need = _shortfall(quota) if supplementary else quota.count
    if supplementary and need == 0:
        raise ConflictError("本中心专家人数已满足，无需补抽")
    if supplementary and quota.draws.filter(outcomes__status=DrawOutcome.Status.WAITING).exists():
        raise ConflictError("仍有备选专家可递补，无需补抽")
    result = evaluate_pool(
        quota, skip_codes=_seated_codes(session) if supplementary else frozenset()
    )
    if len(result.pool) < need:
        with transaction.atomic():
            audit_log(
                actor=actor,
                action="draw.failed",
                obj=quota,
                organisation=quota.centre,
                detail={"pool_size": len(result.pool), "needed": need},
            )
        raise DomainError(
            f"专家库中符合条件的专家不足：需要 {need} 名，仅有 {len(result.pool)} 名，"
            "本次抽取失败，未选定任何专家",
            code="pool_too_small",
        )
    nonce = secrets.token_bytes(rules.NONCE_BYTES)
    with transaction.atomic():
        sequence = quota.draws.count() + 1
        draw = Draw.objects.create(
            quota=quota,
            draw_id=(
                f"QQD-{timezone.localtime(session.starts_at):%Y%m%d}-{quota.pk:05d}-{sequence}"
            ),
            supplementary=supplementary,
            quota_count=need,
            backups=quota.backups,
            pool=result.pool,
            pool_digest=rules.pool_digest(result.pool),
            pool_size=len(result.pool),
            exclusion_report=result.report,
            server_nonce_cipher=crypto.encrypt(nonce.hex()),
            commitment=rules.commitment(nonce),
            committed_by=actor,
        )
        if session.status == EvaluationSession.Status.PLANNED:
            session.status = EvaluationSession.Status.DRAWING
            session.save(update_fields=["status"])
        audit_log(
            actor=actor,
            action="draw.commit",
            obj=draw,
            organisation=quota.centre,
            detail={
                "draw_id": draw.draw_id,
                "pool_digest": draw.pool_digest,
                "pool_size": draw.pool_size,
                "commitment": draw.commitment,
                "quota": need,
                "backups": quota.backups,
                "excluded": len(result.excluded),
            },
        )
    return draw


def server_nonce(draw: Draw) -> bytes:
    return bytes.fromhex(crypto.decrypt(draw.server_nonce_cipher))


def _lock_database(quota: DrawQuota) -> None:
    """Serialise seat-taking per expert database, so one expert cannot be seated twice."""
    Organisation.objects.select_for_update().filter(pk=quota.database_id).first()


def draw_witness(*, actor, draw: Draw, witness_entropy: str) -> Draw:
    """Steps 3–7: take the witness's entropy, draw, notify the principals in order."""
    witness_entropy = witness_entropy.strip()
    if len(witness_entropy) > 200:
        raise DomainError("见证人输入不能超过200个字符", field="witness_entropy")
    if draw.committed_by_id == actor.pk:
        raise DomainError("见证人不能是发起抽取的操作人", field="witness_entropy")
    with transaction.atomic():
        _lock_database(draw.quota)
        draw = Draw.objects.select_for_update().get(pk=draw.pk)
        if draw.status != Draw.Status.COMMITTED:
            raise ConflictError("该抽取已见证，不能重复见证")
        sequence = rules.qq_draw_1(
            draw.pool,
            server_nonce=server_nonce(draw),
            witness_entropy=witness_entropy,
            draw_id=draw.draw_id,
            quota=draw.quota_count,
            backups=draw.backups,
        )
        draw.status = Draw.Status.DRAWN
        draw.witness_entropy = witness_entropy
        draw.witnessed_by = actor
        draw.witnessed_at = timezone.now()
        draw.drawn = sequence
        draw.save(
            update_fields=["status", "witness_entropy", "witnessed_by", "witnessed_at", "drawn"]
        )
        experts = dict(Expert.objects.filter(code__in=sequence).values_list("code", "pk"))
        session = draw.quota.session
        DrawOutcome.objects.bulk_create(
            [
                DrawOutcome(
                    draw=draw,
                    expert_id=experts[code],
                    session=session,
                    position=position,
                    role=(
                        DrawOutcome.Role.PRINCIPAL
                        if position < draw.quota_count
                        else DrawOutcome.Role.BACKUP
                    ),
                    status=DrawOutcome.Status.WAITING,
                )
                for position, code in enumerate(sequence)
            ]
        )
        audit_log(
            actor=actor,
            action="draw.witness",
            obj=draw,
            organisation=draw.quota.centre,
            detail={"draw_id": draw.draw_id, "witness_entropy": witness_entropy, "drawn": sequence},
        )
        _call_next(actor=actor, draw=draw, count=draw.quota_count)
        _refresh_session_status(session)
    return draw


def _call_next(*, actor, draw: Draw, count: int = 1) -> list[DrawOutcome]:
    """Notify the next `count` waiting experts of `draw` in order, marking those seated
    elsewhere in an overlapping slot meanwhile as unavailable (they are skipped)."""
    session = draw.quota.session
    waiting = list(
        draw.outcomes.filter(status=DrawOutcome.Status.WAITING)
        .select_related("expert__user")
        .order_by("position")
    )
    busy = set(
        DrawOutcome.objects.filter(
            expert_id__in=[o.expert_id for o in waiting],
            status__in=DrawOutcome.HOLDING,
            session__starts_at__lt=session.ends_at,
            session__ends_at__gt=session.starts_at,
        )
        .exclude(session=session)
        .values_list("expert_id", flat=True)
    )
    deadline = min(
        timezone.now() + timedelta(minutes=session.section.project.rule_set.response_minutes),
        session.starts_at,
    )
    called, skipped, tokens = [], [], []
    for outcome in waiting:
        if len(called) == count:
            break
        if outcome.expert_id in busy:
            outcome.status = DrawOutcome.Status.UNAVAILABLE
            outcome.reason = "抽取后已被时间重叠的其他评标场次选定"
            skipped.append(outcome)
            continue
        token = secrets.token_urlsafe(24)
        outcome.status = DrawOutcome.Status.NOTIFIED
        outcome.token_hash = hashlib.sha256(token.encode()).hexdigest()
        outcome.respond_by = deadline
        called.append(outcome)
        tokens.append(token)
    if not called and not skipped:
        return []
    DrawOutcome.objects.bulk_update(
        called + skipped, ["status", "reason", "token_hash", "respond_by"]
    )
    notification_send_many(
        actor=None,
        messages=[_invitation(o, t) for o, t in zip(called, tokens, strict=True)],
    )
    audit_log(
        actor=actor,
        action="draw.call",
        obj=draw,
        organisation=draw.quota.centre,
        detail={
            "draw_id": draw.draw_id,
            "notified": [o.position for o in called],
            "unavailable": [o.position for o in skipped],
        },
    )
    return called


def _invitation(outcome: DrawOutcome, token: str) -> Message:
    """The invitation names the date, time and centre only — never the project (四不知)."""
    session = outcome.draw.quota.session
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    link = settings.QINQING_PUBLIC_URL.rstrip("/") + reverse("bidding:respond", args=[token])
    body = (
        f"您被随机抽取参加评标：{start:%Y年%m月%d日} {start:%H:%M}—{end:%H:%M}，"
        f"地点：{outcome.draw.quota.centre.name}。"
        f"请于 {timezone.localtime(outcome.respond_by):%m月%d日 %H:%M} 前确认是否参加：{link}"
    )
    return Message(
        "sms",
        "评标专家抽取通知",
        body,
        recipient=outcome.expert.user,
        address=outcome.expert.phone,
        sensitive=True,
    )


def _refresh_session_status(session: EvaluationSession) -> None:
    confirmed = dict(
        DrawOutcome.objects.filter(session=session, status=DrawOutcome.Status.CONFIRMED)
        .values_list("draw__quota_id")
        .annotate(n=Count("id"))
    )
    quotas = list(session.quotas.values_list("pk", "count"))
    ready = bool(quotas) and all(confirmed.get(pk, 0) >= count for pk, count in quotas)
    status = EvaluationSession.Status.READY if ready else EvaluationSession.Status.DRAWING
    if session.status != status and session.status != EvaluationSession.Status.CLOSED:
        session.status = status
        session.save(update_fields=["status"])


ANSWERS = {
    "confirm": DrawOutcome.Status.CONFIRMED,
    "decline": DrawOutcome.Status.DECLINED,
    "recuse": DrawOutcome.Status.RECUSED,
}


def outcome_respond(
    *, actor, outcome: DrawOutcome, answer: str, reason: str = "", channel: str
) -> DrawOutcome:
    """An expert's answer (by link) or staff recording a phone answer; a decline or recusal
    calls the next backup in order (实施条例 Art.46: replacements are drawn at random too)."""
    if answer not in ANSWERS:
        raise DomainError("未知的答复", field="answer")
    if channel not in ("link", "phone"):
        raise DomainError("未知的答复方式", field="channel")
    reason = reason.strip()
    if answer != "confirm" and not reason:
        raise DomainError("拒绝或回避须说明原因", field="reason")
    with transaction.atomic():
        _lock_database(outcome.draw.quota)
        outcome = DrawOutcome.objects.select_for_update().get(pk=outcome.pk)
        if outcome.status != DrawOutcome.Status.NOTIFIED:
            raise ConflictError("该通知已答复或已失效")
        if outcome.respond_by and timezone.now() > outcome.respond_by:
            raise ConflictError("已超过答复期限")
        outcome.status = ANSWERS[answer]
        outcome.reason = reason
        outcome.responded_at = timezone.now()
        outcome.response_channel = channel
        outcome.token_hash = ""
        outcome.save(
            update_fields=["status", "reason", "responded_at", "response_channel", "token_hash"]
        )
        audit_log(
            actor=actor,
            action=f"outcome.{answer}",
            obj=outcome,
            organisation=outcome.draw.quota.centre,
            detail={"channel": channel, "reason": reason},
        )
        if answer != "confirm":
            _call_next(actor=actor, draw=outcome.draw)
        _refresh_session_status(outcome.session)
    return outcome


def outcome_by_token(token: str) -> DrawOutcome | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return (
        DrawOutcome.objects.select_related("draw__quota__centre", "session")
        .filter(token_hash=digest, status=DrawOutcome.Status.NOTIFIED)
        .first()
    )


def outcomes_expire(*, now: datetime | None = None) -> int:
    """Mark unanswered invitations past their deadline as no answer and call the next backup
    (the periodic `bidding_tick` command runs this)."""
    now = now or timezone.now()
    expired = 0
    overdue = DrawOutcome.objects.filter(
        status=DrawOutcome.Status.NOTIFIED, respond_by__lt=now
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic():
            outcome = DrawOutcome.objects.select_related("draw__quota").get(pk=pk)
            _lock_database(outcome.draw.quota)
            outcome = DrawOutcome.objects.select_for_update().get(pk=pk)
            if outcome.status != DrawOutcome.Status.NOTIFIED:
                continue
            outcome.status = DrawOutcome.Status.NO_ANSWER
            outcome.token_hash = ""
            outcome.save(update_fields=["status", "token_hash"])
            audit_log(
                actor=None,
                action="outcome.no_answer",
                obj=outcome,
                organisation=outcome.draw.quota.centre,
                detail={"respond_by": outcome.respond_by},
            )
            _call_next(actor=None, draw=outcome.draw)
            _refresh_session_status(outcome.session)
            expired += 1
    return expired


def session_close(*, actor, session: EvaluationSession) -> EvaluationSession:
    """Close a session and lift secrecy: draw proofs become public (until the evaluation
    module seals signed reports, the centre admin's closing is the lifting event)."""
    if session.status == EvaluationSession.Status.CLOSED:
        raise ConflictError("评标场次已结束")
    if session.quotas.filter(draws__status=Draw.Status.COMMITTED).exists():
        raise ConflictError("仍有待见证的抽取，不能结束场次")
    with transaction.atomic():
        session.status = EvaluationSession.Status.CLOSED
        session.secrecy_lifted_at = timezone.now()
        session.save(update_fields=["status", "secrecy_lifted_at"])
        unused = DrawOutcome.objects.filter(session=session, status=DrawOutcome.Status.WAITING)
        unused.update(status=DrawOutcome.Status.UNUSED)
        audit_log(
            actor=actor, action="session.close", obj=session, organisation=session.host_centre
        )
    return session


def names_reveal(*, actor, draw: Draw) -> dict[str, str]:
    """Names of the drawn experts for the centre admin; every reveal is audited."""
    names = dict(draw.outcomes.values_list("expert__code", "expert__name").order_by("position"))
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="draw.reveal_names",
            obj=draw,
            organisation=draw.quota.centre,
            detail={"draw_id": draw.draw_id, "count": len(names)},
        )
    return names


def proof(draw: Draw) -> dict:
    """The published proof (design, QQ-DRAW-1 step 8) once secrecy is lifted, else its
    public part only."""
    public = {
        "draw_id": draw.draw_id,
        "pool_digest": draw.pool_digest,
        "commitment": draw.commitment,
        "pool_size": draw.pool_size,
    }
    if not proof_is_public(draw):
        return public
    return {
        "algorithm": rules.ALGORITHM,
        "draw_id": draw.draw_id,
        "pool": draw.pool,
        "pool_digest": draw.pool_digest,
        "commitment": draw.commitment,
        "server_nonce": server_nonce(draw).hex(),
        "witness_entropy": draw.witness_entropy,
        "quota": draw.quota_count,
        "backups": draw.backups,
        "drawn": draw.drawn,
    }


def proof_is_public(draw: Draw) -> bool:
    return draw.status == Draw.Status.DRAWN and draw.quota.session.secrecy_lifted_at is not None


def expert_status_set(*, actor, expert: Expert, status: str, ban_until=None, reason: str) -> Expert:
    if status not in Expert.Status.values:
        raise DomainError("未知的专家状态", field="status")
    if not reason.strip():
        raise DomainError("请说明变更原因", field="reason")
    with transaction.atomic():
        expert.status, expert.ban_until = status, ban_until
        expert.save(update_fields=["status", "ban_until"])
        audit_log(
            actor=actor,
            action="expert.set_status",
            obj=expert,
            organisation=expert.database,
            detail={"status": status, "ban_until": ban_until, "reason": reason.strip()},
        )
    return expert


def expert_relation_add(
    *, actor, expert: Expert, org_uscc: str, org_name: str, kind: str, start, end=None
):
    org_uscc = uscc_normalise(org_uscc)
    if not uscc_is_valid(org_uscc):
        raise DomainError("单位统一社会信用代码不正确", field="org_uscc")
    if kind not in ExpertRelation.Kind.values:
        raise DomainError("未知的关系类型", field="kind")
    if end is not None and end < start:
        raise DomainError("终止日期不能早于起始日期", field="end")
    with transaction.atomic():
        relation = ExpertRelation.objects.create(
            expert=expert, org_uscc=org_uscc, org_name=org_name, kind=kind, start=start, end=end
        )
        audit_log(
            actor=actor,
            action="expert.add_relation",
            obj=expert,
            organisation=expert.database,
            detail={"org_uscc": org_uscc, "kind": kind, "start": start, "end": end},
        )
    return relation


def expert_leave_add(*, actor, expert: Expert, start, end, reason: str = ""):
    if end < start:
        raise DomainError("请假结束日期不能早于开始日期", field="end")
    with transaction.atomic():
        leave = ExpertLeave.objects.create(expert=expert, start=start, end=end, reason=reason)
        audit_log(
            actor=actor,
            action="expert.add_leave",
            obj=expert,
            organisation=expert.database,
            detail={"start": start, "end": end},
        )
    return leave
