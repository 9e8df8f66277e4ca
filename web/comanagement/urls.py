"""The routes of co-management, under ``/comanagement/`` (docs/comanagement.md).

One view module per feature (docs/app-shape.md); who may read or write each page is
decided in :mod:`web.accounts.access`.
"""

from __future__ import annotations

from django.urls import path

from web.comanagement.views import (
    absences,
    alerts,
    attendance,
    gmfs,
    home,
    matrix,
    notices,
    performance,
    posts,
    professionals,
    reference,
    schedules,
    statistics,
    supervision,
    training,
)

app_name = "comanagement"

urlpatterns = [
    path("", home.home, name="home"),
    path("gmfs/<str:code>/", gmfs.gmf_detail, name="gmf-detail"),
    path("gmfs/<str:code>/reviews/new/", gmfs.review_new, name="review-new"),
    path("gmfs/<str:code>/posts/", posts.post_list, name="post-list"),
    path("gmfs/<str:code>/posts/new/", posts.post_new, name="post-new"),
    path("posts/<int:pk>/", posts.post_detail, name="post-detail"),
    path("posts/<int:pk>/steps/new/", posts.step_new, name="step-new"),
    path("posts/<int:pk>/fill/", posts.post_fill, name="post-fill"),
    path("posts/<int:pk>/close/", posts.post_close, name="post-close"),
    path("posts/<int:pk>/direct-hire/", posts.direct_hire_new, name="direct-hire-new"),
    path("posts/<int:pk>/direct-hire/agree/", posts.direct_hire_agree, name="direct-hire-agree"),
    path(
        "posts/<int:pk>/direct-hire/reports/new/",
        posts.direct_hire_report,
        name="direct-hire-report",
    ),
    path("posts/<int:pk>/notice-proposals/", notices.notice_proposals, name="notice-proposals"),
    path(
        "gmfs/<str:code>/professionals/", professionals.professional_list, name="professional-list"
    ),
    path(
        "gmfs/<str:code>/professionals/new/",
        professionals.professional_new,
        name="professional-new",
    ),
    path("gmfs/<str:code>/placements/new/", professionals.placement_new, name="placement-new"),
    path("placements/<int:pk>/", professionals.placement_detail, name="placement-detail"),
    path("placements/<int:pk>/end/", professionals.placement_end, name="placement-end"),
    path("integration/<int:pk>/done/", professionals.item_done, name="item-done"),
    path("placements/<int:pk>/absences/new/", absences.absence_new, name="absence-new"),
    path("absences/<int:pk>/", absences.absence_detail, name="absence-detail"),
    path("absences/<int:pk>/replacements/new/", absences.replacement_new, name="replacement-new"),
    path("placements/<int:pk>/schedules/new/", schedules.schedule_new, name="schedule-new"),
    path("schedules/<int:pk>/", schedules.schedule_detail, name="schedule-detail"),
    path("schedules/<int:pk>/validate/", schedules.schedule_validate, name="schedule-validate"),
    path("schedules/<int:pk>/refuse/", schedules.schedule_refuse, name="schedule-refuse"),
    path("placements/<int:pk>/attendance/new/", attendance.attendance_new, name="attendance-new"),
    path("attendance/<int:pk>/approve/", attendance.attendance_approve, name="attendance-approve"),
    path("gmfs/<str:code>/training/", training.training_list, name="training-list"),
    path("gmfs/<str:code>/training/needs/new/", training.need_new, name="training-need-new"),
    path(
        "gmfs/<str:code>/training/requests/new/", training.request_new, name="training-request-new"
    ),
    path("training/<int:pk>/decide/", training.request_decide, name="training-decide"),
    path("training/<int:pk>/attendance/", training.attendance_new, name="training-attendance"),
    path("placements/<int:pk>/supervision/", supervision.plan_edit, name="supervision-plan"),
    path(
        "supervision/<int:pk>/sessions/new/",
        supervision.session_new,
        name="supervision-session-new",
    ),
    path("gmfs/<str:code>/performance/", performance.performance, name="performance"),
    path("gmfs/<str:code>/targets/new/", performance.target_new, name="target-new"),
    path("targets/<int:pk>/sign/", performance.target_sign, name="target-sign"),
    path("gmfs/<str:code>/strategies/new/", performance.strategy_new, name="strategy-new"),
    path("gmfs/<str:code>/meetings/new/", performance.meeting_new, name="meeting-new"),
    path("meetings/<int:pk>/", performance.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/sign/", performance.meeting_sign, name="meeting-sign"),
    path("meetings/<int:pk>/decisions/new/", performance.decision_new, name="decision-new"),
    path("statistics/", statistics.statistics_home, name="statistics"),
    path("statistics/import/", statistics.statistics_import, name="statistics-import"),
    path("statistics/imports/<int:pk>/", statistics.statistics_job, name="statistics-job"),
    path(
        "statistics/imports/<int:pk>/apply/", statistics.statistics_apply, name="statistics-apply"
    ),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts.csv", alerts.alert_export, name="alerts-export"),
    path("matrix/", matrix.matrix, name="matrix"),
    path("reference/levels/", reference.level_list, name="levels"),
    path("reference/levels/new/", reference.level_new, name="level-new"),
    path("reference/levels/<int:pk>/", reference.level_detail, name="level-detail"),
    path("reference/agreements/<str:code>/", reference.agreement_list, name="agreements"),
    path("reference/agreements/<str:code>/new/", reference.agreement_new, name="agreement-new"),
    path(
        "reference/agreements/<str:code>/<int:pk>/",
        reference.agreement_detail,
        name="agreement-detail",
    ),
]
