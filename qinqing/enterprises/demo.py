"""Demo firm register: clusters the seed names, fictional firms (名称含“示例”), an instructor.

Idempotent: clusters and industries by code, firms by USCC, the rest by get-or-create.
USCC serials start at 100 (the core's demo organisations use 1–5).
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from qinqing.core.demo import demo_uscc
from qinqing.core.models import Organisation
from qinqing.enterprises import services
from qinqing.enterprises.models import Firm, InstructorProfile

K = Firm.Kind

CLUSTERS = [
    ("cyds", "创意天地文创产业集聚区", "创意天地文创产业集聚区综合党委"),
    ("whsq", "五环商圈服务业集聚区", "五环商圈服务业集聚区综合党委"),
]
INDUSTRIES = [
    ("tax-agent", "税务师行业"),
    ("culture", "文化创意"),
    ("tech", "科学技术服务"),
    ("retail", "商贸服务"),
    ("catering", "餐饮服务"),
]
# (serial, prefix, name, kind, cluster, industry, grade, party, tags, contact)
FIRMS = [
    (
        100,
        "91420111",
        "武汉示例华信税务师事务所有限公司",
        K.TAX_AGENT,
        "",
        "tax-agent",
        "A",
        "branch",
        ["涉税专业服务机构"],
        "周华",
    ),
    (
        101,
        "91420111",
        "武汉示例诚达税务师事务所有限公司",
        K.TAX_AGENT,
        "",
        "tax-agent",
        "A",
        "joint",
        ["涉税专业服务机构"],
        "吴诚",
    ),
    (
        102,
        "91420111",
        "武汉示例汇通税务师事务所有限公司",
        K.TAX_AGENT,
        "whsq",
        "tax-agent",
        "A",
        "joint",
        ["涉税专业服务机构"],
        "郑通",
    ),
    (
        103,
        "91420111",
        "武汉示例正和税务师事务所有限公司",
        K.TAX_AGENT,
        "",
        "tax-agent",
        "B",
        "none",
        ["涉税专业服务机构"],
        "王和",
    ),
    (
        104,
        "91420111",
        "武汉示例明德税务师事务所有限公司",
        K.TAX_AGENT,
        "cyds",
        "tax-agent",
        "A",
        "branch",
        ["涉税专业服务机构"],
        "冯明",
    ),
    (
        105,
        "91420111",
        "武汉示例立信税务师事务所有限公司",
        K.TAX_AGENT,
        "",
        "tax-agent",
        "M",
        "joint",
        ["涉税专业服务机构"],
        "陈立",
    ),
    (
        110,
        "91420111",
        "武汉示例墨韵文化传媒有限公司",
        K.PRIVATE,
        "cyds",
        "culture",
        "A",
        "joint",
        ["文化企业"],
        "褚墨",
    ),
    (
        111,
        "91420111",
        "武汉示例光影动漫设计有限公司",
        K.PRIVATE,
        "cyds",
        "culture",
        "B",
        "none",
        ["文化企业", "科技型企业"],
        "卫光",
    ),
    (
        112,
        "91420111",
        "武汉示例青禾创意设计有限公司",
        K.PRIVATE,
        "cyds",
        "culture",
        "M",
        "none",
        ["文化企业"],
        "蒋禾",
    ),
    (
        113,
        "91420111",
        "武汉示例云帆软件科技有限公司",
        K.PRIVATE,
        "",
        "tech",
        "A",
        "branch",
        ["科技型企业"],
        "沈帆",
    ),
    (
        114,
        "91420111",
        "武汉示例智联信息技术有限公司",
        K.PRIVATE,
        "",
        "tech",
        "B",
        "none",
        ["科技型企业"],
        "韩智",
    ),
    (
        120,
        "91420111",
        "武汉示例五环商贸有限公司",
        K.PRIVATE,
        "whsq",
        "retail",
        "B",
        "joint",
        [],
        "杨环",
    ),
    (
        121,
        "91420111",
        "武汉示例味道餐饮管理有限公司",
        K.PRIVATE,
        "whsq",
        "catering",
        "M",
        "none",
        [],
        "朱味",
    ),
    (
        130,
        "92420111",
        "洪山区示例便民便利店",
        K.INDIVIDUAL,
        "whsq",
        "retail",
        "",
        "none",
        ["个体工商户"],
        "秦便",
    ),
    (
        131,
        "92420111",
        "洪山区示例小厨面馆",
        K.INDIVIDUAL,
        "whsq",
        "catering",
        "",
        "none",
        ["个体工商户"],
        "许厨",
    ),
    (
        132,
        "92420111",
        "洪山区示例雅集文印店",
        K.INDIVIDUAL,
        "cyds",
        "retail",
        "",
        "none",
        ["个体工商户", "文化企业"],
        "何雅",
    ),
]
# Core demo organisations that are firms served here: (org code, kind, cluster, industry, tags)
CORE_FIRMS = [
    ("demo-firm", K.PRIVATE, "", "tech", ["科技型企业"]),
    ("demo-taxagent", K.TAX_AGENT, "whsq", "tax-agent", ["涉税专业服务机构"]),
]
COMMITMENTS = {
    "cyds": [
        "每月至少一次到集聚区开展“党建+税务”服务日，现场答疑。",
        "企业诉求 1 个工作日内响应，咨询类 3 个工作日内答复。",
    ],
    "whsq": [
        "每季度面向商圈个体工商户开展一次定制宣讲。",
        "公开联系电话，工作日 9:00–17:30 随时接听，节假日短信留言次日回复。",
    ],
}


def firm_by_uscc(uscc: str) -> Firm | None:
    return Firm.objects.filter(organisation__uscc=uscc).first()


def load(*, stdout) -> None:
    user_model = get_user_model()
    with transaction.atomic():
        clusters = {
            code: services.cluster_ensure(actor=None, code=code, name=name, party_committee=pc)
            for code, name, pc in CLUSTERS
        }
        industries = {
            code: services.industry_ensure(actor=None, code=code, name=name)
            for code, name in INDUSTRIES
        }
        created = 0
        for serial, prefix, name, kind, cl, ind, grade, party, tags, contact in FIRMS:
            uscc = demo_uscc(prefix, serial)
            if firm_by_uscc(uscc):
                continue
            firm = services.firm_create(
                actor=None,
                name=name,
                uscc=uscc,
                kind=kind,
                cluster=clusters.get(cl),
                industry=industries.get(ind),
                street="珞南街道" if cl == "cyds" else "关山街道",
                size=Firm.Size.SMALL if kind != K.INDIVIDUAL else Firm.Size.MICRO,
                credit_grade=grade,
                party_org=party,
                tags=tags,
            )
            services.contact_add(
                actor=None, firm=firm, name=contact, title="负责人", phone=f"1380000{serial:04d}"
            )
            created += 1
        for code, kind, cl, ind, tags in CORE_FIRMS:
            org = Organisation.objects.get(code=code)
            if not Firm.objects.filter(organisation=org).exists():
                services.firm_create(
                    actor=None,
                    name=org.name,
                    uscc=org.uscc,
                    kind=kind,
                    cluster=clusters.get(cl),
                    industry=industries.get(ind),
                    credit_grade="A",
                    tags=tags,
                    organisation=org,
                )
                created += 1
        instructor = user_model.objects.get(username="instructor")
        swj = Organisation.objects.get(code="hs-swj")
        profile = InstructorProfile.objects.filter(user=instructor).first()
        if profile is None:
            profile = services.instructor_profile_set(
                actor=None,
                user=instructor,
                department=swj,
                display_name="王强（两新组织专职党建指导员）",
                phone="027-87000000",
                email="instructor@example.org",
            )
        for firm in Firm.objects.filter(kind=K.TAX_AGENT):
            services.instructor_assign(
                actor=None, instructor=instructor, firm=firm, since=date(2024, 1, 2)
            )
        for code, texts in COMMITMENTS.items():
            for text in texts:
                services.commitment_add(
                    actor=None, cluster=clusters[code], instructor=profile, text=text
                )
    stdout.write(f"  企业：新登记 {created} 家，共 {Firm.objects.count()} 家")
