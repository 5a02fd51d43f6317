from django.urls import path

from qinqing.core import views
from qinqing.core.signing import views as signing_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/", views.account_tokens, name="account_tokens"),
    path("account/2fa/", views.account_totp, name="account_totp"),
    path("tokens/", views.token_admin_list, name="token_admin_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("audit/anchors/", views.audit_anchors, name="audit_anchors"),
    path("audit/anchors.json", views.audit_anchors_file, name="audit_anchors_file"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("demo/outbox/", views.demo_outbox, name="demo_outbox"),
    path("figures/", views.figures_page, name="figures"),
    # The platform CA, public: anyone verifies a signed PDF with its root and CRL.
    path("pki/", signing_views.pki_page, name="pki"),
    path("pki/ca.pem", signing_views.ca_pem, name="pki_ca_pem"),
    path("pki/ca.cer", signing_views.ca_der, name="pki_ca_der"),
    path("pki/crl.pem", signing_views.crl, name="pki_crl"),
    path("calendar/", views.calendar_index, name="calendar_index"),
    path("calendar/<int:year>/", views.calendar_year, name="calendar_year"),
    path("calendar/<int:year>/edit/", views.calendar_edit, name="calendar_edit"),
]
