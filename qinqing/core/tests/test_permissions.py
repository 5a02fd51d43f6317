"""The core's permission policy and its permission matrix (URL × role → status)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from qinqing.core.audit import audit_log
from qinqing.core.models import AuditEntry, Organisation
from qinqing.core.permissions import can, get_visible_or_404, visible
from qinqing.core.roles import Role
from qinqing.core.testing import ANONYMOUS, check_matrix


@pytest.fixture
def org_entries(demo_users):
    """One audit entry in the court and one in the 区营商办 (a child of 区发改局)."""
    court = Organisation.objects.get(code="hs-court")
    office = Organisation.objects.get(code="hs-ysb")
    return (
        audit_log(actor=None, action="test.court", organisation=court),
        audit_log(actor=None, action="test.office", organisation=office),
    )


def test_scope_covers_descendants_and_hides_other_organisations(demo_users, org_entries):
    court_entry, office_entry = org_entries
    editor = demo_users["editor"]  # editor at 区发改局, the office's parent
    seen = set(visible(editor, "core.view_audit", AuditEntry.objects.all()))
    assert office_entry in seen
    assert court_entry not in seen
    assert can(editor, "core.view_audit", office_entry)
    assert not can(editor, "core.view_audit", court_entry)


def test_other_organisations_object_is_404_not_403(demo_users, org_entries):
    court_entry, _ = org_entries
    with pytest.raises(Http404):
        get_visible_or_404(
            demo_users["editor"], "core.view_audit", AuditEntry.objects.all(), pk=court_entry.pk
        )


def test_role_without_the_action_is_403(demo_users):
    with pytest.raises(PermissionDenied):
        get_visible_or_404(demo_users["creditor"], "core.view_audit", AuditEntry.objects.all())


def test_platform_admin_sees_every_entry(demo_users, org_entries):
    assert visible(demo_users["admin"], "core.view_audit", AuditEntry.objects.all()).count() == (
        AuditEntry.objects.count()
    )


def test_inactive_organisation_grants_nothing(demo_users, org_entries):
    Organisation.objects.filter(code="hs-fgj").update(is_active=False)
    editor = type(demo_users["editor"]).objects.get(pk=demo_users["editor"].pk)
    assert not can(editor, "core.view_audit")


def test_anonymous_can_do_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), "core.view_figures")


def test_every_role_has_a_demo_account(demo_users):
    from qinqing.core.models import RoleGrant

    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role.values)


PAGES_FOR_EVERYONE = ["/", "/notifications/", "/figures/"]
AUDIT_ROLES = {"admin", "editor", "reviewer", "supervisor"}  # editors: their office's log


def test_core_permission_matrix(client, demo_users, org_entries):
    everyone = [u for u in demo_users if u != ANONYMOUS]
    matrix = {url: {ANONYMOUS: 302, **dict.fromkeys(everyone, 200)} for url in PAGES_FOR_EVERYONE}
    matrix["/"][ANONYMOUS] = 200  # the public front door
    matrix["/audit/"] = {
        ANONYMOUS: 302,
        **{u: 200 if u in AUDIT_ROLES else 403 for u in everyone},
    }
    matrix["/admin/"] = {ANONYMOUS: 302, **{u: 200 if u == "admin" else 302 for u in everyone}}
    matrix["/api/v1/figures?from=2024-01-01&to=2024-01-31"] = {
        ANONYMOUS: 401,
        **dict.fromkeys(everyone, 200),
    }
    check_matrix(client, matrix, demo_users)


def test_notification_of_another_user_is_404(client, demo_users):
    from qinqing.core.notifier import notification_send

    note = notification_send(
        actor=None, channel="in_app", subject="通知", body="内容", recipient=demo_users["judge"]
    )
    url = f"/notifications/{note.pk}/read/"
    client.force_login(demo_users["editor"])
    assert client.post(url).status_code == 404
    client.force_login(demo_users["judge"])
    assert client.post(url).status_code == 200
    note.refresh_from_db()
    assert note.read_at is not None


def test_core_public_and_account_routes_matrix(client, demo_users):
    """The sign-in pages, the public documents (audit anchors, the CA certificate, the API's
    description) and the health check answer everyone; the rest needs a session."""
    everyone = [u for u in demo_users if u != ANONYMOUS]
    public = {ANONYMOUS: 200, "editor": 200, "creditor": 200}
    matrix = {
        "/login/": {ANONYMOUS: 200},
        # the admin's sign-in sends to the site's; a signed-in non-staff user is refused
        "/admin/login/": {ANONYMOUS: 302, "admin": 302, "editor": 403},
        "/audit/anchors/": public,
        "/audit/anchors.json": public,
        "/api/v1/openapi.json": public,
        "/api/v1/docs": public,
        "/api/v1/": {ANONYMOUS: 404},  # ninja's root: no page of its own
        "/api/v1/me": {ANONYMOUS: 401, **dict.fromkeys(everyone, 200)},
    }
    check_matrix(client, matrix, demo_users)
    # Only the platform administrator verifies the whole chain; a reader of the log is told so.
    verify = {
        "/audit/verify/": {
            ANONYMOUS: 302,
            "admin": 200,
            "editor": 403,
            "supervisor": 403,
            "creditor": 403,
        },
        "/logout/": {ANONYMOUS: 302, "editor": 302},
    }
    check_matrix(client, verify, demo_users, method="post")


def test_notification_read_matrix(client, demo_users):
    from qinqing.core.notifier import notification_send

    note = notification_send(
        actor=None, channel="in_app", subject="通知", body="内容", recipient=demo_users["judge"]
    )
    matrix = {
        f"/notifications/{note.pk}/read/": {
            ANONYMOUS: 302,
            "editor": 404,  # another user's notification
            "admin": 404,
            "judge": 200,
        }
    }
    check_matrix(client, matrix, demo_users, method="post")


def test_api_token_matrix(client, demo_users):
    """Anyone may ask for a token (a wrong password is 401); revoking one needs it."""
    bad = {"username": "editor", "password": "not-the-password"}
    check_matrix(
        client,
        {"/api/v1/auth/token": {ANONYMOUS: 401}},
        demo_users,
        method="post",
        data=bad,
        content_type="application/json",
    )
    check_matrix(client, {"/api/v1/auth/token": {ANONYMOUS: 401}}, demo_users, method="delete")


def test_health_check_is_public(client, demo_users, settings):
    """The monitor reads it without signing in (DEBUG: the static files need no collecting)."""
    settings.DEBUG = True
    check_matrix(client, {"/healthz": {ANONYMOUS: 200, "admin": 200}}, demo_users)
