"""Views of the attribution workflow: the letters of an approved run, their templates, and
a physician's own letters and pace.

==================  =====================================  ================================
page                who                                    refused
==================  =====================================  ================================
letters             DRMG, CML of the run's RLS             other roles 403, other RLS 404
letter-download     the same, and the letter's physician   others 404 (403: no letter role)
letters-merged      DRMG, CML of the run's RLS             other roles 403, other RLS 404
letter-templates    DRMG                                   others 403
my-letters          a physician                            others 403
==================  =====================================  ================================
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from web.accounts import access
from web.attribution import followup, letters
from web.attribution.models import AttributionAction, Letter, LetterKind, Run, RunStatus
from web.audit.services import record_on

# The names a downloaded file gets (French: the letters are).
_DOWNLOAD_KIND = {LetterKind.GENERAL: "generale", LetterKind.PERSONAL: "personnalisee"}


@login_required
@require_http_methods(["GET", "POST"])
def run_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's letters (GET), or write them (POST)."""
    run = access.access_run(request.user, pk)
    if request.method == "POST":
        try:
            status = letters.request_letters(request.user, run)
        except letters.LetterError as error:
            messages.error(request, str(error))
        else:
            if status.get("state") == "done":
                count = status["done"]
                messages.success(
                    request,
                    ngettext("%(count)s letter written.", "%(count)s letters written.", count)
                    % {"count": count},
                )
            elif status.get("state") == "failed":
                messages.error(request, status.get("error", ""))
            else:
                messages.info(request, _("The letters are being written."))
        return redirect("attribution:letters", pk=run.pk)
    rows: dict[str, dict] = {}
    for letter in run.letters.order_by("physician_name", "physician_code", "kind"):
        row = rows.setdefault(
            letter.physician_code,
            {"code": letter.physician_code, "name": letter.physician_name},
        )
        row[letter.kind] = letter
    status = letters.letters_status(run)
    context = {
        "run": run,
        "status": status,
        "in_progress": status is not None and status["state"] in ("queued", "running"),
        "rows": list(rows.values()),
        "approved": run.status == RunStatus.APPROVED,
        "can_edit_templates": access.can_edit_letter_templates(request.user),
        "merged": letters.letters_written(run) and bool(rows),
        "written_at": max((letter.generated_at for letter in run.letters.all()), default=None),
        "counts": {
            kind: sum(1 for row in rows.values() if kind in row) for kind in LetterKind.values
        },
    }
    return render(request, "attribution/letters/run_letters.html", context)


@login_required
def letter_download(request: HttpRequest, pk: int) -> FileResponse:
    """One letter as a PDF (recorded: LETTER_DOWNLOADED)."""
    letter = access.access_letter(request.user, pk)
    if not letter.path.is_file():
        raise Http404
    run = letter.run
    record_on(
        AttributionAction.LETTER_DOWNLOADED,
        run,
        acting_user=request.user,
        physician_code=letter.physician_code,
        kind=letter.kind,
    )
    name = f"lettre-{_DOWNLOAD_KIND[LetterKind(letter.kind)]}-{letter.physician_code}-{run.pk}.pdf"
    return FileResponse(
        letter.path.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


@login_required
def letters_merged(request: HttpRequest, pk: int) -> FileResponse:
    """Every letter of the run in one PDF (recorded: LETTER_DOWNLOADED, ``merged``)."""
    run = access.access_run(request.user, pk)
    path = letters.merged_path(run)
    if not path.is_file() or not run.letters.exists():
        raise Http404
    record_on(AttributionAction.LETTER_DOWNLOADED, run, acting_user=request.user, merged=True)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"lettres-{run.pk}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_http_methods(["GET", "POST"])
def letter_templates(request: HttpRequest) -> HttpResponse:
    """The DRMG edits the subject and body of each kind of letter; preview as PDF."""
    region = access.access_letter_templates(request.user)
    texts = {kind: letters.template_for(region, kind) for kind in LetterKind.values}
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in LetterKind.values:
            raise Http404
        action = request.POST.get("action", "save")
        subject = request.POST.get("subject", "")
        body = request.POST.get("body", "")
        if action == "reset":
            letters.do_reset_template(region, kind, acting_user=request.user)
            messages.success(request, _("The default text is back."))
            return redirect("attribution:letter-templates")
        try:
            if action == "preview":
                letters.check_template(kind, subject, body)
                text = letters.TemplateText(kind, subject, body, is_default=False)
                pdf = letters.render_pdf(text, letters.sample_facts(kind))
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = f'inline; filename="apercu-{kind}.pdf"'
                return response
            letters.do_save_template(region, kind, subject, body, acting_user=request.user)
        except letters.LetterTemplateError as error:
            errors[kind] = str(error)
            texts[kind] = letters.TemplateText(kind, subject, body, is_default=False)
        else:
            messages.success(request, _("The letter template is saved."))
            return redirect("attribution:letter-templates")
    forms = [
        {
            "kind": kind,
            "label": LetterKind(kind).label,
            "text": texts[kind],
            "error": errors.get(kind, ""),
            "variables": VARIABLES[kind],
        }
        for kind in LetterKind.values
    ]
    return render(
        request,
        "attribution/letters/templates.html",
        {"forms": forms, "region": region},
        status=400 if errors else 200,
    )


@login_required
def my_letters(request: HttpRequest) -> HttpResponse:
    """A physician's own letters, expected patients, pace and follow-up, from the approved
    runs of their region (counts only: no patient)."""
    physician = access.access_own_physician(request.user)
    own = access.visible_letters(request.user).select_related("run")
    by_run: dict[int, list[Letter]] = {}
    for letter in own:
        by_run.setdefault(letter.run_id, []).append(letter)
    runs = (
        Run.objects.filter(region_id=physician.rls.region_id, status=RunStatus.APPROVED)
        .select_related("rls", "region")
        .order_by("-approved_at", "-pk")[:12]
    )
    items = []
    for run in runs:
        try:
            facts = next(
                (
                    item
                    for item in letters.plan_letters(run)
                    if item["physician_id"] == physician.code
                ),
                None,
            )
        except letters.LetterError:
            continue
        if facts is None and run.pk not in by_run:
            continue
        progress = None
        if facts is not None and facts["expected"]:
            try:
                report = followup.follow_up(run)
            except (OSError, ValueError):
                report = None
            if report is not None:
                progress = next((p for p in report.physicians if p.code == physician.code), None)
        items.append(
            {
                "run": run,
                "facts": facts,
                "letters": sorted(by_run.get(run.pk, []), key=lambda letter: letter.kind),
                "progress": progress,
            }
        )
    return render(
        request,
        "attribution/letters/my_letters.html",
        {"physician": physician, "items": items, "behind_ratio": followup.BEHIND_RATIO},
    )


# The variables each kind of letter may use (documented in docs/attribution-web-letters.md).
_COMMON_VARIABLES = [
    ("region", "Bas-Saint-Laurent"),
    ("drmg", "Département régional de médecine générale (DRMG) — Bas-Saint-Laurent"),
    ("signatory", "Dre Marie Exemple"),
    ("date", "23 novembre 2026"),
    ("run_title", "Exercice de novembre"),
    ("run_reference", "12"),
    ("run_date", "15 novembre 2026"),
    ("period_months", "12"),
    ("physician_name", "Dr Jean Exemple"),
    ("physician_code", "D00042"),
    ("rls", "Rimouski-Neigette"),
    ("threshold", "500"),
    ("group2_target", "750"),
    ("vulnerable_cap", "45 %"),
    ("full_units", "3"),
    ("le304_min_assiduity", "75 %"),
    ("le304_min_block", "50"),
    ("cml_contact", "Dre Josée Exemple (cml@example.org)"),
    ("cml_contacts", "[{name, email}, …]"),
]
VARIABLES = {
    LetterKind.GENERAL: [
        *_COMMON_VARIABLES,
        ("territory", "Rimouski-Neigette"),
        ("orphans", "2840"),
        ("assigned", "2790"),
        ("unassigned", "50"),
        ("monthly_pace", "237"),
        ("physicians_participating", "22"),
    ],
    LetterKind.PERSONAL: [
        *_COMMON_VARIABLES,
        ("group", "1b"),
        ("group_label", "Groupe 1b : …"),
        ("target", "500"),
        ("registered", "412"),
        ("need", "88"),
        ("expected", "88"),
        ("monthly_pace", "8"),
        ("mode", "bloc"),
        ("mode_label", "attribution particulière : …"),
        ("reasons", "[« Vous comptez moins de 500 patients… », …]"),
        ("first_month", "novembre 2026"),
        ("last_month", "septembre 2027"),
        ("first_month_number", "1"),
        ("last_month_number", "11"),
        ("vulnerable_share_after", "38,2 %"),
        ("rls_vulnerable_share_mean", "40,6 %"),
    ],
}


urlpatterns: list[URLPattern] = [
    path("runs/<int:pk>/letters/", run_letters, name="letters"),
    path("runs/<int:pk>/letters/all.pdf", letters_merged, name="letters-merged"),
    path("letters/<int:pk>/", letter_download, name="letter-download"),
    path("letters/templates/", letter_templates, name="letter-templates"),
    path("my-letters/", my_letters, name="my-letters"),
]
