"""Open data: a project's OCDS release package (public)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from qinqing.bidding.models import Project
from qinqing.bidding.opendata import ocds

router = Router()


class ReleasePackageOut(Schema):
    """An OCDS 1.1 release package (https://standard.open-contracting.org/1.1/): its releases
    follow the OCDS release schema with the bids extension."""

    version: str
    extensions: list[str]
    publishedDate: str
    publisher: dict[str, Any]
    releases: list[dict[str, Any]] = Field(description="OCDS releases（含投标扩展）")


@router.get(
    "/projects/{project_code}/ocds",
    auth=None,
    response=ReleasePackageOut,
    summary="OCDS 开放数据发布包（招标信息自安排评标起公开；投标与中标候选人自评标报告封存起公开）",
    operation_id="qinqing_bidding_api_project_ocds",
)
def project_ocds(request, project_code: str):
    project = get_object_or_404(
        Project.objects.select_related(
            "tenderer", "agency", "supervising_department", "host_centre", "rule_set"
        ),
        code=project_code,
    )
    facts = ocds.tender_facts(project)
    if not facts.sections:  # nothing is public before a session is scheduled
        raise Http404
    return ocds.release_package(facts, published=ocds.last_changed(facts))
