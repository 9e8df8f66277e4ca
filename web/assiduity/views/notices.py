"""The DRMG's notices (« avis de la DRMG », EP 40, 15.01 B): the list, recording one, a
notice's page, its PDF for the paritary committee, and withdrawing it.

=================  ================================  =====================================
page               who                               refused
=================  ================================  =====================================
list               DRMG (the region's), CML (their   GMF manager, physician, other roles
                   RLS's physicians')                403
new                DRMG                              every other role 403
notice, its PDF    as the list                       the same 403; a notice outside the
                                                     user's 404
withdraw (POST)    DRMG                              every other role 403; another
                                                     region's notice 404
=================  ================================  =====================================

Who sees what is ``web.accounts.access`` (``visible_drmg_notices``,
``access_drmg_notice``, ``access_drmg_notice_region``); the writes are
:func:`web.assiduity.services.do_record_drmg_notice` and
:func:`~web.assiduity.services.do_withdraw_drmg_notice`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from web.accounts import access
from web.accounts.access import Purpose
from web.assiduity import figures, services
from web.assiduity.errors import AssiduityError
from web.assiduity.forms import NoticeForm, NoticeWithdrawForm
from web.assiduity.models import DrmgNotice
from web.comanagement import queries
from web.comanagement.models import Post
from web.comanagement.reference import type_label


def _year(value: str | None) -> int | None:
    """A year of a query string, None when it is not one."""
    return int(value) if value and value.isdigit() and len(value) == 4 else None


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    """The notices the user may open (``?year=`` for one year's), newest year first, the
    withdrawn ones marked."""
    notices = access.visible_drmg_notices(request.user).select_related(
        "recorded_by", "withdrawn_by"
    )
    region = access.access_region(request.user, Purpose.ASSIDUITY)
    year = _year(request.GET.get("year"))
    if year is not None:
        notices = notices.filter(year=year)
    notices = list(notices)
    names = figures.physician_names(region, {notice.physician_code for notice in notices})
    gmfs = figures.gmf_names(region)
    context = {
        "region": region,
        "year": year,
        "rows": [
            {
                "notice": notice,
                "name": names.get(notice.physician_code, ""),
                "gmf_name": gmfs.get(notice.gmf_code, notice.gmf_code),
            }
            for notice in notices
        ],
        "can_record": access.can_record_drmg_notice(request.user),
    }
    return render(request, "assiduity/notices/list.html", context)


def _notice_post(request: HttpRequest) -> Post | None:
    """The post of ``?post=`` (a notice proposed from a post vacant past its deadline), if
    the user sees it (404 otherwise, as any co-management record outside their GMFs)."""
    value = request.GET.get("post")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    post = access.access_comanagement_record(request.user, Post, int(value))
    return Post.objects.select_related("gmf__rls").get(pk=post.pk)


@login_required
def notice_new(request: HttpRequest) -> HttpResponse:
    """Record a notice: the physician (among the region's), the year, the justification.
    ``?physician=&year=`` fill the form (the committee's list links here); ``?post=`` is the
    post vacant past its hiring deadline the notice is proposed from: shown, its sentence
    fills the justification, and it is kept with the notice."""
    region = access.access_drmg_notice_region(request.user)  # 403 for anybody but the DRMG
    post = _notice_post(request)
    physicians = [
        (physician.code, f"{physician.name} ({physician.code})")
        for physician in access.visible_physicians(request.user).order_by("name", "code")
    ]
    initial: dict[str, Any] = {"physician": request.GET.get("physician", "")}
    year = _year(request.GET.get("year"))
    if year is not None:
        initial["year"] = year
    vacancy = None
    if post is not None:
        # The year of the link, else the one the form proposes (the one just ended).
        vacancy = queries.vacancy(post, year or timezone.localdate().year - 1)
        if vacancy is not None:
            initial["justification"] = queries.notice_justification(vacancy)
    form = NoticeForm(request.POST or None, physicians=physicians, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.do_record_drmg_notice(
                region,
                form.cleaned_data["physician"],
                form.cleaned_data["year"],
                form.cleaned_data["justification"],
                acting_user=request.user,
                post=post,
            )
        except AssiduityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Notice recorded: the computations of %(year)s started from now on deem "
                    "the physician to meet the target."
                )
                % {"year": notice.year},
            )
            return redirect("assiduity:notice", notice.pk)
    context = {
        "form": form,
        "region": region,
        "post": post,
        "post_type": type_label(post.professional_type) if post else "",
        "deadline": queries.hiring_deadline(post) if post else None,
        "vacancy": vacancy,
    }
    return render(request, "assiduity/notices/new.html", context)


def _notice_context(request: HttpRequest, notice: DrmgNotice) -> dict[str, Any]:
    names = figures.physician_names(notice.region, [notice.physician_code])
    post = notice.post
    return {
        "notice": notice,
        "name": names.get(notice.physician_code, ""),
        "gmf_name": figures.gmf_names(notice.region).get(notice.gmf_code, ""),
        "reading": figures.notice_reading(notice),
        # The post vacant past its deadline the notice was recorded from (its evidence).
        "post": post,
        "post_type": type_label(post.professional_type) if post else "",
        "post_vacancy": queries.vacancy(post, notice.year) if post else None,
        "deadline": queries.hiring_deadline(post) if post else None,
    }


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A notice: the physician, GMF, year, justification, who recorded it and when (and
    withdrew it), the latest computation of its year and whether it read the notice."""
    notice = access.access_drmg_notice(request.user, pk)
    can_withdraw = notice.active and access.can_record_drmg_notice(request.user)
    context = {
        **_notice_context(request, notice),
        "can_withdraw": can_withdraw,
        "can_compute": access.can_compute_assiduity(request.user),
        "withdraw_form": NoticeWithdrawForm() if can_withdraw else None,
    }
    return render(request, "assiduity/notices/detail.html", context)


@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A notice as a document to print for the paritary committee (WeasyPrint), opened in
    the browser."""
    import weasyprint

    notice = access.access_drmg_notice(request.user, pk)
    html = render_to_string(
        "assiduity/notices/notice_pdf.html",
        {**_notice_context(request, notice), "today": timezone.localdate()},
        request=request,
    )
    response = HttpResponse(
        weasyprint.HTML(string=html, base_url=None).write_pdf(), content_type="application/pdf"
    )
    name = f"avis-drmg-{notice.physician_code}-{notice.year}-{notice.pk}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
@require_POST
def notice_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a notice for the reason posted (required)."""
    notice = access.access_drmg_notice(request.user, pk, record=True)  # the DRMG only
    form = NoticeWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the notice is withdrawn."))
        return redirect("assiduity:notice", notice.pk)
    try:
        services.do_withdraw_drmg_notice(
            notice, form.cleaned_data["reason"], acting_user=request.user
        )
    except AssiduityError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Notice withdrawn: the computations started from now on no longer apply it."),
        )
    return redirect("assiduity:notice", notice.pk)
