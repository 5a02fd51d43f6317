from django.contrib import admin
from django.urls import include, path

from config.api import api
from qinqing.core import views as core_views

handler403 = "qinqing.core.views.error_403"
handler404 = "qinqing.core.views.error_404"
handler500 = "qinqing.core.views.error_500"

urlpatterns = [
    path("", include("qinqing.core.urls")),
    path("enterprises/", include("qinqing.enterprises.urls")),
    path("needs/", include("qinqing.needs.urls")),
    path("activities/", include("qinqing.activities.urls")),
    path("bidding/", include("qinqing.bidding.urls")),
    path("bankruptcy/", include("qinqing.bankruptcy.urls")),
    path("briefing/", include("qinqing.briefing.urls")),
    path("api/v1/", api.urls),
    # Before the admin's own: the admin signs in through the site's throttled, audited login.
    path("admin/login/", core_views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
]
