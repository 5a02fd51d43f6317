from django.urls import path

from qinqing.needs import views

app_name = "needs"
urlpatterns = [
    path("", views.need_list, name="need_list"),
    path("new/", views.need_enter, name="need_enter"),
    path("submit/", views.need_submit_own, name="need_submit_own"),
    path("<int:pk>/", views.need_detail, name="need_detail"),
    path("<int:pk>/act/<str:action>/", views.need_act, name="need_act"),
    path("<int:pk>/attachments/<int:aid>/", views.attachment, name="attachment"),
    path("q/<str:key>/", views.public_form, name="public_form"),
    path("web/", views.public_web, name="public_web"),
    path("track/", views.track, name="track"),
    path("t/<str:token>/", views.progress, name="progress"),
    path("t/<str:token>/rate/", views.progress_rate, name="progress_rate"),
    path("qr/", views.qr_list, name="qr_list"),
    path("qr/<int:pk>/poster/", views.qr_poster, name="qr_poster"),
    path("qr/<int:pk>.<str:fmt>", views.qr_image, name="qr_image"),
    path("rectifications/", views.rectification_list, name="rectification_list"),
    path(
        "rectifications/<int:pk>/complete/",
        views.rectification_complete,
        name="rectification_complete",
    ),
    path("rectifications/<int:pk>/appeal/", views.rating_appeal, name="rating_appeal"),
    path("common/", views.common_needs, name="common_needs"),
    path("common/refresh/", views.common_needs_refresh, name="common_needs_refresh"),
    path("answers/", views.answers, name="answers"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("export/", views.export_form, name="export_form"),
    path("exports/<int:pk>/", views.export_detail, name="export_detail"),
]
