from django.urls import path

from qinqing.bidding import views

app_name = "bidding"
urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("projects/new/", views.project_new, name="project_new"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/close/", views.session_close, name="session_close"),
    path("sessions/<int:pk>/start/", views.session_start, name="session_start"),
    path("sessions/<int:pk>/chair/", views.chair_appoint, name="chair_appoint"),
    path("quotas/<int:pk>/draw/", views.draw_commit, name="draw_commit"),
    path("quotas/<int:pk>/exclude/", views.quota_exclude, name="quota_exclude"),
    path("draws/<str:draw_id>/", views.draw_detail, name="draw_detail"),
    path("draws/<str:draw_id>/names/", views.draw_names, name="draw_names"),
    path("outcomes/<int:pk>/answer/", views.outcome_answer, name="outcome_answer"),
    path("respond/<str:token>/", views.respond, name="respond"),
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/import/", views.expert_import, name="expert_import"),
    path("experts/template.xlsx", views.expert_template, name="expert_template"),
    path("experts/<int:pk>/", views.expert_detail, name="expert_detail"),
    path("rooms/", views.room_list, name="room_list"),
    path("rooms/catalogue/", views.room_catalogue, name="room_catalogue"),
    path("rooms/<int:pk>/", views.room_detail, name="room_detail"),
    path("seating/", views.seating_list, name="seating_list"),
    path("seating/<int:pk>/", views.seating_detail, name="seating_detail"),
    path("signin/", views.signin, name="signin"),
    path("workstation/", views.workstation, name="workstation"),
    path("workstation/signout/", views.signout, name="signout"),
]
