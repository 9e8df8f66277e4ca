"""The letters of an approved run, their templates, and a physician's own letters and pace.

==================  =====================================  ================================
page                who                                    refused
==================  =====================================  ================================
letters             DRMG, CML of the run's RLS             other roles 403, other RLS 404
letters-cancel      DRMG, CML of the run's RLS (POST)      other roles 403, other RLS 404
letter-download     the same, and the letter's physician   others 404 (403: no letter role)
letters-merged      DRMG, CML of the run's RLS             other roles 403, other RLS 404
letter-templates    DRMG                                   others 403
my-letters          a physician (their own counts only)    others 403
==================  =====================================  ================================
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from web.accounts import access
from web.attribution import figures, followup, journey, letters, services
from web.attribution.errors import LetterError, LetterTemplateError
from web.attribution.forms import LetterTemplateForm
from web.attribution.models import LetterKind, Run
from web.errors import DiskFull

# The names a downloaded file gets (French: the letters are).
_DOWNLOAD_KIND = {LetterKind.GENERAL: "generale", LetterKind.PERSONAL: "personnalisee"}


@login_required
@require_http_methods(["GET", "POST"])
def run_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's letters (GET), or write them (POST)."""
    run = access.access_run(request.user, pk)
    if request.method == "POST":
        try:
            status = services.do_request_letters(run, acting_user=request.user)
        except (LetterError, DiskFull) as error:
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
    context = {
        "run": run,
        # A superseded plan's letters are kept but not written again.
        "approved": run.is_in_force,
        "can_edit_templates": access.can_edit_letter_templates(request.user),
        **figures.run_letters(run),
    }
    return render(request, "attribution/letters/run_letters.html", context)


@login_required
@require_POST
def letters_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the writing of the run's letters (queued or running)."""
    run = access.access_run(request.user, pk)
    try:
        services.do_cancel_letters(run, acting_user=request.user)
    except LetterError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Writing of the letters cancelled."))
    return redirect("attribution:letters", pk=run.pk)


@login_required
def letter_download(request: HttpRequest, pk: int) -> FileResponse:
    """One letter as a PDF (recorded: LETTER_DOWNLOADED)."""
    letter = access.access_letter(request.user, pk)
    if not letter.path.is_file():
        raise Http404
    run = letter.run
    services.do_record_letter_download(run, acting_user=request.user, letter=letter)
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
    services.do_record_letter_download(run, acting_user=request.user)
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
        form = LetterTemplateForm(request.POST)
        if not form.is_valid():
            raise Http404  # not a kind of letter the page offers
        kind, action = form.cleaned_data["kind"], form.cleaned_data["action"]
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        if action == "reset":
            services.do_reset_letter_template(region, kind, acting_user=request.user)
            messages.success(request, _("The default text is back."))
            return redirect("attribution:letter-templates")
        try:
            if action == "preview":
                pdf = letters.preview_pdf(kind, subject, body)
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = f'inline; filename="apercu-{kind}.pdf"'
                return response
            services.do_save_letter_template(region, kind, subject, body, acting_user=request.user)
        except LetterTemplateError as error:
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
            "variables": letters.VARIABLES[kind],
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
    runs of their region, and what became of the patients each plan proposed to them,
    in force or superseded (counts only: no patient)."""
    physician = access.access_own_physician(request.user)
    items = figures.physician_runs(
        physician,
        access.visible_own_runs(request.user),
        access.visible_letters(request.user).select_related("run"),
    )
    # The plans superseded since that had written letters for this physician: named, so
    # that the physician knows those letters are no longer in force (not downloadable).
    superseded = (
        Run.objects.filter(
            region_id=physician.rls.region_id,
            superseded_at__isnull=False,
            letters__physician_code=physician.code,
        )
        .select_related("superseded_by", "region")
        .distinct()
    )
    return render(
        request,
        "attribution/letters/my_letters.html",
        {
            "physician": physician,
            "items": items,
            # What became of the patients each superseded plan proposed to them (counts).
            "superseded": [journey.physician_journey(run, physician.code) for run in superseded],
            "behind_ratio": followup.BEHIND_RATIO,
        },
    )
