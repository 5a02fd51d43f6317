"""Open data: a project's OCDS release package (public)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router

from qinqing.bidding.models import Project
from qinqing.bidding.opendata import ocds

router = Router()


@router.get(
    "/projects/{project_code}/ocds",
    auth=None,
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
