"""What waits on a user in remote bidding evaluation (registered from BiddingConfig.ready).

- supervisor: draws to witness, clarification questions and answers to review, incidents
  still open in its sessions;
- centre staff: today's sessions, invitations its experts have not answered, open incidents;
- expert (an account linked to a register entry): invitations to answer (by the SMS link or
  by telephone: the platform has no page where an account answers), today's session and its
  workstation;
- bidder: clarifications to answer; sections registered for, still open, without its sealed bid;
- tenderer and its agency: running evaluations where more than a third of the members declared
  the time too short, so that the tenderer must extend it (实施条例 Art.48 para.1).
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.bidding.bids.permissions import firm_usccs
from qinqing.bidding.evaluation import time_extension
from qinqing.bidding.models import (
    Bid,
    Clarification,
    Draw,
    DrawOutcome,
    EvaluationSession,
    Incident,
    Seat,
    Section,
)
from qinqing.core.permissions import grants_of, visible
from qinqing.core.roles import Role
from qinqing.core.todos import EntryPoint, TodoItem, register, register_entry, tally

CS = Clarification.Status


def _one_session(qs, field: str = "session_id") -> int | None:
    """The session of every row of `qs` when they share one, else None (one small query)."""
    ids = list(qs.order_by().values_list(field, flat=True).distinct()[:2])
    return ids[0] if len(ids) == 1 else None


def _url(name: str, pk: int | None, fallback: str) -> str:
    return reverse(name, args=[pk]) if pk is not None else reverse(fallback)


def _draw_url(draw_pk: int | None) -> str:
    if draw_pk is None:
        return reverse("bidding:session_list")
    draw_id = Draw.objects.filter(pk=draw_pk).values_list("draw_id", flat=True).first()
    return reverse("bidding:draw_detail", args=[draw_id])


def _open_incidents(incidents_qs) -> TodoItem:
    """The supervisor's and the centre's item: incidents not yet resolved, oldest first."""
    incidents = tally(incidents_qs, oldest="started_at")
    return TodoItem(
        _("未恢复的评标异常情况"),
        incidents.count,
        _url(
            "bidding:live",
            _one_session(incidents_qs) if incidents.count else None,
            "bidding:live_list",
        ),
        oldest=incidents.oldest,
        order=30,
    )


@register
def supervisor(user):
    if not grants_of(user).has(Role.SUPERVISOR):
        return []
    witnessing = tally(
        visible(user, "bidding.witness_draw", Draw.objects.all()).filter(
            status=Draw.Status.COMMITTED
        ),
        oldest="committed_at",
    )
    reviewing_qs = visible(user, "bidding.review_clarification", Clarification.objects.all())
    reviewing_qs = reviewing_qs.filter(status__in=[CS.QUESTION_PENDING, CS.ANSWER_PENDING])
    reviewing = tally(reviewing_qs, oldest="asked_at")
    sessions = visible(user, "bidding.view_live", EvaluationSession.objects.all())
    incidents_qs = Incident.objects.filter(session__in=sessions.values("pk"), resolved_at=None)
    return [
        TodoItem(
            _("待见证的专家抽取"),
            witnessing.count,
            _draw_url(witnessing.first_pk),
            oldest=witnessing.oldest,
            note=_("候选池已冻结并承诺，请输入见证随机数完成抽取"),
            order=10,
        ),
        TodoItem(
            _("待审核的澄清问题与答复"),
            reviewing.count,
            _url(
                "bidding:session_clarifications",
                _one_session(reviewing_qs) if reviewing.count else None,
                "bidding:live_list",
            ),
            oldest=reviewing.oldest,
            order=20,
        ),
        _open_incidents(incidents_qs),
    ]


@register
def centre(user):
    if not grants_of(user).has(Role.CENTRE_ADMIN):
        return []
    today = timezone.localdate()
    sessions = visible(user, "bidding.view_session", EvaluationSession.objects.all())
    today_qs = EvaluationSession.objects.filter(
        pk__in=sessions.values("pk"), starts_at__date=today
    ).exclude(status=EvaluationSession.Status.CLOSED)
    todays = tally(today_qs)
    first_start = today_qs.order_by("starts_at").values_list("starts_at", flat=True).first()
    answers_qs = visible(user, "bidding.record_answer", DrawOutcome.objects.all()).filter(
        status=DrawOutcome.Status.NOTIFIED
    )
    answers = tally(answers_qs, due="respond_by")
    answer_draws = list(answers_qs.order_by().values_list("draw_id", flat=True).distinct()[:2])
    incidents_qs = visible(user, "bidding.manage_incident", Incident.objects.all()).filter(
        resolved_at=None
    )
    return [
        TodoItem(
            _("今日评标场次"),
            todays.count,
            _url("bidding:session_detail", todays.first_pk, "bidding:session_list"),
            note=(
                gettext("首场 %(time)s 开始")
                % {"time": date_format(timezone.localtime(first_start), "H:i")}
                if first_start
                else ""
            ),
            order=10,
        ),
        TodoItem(
            _("专家尚未答复的抽取通知"),
            answers.count,
            _draw_url(answer_draws[0] if len(answer_draws) == 1 else None),
            due=answers.due,
            note=_("可记录专家的电话答复；逾期未答复将自动递补备选"),
            order=20,
        ),
        _open_incidents(incidents_qs),
    ]


@register
def expert(user):
    if not grants_of(user).has(Role.EXPERT):
        return []
    today = timezone.localdate()
    mine = DrawOutcome.objects.filter(expert__user=user)
    invitations = tally(mine.filter(status=DrawOutcome.Status.NOTIFIED), due="respond_by")
    seat = (
        Seat.objects.filter(outcome__expert__user=user, outcome__session__starts_at__date=today)
        .exclude(outcome__session__status=EvaluationSession.Status.CLOSED)
        .select_related("workstation__room__centre", "outcome__session__section__project")
        .order_by("outcome__session__starts_at")
        .first()
    )
    confirmed = tally(
        mine.filter(status=DrawOutcome.Status.CONFIRMED, session__starts_at__date__gt=today)
    )
    items = [
        TodoItem(
            _("待答复的评标邀请"),
            invitations.count,
            "",
            due=invitations.due,
            note=_("请按短信中的链接确认或拒绝，或致电交易中心答复"),
            order=10,
        ),
        TodoItem(
            _("已确认参加的评标"),
            confirmed.count,
            reverse("bidding:self_start"),
            note=_("如需请假，请在专家自助页面登记"),
            order=30,
        ),
    ]
    if seat is not None:
        session = seat.outcome.session
        room = seat.workstation.room
        items.append(
            TodoItem(
                gettext("今日评标：%(project)s") % {"project": session.section.project.name},
                1,
                reverse("bidding:signin"),
                note=gettext("%(time)s · %(centre)s %(room)s 工位 %(code)s，到场后在工位签到")
                % {
                    "time": date_format(timezone.localtime(session.starts_at), "H:i"),
                    "centre": room.centre.short_name or room.centre.name,
                    "room": room.name,
                    "code": seat.workstation.code,
                },
                order=5,
            )
        )
    return items


@register
def bidder(user):
    if not grants_of(user).has(Role.BIDDER):
        return []
    answering = tally(
        visible(user, "bidding.answer_clarification", Clarification.objects.all()).filter(
            Q(status=CS.AWAITING_ANSWER) | Q(status=CS.ANSWER_REJECTED)
        ),
        oldest="asked_at",
    )
    return [
        TodoItem(
            _("待答复的澄清要求"),
            answering.count,
            _url(
                "bidding:bidder_clarification", answering.first_pk, "bidding:bidder_clarifications"
            ),
            oldest=answering.oldest,
            order=10,
        ),
        _bids_to_submit(user),
    ]


def _bids_to_submit(user) -> TodoItem:
    """Sections the firm is registered for whose deadline is ahead and which have no live
    sealed bid of the firm yet, nearest deadline first (招标投标法 Art.28)."""
    live = Bid.objects.filter(
        status=Bid.Status.SUBMITTED, bidder__uscc__in=firm_usccs(grants_of(user))
    ).values("section_id")
    open_qs = (
        visible(user, "bidding.submit_bid", Section.objects.all())
        .filter(bid_deadline__gt=timezone.now())
        .exclude(pk__in=live)
    )
    waiting = tally(open_qs, due="bid_deadline")
    return TodoItem(
        _("待递交的投标文件"),
        waiting.count,
        _url("bidding:bid_seal", waiting.first_pk, "bidding:my_bids"),
        due=waiting.due,
        note=_("在浏览器中加密后递交；截止时间后不再接受"),
        order=5,
    )


@register
def tenderer(user):
    grants = grants_of(user)
    if not (grants.has(Role.TENDERER) or grants.has(Role.TENDER_AGENT)):
        return []
    running = visible(
        user,
        "bidding.extend_time",
        EvaluationSession.objects.filter(status=EvaluationSession.Status.IN_PROGRESS),
    )
    owed = [s.pk for s in running if time_extension.status(s)["required"]]
    extending = tally(EvaluationSession.objects.filter(pk__in=owed), oldest="started_at")
    return [
        TodoItem(
            _("待延长评标时间"),
            extending.count,
            _url("bidding:session_time", extending.first_pk, "bidding:session_list"),
            oldest=extending.oldest,
            order=10,
        )
    ]


register_entry(EntryPoint(Role.EXPERT, _("专家自助：请假与回避关系"), "bidding:self_start", 10))
register_entry(EntryPoint(Role.EXPERT, _("工位签到"), "bidding:signin", 20))
register_entry(EntryPoint(Role.BIDDER, _("澄清答复"), "bidding:bidder_clarifications", 10))
register_entry(EntryPoint(Role.BIDDER, _("我的投标"), "bidding:my_bids", 5))

# the remote opening's and the award's to-dos live with each capability
from qinqing.bidding.award import todos as _award_todos  # noqa: E402, F401
from qinqing.bidding.opening import todos as _opening_todos  # noqa: E402, F401
