"""Writes of the evaluation itself: the scoring plan, isolated sheets (背靠背), deviation
notes, closing stages, aggregation and ranking (design: "Evaluation session").

Flow: ``plan_set`` before the start → ``session_start`` (services) calls ``evaluation_open``
which copies the template into the session's criteria and opens the preliminary review
(初步评审) → each member saves and submits a sheet → the chair closes the stage → the
detailed review (详细评审) for the bids that passed → the chair closes it → price scores,
totals and the ranking are computed (汇总); bids still tied go to a verifiable lot witnessed by
the supervisor. A sheet stays private to its expert until its stage is closed.
"""

from __future__ import annotations

from qinqing.bidding.evaluation.scoring.chair import (
    _low_bids_flag,
    close_problems,
    low_bid_rule,
    low_bids_pending,
    sheet_reopen,
    stage_close,
    summary_when_ready,
)
from qinqing.bidding.evaluation.scoring.coefficient import (
    coefficient_commit,
    coefficient_proof,
    coefficient_witness,
)
from qinqing.bidding.evaluation.scoring.common import (
    ENTRY_FIELDS,
    TECHNICAL_GROUP,
    EntryIn,
    _rows_digest,
    check_member,
    decimal_or_none,
    stage_open,
)
from qinqing.bidding.evaluation.scoring.sheets import (
    _entry_rows,
    deviation_explain,
    deviations_compute,
    live_sheets,
    sheet_missing,
    sheet_save,
    sheet_submit,
)
from qinqing.bidding.evaluation.scoring.summary import (
    drawn_k,
    evaluated_prices,
    is_procurement,
    lot_proof,
    lot_witness,
)

__all__ = [
    "ENTRY_FIELDS",
    "TECHNICAL_GROUP",
    "EntryIn",
    "_entry_rows",
    "_low_bids_flag",
    "_rows_digest",
    "check_member",
    "close_problems",
    "coefficient_commit",
    "coefficient_proof",
    "coefficient_witness",
    "decimal_or_none",
    "deviation_explain",
    "deviations_compute",
    "drawn_k",
    "evaluated_prices",
    "is_procurement",
    "live_sheets",
    "lot_proof",
    "lot_witness",
    "low_bid_rule",
    "low_bids_pending",
    "sheet_missing",
    "sheet_reopen",
    "sheet_save",
    "sheet_submit",
    "stage_close",
    "stage_open",
    "summary_when_ready",
]
