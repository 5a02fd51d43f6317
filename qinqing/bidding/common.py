"""Small helpers the capabilities' views share."""

from __future__ import annotations

from qinqing.core.errors import DomainError


def form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
