"""Routes of the attribution workflow, under /attribution/ (namespace ``attribution``).

Each part of the workflow keeps its routes beside its views."""

from web.attribution import views_letters, views_reports, views_runs

app_name = "attribution"

urlpatterns = [
    *views_runs.urlpatterns,
    *views_letters.urlpatterns,
    *views_reports.urlpatterns,
]
