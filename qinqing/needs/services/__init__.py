"""Writes of needs: intake, routing, the work-order state machine, ratings, rectifications."""

from __future__ import annotations

from qinqing.needs.services.catalogue import (
    catalogue_ensure_defaults,
    department_for,
    qr_create,
)
from qinqing.needs.services.common import (
    _audit,
    _check,
    progress_url,
)
from qinqing.needs.services.deadlines import (
    OPEN_STATES,
    EscalationReport,
    needs_deadlines_recompute,
    needs_escalate,
)
from qinqing.needs.services.intake import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    PUBLIC_CHANNELS,
    RATE_WINDOW,
    _submit_in_one_statement,
    need_route,
    need_submit,
)
from qinqing.needs.services.orders import (
    need_callback,
    need_close,
    need_decide_extension,
    need_dispatch,
    need_reopen,
    need_reply,
    need_request_extension,
    need_return,
    need_sign,
)
from qinqing.needs.services.ratings import (
    event_rate,
    need_rate,
    rating_appeal,
    rating_appeal_decide,
    rectification_complete,
    rectification_open,
)

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "OPEN_STATES",
    "PUBLIC_CHANNELS",
    "RATE_WINDOW",
    "EscalationReport",
    "_audit",
    "_check",
    "_submit_in_one_statement",
    "catalogue_ensure_defaults",
    "department_for",
    "event_rate",
    "need_callback",
    "need_close",
    "need_decide_extension",
    "need_dispatch",
    "need_rate",
    "need_reopen",
    "need_reply",
    "need_request_extension",
    "need_return",
    "need_route",
    "need_sign",
    "need_submit",
    "needs_deadlines_recompute",
    "needs_escalate",
    "progress_url",
    "qr_create",
    "rating_appeal",
    "rating_appeal_decide",
    "rectification_complete",
    "rectification_open",
]
