"""Demo data of the bankruptcy module, recorded through the services so figures derive from it.

Five reconciliation cases concluded 2021–2024 in 武汉市洪山区人民法院 (the seed's three-year
results: assets revitalised 30M+ yuan, debts resolved 2.3M+ yuan, repayment rate 80%, five firms
rescued), one case at the voting stage and one fast-track case in the declaration period.
All debtor firms are fictional (名称含“示例”). Idempotent: a case is found by its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.models import AgendaItem, Case, CaseDecision, Claim, Creditor, Meeting
from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.core.services import organisation_create

RATE_PERCENT = Decimal("80")


@dataclass(frozen=True)
class DemoCase:
    number: str
    debtor: str
    code: str
    serial: int
    acceptance: date
    assets_appraised: Decimal
    creditors: tuple[tuple[str, Decimal], ...]  # name ("SUPPLIER" = the demo creditor), amount


SUPPLIER = "SUPPLIER"

CONCLUDED = [
    DemoCase(
        "（2021）鄂0111破3号",
        "武汉示例机电设备有限公司",
        "bk-demo-jidian",
        201,
        date(2021, 4, 12),
        Decimal("6800000.00"),
        (
            (SUPPLIER, Decimal("180000.00")),
            ("武汉示例钢材贸易有限公司", Decimal("210000.00")),
            ("湖北示例物流有限公司", Decimal("130000.00")),
        ),
    ),
    DemoCase(
        "（2022）鄂0111破5号",
        "武汉示例食品有限公司",
        "bk-demo-shipin",
        202,
        date(2022, 3, 7),
        Decimal("5200000.00"),
        (
            ("武汉示例包装材料有限公司", Decimal("160000.00")),
            ("湖北示例农产品有限公司", Decimal("250000.00")),
        ),
    ),
    DemoCase(
        "（2022）鄂0111破12号",
        "武汉示例光电科技有限公司",
        "bk-demo-guangdian",
        203,
        date(2022, 9, 19),
        Decimal("7450000.00"),
        (
            ("武汉示例电子元件有限公司", Decimal("275000.00")),
            ("湖北示例精密机械有限公司", Decimal("190000.00")),
            ("武汉示例人力资源服务有限公司", Decimal("150000.00")),
        ),
    ),
    DemoCase(
        "（2023）鄂0111破7号",
        "武汉示例建筑装饰工程有限公司",
        "bk-demo-zhuangshi",
        204,
        date(2023, 5, 22),
        Decimal("4980000.00"),
        (
            (SUPPLIER, Decimal("220000.00")),
            ("武汉示例五金有限公司", Decimal("160000.00")),
        ),
    ),
    DemoCase(
        "（2024）鄂0111破2号",
        "武汉示例印务有限公司",
        "bk-demo-yinwu",
        205,
        date(2024, 2, 26),
        Decimal("6120000.00"),
        (
            ("武汉示例纸业有限公司", Decimal("240000.00")),
            ("湖北示例油墨有限公司", Decimal("185000.00")),
        ),
    ),
]
VOTING_NUMBER = "（2026）鄂0111破4号"
FAST_TRACK_NUMBER = "（2026）鄂0111破6号"


def _world():
    users = get_user_model().objects.in_bulk(
        ["judge", "administrator", "creditor"], field_name="username"
    )
    orgs = Organisation.objects.in_bulk(
        ["hs-court", "demo-lawfirm", "demo-supplier"], field_name="code"
    )
    return users, orgs


def _debtor(code: str, name: str, serial: int) -> Organisation:
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return organisation_create(
        actor=None,
        kind=Organisation.Kind.FIRM,
        name=name,
        code=code,
        uscc=demo_uscc("91420111", serial),
    )


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _open_case(spec: DemoCase, users, orgs, *, announce_after: int, declaration_days: int) -> Case:
    judge, admin = users["judge"], users["administrator"]
    case = services.case_create(
        actor=judge,
        number=spec.number,
        court=orgs["hs-court"],
        debtor=_debtor(spec.code, spec.debtor, spec.serial),
        judge=judge,
        petition_date=spec.acceptance - timedelta(days=8),
        acceptance_date=spec.acceptance,
        administrator=orgs["demo-lawfirm"],
    )
    announced = spec.acceptance + timedelta(days=announce_after)
    services.case_announce(
        actor=judge,
        case=case,
        announcement_date=announced,
        declaration_end=announced + timedelta(days=declaration_days),
    )
    services.assessment_record(
        actor=admin,
        case=case,
        assessed_on=spec.acceptance + timedelta(days=5),
        employees=36,
        tax_paid_last_year="420000",
        revenue_trend="falling",
        assets_book=spec.assets_appraised * Decimal("1.10"),
        assets_appraised=spec.assets_appraised,
        assets_liquidation=(spec.assets_appraised * Decimal("0.04")).quantize(Decimal("0.01")),
        costs_estimate="60000",
        common_benefit_estimate="20000",
        guarantees="无对外担保",
        industry_role="区内配套企业，吸纳就业较多",
    )
    return case


def _file_claims(case: Case, spec: DemoCase, users, orgs, phones=None) -> list[Creditor]:
    filed_on = case.announcement_date + timedelta(days=5)
    phones = phones or {}
    creditors = []
    for name, amount in spec.creditors:
        if name == SUPPLIER:
            claim = services.claim_file(
                actor=users["creditor"],
                case=case,
                creditor_name=orgs["demo-supplier"].name,
                organisation=orgs["demo-supplier"],
                principal=amount - Decimal("12000.00"),
                interest="12000.00",
                filed_on=filed_on,
            )
        else:
            claim = services.claim_file(
                actor=users["administrator"],
                case=case,
                creditor_name=name,
                principal=amount,
                phone=phones.get(name, ""),
                filed_on=filed_on,
            )
        creditors.append(claim.creditor)
    return creditors


def _review_all(case: Case, users) -> None:
    for claim in case.claims.filter(status=Claim.Status.FILED):
        services.claim_review(
            actor=users["administrator"],
            claim=claim,
            admitted_amount=claim.declared_amount,
            reason="合同、对账单及付款凭证齐全，予以确认",
        )


def _concluded(spec: DemoCase, users, orgs) -> None:
    judge, admin = users["judge"], users["administrator"]
    case = _open_case(spec, users, orgs, announce_after=10, declaration_days=30)
    creditors = _file_claims(case, spec, users, orgs)
    services.claim_list_employee(
        actor=admin,
        case=case,
        employee_name="职工工资及经济补偿（36人）",
        amount="86000",
        listed_on=case.announcement_date + timedelta(days=3),
    )
    _review_all(case, users)
    services.claims_table_publish(
        actor=admin, case=case, on=case.declaration_end + timedelta(days=1)
    )
    meeting_day = case.declaration_end + timedelta(days=10)
    meeting = services.meeting_schedule(
        actor=admin,
        case=case,
        date=meeting_day,
        notice_date=meeting_day - timedelta(days=15),
        items=[("表决和解协议草案", AgendaItem.Kind.RECONCILIATION)],
    )
    services.claims_confirm(actor=judge, case=case, on=meeting_day)
    agreement = services.agreement_draft_by_plan(
        actor=admin,
        case=case,
        plan=rules.OfferPlan(rate=RATE_PERCENT),
        summary="普通债权按80%分两期清偿，余额豁免；职工债权全额清偿。",
    )
    services.meeting_open(actor=admin, meeting=meeting)
    for creditor in creditors:
        services.attendance_sign_in(
            actor=admin, meeting=meeting, creditor=creditor, at=_at(meeting_day)
        )
        services.ballot_cast(
            actor=admin,
            item=meeting.items.get(),
            creditor=creditor,
            vote="yes",
            at=_at(meeting_day, 10),
        )
    services.meeting_close(actor=admin, meeting=meeting, on=meeting_day)
    services.meeting_results_send(actor=admin, meeting=meeting, on=meeting_day + timedelta(days=1))
    approved = meeting_day + timedelta(days=7)
    for claim in selectors.priority_claims(case):  # paid in full outside the agreement
        services.claim_priority_paid(actor=admin, claim=claim, on=approved - timedelta(days=2))
    services.agreement_approve(actor=judge, agreement=agreement, on=approved)
    last = approved
    for term in agreement.terms.all():
        half = (term.agreed_amount / 2).quantize(Decimal("0.01"))
        schedule = [
            (approved + timedelta(days=90), half),
            (approved + timedelta(days=180), term.agreed_amount - half),
        ]
        services.installments_set(actor=admin, term=term, schedule=schedule)
        for due, amount in schedule:
            services.payment_record(
                actor=admin, term=term, amount=amount, paid_on=due, reference=f"HS{due:%Y%m%d}"
            )
            last = max(last, due)
    services.agreement_complete(actor=judge, agreement=agreement, on=last + timedelta(days=5))


# An account-less creditor of the voting case with a phone: on the public meeting page it
# identifies itself by an SMS code (shown on the 演示短信 page) and votes.
VOTER_PHONES = {"武汉示例运输有限公司": "13800009527"}


def _voting_stage(users, orgs, today: date) -> None:
    judge, admin = users["judge"], users["administrator"]
    spec = DemoCase(
        VOTING_NUMBER,
        "武汉示例新材料有限公司",
        "bk-demo-xincailiao",
        206,
        today - timedelta(days=55),
        Decimal("9300000.00"),
        (
            (SUPPLIER, Decimal("320000.00")),
            ("武汉示例化工原料有限公司", Decimal("410000.00")),
            ("湖北示例设备租赁有限公司", Decimal("150000.00")),
            ("武汉示例运输有限公司", Decimal("95000.00")),
        ),
    )
    case = _open_case(spec, users, orgs, announce_after=10, declaration_days=35)
    creditors = _file_claims(case, spec, users, orgs, phones=VOTER_PHONES)
    bank = services.claim_file(
        actor=admin,
        case=case,
        creditor_name="示例农村商业银行洪山支行",
        principal="1200000",
        interest="36000",
        secured=True,
        collateral_value="1500000",
        filed_on=case.announcement_date + timedelta(days=6),
    )
    _review_all(case, users)
    disputed = creditors[-1].claims.get()
    services.claim_object(actor=admin, claim=disputed, text="债务人对运费计算有异议")
    services.claims_table_publish(
        actor=admin, case=case, on=case.declaration_end + timedelta(days=1)
    )
    meeting = services.meeting_schedule(
        actor=admin,
        case=case,
        date=today,
        notice_date=today - timedelta(days=16),
        items=[
            ("表决和解协议草案", AgendaItem.Kind.RECONCILIATION),
            ("核查债权表及管理人报酬方案", AgendaItem.Kind.ORDINARY),
        ],
    )
    services.claims_confirm(actor=judge, case=case, on=today)
    services.claim_set_provisional(actor=judge, claim=disputed, amount="80000")
    services.agreement_draft_by_plan(
        actor=admin,
        case=case,
        plan=rules.OfferPlan(rate=Decimal("75"), paid_in_full_up_to=Decimal("100000")),
        summary="普通债权10万元以下部分全额清偿、超出部分按75%清偿，于两年内分四期支付；"
        "有财产担保债权就担保物优先受偿。",
    )
    services.meeting_open(actor=admin, meeting=meeting)
    items = list(meeting.items.order_by("pk"))
    for creditor, vote in ((creditors[1], "yes"), (creditors[2], "no")):
        services.attendance_sign_in(
            actor=admin, meeting=meeting, creditor=creditor, proxy_name="委托代理人"
        )
        for item in items:
            services.ballot_cast(actor=admin, item=item, creditor=creditor, vote=vote)
    services.attendance_sign_in(actor=admin, meeting=meeting, creditor=bank.creditor)
    services.ballot_cast(actor=admin, item=items[1], creditor=bank.creditor, vote="yes")


def _fast_track(users, orgs, today: date) -> None:
    judge = users["judge"]
    spec = DemoCase(
        FAST_TRACK_NUMBER,
        "武汉示例餐饮管理有限公司",
        "bk-demo-canyin",
        207,
        today - timedelta(days=20),
        Decimal("1650000.00"),
        (
            ("武汉示例蔬菜配送有限公司", Decimal("68000.00")),
            ("武汉示例厨具有限公司", Decimal("42000.00")),
        ),
    )
    case = _open_case(spec, users, orgs, announce_after=5, declaration_days=40)
    _file_claims(case, spec, users, orgs)
    services.case_decide(
        actor=judge,
        case=case,
        kind=CaseDecision.Kind.FAST_TRACK_ON,
        decided_on=case.announcement_date,
        reason="债权人少于20人，资产总额低于500万元，无未决诉讼，账册已接管，依本院快审配置适用快速审理。",
    )


def load(*, stdout) -> None:
    users, orgs = _world()
    if len(users) < 3 or len(orgs) < 3:
        stdout.write("  破产和解：缺少核心演示账号或机构，跳过")
        return
    today = timezone.localdate()
    created = 0
    with transaction.atomic():
        for spec in CONCLUDED:
            if not Case.objects.filter(number=spec.number).exists():
                _concluded(spec, users, orgs)
                created += 1
        if not Case.objects.filter(number=VOTING_NUMBER).exists():
            _voting_stage(users, orgs, today)
            created += 1
        if not Case.objects.filter(number=FAST_TRACK_NUMBER).exists():
            _fast_track(users, orgs, today)
            created += 1
    stdout.write(f"  破产案件：新建 {created} 件，共 {Case.objects.count()} 件")
    meeting = Meeting.objects.filter(case__number=VOTING_NUMBER, status=Meeting.Status.OPEN).first()
    if meeting is not None:
        name, phone = next(iter(VOTER_PHONES.items()))
        stdout.write(
            f"    试一试网上表决：/bankruptcy/public/meetings/{meeting.pk}/ 以{name}的手机号"
            f" {phone} 获取验证码（见演示短信）；网上申报债权：/bankruptcy/public/"
        )
