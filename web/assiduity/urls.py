"""Routes of the assiduity, under /assiduity/ (namespace ``assiduity``): every route of
the app, English paths, named with hyphens."""

from django.urls import path

from web.assiduity.views import committee, groups, home, notices, physician, runs, whatif

app_name = "assiduity"

urlpatterns = [
    path("", home.home, name="home"),
    path("me/", physician.my_rate, name="my-rate"),
    path("trends/", groups.trends, name="trends"),
    path("runs/start/", runs.run_start, name="run-start"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run-progress"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run-cancel"),
    path("runs/<int:pk>/rates.<str:fmt>", runs.run_rates_export, name="run-rates-export"),
    # One physician's explanation (their own page, or a CML's / the DRMG's reading of it).
    path("runs/<int:pk>/physicians/<str:code>/", physician.physician_detail, name="physician"),
    path(
        "runs/<int:pk>/physicians/<str:code>/visits/",
        physician.physician_visits,
        name="physician-visits",
    ),
    path(
        "runs/<int:pk>/physicians/<str:code>/visits.<str:fmt>",
        physician.physician_visits_export,
        name="physician-visits-export",
    ),
    path(
        "runs/<int:pk>/physicians/<str:code>/what-if/",
        whatif.physician_whatif,
        name="physician-whatif",
    ),
    # The GMFs' own rates and the distribution per RLS.
    path("runs/<int:pk>/gmfs/", groups.run_gmfs, name="run-gmfs"),
    path("runs/<int:pk>/distribution/", groups.run_distribution, name="run-distribution"),
    # The paritary committee's list (EP 40, 15.04).
    path("runs/<int:pk>/committee/", committee.committee_list, name="committee"),
    path("runs/<int:pk>/committee.<str:fmt>", committee.committee_export, name="committee-export"),
    # The DRMG's notices (EP 40, 15.01 B).
    path("notices/", notices.notice_list, name="notices"),
    path("notices/new/", notices.notice_new, name="notice-new"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice"),
    path("notices/<int:pk>/notice.pdf", notices.notice_pdf, name="notice-pdf"),
    path("notices/<int:pk>/withdraw/", notices.notice_withdraw, name="notice-withdraw"),
]
