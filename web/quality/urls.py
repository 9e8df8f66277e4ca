"""The routes of the quality-improvement groups, under ``/quality/`` (docs/quality-groups.md).

One view module per feature (docs/app-shape.md); who may read or write each page is
decided in :mod:`web.accounts.access`.
"""

from __future__ import annotations

from django.urls import path

from web.quality.views import (
    activities,
    certificates,
    coach,
    drmg,
    followup,
    groups,
    home,
    plans,
    reference,
    review,
    selection,
)

app_name = "quality"

urlpatterns = [
    path("", home.home, name="home"),
    path("selection/", selection.selection_list, name="selection"),
    path("selection/<int:pk>/defer/", selection.selection_defer, name="selection-defer"),
    path("groups/new/", groups.group_new, name="group-new"),
    path("groups/<int:pk>/", groups.group_detail, name="group-detail"),
    path("groups/<int:pk>/invite/", groups.invite, name="invite"),
    path("invitations/<int:pk>/answer/", groups.invitation_answer, name="invitation-answer"),
    path("invitations/<int:pk>/withdraw/", groups.invitation_withdraw, name="invitation-withdraw"),
    path("groups/<int:pk>/follow/", groups.group_follow, name="group-follow"),
    path("groups/<int:pk>/activities/<str:kind>/", activities.activity, name="activity"),
    path("activities/<int:pk>/share/", activities.activity_share, name="activity-share"),
    path("activities/<int:pk>/", activities.activity_read, name="activity-read"),
    path("survey/", activities.survey_edit, name="survey-edit"),
    path("groups/<int:pk>/plan/", plans.plan, name="plan"),
    path("groups/<int:pk>/plan/goals/new/", plans.goal_new, name="goal-new"),
    path("goals/<int:pk>/", plans.goal_edit, name="goal-edit"),
    path("goals/<int:pk>/pdsa/new/", plans.pdsa_new, name="pdsa-new"),
    path("pdsa/<int:pk>/", plans.pdsa_phase, name="pdsa-phase"),
    path("goals/<int:pk>/points/new/", plans.point_new, name="point-new"),
    path("goals/<int:pk>/complete/", plans.goal_complete, name="goal-complete"),
    path("groups/<int:pk>/plan/submit/", plans.plan_submit, name="plan-submit"),
    path("groups/<int:pk>/plan/review/", review.review, name="review"),
    path("goals/<int:pk>/chart/", followup.goal_chart, name="goal-chart"),
    path("completions/<int:pk>/certificate.pdf", certificates.certificate, name="certificate"),
    path("coach/", coach.coach_dashboard, name="coach"),
    path("counts/", drmg.drmg_counts, name="drmg"),
    path("reference/credits/", reference.credits, name="credits"),
]
