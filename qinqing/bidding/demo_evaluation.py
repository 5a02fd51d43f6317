"""Demo data of the evaluation day, run through the real services.

2024-08-29 morning: the seed's project and two other design tenders are evaluated in the same
slot, host and guest experts scattered over each centre's rooms so that rooms hold experts of
different tenders; all three are scored, reported, signed (one member dissents in writing) and
sealed, which publishes their draw proofs. Yesterday (relative to the load date): a tender
whose committee includes a tenderer's representative (招标投标法 Art.37) evaluated, reported,
signed and sealed, so that its candidates can be published within the 3 days of 实施条例
Art.54 (the award demo publishes them). Today: one more session in progress, its preliminary
review under way, for the live supervision page, its committee again with a representative
whose review sheet is still open (signed in by staff: the demo prints the one-time workstation
code). Scores are the demo's own assumptions, drawn from a fixed random seed around a quality
level per bidder.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from qinqing.bidding import demo_bids
from qinqing.bidding.criteria import standard_template
from qinqing.bidding.draw import services
from qinqing.bidding.evaluation import clarifications, scoring
from qinqing.bidding.evaluation import selectors as evaluation_selectors
from qinqing.bidding.evaluation import services as evaluation_services
from qinqing.bidding.models import (
    DeviationNote,
    DrawOutcome,
    EvaluationSession,
    FeeStandard,
    Project,
    RuleSet,
    ScoreSheet,
    Seat,
    Stage,
)
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.report import services as reports
from qinqing.bidding.seating import committee, representatives
from qinqing.bidding.seating import selectors as seating_selectors
from qinqing.bidding.seating import services as seating_services
from qinqing.core.demo import demo_uscc, recorded_at

OTHER_TENDERS = [
    (
        "WHGGZY-2024-SJ-0830",
        "洪山区青菱街道老旧小区改造工程设计",
        "whggzy",
        "jkggzy",
        [
            "武汉示例市政设计院有限公司",
            "湖北示例城乡规划设计有限公司",
            "武汉示例建筑工程设计有限公司",
            "湖北示例景观设计有限公司",
        ],
    ),
    (
        "JKGGZY-2024-SJ-0831",
        "武汉经开区智能制造产业园配套道路工程设计",
        "jkggzy",
        "whggzy",
        [
            "中部示例交通设计研究院有限公司",
            "湖北示例路桥设计有限公司",
            "武汉示例道路设计咨询有限公司",
        ],
    ),
]
TODAY_TENDER = (
    "WHGGZY-DEMO-TODAY",
    "洪山区某中学运动场及附属设施改造工程设计",
    [
        "湖北示例建筑设计研究院有限公司",
        "湖北示例教育建筑设计院有限公司",
        "武汉示例工程设计有限公司",
    ],
)
# The first bidder of today's tender is the `bidder` demo account's firm (core demo-bidder), so
# the committee's clarification waits on that account's 澄清答复 page.
LATER_TENDER = (
    "WHGGZY-DEMO-LATER",
    "洪山区某社区卫生服务中心改造工程设计",
    ["湖北示例医疗建筑设计有限公司", "武汉示例城市建筑设计院有限公司", "湖北示例工程顾问有限公司"],
)
# Evaluated yesterday (relative to the load date), a tenderer's representative on the committee:
# its report is sealed in time for the award demo to publish the candidates within Art.54.
RECENT_TENDER = (
    "WHGGZY-DEMO-RECENT",
    "洪山区和平街道党群服务中心改造工程设计",
    [
        "湖北示例公共建筑设计有限公司",
        "武汉示例城建设计研究院有限公司",
        "湖北示例华中建筑设计有限公司",
    ],
)
# The tenderer's representatives (name, phone, last four of the ID): phones outside the experts'
# 13x/15x/17x/19x range, so they never collide with a drawn expert.
RECENT_REPRESENTATIVE = ("何静", "18607100001", "2024")
TODAY_REPRESENTATIVE = ("周文涛", "18607100002", "3021")
TODAY_USCCS = [demo_uscc("91420100", 200), demo_uscc("91420100", 401), demo_uscc("91420100", 402)]
FEES = {"whggzy": Decimal("800.00"), "jkggzy": Decimal("1000.00")}
DESIGN = ["A0501", "A0502", "A0504"]


def _admin(users, centre_code: str):
    return users["centre_wh" if centre_code == "whggzy" else "centre_jk"]


def register_tender(
    orgs,
    users,
    *,
    code,
    name,
    host,
    guest,
    bidders,
    starts,
    serial,
    method,
    usccs=None,
    host_experts=3,
):
    """Register a tender with its session and quotas (3 host + 2 guest experts; 2 host experts
    when a tenderer's representative takes the fifth place)."""
    usccs = usccs or [demo_uscc("91420100", serial + i) for i in range(len(bidders))]
    admin = _admin(users, host)
    section = project_services.project_register(
        actor=admin,
        code=code,
        name=name,
        tenderer=orgs["demo-tenderer"],
        agency=orgs["demo-agency"],
        supervising_department=orgs["hs-zgj"],
        host_centre=orgs[host],
        region_code="420111",
        method=method,
        rule_set=RuleSet.objects.get(name="工程建设项目招标"),
        budget=Decimal("1200000.00"),
        section_code="01",
        section_name="设计标段",
        bidders=[
            project_services.BidderIn(uscc, n) for uscc, n in zip(usccs, bidders, strict=True)
        ],
    )
    session = project_services.session_schedule(
        actor=admin,
        section=section,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        guest_centres=[orgs[guest]],
    )
    services.quota_set(
        actor=admin,
        session=session,
        centre=orgs[host],
        speciality_codes=DESIGN,
        count=host_experts,
        backups=2,
    )
    services.quota_set(
        actor=_admin(users, guest),
        session=session,
        centre=orgs[guest],
        speciality_codes=DESIGN,
        count=2,
        backups=2,
    )
    return session


def draw_and_confirm(users, session: EvaluationSession, entropy: str) -> None:
    for n, quota in enumerate(session.quotas.order_by("pk")):
        admin = _admin(users, quota.centre.code)
        draw = services.draw_commit(actor=admin, quota=quota)
        draw = services.draw_witness(
            actor=users["supervisor"], draw=draw, witness_entropy=f"{entropy}-{n}"
        )
        for outcome in draw.outcomes.filter(status=DrawOutcome.Status.NOTIFIED):
            services.outcome_respond(
                actor=admin, outcome=outcome, answer="confirm", channel="phone"
            )


def name_representative(users, session: EvaluationSession, person: tuple[str, str, str]):
    """The tenderer names its representative to the committee (招标投标法 Art.37)."""
    name, phone, id_last4 = person
    return representatives.representative_name(
        actor=users["tenderer"], session=session, name=name, phone=phone, id_last4=id_last4
    )


def sign_in_and_start(users, session: EvaluationSession, prices, rng, at) -> list[Seat]:
    """Identity checks at the workstations (seats already signed in are left as they are), the
    opening record, the plan, the start and the chair's election (every member votes for the
    first seated expert)."""
    seats = list(
        Seat.objects.filter(outcome__session=session, outcome__status="confirmed")
        .select_related("seating__centre", "workstation")
        .order_by("workstation__code")
    )
    for seat in seats:
        if seat.signed_in_at is None:
            committee.seat_signin_staff(
                actor=_admin(users, seat.seating.centre.code),
                seat=seat,
                reason="现场核对身份证原件与专家证",
            )
        committee.seat_declare(actor=None, seat=Seat.objects.get(pk=seat.pk))
    bidders = list(session.section.bidders.order_by("pk"))
    host_admin = _admin(users, session.host_centre.code)
    if session.section.bids.exists():
        # Sealed bids: the prices are those the opening decrypted, never typed.
        opened = [b.bid_price for b in bidders]
        if opened != list(prices):
            raise RuntimeError(f"demo: the opening read {opened}, the demo expected {prices}")
    else:
        project_services.bid_prices_record(
            actor=host_admin,
            section=session.section,
            prices={b.pk: price for b, price in zip(bidders, prices, strict=True)},
        )
    evaluation_services.plan_set(
        actor=host_admin,
        session=session,
        template=standard_template(session.section.project.method),
    )
    session = evaluation_services.session_start(actor=host_admin, session=session)
    seats = list(seating_selectors.committee_seats(session).order_by("workstation__code"))
    chair = next(seat for seat in seats if not seat.is_representative)
    for seat in seats:
        committee.chair_vote(actor=None, seat=seat, candidate=chair)
    return seats


def review(session, seats, *, submit_only: int | None = None) -> None:
    """Every member passes every bid; the last bid misses its stamp in one member's view."""
    items = list(evaluation_selectors.stage_criteria(session, Stage.REVIEW))
    bidders = list(evaluation_selectors.scored_bidders(session, Stage.REVIEW))
    for m, seat in enumerate(seats[: submit_only if submit_only is not None else len(seats)]):
        entries = []
        for i, bidder in enumerate(bidders):
            for item in items:
                doubtful = m == 1 and i == len(bidders) - 1 and item.code == "F1"
                entries.append(
                    scoring.EntryIn(
                        bidder.pk,
                        item.code,
                        passed=not doubtful,
                        note="投标函授权委托书未加盖公章" if doubtful else "",
                    )
                )
        scoring.sheet_save(actor=None, seat=seat, stage=Stage.REVIEW, entries=entries)
        scoring.sheet_submit(actor=None, seat=seat, stage=Stage.REVIEW)


def detailed(session, seats, rng: random.Random) -> None:
    """Scores around a quality level per bidder, on each item's step; one low outlier."""
    items = list(evaluation_selectors.stage_criteria(session, Stage.DETAILED))
    bidders = list(evaluation_selectors.scored_bidders(session, Stage.DETAILED))
    quality = {b.pk: rng.uniform(0.62, 0.9) for b in bidders}
    for m, seat in enumerate(seats):
        entries = []
        for i, bidder in enumerate(bidders):
            for item in items:
                level = quality[bidder.pk] + rng.uniform(-0.06, 0.06)
                if m == len(seats) - 1 and i == 0 and item.code == "T1":
                    level = 0.35  # the outlier who will have to explain
                steps = int(item.max_score / item.step)
                score = item.step * round(min(max(level, 0), 1) * steps)
                entries.append(scoring.EntryIn(bidder.pk, item.code, score=score))
        scoring.sheet_save(actor=None, seat=seat, stage=Stage.DETAILED, entries=entries)
        scoring.sheet_submit(actor=None, seat=seat, stage=Stage.DETAILED)
    for note in DeviationNote.objects.filter(sheet__session=session).select_related("sheet__seat"):
        scoring.deviation_explain(
            actor=None,
            seat=note.sheet.seat,
            note=note,
            explanation="该投标方案未提供节能专篇，设计深度不满足招标文件第三章要求，故评分偏低。",
        )


def drawn_prices(rng: random.Random, count: int) -> list[Decimal]:
    """The bid prices of an evaluated tender: the first draws of its seeded generator."""
    return [
        Decimal(rng.randrange(1_500_000, 1_850_000, 1000)).quantize(Decimal("0.01"))
        for _ in range(count)
    ]


def evaluate(users, session: EvaluationSession, *, seed: int, day: datetime, dissent: bool):
    rng = random.Random(seed)
    prices = drawn_prices(rng, session.section.bidders.count())
    with recorded_at(day.replace(hour=8, minute=40)):
        seats = sign_in_and_start(users, session, prices, rng, day)
    chair = Seat.objects.get(pk=EvaluationSession.objects.get(pk=session.pk).chair_id)
    with recorded_at(day.replace(hour=9, minute=40)):
        review(session, seats)
        scoring.stage_close(actor=None, seat=chair, stage=Stage.REVIEW)
    with recorded_at(day.replace(hour=11, minute=5)):
        detailed(session, seats, rng)
        scoring.stage_close(actor=None, seat=chair, stage=Stage.DETAILED)
    host_admin = _admin(users, session.host_centre.code)
    with recorded_at(day.replace(hour=11, minute=20)):
        built = reports.report_build(actor=host_admin, session=session)
    with recorded_at(day.replace(hour=11, minute=35)):
        for n, seat in enumerate(seats):
            if dissent and n == len(seats) - 1:
                reports.report_sign(
                    actor=None,
                    seat=seat,
                    agree=False,
                    dissent_reason="对第一名投标人的技术方案评分有保留意见：节能专篇缺失应作重大偏差处理。",
                )
            else:
                reports.report_sign(actor=None, seat=seat, agree=True)
    with recorded_at(day.replace(hour=14, minute=0)):
        for seat in seats:
            if seat.is_representative:
                continue  # the supervisor rates the experts' conduct, not the tenderer's people
            reports.rating_record(
                actor=users["supervisor"], seat=seat, score=5 if seat != seats[-1] else 4
            )
    return built


def fee_standards(orgs, users) -> None:
    for code, amount in FEES.items():
        if not FeeStandard.objects.filter(centre=orgs[code]).exists():
            with recorded_at(datetime(2024, 1, 2, 9, 0, tzinfo=timezone.get_current_timezone())):
                reports.fee_standard_set(
                    actor=_admin(users, code),
                    centre=orgs[code],
                    amount=amount,
                    valid_from=date(2024, 1, 1),
                )


def today_in_progress(orgs, users, stdout) -> None:
    """A session running now, its preliminary review half submitted (for the live page)."""
    code, name, bidders = TODAY_TENDER
    if Project.objects.filter(code=code).exists():
        return
    now = timezone.localtime()
    starts = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    with recorded_at(now - timedelta(days=2)):
        session = register_tender(
            orgs,
            users,
            code=code,
            name=name,
            host="whggzy",
            guest="jkggzy",
            bidders=bidders,
            starts=starts,
            serial=400,
            method=Project.Method.COMPREHENSIVE,
            usccs=TODAY_USCCS,
            host_experts=2,
        )
        representative = name_representative(users, session, TODAY_REPRESENTATIVE)
        draw_and_confirm(users, session, "today")
    prices = [Decimal("1268000.00"), Decimal("1193500.00"), Decimal("1320000.00")]
    demo_bids.today(
        session.section, users, prices, registered_at=now - timedelta(days=2), starts=starts
    )
    with recorded_at(starts - timedelta(minutes=40)):
        for centre in ("whggzy", "jkggzy"):
            seating_services.seating_assign(
                actor=_admin(users, centre),
                centre=orgs[centre],
                slot_start=starts,
                slot_end=starts + timedelta(hours=3),
            )
    rng = random.Random(99)
    with recorded_at(starts - timedelta(minutes=25)):
        # The representative's identity is checked in person: the staff's one-time code lets
        # whoever walks the demo take that workstation and fill the review sheet.
        rep_seat = Seat.objects.select_related("workstation").get(
            outcome__representative=representative
        )
        terminal_code = committee.seat_signin_staff(
            actor=users["centre_wh"], seat=rep_seat, reason="现场核对招标人代表身份证原件和授权书"
        )
    with recorded_at(starts - timedelta(minutes=20)):
        seats = sign_in_and_start(users, session, prices, rng, starts)
    experts_first = sorted(seats, key=lambda seat: seat.is_representative)
    with recorded_at(starts + timedelta(minutes=30)):
        review(session, experts_first, submit_only=3)
    # four workstations were active a moment ago; the fifth has not been seen since sign-in
    Seat.objects.filter(pk__in=[s.pk for s in experts_first[:4]]).update(
        last_seen_at=timezone.now()
    )
    submitted = ScoreSheet.objects.filter(session=session, status="submitted").count()
    stdout.write(f"  进行中的评标：{name}（初步评审已提交 {submitted}/{len(seats)}）")
    stdout.write(
        f"    招标人代表（{representative.name}，工位 {rep_seat.workstation.code}）的初步评审尚未提交："
        f"在 /bidding/signin/ 点“收不到验证码？请工作人员核验身份”，输入工位启用码"
        f" {terminal_code}（一次有效），即可评审，评标报告生成后在工位上签署"
    )


def recent_sealed(orgs, users, stdout) -> None:
    """A tender evaluated yesterday (relative to the load date) by 4 experts and the tenderer's
    representative (招标投标法 Art.37), its report signed by all five and sealed before noon:
    the award demo publishes its candidates within the 3 days of 实施条例 Art.54."""
    code, name, bidders = RECENT_TENDER
    if Project.objects.filter(code=code).exists():
        return
    day = (timezone.localtime() - timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    with recorded_at(day - timedelta(days=7)):
        session = register_tender(
            orgs,
            users,
            code=code,
            name=name,
            host="whggzy",
            guest="jkggzy",
            bidders=bidders,
            starts=day,
            serial=480,
            method=Project.Method.COMPREHENSIVE,
            host_experts=2,
        )
        name_representative(users, session, RECENT_REPRESENTATIVE)
    with recorded_at(day - timedelta(days=2)):
        draw_and_confirm(users, session, "recent")
    with recorded_at(day - timedelta(hours=1)):
        for centre in ("whggzy", "jkggzy"):
            seating_services.seating_assign(
                actor=_admin(users, centre),
                centre=orgs[centre],
                slot_start=day,
                slot_end=day + timedelta(hours=3),
            )
    evaluate(users, EvaluationSession.objects.get(pk=session.pk), seed=1207, day=day, dissent=False)
    stdout.write(f"  昨日评标：{name}（评标委员会含招标人代表 1 人，评标报告已签署封存）")


def clarification_waiting(users, stdout) -> None:
    """Today's committee asked the first bidder a written question, approved by the
    supervising department: it waits for the bidder's answer (the `bidder` account)."""
    session = EvaluationSession.objects.filter(section__project__code=TODAY_TENDER[0]).first()
    if session is None or session.chair_id is None or session.clarifications.exists():
        return
    if session.status != EvaluationSession.Status.IN_PROGRESS:
        return
    bidder = session.section.bidders.get(uscc=TODAY_USCCS[0])
    question = (
        "贵单位投标文件第 3.2 节所列项目负责人的注册证书有效期至 2025 年，请书面说明"
        "其在本项目服务期内的注册状态，并提供相关证明材料。"
    )
    asked = clarifications.clarification_ask(
        actor=None, seat=session.chair, bidder=bidder, question=question
    )
    clarifications.clarification_review_question(
        actor=users["supervisor"], clarification=asked, approve=True
    )
    stdout.write(f"  澄清：等待“{bidder.name}”书面答复（账号 bidder）")


def later_today(orgs, users, stdout) -> None:
    """A session starting within the hour: its experts are drawn, confirmed and seated but
    nobody has signed in, so a workstation sign-in by SMS code can be tried (/bidding/signin/
    with a drawn expert's phone from the 演示短信 page)."""
    code, name, bidders = LATER_TENDER
    if Project.objects.filter(code=code).exists():
        return
    now = timezone.localtime()
    starts = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with recorded_at(now - timedelta(days=1)):
        session = register_tender(
            orgs,
            users,
            code=code,
            name=name,
            host="whggzy",
            guest="jkggzy",
            bidders=bidders,
            starts=starts,
            serial=450,
            method=Project.Method.COMPREHENSIVE,
        )
        draw_and_confirm(users, session, "later")
    with recorded_at(now - timedelta(minutes=30)):
        for centre in ("whggzy", "jkggzy"):
            seating_services.seating_assign(
                actor=_admin(users, centre),
                centre=orgs[centre],
                slot_start=starts,
                slot_end=starts + timedelta(hours=3),
            )
    seat = (
        Seat.objects.filter(outcome__session=session)
        .select_related("outcome__expert", "workstation")
        .order_by("workstation__code")
        .first()
    )
    stdout.write(f"  稍后开始的评标：{name}（{starts:%H:%M}，专家尚未签到）")
    if seat is not None:
        expert = seat.outcome.expert
        stdout.write(
            f"    试一试工位签到：/bidding/signin/ 手机号 {expert.phone}，身份证号后四位"
            f" {expert.id_last4}（工位 {seat.workstation.code}；验证码见演示短信）"
        )
