"""Pieces shared by the bankruptcy models: the case number and the money column."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CASE_NUMBER_RE = re.compile(
    r"^（(?P<year>\d{4})）(?P<court>[\u4e00-\u9fff]\d{4})破(?:申)?(?P<n>[1-9]\d*)号$"
)


def normalise_case_number(value: str) -> str:
    """Half-width parentheses and spaces are accepted and normalised to the court's form."""
    return value.strip().replace(" ", "").replace("(", "（").replace(")", "）")


def validate_case_number(value: str) -> None:
    match = CASE_NUMBER_RE.match(value)
    if not match or not 1990 <= int(match.group("year")) <= 2100:
        raise ValidationError(_("案号格式应为“（2024）鄂0111破1号”"), code="invalid_case_number")


def money_field(verbose: str, **kwargs) -> models.DecimalField:
    kwargs.setdefault("default", Decimal("0.00"))
    return models.DecimalField(verbose, max_digits=18, decimal_places=2, **kwargs)
