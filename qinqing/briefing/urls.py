from django.urls import path

from qinqing.briefing import views

app_name = "briefing"
urlpatterns = [
    path("", views.issue_list, name="issue_list"),
    path("import/", views.import_view, name="import"),
    path("archive/", views.archive, name="archive"),
    path("issues/<int:pk>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/do/<slug:action>/", views.issue_action, name="issue_action"),
    path("issues/<int:pk>/export.<str:fmt>", views.issue_export, name="issue_export"),
    path("issues/<int:pk>/articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_edit, name="article_edit"),
    path("p/<slug:code>/", views.public_list, name="public_list"),
    path("p/<slug:code>/<int:number>/", views.public_issue, name="public_issue"),
    path("p/<slug:code>/<int:number>.pdf", views.public_pdf, name="public_pdf"),
]
