"""Routes of the attribution workflow, under /attribution/ (namespace ``attribution``):
every route of the app, English paths, named with hyphens."""

from django.urls import path

from web.attribution.views import (
    declarations,
    gmfs,
    history,
    home,
    journey,
    le304_files,
    letters,
    physicians,
    problems,
    reports,
    runs,
)

app_name = "attribution"

urlpatterns = [
    path("", home.home, name="home"),
    # physicians and decisions
    path("physicians/<str:rls_code>/", physicians.physicians, name="physicians"),
    path(
        "physicians/<str:rls_code>/<str:physician_code>/decision/",
        physicians.decision,
        name="decision",
    ),
    # runs
    path("runs/", runs.runs, name="runs"),
    path("runs/new/", runs.run_new, name="run-new"),
    path("runs/compare/", runs.run_compare, name="run-compare"),
    path("rules/", runs.rules, name="rules"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run-progress"),
    path("runs/<int:pk>/patients/<str:patient_code>/", runs.run_patient, name="run-patient"),
    path(
        "runs/<int:pk>/physicians/<str:physician_code>/",
        runs.run_physician,
        name="run-physician",
    ),
    path("runs/<int:pk>/adjust/", runs.run_adjust, name="run-adjust"),
    path("runs/<int:pk>/move/", runs.run_move, name="run-move"),
    path("runs/<int:pk>/move/physicians/", runs.run_move_physicians, name="run-move-physicians"),
    path("runs/<int:pk>/export.<str:fmt>", runs.run_export, name="run-export"),
    path("runs/<int:pk>/approve/", runs.run_approve, name="run-approve"),
    # the patient's journey after the plan
    path(
        "runs/<int:pk>/patients/<str:patient_code>/journey/",
        journey.run_patient_journey,
        name="run-journey",
    ),
    path(
        "runs/<int:pk>/followup/physicians/<str:physician_code>/",
        journey.followup_physician,
        name="followup-physician",
    ),
    path("regions/<str:region_code>/settings/", journey.region_settings, name="region-settings"),
    path("runs/<int:pk>/retry/", runs.run_retry, name="run-retry"),
    path("runs/<int:pk>/cancel/", runs.run_cancel, name="run-cancel"),
    # letters
    path("runs/<int:pk>/letters/", letters.run_letters, name="letters"),
    path("runs/<int:pk>/letters/cancel/", letters.letters_cancel, name="letters-cancel"),
    path("runs/<int:pk>/letters/all.pdf", letters.letters_merged, name="letters-merged"),
    path("letters/<int:pk>/", letters.letter_download, name="letter-download"),
    path("letters/templates/", letters.letter_templates, name="letter-templates"),
    path("my-letters/", letters.my_letters, name="my-letters"),
    # reports
    path("runs/<int:pk>/followup/", reports.followup_view, name="followup"),
    path("runs/<int:pk>/followup.<str:fmt>", reports.followup_export, name="followup-export"),
    path("quarterly/", reports.quarterly_view, name="quarterly"),
    # history
    path("history/", history.history, name="history"),
    # GMFs and their targets (issue 19)
    path("gmfs/", gmfs.gmf_list, name="gmf-list"),
    path("gmfs/<str:code>/", gmfs.gmf_detail, name="gmf-detail"),
    path("gmfs/<str:code>/target/new/", gmfs.gmf_target_new, name="gmf-target-new"),
    path("gmf-targets/<int:pk>/decide/", gmfs.gmf_target_decide, name="gmf-target-decide"),
    # physicians' declarations (issue 19)
    path("my-declaration/", declarations.my_declaration, name="my-declaration"),
    path("my-progress/", declarations.my_progress, name="my-progress"),
    path("declarations/", declarations.declaration_list, name="declaration-list"),
    path("declarations/<int:pk>/", declarations.declaration_detail, name="declaration-detail"),
    # problems raised to the DRMG (issue 19)
    path("problems/", problems.problem_list, name="problem-list"),
    path("problems/new/", problems.problem_new, name="problem-new"),
    path("problems/<int:pk>/", problems.problem_detail, name="problem-detail"),
    # LE 304 files for RAMQ (issue 19)
    path("le304/", le304_files.le304_list, name="le304-list"),
    path("le304/runs/<int:pk>/", le304_files.le304_run, name="le304-run"),
    path("le304/files/<int:pk>/", le304_files.le304_file, name="le304-file"),
    path(
        "le304/files/<int:pk>/patients.csv", le304_files.le304_patients_csv, name="le304-patients"
    ),
    path(
        "le304/files/<int:pk>/agreement.pdf",
        le304_files.le304_agreement_pdf,
        name="le304-agreement",
    ),
]
