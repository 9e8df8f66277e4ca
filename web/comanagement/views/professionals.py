"""The professionals placed in a GMF: the list, recording a professional (an employee of
the establishment), placing one, a placement's page (the professional's hub), ending a
placement and marking an integration item done.

==================  ==========================  =======================================
page                who writes                  refused
==================  ==========================  =======================================
list, placement     — (the GMF's readers)       other roles 403; not theirs 404
professional new,   CISSS/CIUSSS                GMF manager, DRMG 403; not theirs 404
placement new, end
item done (POST)    the item's owner's side     the other side, DRMG 403; not theirs 404
                    (ITEM_OWNERS)
==================  ==========================  =======================================

**The placement page's sections from the other parts.** After the checklist the page
includes, when the template exists, each of :data:`PLACEMENT_PARTIALS` (absences,
schedules, attendance, training, supervision, performance), in that order. Each is
rendered with the page's context, which holds at least ``placement`` (a
:class:`~web.comanagement.models.Placement`, ``professional``, ``gmf`` and ``site``
selected), ``can_write_gmf`` and ``can_write_ciusss`` (booleans: the user writes for that
side), ``today``, ``gmf`` and ``professional``. A partial reads its own records itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.comanagement import performance, presence, reference
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.people import (
    EndPlacementForm,
    ItemDoneForm,
    PlacementForm,
    ProfessionalForm,
)
from web.comanagement.models import IntegrationItem, Placement, Post, Professional
from web.comanagement.services import people

# The sections other parts give the placement page, in the page's order.
PLACEMENT_PARTIALS = (
    "comanagement/absences/_placement_absences.html",
    "comanagement/schedules/_placement_schedules.html",
    "comanagement/attendance/_placement_attendance.html",
    "comanagement/training/_placement_training.html",
    "comanagement/supervision/_placement_supervision.html",
    "comanagement/performance/_placement_performance.html",
)


def existing_partials() -> list[str]:
    """The templates of :data:`PLACEMENT_PARTIALS` that exist (a part not built yet has
    none)."""
    found = []
    for name in PLACEMENT_PARTIALS:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        found.append(name)
    return found


def _form_page(request: HttpRequest, form: Any, **context: Any) -> HttpResponse:
    return render(request, "comanagement/home/form.html", {"form": form, **context})


@login_required
def professional_list(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF's placements, ongoing first, with the professional's type, FTE and site."""
    gmf = access.access_comanagement_gmf(request.user, code)
    today = timezone.localdate()
    placements = (
        Placement.objects.filter(gmf=gmf)
        .select_related("professional", "site", "post")
        .order_by("professional__name", "-start")
    )
    rows = [
        {
            "placement": placement,
            "type_label": reference.type_label(placement.professional.professional_type),
            "ongoing": placement.end is None or placement.end > today,
        }
        for placement in placements
    ]
    rows.sort(key=lambda row: not row["ongoing"])
    context = {
        "gmf": gmf,
        "rows": rows,
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
    }
    return render(request, "comanagement/professionals/list.html", context)


@login_required
def professional_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record a professional of the GMF's establishment (CISSS/CIUSSS); the agreements
    and job titles offered are those of its agreement rules in force."""
    gmf = access.access_comanagement_gmf(request.user, code)
    access.check_comanagement_write(request.user, "ciusss")
    establishment = gmf.rls.establishment
    today = timezone.localdate()
    version = reference.rules_in_force(establishment, today) if establishment else None
    agreements: list[tuple[str, Any]] = []
    titles: list[tuple[str, Any]] = []
    if version is not None:
        book = reference.agreement_book(version)
        agreements = [
            (code_, agreement.name) for code_, agreement in sorted(book.agreements.items())
        ]
        seen = sorted(
            {title for agreement in book.agreements.values() for title in agreement.job_titles}
        )
        titles = [(title, reference.job_title_label(title)) for title in seen]
    form = ProfessionalForm(request.POST or None, agreements=agreements, job_titles=titles)
    if version is None:
        # Said on the page (a form not sent has nothing to attach an error to).
        messages.error(
            request,
            _(
                "The establishment has no agreement rules in force: its CISSS/CIUSSS manager "
                "publishes them first."
            ),
        )
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            professional = people.do_record_professional(
                establishment,  # type: ignore[arg-type]
                data["employee_number"],
                data["name"],
                data["professional_type"],
                data["agreement"],
                data["job_title"],
                data["service_start"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Professional recorded: place them in the GMF."))
            return redirect(
                reverse("comanagement:placement-new", args=[gmf.code])
                + f"?professional={professional.pk}"
            )
    return _form_page(
        request,
        form,
        gmf=gmf,
        title=_("Record a professional"),
        submit=_("Record the professional"),
        back_url=reverse("comanagement:professional-list", args=[gmf.code]),
        back_label=_("Professionals"),
    )


@login_required
def placement_new(request: HttpRequest, code: str) -> HttpResponse:
    """Place a professional of the establishment in the GMF (CISSS/CIUSSS), optionally
    filling one of its vacant posts."""
    gmf = access.access_comanagement_gmf(request.user, code)
    access.check_comanagement_write(request.user, "ciusss")
    today = timezone.localdate()
    professionals = {
        str(professional.pk): professional
        for professional in Professional.objects.filter(
            establishment_id=gmf.rls.establishment_id
        ).order_by("name")
    }
    sites = {str(site.pk): site for site in gmf.sites.order_by("name")}
    posts = {
        str(post.pk): post
        for post in Post.objects.filter(gmf=gmf, filled_on__isnull=True, closed_on__isnull=True)
    }
    form = PlacementForm(
        request.POST or None,
        professionals=[
            (
                pk,
                f"{professional.name} ({professional.employee_number}) — {reference.type_label(professional.professional_type)}",
            )
            for pk, professional in professionals.items()
        ],
        sites=[(pk, site.name) for pk, site in sites.items()],
        posts=[
            (
                pk,
                _("Post of %(type)s (%(fte)s FTE)")
                % {
                    "type": reference.type_label(post.professional_type).lower(),
                    "fte": number_format(post.fte, 2),
                },
            )
            for pk, post in posts.items()
        ],
        initial={
            "professional": request.GET.get("professional", ""),
            "start": today,
            "fte": "1.00",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            placement = people.do_place_professional(
                professionals[data["professional"]],
                gmf,
                start=data["start"],
                fte=data["fte"],
                supervisor_name=data["supervisor_name"],
                site=sites.get(data["site"]),
                post=posts.get(data["post"]),
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Placement started: its integration checklist is created."))
            return redirect("comanagement:placement-detail", placement.pk)
    return _form_page(
        request,
        form,
        gmf=gmf,
        title=_("Place a professional"),
        submit=_("Start the placement"),
        back_url=reverse("comanagement:professional-list", args=[gmf.code]),
        back_label=_("Professionals"),
    )


@login_required
def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The professional's hub: the placement (site, FTE, supervisor, post), its
    integration checklist (a « done » button on the items of the user's side), then the
    other parts' sections (:func:`existing_partials`)."""
    placement = access.access_comanagement_record(request.user, Placement, pk)
    placement = Placement.objects.select_related("professional", "gmf", "site", "post").get(
        pk=placement.pk
    )
    today = timezone.localdate()
    items = [
        {
            "item": item,
            "owner_label": _("GMF") if item.owner == "gmf" else _("CISSS/CIUSSS"),
            "late": item.done_on is None and item.due_on < today,
            "can_do": item.done_on is None
            and access.can_write_comanagement(request.user, item.owner),
        }
        for item in placement.integration_items.select_related("done_by").order_by("due_on", "item")
    ]
    context = {
        "placement": placement,
        "professional": placement.professional,
        "gmf": placement.gmf,
        "type_label": reference.type_label(placement.professional.professional_type),
        "job_title_label": reference.job_title_label(placement.professional.job_title),
        "post_label": reference.type_label(placement.post.professional_type)
        if placement.post
        else "",
        "items": items,
        "today": today,
        "ongoing": placement.end is None or placement.end > today,
        "can_write_gmf": access.can_write_comanagement(request.user, "gmf"),
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
        "partials": existing_partials(),
        "done_form": ItemDoneForm(initial={"done_on": today}),
    }
    # The presence (planned against actual days) and the indicators against their targets,
    # which the attendance and performance sections show.
    # The last 12 months: a placement of years would make the page endless.
    presence_rows = presence.presence_by_month(placement, until=today)[-12:]
    context["presence_rows"] = presence_rows
    context["presence_chart"] = presence.presence_chart(presence_rows) if presence_rows else None
    context.update(performance.placement_context(placement, today))
    return render(request, "comanagement/professionals/placement.html", context)


@login_required
def placement_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End the placement (CISSS/CIUSSS)."""
    placement = access.access_comanagement_record(request.user, Placement, pk, write="ciusss")
    form = EndPlacementForm(request.POST or None, initial={"end": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            people.do_end_placement(placement, form.cleaned_data["end"], acting_user=request.user)
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Placement ended."))
            return redirect("comanagement:placement-detail", placement.pk)
    return _form_page(
        request,
        form,
        gmf=placement.gmf,
        title=_("End the placement"),
        submit=_("End the placement"),
        back_url=reverse("comanagement:placement-detail", args=[placement.pk]),
        back_label=placement.professional.name,
    )


@login_required
@require_POST
def item_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an integration item done (POST ``done_on``, today by default), by its
    owner's side."""
    item = access.access_comanagement_record(request.user, IntegrationItem, pk, write="owner")
    form = ItemDoneForm(request.POST or {"done_on": timezone.localdate().isoformat()})
    if not form.is_valid():
        messages.error(request, _("Give the day the item was done."))
    else:
        try:
            people.do_complete_integration_item(
                item, form.cleaned_data["done_on"], acting_user=request.user
            )
        except ComanagementError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("« %(item)s » done.") % {"item": item.get_item_display()},
            )
    return redirect("comanagement:placement-detail", item.placement_id)
