"""Small helpers the capabilities share: an organisation's kind checked by services, the centres
a user administers and the form errors of views."""

from __future__ import annotations

from django.http import Http404

from qinqing.core.errors import DomainError
from qinqing.core.models import Organisation
from qinqing.core.permissions import grants_of
from qinqing.core.roles import Role

K = Organisation.Kind


def require_kind(org: Organisation, kind: str, field: str, label: str) -> None:
    if org.kind != kind:
        raise DomainError(f"{label}必须是“{K(kind).label}”类机构", field=field)


def admin_centres(user):
    return Organisation.objects.filter(
        kind=Organisation.Kind.TRADING_CENTRE, pk__in=grants_of(user).org_ids(Role.CENTRE_ADMIN)
    )


def my_centre(user) -> Organisation:
    centre = admin_centres(user).first()
    if centre is None:
        raise Http404
    return centre


def form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
