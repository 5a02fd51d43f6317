"""Demo needs: the catalogue, QR codes per origin, and live orders in every state (this year).

Idempotent: the catalogue by code, QR codes by label, orders by their text. Every fact is
recorded through the services (so the audit chain, steps and figures follow from them).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qinqing.core import calendar
from qinqing.core.demo import demo_uscc
from qinqing.enterprises.models import Cluster
from qinqing.needs import services
from qinqing.needs.models import Category, Need, QrCode

QR_CODES = [
    (QrCode.Origin.CLUSTER, "创意天地文创产业集聚区综合党委问需码", "cyds"),
    (QrCode.Origin.CLUSTER, "五环商圈服务业集聚区综合党委问需码", "whsq"),
    (QrCode.Origin.ASSOCIATION, "洪山区税务师行业协会问需码", ""),
    (QrCode.Origin.CHAMBER, "关山街道商会问需码", ""),
    (QrCode.Origin.GENERIC, "区税务局办税服务厅问需码", ""),
]

# (label, working days ago, uscc serial, text, kind, script)
LIVE = [
    ("queued", 1, 110, "园区里停车位太紧张了，客户来访经常没地方停，希望协调一下。", "problem", []),
    (
        "to_sign",
        1,
        111,
        "电子税务局开具数电票时提示授信额度不足，请问怎么申请调整额度？",
        "consultation",
        [],
    ),
    (
        "handling",
        3,
        113,
        "我们是小规模纳税人，研发费用加计扣除在预缴申报时能不能享受？",
        "consultation",
        ["sign"],
    ),
    (
        "urged",
        6,
        112,
        "去年多缴的企业所得税申请退税，提交后一直没有到账，请帮忙查一下进度。",
        "consultation",
        ["sign"],
    ),
    (
        "supervised",
        16,
        130,
        "个体户定额核定的税款和实际经营差距大，想申请重新核定定额。",
        "consultation",
        ["sign"],
    ),
    (
        "extension",
        4,
        114,
        "跨区迁移时税务注销清税证明办理遇到发票未验旧问题，需要协调。",
        "problem",
        ["sign", "extend"],
    ),
    (
        "replied",
        6,
        120,
        "商贸公司一般纳税人登记后首次开具增值税专用发票需要准备什么？",
        "consultation",
        ["sign", "reply"],
    ),
    (
        "closed_good",
        10,
        121,
        "餐饮企业的留抵退税政策是否适用？申请流程是怎样的？",
        "consultation",
        ["sign", "reply", "callback", "close", "rate5"],
    ),
    (
        "closed_bad",
        12,
        131,
        "小厨面馆申报个人所得税经营所得时系统一直报错，无法提交申报。",
        "consultation",
        ["sign", "reply", "callback", "close", "rate1", "appeal"],
    ),
    (
        "returned",
        2,
        132,
        "想问一下纳税申报的时候社保缴费基数怎么核定，员工社保基数能不能调整？",
        "consultation",
        ["sign", "return"],
    ),
    (
        "reopened",
        14,
        100,
        "事务所代理申报时发现印花税税目选择与实际合同不符，如何更正申报？",
        "consultation",
        ["sign", "reply", "callback", "close", "reopen"],
    ),
]


def _working_days_ago(n: int) -> datetime:
    day = timezone.localdate()
    for _ in range(n):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(9, 30)))


def _run_script(need: Need, script: list[str], start: datetime, users: dict) -> None:
    liaison, dispatcher = users["liaison"], users["dispatcher"]
    at = start
    for step in script:
        at = min(at + timedelta(hours=5), timezone.now())
        need.refresh_from_db()
        if step == "sign":
            services.need_sign(actor=liaison, need=need, at=at)
        elif step == "extend":
            services.need_request_extension(
                actor=liaison, need=need, days=5, reason="需与迁入地税务机关协同核实发票状态"
            )
        elif step == "reply":
            services.need_reply(
                actor=liaison,
                need=need,
                reply="已电话联系企业说明政策口径和办理步骤，并发送操作指引。",
                at=at,
            )
        elif step == "callback":
            services.need_callback(actor=dispatcher, need=need, note="企业表示已了解", at=at)
        elif step == "close":
            services.need_close(actor=dispatcher, need=need, at=at)
        elif step in {"rate5", "rate1"}:
            level = 5 if step == "rate5" else 1
            comment = "答复及时，很满意" if level == 5 else "问题还没解决就办结了"
            services.need_rate(actor=None, need=need, level=level, comment=comment, at=at)
        elif step == "appeal":
            services.rating_appeal(
                actor=liaison, rating=need.rating, reason="系统报错系企业客户端版本过旧，已指导升级"
            )
        elif step == "return":
            services.need_return(
                actor=liaison,
                need=need,
                reason="社保缴费基数核定属区人社局职责（社会保险法第六十条），请改派",
                at=at,
            )
        elif step == "reopen":
            services.need_reopen(
                actor=dispatcher, need=need, reason="企业回访反映更正后仍有疑问，重办", at=at
            )


def load(*, stdout) -> None:
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["liaison", "dispatcher", "instructor"]
        )
    }
    with transaction.atomic():
        services.catalogue_ensure_defaults(actor=None)
        for origin, label, cluster_code in QR_CODES:
            if not QrCode.objects.filter(label=label).exists():
                services.qr_create(
                    actor=None,
                    origin=origin,
                    label=label,
                    cluster=Cluster.objects.filter(code=cluster_code).first(),
                )
        qr = QrCode.objects.get(label="区税务局办税服务厅问需码")
        created = 0
        for _label, days_ago, serial, text, kind, script in LIVE:
            if Need.objects.filter(text=text).exists():
                continue
            prefix = "92420111" if serial >= 130 else "91420111"
            start = _working_days_ago(days_ago)
            need = services.need_submit(
                actor=None,
                channel=Need.Channel.QR,
                uscc=demo_uscc(prefix, serial),
                phone=f"1390000{serial:04d}",
                text=text,
                kind=kind,
                qr=qr,
                at=start,
            )
            if need.state == Need.State.PENDING_DISPATCH and _label != "queued":
                services.need_dispatch(
                    actor=users["dispatcher"],
                    need=need,
                    category=Category.objects.get(code="tax"),
                    at=start,
                )
            _run_script(need, script, start, users)
            created += 1
        report = services.needs_escalate()
        report2 = services.needs_escalate()
    stdout.write(
        f"  诉求：新建 {created} 件，共 {Need.objects.count()} 件；"
        f"提醒 {report.reminded + report2.reminded}，催办 {report.urged + report2.urged}，"
        f"督办 {report.supervised + report2.supervised}"
    )
