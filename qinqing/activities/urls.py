from django.urls import path

from qinqing.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_create, name="event_create"),
    path("for-me/", views.events_for_me, name="events_for_me"),
    path("new/from-needs/", views.event_create, name="event_from_needs"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/act/<str:action>/", views.event_act, name="event_act"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("r/<str:key>/", views.register, name="register"),
    path("c/<str:secret>/", views.checkin, name="checkin"),
    path("c/<str:secret>/rate/", views.checkin_rate, name="checkin_rate"),
    path("visits/", views.visit_list, name="visit_list"),
    path("supervisors/", views.supervisor_list, name="supervisor_list"),
]
