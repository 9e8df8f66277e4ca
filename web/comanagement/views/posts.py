"""The posts of a GMF: the list, opening one, a post's page (selection, direct hire,
deadline, vacant days), and the writes on it.

===================  =====================  ==========================================
page                 who writes             refused
===================  =====================  ==========================================
list, post page      — (the GMF's readers)  other roles 403; a GMF or post not theirs
                                            404
new, step, fill,     CISSS/CIUSSS           GMF manager, DRMG 403; not theirs 404
close
direct hire, report  GMF                    CISSS/CIUSSS, DRMG 403; not theirs 404
agree (POST)         CISSS/CIUSSS           GMF manager, DRMG 403; no hire 404
===================  =====================  ==========================================
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.comanagement import figures, queries, reference
from web.comanagement.errors import ComanagementError
from web.comanagement.forms.programme import (
    CloseForm,
    DirectHireForm,
    DirectHireReportForm,
    FillForm,
    PostForm,
    StepForm,
)
from web.comanagement.models import AnnualReview, DirectHire, Placement, Post, PostOpenedBy
from web.comanagement.services import programme
from web.regions.models import Gmf


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    submit: str,
    back_url: str,
    back_label: str,
    gmf: Gmf,
    post: Post | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "submit": submit,
        "back_url": back_url,
        "back_label": back_label,
        "gmf": gmf,
        "post": post,
        "post_label": reference.type_label(post.professional_type) if post else "",
    }
    return render(request, "comanagement/home/form.html", context)


def _post_back(post: Post) -> tuple[str, str]:
    label = _("Post of %(type)s (%(fte)s FTE)") % {
        "type": reference.type_label(post.professional_type).lower(),
        "fte": number_format(post.fte, 2),
    }
    return reverse("comanagement:post-detail", args=[post.pk]), label


@login_required
def post_list(request: HttpRequest, code: str) -> HttpResponse:
    """The GMF's posts with their deadline, vacancy and « en retard » flag."""
    gmf = access.access_comanagement_gmf(request.user, code)
    today = timezone.localdate()
    posts = (
        Post.objects.filter(gmf=gmf).select_related("gmf", "placement").order_by("-opened_on", "pk")
    )
    context = {
        "gmf": gmf,
        "today": today,
        "posts": figures.post_rows(posts, today),
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
    }
    return render(request, "comanagement/posts/list.html", context)


def _types_for(gmf: Gmf, on: Any) -> list[tuple[str, Any]]:
    """The professional types the GMF's kind may receive by the level table in force."""
    version = reference.level_table_in_force(gmf.rls.region, on)
    if version is None:
        return list(reference.PROFESSIONAL_TYPES)
    table = reference.level_table(version)
    allowed = table.kinds.get(gmf.kind) if table.kinds else None
    # In the programme's order (reference.PROFESSIONAL_TYPES), then any other type of
    # the table.
    order = [code for code, _label in reference.PROFESSIONAL_TYPES]
    codes = sorted(
        table.professional_types,
        key=lambda code: (order.index(code) if code in order else len(order), code),
    )
    return [
        (code, reference.type_label(code)) for code in codes if allowed is None or code in allowed
    ]


@login_required
def post_new(request: HttpRequest, code: str) -> HttpResponse:
    """Open a post (CISSS/CIUSSS): owed by an annual review or by the recognition."""
    gmf = access.access_comanagement_gmf(request.user, code)
    access.check_comanagement_write(request.user, "ciusss")
    today = timezone.localdate()
    reviews = {
        str(review.pk): review
        for review in AnnualReview.objects.filter(gmf=gmf).order_by("-reviewed_on")
    }
    form = PostForm(
        request.POST or None,
        types=_types_for(gmf, today),
        reviews=[
            (pk, _("Annual review of %(day)s") % {"day": figures.date_label(review.reviewed_on)})
            for pk, review in reviews.items()
        ],
        initial={"fte": "1.00"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        review = (
            reviews.get(data["review"]) if data["opened_by"] == PostOpenedBy.ANNUAL_REVIEW else None
        )
        opened_on = review.reviewed_on if review else data["opened_on"]
        try:
            post = programme.do_open_post(
                gmf,
                data["professional_type"],
                data["fte"],
                data["opened_by"],
                opened_on,
                review,
                data["note"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Post opened."))
            return redirect("comanagement:post-detail", post.pk)
    return _form_page(
        request,
        form,
        title=_("Open a post"),
        submit=_("Open the post"),
        back_url=reverse("comanagement:post-list", args=[gmf.code]),
        back_label=_("Posts"),
        gmf=gmf,
    )


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A post: its type and FTE, why it is owed, its deadline, vacancy and days vacant
    past the deadline per year, the selection's steps, the direct hire and its reports,
    and the actions of the user's side."""
    post = access.access_comanagement_record(request.user, Post, pk)
    today = timezone.localdate()
    hire = DirectHire.objects.filter(post=post).select_related("recorded_by", "agreed_by").first()
    side = access.comanagement_side(request.user)
    open_ = post.closed_on is None and post.filled_on is None
    context = {
        "post": post,
        "gmf": post.gmf,
        "row": figures.post_row(post, today),
        "vacancies": queries.post_vacancies(post, as_of=today),
        "steps": post.selection_steps.all(),
        "hire": hire,
        "hire_label": reference.type_label(hire.professional_type) if hire else "",
        "reports": hire.reports.all() if hire else [],
        "can_write_ciusss": access.can_write_comanagement(request.user, "ciusss"),
        "can_write_gmf": access.can_write_comanagement(request.user, "gmf"),
        "open": open_,
        "is_drmg": side == "drmg",
    }
    return render(request, "comanagement/posts/detail.html", context)


@login_required
def step_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a selection step of the post (CISSS/CIUSSS)."""
    post = access.access_comanagement_record(request.user, Post, pk, write="ciusss")
    form = StepForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme.do_record_selection_step(
                post,
                data["step"],
                data["held_on"],
                data["gmf_took_part"],
                data["note"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Selection step recorded."))
            return redirect("comanagement:post-detail", post.pk)
    back_url, back_label = _post_back(post)
    return _form_page(
        request,
        form,
        title=_("Record a selection step"),
        submit=_("Record the step"),
        back_url=back_url,
        back_label=back_label,
        gmf=post.gmf,
        post=post,
    )


@login_required
def post_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """Fill the post with a placement of the GMF (CISSS/CIUSSS)."""
    post = access.access_comanagement_record(request.user, Post, pk, write="ciusss")
    today = timezone.localdate()
    placements = Placement.objects.filter(
        gmf=post.gmf, professional__professional_type=post.professional_type
    ).select_related("professional")
    choices = [
        (
            str(placement.pk),
            f"{placement.professional.name} — {figures.date_label(placement.start)}",
        )
        for placement in placements
        if placement.end is None or placement.end > today
    ]
    form = FillForm(request.POST or None, placements=choices, initial={"filled_on": today})
    if request.method == "POST" and form.is_valid():
        placement = placements.get(pk=int(form.cleaned_data["placement"]))
        try:
            programme.do_fill_post(
                post, placement, form.cleaned_data["filled_on"], acting_user=request.user
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Post filled."))
            return redirect("comanagement:post-detail", post.pk)
    back_url, back_label = _post_back(post)
    return _form_page(
        request,
        form,
        title=_("Fill the post"),
        submit=_("Fill the post"),
        back_url=back_url,
        back_label=back_label,
        gmf=post.gmf,
        post=post,
    )


@login_required
def post_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the post (CISSS/CIUSSS): it is no longer owed."""
    post = access.access_comanagement_record(request.user, Post, pk, write="ciusss")
    form = CloseForm(request.POST or None, initial={"closed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            programme.do_close_post(
                post,
                form.cleaned_data["closed_on"],
                form.cleaned_data["note"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Post closed."))
            return redirect("comanagement:post-detail", post.pk)
    back_url, back_label = _post_back(post)
    return _form_page(
        request,
        form,
        title=_("Close the post"),
        submit=_("Close the post"),
        back_url=back_url,
        back_label=back_label,
        gmf=post.gmf,
        post=post,
    )


@login_required
def direct_hire_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the GMF's direct hire for the post (GMF)."""
    post = access.access_comanagement_record(request.user, Post, pk, write="gmf")
    form = DirectHireForm(
        request.POST or None,
        initial={"professional_type": post.professional_type, "hired_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme.do_record_direct_hire(
                post,
                data["professional_type"],
                data["hired_on"],
                data["contract_ref"],
                data["derogation_ref"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Direct hire recorded: the CISSS/CIUSSS agrees to it next.")
            )
            return redirect("comanagement:post-detail", post.pk)
    back_url, back_label = _post_back(post)
    return _form_page(
        request,
        form,
        title=_("Record a direct hire"),
        submit=_("Record the hire"),
        back_url=back_url,
        back_label=back_label,
        gmf=post.gmf,
        post=post,
    )


def _hire(post: Post) -> DirectHire:
    hire = DirectHire.objects.filter(post=post).first()
    if hire is None:
        raise Http404
    return hire


@login_required
@require_POST
def direct_hire_agree(request: HttpRequest, pk: int) -> HttpResponse:
    """The CISSS/CIUSSS agrees to the GMF's direct hire (POST): the post is filled."""
    post = access.access_comanagement_record(request.user, Post, pk, write="ciusss")
    hire = _hire(post)
    try:
        programme.do_agree_direct_hire(hire, acting_user=request.user)
    except ComanagementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Direct hire agreed: the post is filled."))
    return redirect("comanagement:post-detail", post.pk)


@login_required
def direct_hire_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The GMF's report on its direct hire (« reddition de compte »)."""
    post = access.access_comanagement_record(request.user, Post, pk, write="gmf")
    hire = _hire(post)
    form = DirectHireReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            programme.do_report_direct_hire(
                hire,
                data["period_start"],
                data["period_end"],
                data["text"],
                acting_user=request.user,
            )
        except ComanagementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Report recorded."))
            return redirect("comanagement:post-detail", post.pk)
    back_url, back_label = _post_back(post)
    return _form_page(
        request,
        form,
        title=_("Report on the direct hire"),
        submit=_("Record the report"),
        back_url=back_url,
        back_label=back_label,
        gmf=post.gmf,
        post=post,
    )
