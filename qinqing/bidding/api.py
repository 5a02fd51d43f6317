"""The bidding API: one router per capability under /api/v1/bidding/, and the expert's workstation
under /api/v1/bidding/workstation/ (config/api.py mounts both)."""

from __future__ import annotations

from ninja import Router

from qinqing.bidding.award import api as award_api
from qinqing.bidding.bids import api as bids_api
from qinqing.bidding.draw import api as draw_api
from qinqing.bidding.evaluation import api as evaluation_api
from qinqing.bidding.evaluation import time_api
from qinqing.bidding.opendata import api as opendata_api
from qinqing.bidding.opening import api as opening_api
from qinqing.bidding.projects import api as projects_api
from qinqing.bidding.report import api as report_api
from qinqing.bidding.screening import api as screening_api
from qinqing.bidding.viewer import api as viewer_api

# Each capability has its own router, mounted here in the order of the paths in the OpenAPI
# document. Their endpoints keep the operationId the document gave them before the bidding module
# was split into capabilities (derived from the module path then): clients generated from the
# document use them, so each is pinned with `operation_id`.
router = Router(tags=["bidding"])
router.add_router("", projects_api.router)
router.add_router("", draw_api.router)
router.add_router("", opendata_api.router)
router.add_router("", evaluation_api.router)
router.add_router("", time_api.router)
router.add_router("", report_api.router)
router.add_router("", bids_api.router)
router.add_router("", opening_api.router)
router.add_router("", award_api.router)
router.add_router("", screening_api.router)

# The expert's workstation (/api/v1/bidding/workstation/…), with the report's signing on it.
workstation_router = evaluation_api.workstation_router
# …and the bid documents the committee reads there (viewer/api.py).
workstation_router.add_router("", viewer_api.router)
# …and the evaluation time (Art.48 para.1): a member declares it too short.
workstation_router.add_router("", time_api.workstation_router)
