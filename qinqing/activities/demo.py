"""Demo facts of 2024-01-01 … 2024-09-30 behind the seed's figures (洪山区税务局, brief no. 7):

6 税务师 firms visited, 3 joint-study events, 122 practitioners checked in at warning education,
8 近邻监督员 / 税收志愿者 / 税务体验师 engaged, 7 special training sessions for the audiences the
seed names, 1000+ handbooks handed out, 60+ individual questions answered — plus the group
services the article lists (政银企对接, 公益市集, 交房即办证, 政务服务直通车).

Every fact is recorded through the services, with its historical date; the figures are
queries over these rows. Idempotent: an event is found by its title, a visit by firm and date.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qinqing.activities import services
from qinqing.activities.models import Appointment, Event, Visit
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.enterprises.models import Cluster, Firm, Tag
from qinqing.needs import services as need_services
from qinqing.needs.models import Category, Need

E = Event.Kind
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _person(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + ("" if i % 3 else "华")


def _firm(serial: int, prefix: str = "91420111") -> Firm:
    return Firm.objects.get(organisation__uscc=demo_uscc(prefix, serial))


TAX_AGENTS = [100, 101, 102, 103, 104, 105]

# (date, title, kind, audience text, clusters, tags, handbooks, questions answered)
TRAININGS = [
    (date(2024, 3, 7), "文化企业惠企政策专项培训", "文化企业", [], ["文化企业"], 150, 9),
    (date(2024, 4, 11), "个体工商户税费优惠政策专项培训", "个体工商户", [], ["个体工商户"], 160, 9),
    (
        date(2024, 5, 16),
        "科技型企业研发费用加计扣除专项培训",
        "科技型企业",
        [],
        ["科技型企业"],
        140,
        9,
    ),
    (
        date(2024, 6, 13),
        "涉税专业服务机构执业规范与新政专项培训",
        "涉税专业服务机构",
        [],
        ["涉税专业服务机构"],
        130,
        9,
    ),
    (
        date(2024, 7, 18),
        "创意天地文创产业集聚区惠企政策宣讲",
        "创意天地文创产业集聚区企业",
        ["cyds"],
        [],
        170,
        9,
    ),
    (
        date(2024, 8, 22),
        "五环商圈服务业集聚区惠企政策宣讲",
        "五环商圈服务业集聚区企业",
        ["whsq"],
        [],
        150,
        9,
    ),
    (
        date(2024, 9, 12),
        "个体工商户“定制宣讲套餐”第二场",
        "个体工商户",
        ["whsq"],
        ["个体工商户"],
        120,
        9,
    ),
]
JOINT_STUDY = [
    (date(2024, 3, 21), "税务师行业党建联学共建：学习新修订党纪处分条例"),
    (date(2024, 6, 27), "“七一”税企党建联学共建主题党日"),
    (date(2024, 8, 29), "税务师行业党建联学共建：优化营商环境座谈"),
]
# (date, title, registered, checked in by QR, checked in afterwards by hand)
WARNING_EDUCATION = [
    (date(2024, 4, 25), "税务师行业从业人员警示教育专题学习（第一期）", 74, 68, 2),
    (date(2024, 7, 11), "税务师行业从业人员警示教育专题学习（第二期）", 55, 50, 2),
]
# (date, title, kind, host department codes, place, materials (kind, count))
GROUP_SERVICES = [
    (
        date(2024, 3, 5),
        "雷锋志愿服务公益市集“税惠春风暖洪山”宣传点",
        E.PROMOTION,
        ["hs-swj"],
        "洪山广场",
        ("leaflet", 60),
    ),
    (
        date(2024, 5, 28),
        "政银企对接会：破解中小企业融资难题",
        E.FINANCING,
        ["hs-swj", "hs-jrb"],
        "区政务服务中心会议室",
        ("handbook", 40),
    ),
    (
        date(2024, 6, 26),
        "万科光澜道交房即办证服务",
        E.ONSITE_CERTIFICATES,
        ["hs-swj", "hs-bdc", "hs-fgb"],
        "万科光澜道小区",
        None,
    ),
    (
        date(2024, 8, 8),
        "多部门“组团服务”进五环商圈",
        E.GROUP_SERVICE,
        ["hs-swj", "hs-spj", "hs-fgj"],
        "五环商圈党群服务中心",
        ("handbook", 30),
    ),
    (
        date(2024, 9, 19),
        "政务服务直通车：现行优惠政策讲解",
        E.THROUGH_TRAIN,
        ["hs-swj", "hs-fgj", "hs-rsj", "hs-ybj"],
        "关山街道社区服务中心",
        None,
    ),
]
# (role, person, firm serial) — the first eight are engaged in the period, the ninth is not.
APPOINTMENTS = [
    (Appointment.Role.EXPERIENCE_OFFICER, "周华", 100),
    (Appointment.Role.EXPERIENCE_OFFICER, "吴诚", 101),
    (Appointment.Role.EXPERIENCE_OFFICER, "郑通", 102),
    (Appointment.Role.NEIGHBOUR_SUPERVISOR, "冯明", 104),
    (Appointment.Role.NEIGHBOUR_SUPERVISOR, "陈立", 105),
    (Appointment.Role.NEIGHBOUR_SUPERVISOR, "冯雪", 0),  # the `volunteer` demo user
    (Appointment.Role.TAX_VOLUNTEER, "褚墨", 110),
    (Appointment.Role.TAX_VOLUNTEER, "沈帆", 113),
    (Appointment.Role.TAX_VOLUNTEER, "韩智", 114),
]
QUESTIONS = [
    (
        "小规模纳税人月销售额 10 万元以下免征增值税，季度申报怎么计算？",
        "按季度申报的，季度销售额未超过 30 万元即可享受免征。",
    ),
    ("研发费用加计扣除比例现在是多少？", "符合条件的企业按 100% 在税前加计扣除。"),
    (
        "个体工商户经营所得能否享受减半征收？",
        "年应纳税所得额不超过 200 万元的部分减半征收个人所得税。",
    ),
    ("数电票怎样申请提高开票额度？", "可在电子税务局提交调整申请，系统按信用等级动态调整。"),
    ("六税两费减半征收适用哪些主体？", "小规模纳税人、小型微利企业和个体工商户均可适用。"),
    ("文化事业建设费有没有减免？", "月销售额不超过 2 万元的免征，符合条件的可按规定减征。"),
    ("残疾人就业保障金怎么申报？", "在电子税务局“社保费”模块申报，小微企业按规定暂免。"),
    ("跨年度的发票能否作废？", "跨月的发票不能作废，应开具红字发票冲销。"),
    ("企业注销前需要结清哪些税费？", "需结清应纳税款、滞纳金和罚款，缴销发票后申请清税证明。"),
]


def _users():
    return {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["instructor", "liaison", "dispatcher", "volunteer"]
        )
    }


def _event(actor, title, kind, day, lead, hosts=(), **kw) -> tuple[Event, bool]:
    existing = Event.objects.filter(title=title).first()
    if existing is not None:
        return existing, False
    event = services.event_create(
        actor=actor,
        kind=kind,
        title=title,
        lead_department=lead,
        host_departments=hosts,
        starts_at=kw.pop("starts_at", _at(day, 9)),
        ends_at=kw.pop("ends_at", _at(day, 11) + timedelta(minutes=30)),
        place=kw.pop("place", "区税务局党建活动室"),
        **kw,
    )
    return event, True


def _registrations(actor, event: Event, registered: int, by_qr: int, manual: int, base: int):
    for i in range(registered):
        reg = services.registration_create(
            actor=None,
            event=event,
            name=_person(base + i),
            phone=f"1370{base + i:07d}",
            company_name="税务师行业从业人员",
            at=event.starts_at - timedelta(days=3),
        )
        if i < by_qr:
            services.registration_check_in(
                secret=reg.secret, at=event.starts_at + timedelta(minutes=i % 25)
            )
    for j in range(manual):
        services.registration_check_in_manual(
            actor=actor,
            event=event,
            name=_person(base + registered + j),
            phone=f"1370{base + registered + j:07d}",
            company_name="税务师行业从业人员",
            at=event.ends_at + timedelta(hours=2),
        )


def _close_need(need: Need, users, day: date, level: int) -> None:
    need.refresh_from_db()
    if need.state == Need.State.PENDING_DISPATCH:
        need_services.need_dispatch(
            actor=users["dispatcher"],
            need=need,
            category=Category.objects.get(code="tax"),
            at=_at(day, 15),
        )
    need_services.need_sign(actor=users["liaison"], need=need, at=_at(day + timedelta(days=1)))
    need_services.need_reply(
        actor=users["liaison"],
        need=need,
        reply="已上门辅导并答复，企业问题已解决。",
        at=_at(day + timedelta(days=2), 16),
    )
    need_services.need_callback(
        actor=users["dispatcher"], need=need, note="回访满意", at=_at(day + timedelta(days=3))
    )
    need_services.need_close(
        actor=users["dispatcher"], need=need, at=_at(day + timedelta(days=3), 11)
    )
    need_services.need_rate(actor=None, need=need, level=level, at=_at(day + timedelta(days=4)))


def load(*, stdout) -> None:
    users = _users()
    instructor, liaison = users["instructor"], users["liaison"]
    swj = Organisation.objects.get(code="hs-swj")
    orgs = {o.code: o for o in Organisation.objects.all()}
    with transaction.atomic():
        # 走访: six 税务师 firms (one twice), needs raised on two visits; one visit only planned.
        visits = [(s, date(2024, 2, 20) + timedelta(days=21 * i)) for i, s in enumerate(TAX_AGENTS)]
        visits.append((100, date(2024, 9, 10)))
        raised = {
            101: "希望税务部门就新办涉税专业服务机构的执业备案给予辅导。",
            103: "事务所想了解代理记账业务开具发票的税目和税率问题。",
        }
        for serial, day in visits:
            firm = _firm(serial)
            if Visit.objects.filter(firm=firm, visited_on=day).exists():
                continue
            visit = services.visit_record(
                actor=instructor,
                firm=firm,
                department=swj,
                visited_on=day,
                people_met=f"{firm.contacts.first().name}（负责人）、党支部书记",
                summary="问需走访：了解党建工作和经营情况，宣传税费优惠政策。",
            )
            if serial in raised and day.year == 2024 and not visit.needs.exists():
                need = services.visit_add_need(
                    actor=instructor,
                    visit=visit,
                    text=raised[serial],
                    phone=f"1380000{serial:04d}",
                    at=_at(day, 10),
                )
                _close_need(need, users, day, 5 if serial == 101 else 4)
        demo_taxagent = Firm.objects.get(organisation__code="demo-taxagent")
        if not Visit.objects.filter(firm=demo_taxagent).exists():
            services.visit_record(
                actor=instructor,
                firm=demo_taxagent,
                department=swj,
                visited_on=date(2024, 9, 26),
                summary="计划走访（尚未完成）",
                done=False,
            )

        # 联学共建
        for day, title in JOINT_STUDY:
            event, new = _event(
                instructor,
                title,
                E.JOINT_STUDY,
                day,
                swj,
                firms=[_firm(s) for s in TAX_AGENTS],
                audience_text="税务师行业党组织",
            )
            if new:
                services.event_complete(actor=instructor, event=event, summary="联学共建已开展")

        # 警示教育: 68 + 2 and 50 + 2 checked in (122), the rest registered but absent.
        base = 0
        for day, title, registered, by_qr, manual in WARNING_EDUCATION:
            event, new = _event(
                instructor,
                title,
                E.WARNING_EDUCATION,
                day,
                swj,
                capacity=registered + manual,
                audience_text="税务师行业从业人员",
            )
            if new:
                _registrations(instructor, event, registered, by_qr, 0, base)
                services.event_complete(actor=instructor, event=event, summary="警示教育学习")
                for j in range(manual):
                    services.registration_check_in_manual(
                        actor=instructor,
                        event=event,
                        name=_person(base + registered + j),
                        phone=f"1370{base + registered + j:07d}",
                        company_name="税务师行业从业人员",
                        at=event.ends_at + timedelta(hours=2),
                    )
            base += 200

        # 专项培训 with handbooks and on-site Q&A (and one question per session becomes a need
        # only in the first two sessions, left unanswered on the spot).
        for index, (day, title, audience, clusters, tags, handbooks, answered) in enumerate(
            TRAININGS
        ):
            event, new = _event(
                liaison,
                title,
                E.TRAINING,
                day,
                swj,
                capacity=120,
                audience_text=audience,
                clusters=list(Cluster.objects.filter(code__in=clusters)),
                tags=list(Tag.objects.filter(name__in=tags)),
                place="区税务局培训室",
            )
            if not new:
                continue
            services.material_record(actor=liaison, event=event, kind="handbook", count=handbooks)
            for q, a in QUESTIONS[:answered]:
                services.question_record(
                    actor=liaison,
                    event=event,
                    text=q,
                    asker="参训企业",
                    answer=a,
                    at=event.starts_at + timedelta(hours=1),
                )
            if index < 2:
                services.question_record(
                    actor=liaison,
                    event=event,
                    asker="参训企业",
                    text="企业所得税汇算清缴的更正申报需要带哪些材料？希望会后专人辅导。",
                )
            services.event_complete(actor=liaison, event=event, summary="现场答疑与个性辅导")

        # Group services with partner departments.
        for day, title, kind, hosts, place, material in GROUP_SERVICES:
            event, new = _event(
                liaison,
                title,
                kind,
                day,
                swj,
                hosts=[orgs[c] for c in hosts],
                place=place,
                audience_text="辖区企业和市民",
            )
            if new:
                if material:
                    services.material_record(
                        actor=liaison, event=event, kind=material[0], count=material[1]
                    )
                services.event_complete(actor=liaison, event=event)

        # Volunteer supervisors: appointed in January; five report on the tax hall, three staff
        # the promotion stall; the ninth is appointed in September and not yet engaged.
        promotion = Event.objects.get(title=GROUP_SERVICES[0][1])
        for index, (role, person, serial) in enumerate(APPOINTMENTS):
            firm = demo_taxagent if serial == 0 else _firm(serial)
            if Appointment.objects.filter(person_name=person, firm=firm).exists():
                continue
            start = date(2024, 9, 1) if index == 8 else date(2024, 1, 15)
            appt = services.appointment_create(
                actor=liaison,
                role=role,
                person_name=person,
                firm=firm,
                department=swj,
                term_start=start,
                # to the end of next year, so that a freshly loaded demo has them in office
                term_end=max(date(2025, 12, 31), date(timezone.localdate().year + 1, 12, 31)),
                user=users["volunteer"] if serial == 0 else None,
            )
            if index < 5:
                services.report_submit(
                    actor=liaison,
                    appointment=appt,
                    hall="洪山区税务局第一办税服务厅",
                    visited_on=date(2024, 4, 8) + timedelta(days=14 * index),
                    ratings={"overall": 5, "efficiency": 4, "level": 5, "attitude": 5 - index % 2},
                    remarks="体验了新办纳税人套餐式服务。",
                    findings=["自助办税终端区引导标识不清晰"] if index == 1 else [],
                    at=_at(date(2024, 4, 8) + timedelta(days=14 * index), 16),
                )
            elif index < 8:
                services.event_add_volunteer(actor=liaison, event=promotion, appointment=appt)
        _walkable(users, swj, orgs, stdout)
    stdout.write(
        f"  活动：{Event.objects.count()} 场，走访 {Visit.objects.count()} 次，"
        f"志愿监督员 {Appointment.objects.count()} 名"
    )


def _walkable(users, swj, orgs, stdout) -> None:
    """Events dated from the day the demo is loaded, so that it can be walked: one held last
    week (this year's figures are not all zero), one today to check in at (QR or by hand), and
    one next week open for registration — for the demo firm (`enterprise`) among others. Each
    is found again by its title, which carries its date."""
    liaison = users["liaison"]
    today = timezone.localdate()
    demo_firm = Firm.objects.get(organisation__code="demo-firm")
    past, upcoming = today - timedelta(days=7), today + timedelta(days=7)
    held, new = _event(
        liaison,
        f"数电票开具与申报专项培训（{past:%m月%d日}）",
        E.TRAINING,
        past,
        swj,
        capacity=80,
        audience_text="辖区新办企业",
        place="区税务局培训室",
    )
    if new:
        _registrations(liaison, held, 24, 20, 2, 5000)
        services.material_record(actor=liaison, event=held, kind="handbook", count=60)
        for q, a in QUESTIONS[:4]:
            services.question_record(
                actor=liaison, event=held, text=q, asker="参训企业", answer=a,
                at=held.starts_at + timedelta(hours=1),
            )  # fmt: skip
        services.event_complete(actor=liaison, event=held, summary="现场答疑与个性辅导")
    today_event, new = _event(
        liaison,
        f"政银企对接会：科技型中小企业融资（{today:%m月%d日}）",
        E.FINANCING,
        today,
        swj,
        hosts=[orgs["hs-jrb"]],
        capacity=60,
        audience_text="辖区科技型中小企业",
        firms=[demo_firm],
        place="区政务服务中心三楼会议室",
        # until the end of the day, so the QR check-in works whenever the demo is walked today
        ends_at=_at(today, 23) + timedelta(minutes=59),
    )
    if new:
        for i in range(6):
            reg = services.registration_create(
                actor=None, event=today_event, name=_person(6000 + i),
                phone=f"1371{6000 + i:07d}", company_name="示例科技型企业",
                at=timezone.now() - timedelta(days=2),
            )  # fmt: skip
            if i < 3:
                services.registration_check_in(secret=reg.secret)
    open_event, new = _event(
        liaison,
        f"个人所得税汇算清缴政策宣讲（{upcoming:%m月%d日}）",
        E.TRAINING,
        upcoming,
        swj,
        capacity=100,
        audience_text="辖区企业财务人员",
        firms=[demo_firm],
        place="区税务局培训室",
    )
    if new:
        for i in range(5):
            services.registration_create(
                actor=None, event=open_event, name=_person(7000 + i),
                phone=f"1371{7000 + i:07d}", company_name="辖区企业",
                at=timezone.now() - timedelta(days=1),
            )  # fmt: skip
    stdout.write(f"  可以走一遍的活动：今天 {today_event.title}，报名中 {open_event.title}")
