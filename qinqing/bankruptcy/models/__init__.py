"""Bankruptcy reconciliation (破产和解): cases, claims, meetings, agreements, figures.

Amounts are yuan with two decimals. Statutory deadlines are never stored: they are computed from
the recorded dates by ``qinqing.bankruptcy.rules`` (see ``selectors.case_deadlines``).
"""

from __future__ import annotations

from qinqing.bankruptcy.models.agreements import (
    Agreement,
    AgreementTerm,
    Installment,
    Payment,
)
from qinqing.bankruptcy.models.cases import (
    Assessment,
    Case,
    CaseDecision,
    FastTrackProfile,
)
from qinqing.bankruptcy.models.claims import (
    Claim,
    ClaimEvidence,
    Creditor,
)
from qinqing.bankruptcy.models.committee import (
    Art69Report,
    Committee,
    CommitteeDecision,
    CommitteeMember,
    CommitteeMemberQuerySet,
    CommitteeVote,
)
from qinqing.bankruptcy.models.common import (
    CASE_NUMBER_RE,
    money_field,
    normalise_case_number,
    validate_case_number,
)
from qinqing.bankruptcy.models.meetings import (
    AgendaItem,
    Attendance,
    Ballot,
    Meeting,
    Proxy,
)

__all__ = [
    "CASE_NUMBER_RE",
    "AgendaItem",
    "Agreement",
    "AgreementTerm",
    "Art69Report",
    "Assessment",
    "Attendance",
    "Ballot",
    "Case",
    "CaseDecision",
    "Claim",
    "ClaimEvidence",
    "Committee",
    "CommitteeDecision",
    "CommitteeMember",
    "CommitteeMemberQuerySet",
    "CommitteeVote",
    "Creditor",
    "FastTrackProfile",
    "Installment",
    "Meeting",
    "Payment",
    "Proxy",
    "money_field",
    "normalise_case_number",
    "validate_case_number",
]
