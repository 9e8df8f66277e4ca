"""A GMF's co-management page (its programme: recognition, annual reviews, level, FTE
entitled against allocated and filled, posts, placements, the other tabs) and the
CISSS/CIUSSS's form recording an annual review.

===========  ================================  ====================================
page         who                               refused
===========  ================================  ====================================
GMF page     the GMF's readers (DRMG of the    other roles 403; a GMF not theirs
             region, its GMF manager, its      404
             establishment's manager)
review new   its CISSS/CIUSSS manager          GMF manager, DRMG 403; not theirs 404
===========  ================================  ====================================
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts import access
from web.comanagement import figures, reference
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.programme import ReviewForm
from web.comanagement.models import Placement, Post
from web.comanagement.services import programme


@login_required
def gmf_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF's programme: recognition, reviews (weighted patients, level), FTE per type
    entitled, allocated and filled (with a chart), posts (deadline, « en retard »),
    placements, and the links to its training, performance, alerts and matrix."""
    gmf = access.access_comanagement_gmf(request.user, code)
    today = timezone.localdate()
    head = figures.gmf_figures(gmf, today)
    reviews = figures.review_rows(gmf)
    posts = (
        Post.objects.filter(gmf=gmf).select_related("gmf", "placement").order_by("-opened_on", "pk")
    )
    placements = (
        Placement.objects.filter(gmf=gmf)
        .select_related("professional", "site")
        .order_by("end", "professional__name")
    )
    context = {
        "gmf": gmf,
        "today": today,
        "head": head,
        "reviews": reviews,
        "first_review": figures.obligations.first_annual_review(gmf.recognized_on),
        "posts": figures.post_rows(posts, today),
        "placements": [
            {
                "placement": placement,
                "type_label": reference.type_label(placement.professional.professional_type),
                "ongoing": placement.end is None or placement.end > today,
            }
            for placement in placements
        ],
        "chart": figures.fte_chart(head.fte) if head.fte else None,
        "illustrative": reference.illustrative_banner_needed(
            head.review.level_table if head.review else None
        ),
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
        "side": access.comanagement_side(request.user),
    }
    return render(request, "comanagement/gmfs/detail.html", context)


@login_required
def review_new(request: HttpRequest, code: str) -> HttpResponse:
    """Record an annual review: its 1 April and the registered patients per category of
    the level table in force (the MSSS letter's figures)."""
    gmf = access.access_comanagement_gmf(request.user, code)
    access.check_comanagement_write(request.user, "ciusss")
    today = timezone.localdate()
    version = reference.level_table_in_force(gmf.rls.region, today)
    categories = list(reference.level_table(version).weights) if version else []
    form = ReviewForm(
        request.POST or None,
        categories=categories,
        initial={"reviewed_on": figures.programme_year_start(today)},
    )
    if version is None:
        form.add_error(None, _("The region has no level table yet: the DRMG publishes it first."))
    elif request.method == "POST" and form.is_valid():
        try:
            programme.do_record_annual_review(
                gmf, form.cleaned_data["reviewed_on"], form.counts(), acting_user=request.user
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Annual review recorded."))
            return redirect("comanagement:gmf-detail", gmf.code)
    context = {
        "gmf": gmf,
        "form": form,
        "title": _("Record an annual review"),
        "submit": _("Record the review"),
        "back_url": reverse("comanagement:gmf-detail", args=[gmf.code]),
        "back_label": gmf.name,
        "illustrative": reference.illustrative_banner_needed(version),
    }
    return render(request, "comanagement/home/form.html", context)
