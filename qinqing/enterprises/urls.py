from django.urls import path

from qinqing.enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.firm_list, name="firm_list"),
    path("<int:pk>/", views.firm_detail, name="firm_detail"),
    path("import/", views.firm_import, name="firm_import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("my-card/", views.my_card, name="my_card"),
    path("clusters/", views.cluster_list, name="cluster_list"),
    path("clusters/<slug:code>/", views.cluster_detail, name="cluster_detail"),
]
