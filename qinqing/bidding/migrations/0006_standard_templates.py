"""Installs the two standard criteria templates (editable in the admin; sessions copy them)."""

from decimal import Decimal

from django.db import migrations

D = Decimal
REVIEW = [
    ("F1", "形式评审：投标人名称与营业执照一致，投标函签字盖章齐全", "formal"),
    ("F2", "形式评审：投标文件格式符合招标文件要求", "formal"),
    ("Q1", "资格评审：营业执照、资质证书有效", "qualification"),
    ("Q2", "资格评审：项目负责人资格符合要求", "qualification"),
    ("R1", "响应性评审：投标报价不超过最高投标限价", "responsiveness"),
    ("R2", "响应性评审：工期（服务期）、质量要求满足招标文件", "responsiveness"),
]
TEMPLATES = [
    {
        "name": "综合评估法标准模板（工程设计）",
        "method": "comprehensive",
        "price_weight": D("40"),
        "description": "初步评审（形式、资格、响应性）＋详细评审（技术 45 分、商务 15 分）＋价格分 40 分（低价优先法）。",
        "detailed": [
            ("T1", "设计方案的合理性与创新性", "technical", D("20"), D("0.5")),
            ("T2", "技术措施与质量保证", "technical", D("15"), D("0.5")),
            ("T3", "进度计划与服务承诺", "technical", D("10"), D("0.5")),
            ("B1", "类似项目业绩", "business", D("10"), D("1")),
            ("B2", "项目团队配置", "business", D("5"), D("0.5")),
        ],
    },
    {
        "name": "经评审的最低投标价法标准模板（施工）",
        "method": "lowest_price",
        "price_weight": D("0"),
        "description": "初步评审（形式、资格、响应性）合格的投标，按评审价由低到高排序。",
        "detailed": [],
    },
]


def install(apps, schema_editor):
    CriteriaTemplate = apps.get_model("bidding", "CriteriaTemplate")
    TemplateItem = apps.get_model("bidding", "TemplateItem")
    for spec in TEMPLATES:
        template, created = CriteriaTemplate.objects.get_or_create(
            name=spec["name"],
            defaults={
                "method": spec["method"],
                "price_weight": spec["price_weight"],
                "description": spec["description"],
            },
        )
        if not created:
            continue
        order = 0
        for code, name, group in REVIEW:
            order += 10
            TemplateItem.objects.create(
                template=template, stage="review", group=group, code=code, name=name, order=order
            )
        for code, name, group, max_score, step in spec["detailed"]:
            order += 10
            TemplateItem.objects.create(
                template=template,
                stage="detailed",
                group=group,
                code=code,
                name=name,
                max_score=max_score,
                step=step,
                order=order,
            )


def uninstall(apps, schema_editor):
    CriteriaTemplate = apps.get_model("bidding", "CriteriaTemplate")
    CriteriaTemplate.objects.filter(name__in=[t["name"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("bidding", "0005_evaluation")]
    operations = [migrations.RunPython(install, uninstall)]
