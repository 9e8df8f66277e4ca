"""A post's DRMG notice proposals (EP 40, 15.01 B): for each year the post was vacant
past its hiring deadline, the GMF's members that year, each with a link to the
assiduity's notice form filled with the physician, the year and the post.

==================  ============================  ====================================
page                who                           refused
==================  ============================  ====================================
notice_proposals    DRMG (the region's posts)     GMF and CISSS/CIUSSS managers and
                                                  every other role 403; another
                                                  region's post 404
==================  ============================  ====================================

The DRMG decides: the link opens the form (``assiduity:notice-new``), which the DRMG edits
and records, or not. Nothing here writes.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from web.accounts import access
from web.assiduity.models import DrmgNotice
from web.comanagement import queries
from web.comanagement.models import Post
from web.comanagement.reference import type_label
from web.regions.models import GmfMembership, Physician


def _members(post: Post, year: int) -> list[dict[str, Any]]:
    """The physicians with a membership of the post's GMF on some day of ``year`` (the
    GMF memberships in force, half-open periods), by name."""
    first, after = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    region = post.gmf.rls.region
    codes = set(
        GmfMembership.objects.filter(region=region, gmf_code=post.gmf.code, start_date__lt=after)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=first))
        .values_list("physician_code", flat=True)
    )
    names = dict(
        Physician.objects.filter(rls__region=region, code__in=codes).values_list("code", "name")
    )
    notices = {
        notice.physician_code: notice
        for notice in DrmgNotice.objects.active().filter(
            region=region, year=year, physician_code__in=codes
        )
    }
    members = [
        {"code": code, "name": names.get(code, ""), "notice": notices.get(code)} for code in codes
    ]
    return sorted(members, key=lambda member: (member["name"] or member["code"], member["code"]))


@login_required
def notice_proposals(request: HttpRequest, pk: int) -> HttpResponse:
    """The post's years vacant past its deadline and, for each, the GMF's members with a
    link to propose the notice (or to the notice already in force)."""
    if access.comanagement_side(request.user) != "drmg":  # 403 for any other role
        raise PermissionDenied
    post = access.access_comanagement_record(request.user, Post, pk)  # 404 outside the region
    post = Post.objects.select_related("gmf__rls__region").get(pk=post.pk)
    years = [
        {"vacancy": vacancy, "members": _members(post, vacancy.year)}
        for vacancy in queries.post_vacancies(post)
    ]
    context = {
        "post": post,
        "type_label": type_label(post.professional_type),
        "deadline": queries.hiring_deadline(post),
        "years": years,
    }
    return render(request, "comanagement/notices/proposals.html", context)
