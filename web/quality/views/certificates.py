"""A member's certificate of completion of the QI program, as a PDF (WeasyPrint, through
:func:`web.attribution.letterpdf.pdf_of`, which reuses the process's fonts). Only the
completion's physician and the group's coach fetch it: 404 for anyone else, so that a
certificate's existence is not revealed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from web.accounts import access
from web.attribution.letterpdf import pdf_of
from web.quality.models import ActivityKind
from web.quality.services.selection import cycle_name


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    completion = access.access_completion(request.user, pk)  # its physician, the coach
    credits = completion.credits
    activities = [
        (ActivityKind(code).label, value) for code, value in credits.get("activities", {}).items()
    ]
    html = render_to_string(
        "quality/certificates/certificate_pdf.html",
        {
            "completion": completion,
            "group": completion.group,
            "cycle": cycle_name(completion.selection.cycle) if completion.selection else "",
            "activities": activities,
            "credits": credits,
            "today": timezone.localdate(),
        },
        request=request,
    )
    response = HttpResponse(pdf_of(html)[0], content_type="application/pdf")
    name = f"attestation-qi-{completion.physician.code}-{completion.accepted_on.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
