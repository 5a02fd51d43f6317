"""Pure law and maths of the bidding module (远程异地 + 工位制评标): the conventions every
capability's ``rules.py`` follows, and the error they raise.

Everything here is plain Python: no Django, no database, no floats. Scores and money are
``Decimal``; intermediate values are exact ``Fraction`` and are rounded once, half up
(``ROUND_HALF_UP``), to two places (ratios: four). Domain errors raise ``RuleError`` with a
Chinese message suitable for showing to the user. The specification is
``shared/design/bidding.md``.

Statutes cited: 招标投标法 ("招标投标法 Art.N"), 招标投标法实施条例 ("实施条例 Art.N"),
评标委员会和评标方法暂行规定 ("暂行规定 Art.N") and, for government procurement,
政府采购货物和服务招标投标管理办法 (财政部令第87号, "87号令 Art.N"). Numbers marked
[unverified] in the design are rule-set defaults, not law.

Each capability keeps its law in its own ``rules.py``: ``projects`` (rule sets, bidders and
committee composition), ``draw`` (QQ-DRAW-1, eligibility and avoidance), ``seating`` (工位制,
the chair), ``evaluation`` (scoring and ranking, failures during a session), ``report`` (the
members' positions, expert fees). They import each other only downwards (``draw`` uses the
rule set, ``seating`` and ``evaluation`` the QQ-DRAW-1 stream).
"""

from __future__ import annotations


class RuleError(ValueError):
    """A rule of law or of this module's input contract was violated (Chinese message); `field`
    names the input at fault where one does, so a service can attach the message to it."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field
