"""OCDS export (issue 4, item 9): the release package validates against the OCDS 1.1 release
schema with the bids extension merged in (JSON merge patch, Draft 4), maps the tender as the
docs say, discloses bids and candidates only after the report is sealed, and never carries
anything about the experts."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource

from qinqing.bidding.conftest import BIDDER_USCCS
from qinqing.bidding.models import (
    Bidder,
    BidResult,
    CriteriaTemplate,
    Criterion,
    DeviationNote,
    EvaluationSession,
    Project,
    Report,
    ScoreEntry,
    ScoreSheet,
    ScoringPlan,
    Signature,
    Stage,
)
from qinqing.bidding.opendata import ocds
from qinqing.bidding.projects import services as project_services
from qinqing.bidding.seating.tests.test_evaluation_day import full_committee
from qinqing.core.demo import demo_uscc
from qinqing.core.testing import ANONYMOUS, check_matrix

SCHEMA_DIR = Path(__file__).resolve().parent / "ocds_schema"
SHARED_OCDS = Path(__file__).resolve().parents[5] / "shared" / "ocds"
KEPT_COPIES = [
    "release-package-schema.json",
    "release-schema.json",
    "LICENSE-standard",
    "bids-extension/release-schema.json",
    "bids-extension/extension.json",
    "bids-extension/LICENSE",
]
FOURTH_USCC = demo_uscc("91420100", 503)
PRICES = {
    BIDDER_USCCS[0]: Decimal("4800000.00"),
    BIDDER_USCCS[1]: Decimal("4650000.50"),
    BIDDER_USCCS[2]: Decimal("4990000.00"),
    FOURTH_USCC: Decimal("4200000.00"),
}
# (passed_review, rank, candidate) per bidder: the cheapest bid fails the preliminary review.
RESULTS = {
    BIDDER_USCCS[1]: (True, 1, True),
    BIDDER_USCCS[0]: (True, 2, True),
    BIDDER_USCCS[2]: (True, 3, True),
    FOURTH_USCC: (False, None, False),
}


# --- the schema: release schema + bids extension (RFC 7386), resolved locally ---------------


def _load(name: str):
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


_OFFSET_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _date_time(value) -> bool:
    """RFC 3339 date-time (jsonschema only checks it with an optional extra package)."""
    if not isinstance(value, str):
        return True
    return bool(_OFFSET_DATE_TIME.match(value)) and datetime.fromisoformat(value) is not None


@functools.cache
def package_validator() -> Draft4Validator:
    release = ocds.json_merge_patch(
        _load("release-schema.json"), _load("bids-extension/release-schema.json")
    )
    package = _load("release-package-schema.json")
    # The package schema points at the release schema by its canonical URL; serve the merged
    # copy under that URL so nothing is fetched from the network.
    release_url = package["properties"]["releases"]["items"]["$ref"]
    assert release_url == release["id"]
    Draft4Validator.check_schema(release)
    Draft4Validator.check_schema(package)
    registry = Registry().with_resource(release_url, Resource.from_contents(release))
    checker = FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(_date_time)
    return Draft4Validator(package, registry=registry, format_checker=checker)


def assert_valid(package: dict) -> None:
    errors = sorted(package_validator().iter_errors(package), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def _dates(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _dates(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _dates(v, key)
    elif key in {"date", "publishedDate", "startDate", "endDate"}:
        yield node


def test_kept_schema_copies_equal_the_shared_originals():
    if not SHARED_OCDS.exists():
        pytest.skip("the project's shared/ folder is not beside this checkout")
    for name in KEPT_COPIES:
        assert (SCHEMA_DIR / name).read_bytes() == (SHARED_OCDS / name).read_bytes(), name


def test_merge_patch_follows_rfc7386_examples():
    cases = [  # RFC 7386 Appendix A (a selection)
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]
    for target, patch, expected in cases:
        before = json.dumps(target)
        assert ocds.json_merge_patch(target, patch) == expected
        assert json.dumps(target) == before  # inputs untouched


def test_merged_schema_knows_bids_and_keeps_the_core():
    release = ocds.json_merge_patch(
        _load("release-schema.json"), _load("bids-extension/release-schema.json")
    )
    assert "bids" in release["properties"]
    assert "rank" in release["definitions"]["Bid"]["properties"]
    award = release["definitions"]["Award"]["properties"]
    assert "relatedBids" in award and "suppliers" in award  # merged, not replaced
    # And the validator really validates: a bid status outside the closed codelist fails.
    bad = {
        "version": "1.1",
        "releases": [
            {
                "ocid": "x",
                "id": "1",
                "date": "2025-01-01T00:00:00+08:00",
                "tag": ["award"],
                "initiationType": "tender",
                "bids": {"details": [{"id": "b", "status": "winner"}]},
            }
        ],
    }
    assert list(package_validator().iter_errors(bad))
    # Dates are RFC 3339 date-times with an offset.
    bad["releases"][0]["bids"]["details"][0]["status"] = "valid"
    assert not list(package_validator().iter_errors(bad))
    bad["releases"][0]["date"] = "2025-01-01 00:00"
    assert list(package_validator().iter_errors(bad))


# --- the pure builder -----------------------------------------------------------------------

T0 = datetime(2025, 6, 1, 1, 30, tzinfo=UTC)  # 09:30 in Wuhan


def _facts(method="comprehensive", sealed=True, bids=None, agency=True) -> ocds.TenderFacts:
    bids = (
        bids
        if bids is not None
        else (
            ocds.BidFacts("91420100MA0000001X", "甲公司", Decimal("100.10"), True, 1, True),
            ocds.BidFacts("91420100MA0000002X", "乙公司", Decimal("90"), False, None, False),
        )
    )
    return ocds.TenderFacts(
        ocid_prefix="ocds-test",
        project_code="P-9",
        project_name="示例项目",
        method=method,
        kind="construction",
        budget=Decimal("1000000"),
        registered_at=T0,
        tenderer=ocds.OrgFacts("招标人", None, "tenderer"),
        agency=ocds.OrgFacts("代理", "91420100MA0000003X") if agency else None,
        supervising_department=ocds.OrgFacts("监督局", None, "sup"),
        host_centre=ocds.OrgFacts("交易中心", None, "centre"),
        sections=(
            ocds.SectionFacts(
                code="01",
                name="一标段",
                scheduled_start=T0 + timedelta(days=3),
                report_sealed_at=T0 + timedelta(days=3, hours=5) if sealed else None,
                bids=bids,
            ),
        ),
    )


def test_builder_dates_are_aware_and_in_china_standard_time():
    package = ocds.release_package(_facts(), published=T0)
    assert package["publishedDate"] == "2025-06-01T09:30:00+08:00"
    assert all(d.endswith("+08:00") for d in _dates(package))
    with pytest.raises(ValueError, match="aware"):
        ocds.release_package(_facts(), published=datetime(2025, 6, 1, 9, 30))
    assert ocds.last_changed(_facts()) == T0 + timedelta(days=3, hours=5)
    assert ocds.last_changed(_facts(sealed=False)) == T0


def test_builder_without_agency_the_tenderer_is_buyer_and_procuring_entity():
    package = ocds.release_package(_facts(agency=False), published=T0)
    assert_valid(package)
    tender_release = package["releases"][0]
    (buyer,) = [p for p in tender_release["parties"] if "buyer" in p["roles"]]
    # partyRole.csv: an organisation that is both carries `buyer`, not `procuringEntity`.
    assert buyer["roles"] == ["buyer"] and buyer["id"] == "qinqing-tenderer"
    assert tender_release["tender"]["procuringEntity"]["id"] == buyer["id"]


def test_builder_no_candidate_makes_an_unsuccessful_tender_update():
    bids = (
        ocds.BidFacts("91420100MA0000001X", "甲公司", Decimal("100"), False),
        ocds.BidFacts("91420100MA0000002X", "乙公司", Decimal("90"), False),
    )
    package = ocds.release_package(_facts(bids=bids), published=T0)
    assert_valid(package)
    release = package["releases"][1]
    assert release["tag"] == ["tenderUpdate"] and release["tender"]["status"] == "unsuccessful"
    assert "awards" not in release
    assert {b["status"] for b in release["bids"]["details"]} == {"disqualified"}


def test_builder_refuses_more_than_three_candidates():
    bids = tuple(
        ocds.BidFacts(f"91420100MA000000{i}X", f"公司{i}", Decimal(100 + i), True, i, True)
        for i in range(1, 5)
    )
    with pytest.raises(ValueError, match="第五十三条"):
        ocds.release_package(_facts(bids=bids), published=T0)


def test_builder_each_section_is_its_own_contracting_process():
    facts = _facts()
    second = ocds.SectionFacts(code="02", name="二标段", scheduled_start=T0 + timedelta(days=4))
    package = ocds.release_package(
        dataclasses.replace(facts, sections=(*facts.sections, second)),
        published=T0,
    )
    assert_valid(package)
    assert [(r["ocid"], r["tag"]) for r in package["releases"]] == [
        ("ocds-test-P-9-01", ["tender"]),
        ("ocds-test-P-9-01", ["award"]),
        ("ocds-test-P-9-02", ["tender"]),
    ]
    assert len({r["id"] for r in package["releases"]}) == 3


def test_builder_ignores_bids_of_an_unsealed_section():
    package = ocds.release_package(_facts(sealed=False), published=T0)
    assert [r["tag"] for r in package["releases"]] == [["tender"]]
    assert "甲公司" not in json.dumps(package, ensure_ascii=False)


# --- from the database, through the endpoint ------------------------------------------------


def _url(code="P-001") -> str:
    return f"/api/v1/bidding/projects/{code}/ocds"


def evaluate(world, *, method="comprehensive", seal=True):
    """A started session with 4 bidders, submitted sheets, a deviation note, results with three
    candidates and a signed report (sealed when `seal`), all built directly with the ORM on top
    of `full_committee` (no dependency on the scoring services)."""
    session, seats = full_committee(world)
    section = session.section
    Project.objects.filter(pk=section.project_id).update(method=method, budget=Decimal("5e6"))
    Bidder.objects.create(section=section, uscc=FOURTH_USCC, name="示例投标人3")
    for uscc, price in PRICES.items():
        Bidder.objects.filter(section=section, uscc=uscc).update(bid_price=price)
    template = CriteriaTemplate.objects.create(
        name=f"{method} 模板", method=method, price_weight=Decimal("30")
    )
    ScoringPlan.objects.create(session=session, template=template, price_weight=Decimal("30"))
    # Started directly (the start's own checks are tested in test_evaluation_day.py).
    EvaluationSession.objects.filter(pk=session.pk).update(
        status=EvaluationSession.Status.IN_PROGRESS, started_at=timezone.now()
    )
    review, _ = Criterion.objects.get_or_create(
        session=session,
        code="R1",
        defaults={"stage": Stage.REVIEW, "name": "资格审查", "step": Decimal("1"), "order": 1},
    )
    detailed, _ = Criterion.objects.get_or_create(
        session=session,
        code="T1",
        defaults={
            "stage": Stage.DETAILED,
            "name": "技术方案",
            "max_score": Decimal("40"),
            "step": Decimal("0.5"),
            "order": 2,
        },
    )
    now = timezone.now()
    bidders = list(section.bidders.all())
    for n, seat in enumerate(seats):
        for stage, criterion in ((Stage.REVIEW, review), (Stage.DETAILED, detailed)):
            sheet, _ = ScoreSheet.objects.update_or_create(
                seat=seat,
                stage=stage,
                defaults={
                    "session": session,
                    "status": ScoreSheet.Status.SUBMITTED,
                    "updated_at": now,
                    "submitted_at": now,
                },
            )
            for bidder in bidders:
                ScoreEntry.objects.update_or_create(
                    sheet=sheet,
                    bidder=bidder,
                    criterion=criterion,
                    defaults={
                        "passed": bidder.uscc != FOURTH_USCC if stage == Stage.REVIEW else None,
                        "score": Decimal(20 + n) if stage == Stage.DETAILED else None,
                        "note": f"{seat.outcome.expert.name} 的评审意见",
                    },
                )
            if stage == Stage.DETAILED and n == 0:
                DeviationNote.objects.create(
                    sheet=sheet,
                    bidder=bidders[0],
                    criterion=criterion,
                    score=Decimal("20"),
                    mean=Decimal("30"),
                    ratio=Decimal("0.3333"),
                    explanation=f"{seat.outcome.expert.name}：方案深度不足",
                    explained_at=now,
                )
    by_uscc = {b.uscc: b for b in bidders}
    for uscc, (passed, rank, candidate) in RESULTS.items():
        BidResult.objects.create(
            session=session,
            bidder=by_uscc[uscc],
            passed_review=passed,
            review={"R1": passed},
            subjective=Decimal("30.50") if passed else None,
            price_score=Decimal("28.00") if passed else None,
            total=Decimal(90 - (rank or 10)) if passed else None,
            evaluated_price=PRICES[uscc] if passed else None,
            rank=rank,
            candidate=candidate,
        )
    members = [
        {"name": s.outcome.expert.name, "code": s.outcome.expert.code, "seat": s.workstation.code}
        for s in seats
    ]
    report = Report.objects.create(
        session=session,
        content={"members": members, "scores": {m["code"]: "20.00" for m in members}},
        content_sha256="0" * 64,
        built_at=now,
    )
    for seat in seats:
        Signature.objects.create(
            report=report,
            seat=seat,
            signed=True,
            position=Signature.Position.AGREE,
            at=now,
        )
    if seal:
        report.status = Report.Status.SEALED
        report.sealed_at = now
        report.save(update_fields=["status", "sealed_at"])
        EvaluationSession.objects.filter(pk=session.pk).update(
            status=EvaluationSession.Status.CLOSED, secrecy_lifted_at=now
        )
    return session, seats


def expert_strings(seats) -> list[str]:
    out = []
    for seat in seats:
        expert = seat.outcome.expert
        out += [expert.name, expert.code, expert.phone, seat.workstation.code]
    return out


def _get(client, code="P-001") -> dict:
    response = client.get(_url(code))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _leaks(client, data: dict, strings: list[str]) -> list[str]:
    text = json.dumps(data, ensure_ascii=False) + client.get(_url()).content.decode("utf-8")
    return [s for s in strings if s in text]


def test_comprehensive_tender_before_sealing_is_the_tender_only(client, world):
    session, seats = evaluate(world, seal=False)
    data = _get(client)
    assert_valid(data)
    (release,) = data["releases"]
    assert release["ocid"] == "ocds-qinqing-P-001-01"
    assert release["id"] == "ocds-qinqing-P-001-01-tender" and release["tag"] == ["tender"]
    tender = release["tender"]
    assert tender["awardCriteria"] == "ratedCriteria"
    assert tender["awardCriteriaDetails"] == "综合评估法"
    assert tender["title"] == "示例学生公寓修缮设计（设计标段）"
    assert tender["status"] == "active" and tender["mainProcurementCategory"] == "works"
    assert tender["value"] == {"amount": 5000000, "currency": "CNY"}
    assert "bids" not in release and "awards" not in release
    assert not [p for p in release["parties"] if "tenderer" in p["roles"]]
    # Results exist but the report is only being signed: nothing about the bids leaks, nor the
    # evaluation time ("四不知": experts must not learn the project before sign-in).
    text = json.dumps(data, ensure_ascii=False)
    for bidder in session.section.bidders.all():
        assert bidder.name not in text and bidder.uscc not in text
    assert "awardPeriod" not in tender
    assert _leaks(client, data, expert_strings(seats)) == []
    assert data["publishedDate"] == release["date"]
    assert all(d.endswith("+08:00") for d in _dates(data))


def test_comprehensive_tender_after_sealing_has_bids_ranks_and_candidates(client, world):
    _, seats = evaluate(world)
    data = _get(client)
    assert_valid(data)
    tender_release, award_release = data["releases"]
    assert tender_release["tag"] == ["tender"] and award_release["tag"] == ["award"]
    assert award_release["ocid"] == tender_release["ocid"] == "ocds-qinqing-P-001-01"
    assert award_release["id"] != tender_release["id"]

    parties = {p["id"]: p for p in award_release["parties"]}
    roles = {p["name"]: p["roles"] for p in parties.values()}
    assert roles["武汉城市职业学院"] == ["buyer"]
    assert roles["湖北示例工程咨询有限公司"] == ["procuringEntity"]
    assert roles["洪山区自然资源和城乡建设局"] == ["reviewBody"]
    assert roles["武汉市公共资源交易中心"] == ["informationService"]
    assert "武汉经开区公共资源交易中心" not in roles  # a guest centre only lends workstations
    tenderers = [p for p in parties.values() if p["roles"] == ["tenderer"]]
    assert sorted(p["identifier"]["id"] for p in tenderers) == sorted(PRICES)
    for p in tenderers:
        assert p["identifier"]["scheme"] == "CN-USCC"
        assert p["id"] == f"CN-USCC-{p['identifier']['id']}"
    assert award_release["buyer"]["name"] == "武汉城市职业学院"
    assert tender_release["tender"]["procuringEntity"]["name"] == "湖北示例工程咨询有限公司"

    tender = award_release["tender"]
    assert tender["status"] == "complete" and tender["numberOfTenderers"] == 4
    assert tender["awardPeriod"]["startDate"].endswith("+08:00")

    details = award_release["bids"]["details"]
    by_uscc = {b["tenderers"][0]["id"].removeprefix("CN-USCC-"): b for b in details}
    assert [b["id"] for b in details] == [
        f"bid-{u}" for u in (BIDDER_USCCS[1], BIDDER_USCCS[0], BIDDER_USCCS[2], FOURTH_USCC)
    ]
    for uscc, (passed, rank, _) in RESULTS.items():
        bid = by_uscc[uscc]
        assert bid["status"] == ("valid" if passed else "disqualified")
        assert bid["hasRank"] is (rank is not None)
        assert bid.get("rank") == rank
        assert bid["submissionType"] == "bid"
        assert bid["tenderers"][0]["id"] in parties
    assert by_uscc[BIDDER_USCCS[1]]["value"] == {"amount": 4650000.5, "currency": "CNY"}
    assert by_uscc[FOURTH_USCC]["value"] == {"amount": 4200000, "currency": "CNY"}
    stats = {s["measure"]: s["value"] for s in award_release["bids"]["statistics"]}
    assert stats == {"bids": 4, "validBids": 3, "disqualifiedBids": 1}

    awards = award_release["awards"]
    assert [a["relatedBids"] for a in awards] == [
        [f"bid-{BIDDER_USCCS[1]}"],
        [f"bid-{BIDDER_USCCS[0]}"],
        [f"bid-{BIDDER_USCCS[2]}"],
    ]
    assert [a["title"] for a in awards] == ["第一中标候选人", "第二中标候选人", "第三中标候选人"]
    assert {a["status"] for a in awards} == {"pending"}  # published >= 3 days first (Art.54)
    assert all(a["relatedBids"][0] in {b["id"] for b in details} for a in awards)
    assert awards[0]["value"]["amount"] == 4650000.5

    # No expert data anywhere: names, codes, phones, workstations — nor scores or notes.
    assert _leaks(client, data, expert_strings(seats)) == []
    text = json.dumps(data, ensure_ascii=False)
    assert "评审意见" not in text and "方案深度不足" not in text and "专家" not in text
    assert data["publishedDate"] == award_release["date"]
    assert all(d.endswith("+08:00") for d in _dates(data))


def test_lowest_price_tender_maps_to_price_only(client, world):
    _, seats = evaluate(world, method="lowest_price")
    data = _get(client)
    assert_valid(data)
    for release in data["releases"]:
        if "awardCriteria" in release["tender"]:
            assert release["tender"]["awardCriteria"] == "priceOnly"
            assert release["tender"]["awardCriteriaDetails"] == "经评审的最低投标价法"
    award_release = data["releases"][1]
    assert award_release["awards"][0]["relatedBids"] == [f"bid-{BIDDER_USCCS[1]}"]
    assert _leaks(client, data, expert_strings(seats)) == []


def test_ocid_prefix_comes_from_the_setting(client, world, settings):
    settings.QINQING_OCID_PREFIX = "ocds-a1b2c3"
    data = _get(client)
    assert_valid(data)
    assert data["releases"][0]["ocid"] == "ocds-a1b2c3-P-001-01"


def test_who_may_read_it(client, world):
    """Open data: anyone may read a scheduled tender; an unknown project, or one without a
    scheduled session, is a 404 with a JSON body."""
    orgs = world["orgs"]
    project_services.project_register(
        actor=world["centre_wh"],
        code="P-002",
        name="尚未安排评标的项目",
        tenderer=orgs["demo-tenderer"],
        agency=None,
        supervising_department=orgs["hs-zgj"],
        host_centre=orgs["whggzy"],
        region_code="420111",
        method="lowest_price",
        rule_set=world["rule_set"],
        budget=None,
        section_code="01",
        section_name="施工标段",
        bidders=[project_services.BidderIn(u, f"投标人{i}") for i, u in enumerate(BIDDER_USCCS)],
    )
    everyone = [ANONYMOUS, "centre_wh", "supervisor", "tenderer", "judge", "expert"]
    check_matrix(
        client,
        {
            _url("P-001"): dict.fromkeys(everyone, 200),
            _url("P-002"): dict.fromkeys(everyone, 404),
            _url("NO-SUCH"): dict.fromkeys(everyone, 404),
        },
        world,
    )
    response = client.get(_url("NO-SUCH"))
    assert response.json() == {"detail": "未找到该对象", "code": "not_found"}
