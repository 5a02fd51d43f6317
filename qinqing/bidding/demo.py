"""Demo data of the bidding module.

Two centres with a few hundred fictional experts each (generated names, valid-form ID numbers
and phone numbers that belong to nobody known), both centres' rooms and workstations
(prefixes H and G), and the seed's project evaluated on 2024-08-29 with 武汉市公共资源交易中心
as host and 武汉经开区公共资源交易中心 as guest: draws witnessed, two other design tenders
evaluated in the same slot (so each room holds experts of different tenders, none of one tender
together), scored, reported, signed (one written dissent) and sealed, which made the draw
proofs public; plus one session in progress today for the live supervision page
(demo_evaluation.py). The seed project's and today's bids were sealed electronic bids opened
remotely before the evaluation, and one section's opening hall is decrypting now
(demo_bids.py). The committee split (3 host + 2 guest experts), the bidders, prices and
scores are the demo's assumptions: the seed does not give them.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from qinqing.bidding import demo_award, demo_bids, demo_evaluation
from qinqing.bidding.demo_evaluation import OTHER_TENDERS
from qinqing.bidding.draw import services
from qinqing.bidding.experts import imports
from qinqing.bidding.experts import services as expert_services
from qinqing.bidding.models import (
    DrawOutcome,
    EvaluationSession,
    Expert,
    Project,
    RuleSet,
    Speciality,
)
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.seating import services as seating_services
from qinqing.core.demo import demo_uscc, recorded_at
from qinqing.core.models import Organisation
from qinqing.core.rules import resident_id_check_char

TZ = ZoneInfo("Asia/Shanghai")
SEED_PROJECT = "武汉城市职业学院南北校区学生公寓整体修缮项目第一期工程初步设计"
SEED_CODE = "WHGGZY-2024-SJ-0829"

# The demo's own classification (modelled on the structure of evaluation-expert catalogues:
# a letter for the class, two digits per level); codes cover their sub-codes by prefix.
SPECIALITIES = {
    "A": "工程类",
    "A01": "房屋建筑工程",
    "A0101": "建筑工程施工",
    "A0102": "装饰装修工程",
    "A0103": "建筑给排水",
    "A0104": "暖通空调",
    "A0105": "建筑电气",
    "A02": "市政公用工程",
    "A0201": "道路工程",
    "A0202": "桥梁工程",
    "A0203": "给排水管网",
    "A03": "园林绿化工程",
    "A04": "工程造价",
    "A0401": "土建造价",
    "A0402": "安装造价",
    "A05": "工程勘察设计",
    "A0501": "建筑设计",
    "A0502": "结构设计",
    "A0503": "岩土工程勘察",
    "A0504": "设备设计",
    "A06": "工程监理",
    "B": "货物类",
    "B01": "信息化设备",
    "B02": "医疗设备",
    "B03": "教学设备",
    "C": "服务类",
    "C01": "物业管理服务",
    "C02": "信息技术服务",
    "D": "经济与法律类",
    "D01": "财务会计",
    "D02": "法律",
}
LEAVES = [code for code in SPECIALITIES if len(code) == 5 or code in {"A03", "A06"}]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬建国志红文斌宇浩凯鹏辉晨曦瑞博睿思远航梦琪欣怡俊峰海燕晓东立新慧婷雪梅振华"
CENTRES = {
    "whggzy-experts": ("WH", ["420102", "420103", "420104", "420105", "420106", "420111"]),
    "jkggzy-experts": ("JK", ["420113", "420114", "420115", "420116"]),
}
DESIGN = ["A0501", "A0502", "A0504"]  # the seed project is a design tender
BIDDERS = [
    "湖北示例建筑设计研究院有限公司",
    "武汉示例城市建设设计有限公司",
    "中南示例工程设计咨询有限公司",
    "湖北示例华建规划设计有限公司",
    "武汉示例筑境建筑设计事务所有限公司",
]


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def _id_number(rng: random.Random, region: str, birth: datetime) -> str:
    first17 = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def _expert_rows(prefix: str, regions: list[str], count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    titles = ["正高级", "副高级", "副高级", "中级"]
    rows = []
    for n in range(1, count + 1):
        birth = datetime(rng.randrange(1956, 1986), rng.randrange(1, 13), rng.randrange(1, 29))
        region = rng.choice(regions)
        specialities = sorted(set(rng.sample(LEAVES, rng.randrange(1, 4))))
        rows.append(
            {
                "code": f"{prefix}-{n:06d}",
                "name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randrange(1, 3))),
                "id_number": _id_number(rng, region, birth),
                "phone": f"1{rng.choice('3579')}{rng.randrange(10**9):09d}",
                "employer_name": f"示例单位{rng.randrange(1, 120):03d}",
                "employer_uscc": demo_uscc("91420100", 1000 + rng.randrange(1, 120)),
                "region_code": region,
                "title": rng.choice(titles),
                "specialities": ";".join(specialities),
            }
        )
    return rows


def _catalogue() -> None:
    Speciality.objects.bulk_create(
        [Speciality(code=code, name=name) for code, name in SPECIALITIES.items()],
        ignore_conflicts=True,
    )
    RuleSet.objects.get_or_create(name="工程建设项目招标", defaults={"kind": "construction"})
    RuleSet.objects.get_or_create(name="政府采购", defaults={"kind": "procurement"})


def _experts(orgs: dict[str, Organisation], users: dict, stdout) -> None:
    for seed, (db_code, (prefix, regions)) in enumerate(CENTRES.items(), start=1):
        database = orgs[db_code]
        if Expert.objects.filter(database=database).exists():
            continue
        rows = _expert_rows(prefix, regions, 300, seed)
        admin = users["centre_wh" if prefix == "WH" else "centre_jk"]
        with recorded_at(_at(2024, 1, 8, 9, 0)):
            imports.experts_import(actor=admin, database=database, rows=rows)
        stdout.write(f"  {database.name}：导入专家 {len(rows)} 名")
    _conflicts(users)
    expert_user = users["expert"]
    if not hasattr(expert_user, "expert_profile"):
        Expert.objects.filter(code="WH-000001").update(user=expert_user)


def _conflicts(users) -> None:
    """Real life in the register: a few experts who must be kept out of the seed project."""
    wh = users["centre_wh"]
    design = (
        Expert.objects.filter(
            database__code="whggzy-experts", speciality_links__speciality__code__in=DESIGN
        )
        .distinct()
        .order_by("code")
    )
    if design.filter(status=Expert.Status.SUSPENDED).exists():
        return
    first, second, third, fourth = design[:4]
    with recorded_at(_at(2024, 3, 1, 9, 0)):
        expert_services.expert_relation_add(
            actor=wh,
            expert=first,
            org_uscc=demo_uscc("91420100", 200),
            org_name=BIDDERS[0],
            kind="employee",
            start=date(2015, 7, 1),
            end=date(2022, 12, 31),
        )
        expert_services.expert_status_set(
            actor=wh,
            expert=second,
            status=Expert.Status.SUSPENDED,
            reason="年度考核不合格，暂停一年",
        )
        expert_services.expert_leave_add(
            actor=wh, expert=third, start=date(2024, 8, 26), end=date(2024, 9, 6), reason="出国访学"
        )
        expert_services.expert_relation_add(
            actor=wh,
            expert=fourth,
            org_uscc=demo_uscc("91420100", 203),
            org_name=BIDDERS[3],
            kind="shareholder",
            start=date(2019, 1, 1),
        )


def _seed_project(orgs, users, stdout) -> None:
    if Project.objects.filter(code=SEED_CODE).exists():
        return
    wh, jk, supervisor = users["centre_wh"], users["centre_jk"], users["supervisor"]
    with recorded_at(_at(2024, 8, 20, 10, 0)):
        section = project_services.project_register(
            actor=wh,
            code=SEED_CODE,
            name=SEED_PROJECT,
            tenderer=orgs["demo-tenderer"],
            agency=orgs["demo-agency"],
            supervising_department=orgs["hs-zgj"],
            host_centre=orgs["whggzy"],
            region_code="420111",
            method="comprehensive",
            rule_set=RuleSet.objects.get(name="工程建设项目招标"),
            budget=Decimal("1860000.00"),
            section_code="01",
            section_name="设计标段",
            bidders=[
                project_services.BidderIn(demo_uscc("91420100", 200 + i), name)
                for i, name in enumerate(BIDDERS)
            ],
        )
        session = project_services.session_schedule(
            actor=wh,
            section=section,
            starts_at=_at(2024, 8, 29, 9, 0),
            ends_at=_at(2024, 8, 29, 12, 0),
            guest_centres=[orgs["jkggzy"]],
        )
        host = services.quota_set(
            actor=wh,
            session=session,
            centre=orgs["whggzy"],
            speciality_codes=DESIGN,
            count=3,
            backups=2,
        )
        guest = services.quota_set(
            actor=jk,
            session=session,
            centre=orgs["jkggzy"],
            speciality_codes=DESIGN,
            count=2,
            backups=2,
        )
    draws = []
    for quota, admin, entropy, minute in ((host, wh, "352641", 0), (guest, jk, "5-1-6-2", 20)):
        with recorded_at(_at(2024, 8, 27, 9, 30 + minute)):
            draw = services.draw_commit(actor=admin, quota=quota)
        with recorded_at(_at(2024, 8, 27, 9, 35 + minute)):
            draws.append(
                services.draw_witness(actor=supervisor, draw=draw, witness_entropy=entropy)
            )
    # One host principal declines (a schedule clash), so the first backup is called in order.
    with recorded_at(_at(2024, 8, 27, 10, 5)):
        for draw, admin in zip(draws, (wh, jk), strict=True):
            notified = list(draw.outcomes.filter(status=DrawOutcome.Status.NOTIFIED))
            for index, outcome in enumerate(notified):
                if draw is draws[0] and index == 1:
                    services.outcome_respond(
                        actor=admin,
                        outcome=outcome,
                        answer="decline",
                        reason="当日另有公务",
                        channel="phone",
                    )
                else:
                    services.outcome_respond(
                        actor=admin, outcome=outcome, answer="confirm", channel="phone"
                    )
    with recorded_at(_at(2024, 8, 27, 10, 40)):
        for outcome in draws[0].outcomes.filter(status=DrawOutcome.Status.NOTIFIED):
            services.outcome_respond(actor=wh, outcome=outcome, answer="confirm", channel="link")
    # Two other design tenders evaluated in the same slot, so rooms hold different tenders.
    others = []
    for n, (code, name, host_code, guest_code, bidders) in enumerate(OTHER_TENDERS):
        with recorded_at(_at(2024, 8, 21, 10, n)):
            other = demo_evaluation.register_tender(
                orgs,
                users,
                code=code,
                name=name,
                host=host_code,
                guest=guest_code,
                bidders=bidders,
                starts=_at(2024, 8, 29, 9, 0),
                serial=300 + 10 * n,
                method=Project.Method.COMPREHENSIVE,
            )
        with recorded_at(_at(2024, 8, 27, 14, 10 * n)):
            demo_evaluation.draw_and_confirm(users, other, f"{n + 2}{n + 5}{n + 1}")
        others.append(other)
    # Evaluation day: each centre seats its confirmed experts for the morning slot.
    with recorded_at(_at(2024, 8, 29, 8, 0)):
        for code, admin in (("whggzy", wh), ("jkggzy", jk)):
            seating_services.seating_assign(
                actor=admin,
                centre=orgs[code],
                slot_start=_at(2024, 8, 29, 9, 0),
                slot_end=_at(2024, 8, 29, 12, 0),
            )
    # The bids were sealed before the deadline and opened at 08:00: the opening reads out the
    # prices the evaluation below draws from its seed (829), in bidder order.
    demo_bids.seed(section, users, demo_evaluation.drawn_prices(random.Random(829), len(BIDDERS)))
    demo_evaluation.fee_standards(orgs, users)
    day = _at(2024, 8, 29, 9, 0)
    for n, each in enumerate([session, *others]):
        demo_evaluation.evaluate(
            users,
            EvaluationSession.objects.get(pk=each.pk),
            seed=829 + n,
            day=day,
            dissent=n == 0,
        )
    stdout.write(
        f"  项目：{SEED_PROJECT}（主场武汉市、客场经开区；评标报告已签署封存，抽取证明已公开）"
    )
    stdout.write(f"  同一时段另有 {len(others)} 个项目在两中心评标（同标不同室）")


# Rooms per centre: (number, name, workstations); codes use the centre's own prefix.
ROOMS = {
    "whggzy": ("H", [("3", "第三评标室", 8), ("5", "第五评标室", 6), ("7", "第七评标室", 6)]),
    "jkggzy": ("G", [("1", "第一评标室", 6), ("2", "第二评标室", 4), ("3", "第三评标室", 4)]),
}


def _rooms(orgs, users, stdout) -> None:
    for code, (prefix, rooms) in ROOMS.items():
        centre = orgs[code]
        if centre.evaluation_rooms.exists():
            continue
        admin = users["centre_wh" if code == "whggzy" else "centre_jk"]
        with recorded_at(_at(2024, 6, 3, 9, 0)):
            seating_services.centre_prefix_set(actor=admin, centre=centre, prefix=prefix)
            for number, name, seats in rooms:
                seating_services.room_add(
                    actor=admin, centre=centre, number=number, name=name, seats=seats
                )
        stdout.write(f"  {centre.name}：评标室 {len(rooms)} 间（工位前缀 {prefix}）")


def load(*, stdout) -> None:
    codes = [
        "whggzy",
        "jkggzy",
        "whggzy-experts",
        "jkggzy-experts",
        "demo-tenderer",
        "demo-agency",
        "hs-zgj",
    ]
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    names = ["centre_wh", "centre_jk", "supervisor", "expert", "tenderer", "agent", "bidder"]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    with transaction.atomic():
        _catalogue()
        _experts(orgs, users, stdout)
        _rooms(orgs, users, stdout)
        _seed_project(orgs, users, stdout)
        demo_evaluation.recent_sealed(orgs, users, stdout)
        demo_evaluation.today_in_progress(orgs, users, stdout)
        demo_evaluation.clarification_waiting(users, stdout)
        demo_evaluation.later_today(orgs, users, stdout)
        demo_award.load(orgs, users, stdout)
        demo_bids.live_hall(orgs, users, stdout)


def start_hints() -> list[tuple[str, str, str]]:
    """Lines for load_demo's "从哪里开始": the live opening hall's passphrase."""
    return demo_bids.start_hints()
