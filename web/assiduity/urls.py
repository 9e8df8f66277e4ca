"""Routes of the assiduity, under /assiduity/ (namespace ``assiduity``): every route of
the app, English paths, named with hyphens."""

from django.urls import path

from web.assiduity.views import home, runs

app_name = "assiduity"

urlpatterns = [
    path("", home.home, name="home"),
    path("runs/start/", runs.run_start, name="run-start"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run-progress"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run-cancel"),
]
