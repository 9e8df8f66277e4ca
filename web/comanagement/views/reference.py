"""The reference pages of co-management (docs/comanagement-plan.md §1 and §4): the region's
level tables (the DRMG publishes) and an establishment's agreement rules (its CISSS/CIUSSS
manager publishes). Everybody with co-management reads; a version is never edited, a new
one is published."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from panelcare.comanagement import levels, schedules
from web.accounts import access
from web.comanagement import reference
from web.comanagement.errors import ReferenceRefused
from web.comanagement.forms.reference import AgreementRulesForm, LevelTableForm
from web.comanagement.models import AgreementRulesVersion
from web.comanagement.services import reference as services

# What a region or an establishment without any version starts from: the shipped files.
_DEMO_LEVELS = levels.DEMO_LEVEL_FILE


def _may(check: Callable[..., object], *args: object, **kwargs: object) -> bool:
    """Whether an access check passes, for a page's buttons."""
    try:
        check(*args, **kwargs)
    except PermissionDenied:
        return False
    return True


@login_required
def level_list(request: HttpRequest) -> HttpResponse:
    region = access.access_level_tables(request.user)
    today = timezone.localdate()
    in_force = reference.level_table_in_force(region, today)
    return render(
        request,
        "comanagement/reference/level_list.html",
        {
            "region": region,
            "versions": region.level_tables.select_related("created_by").order_by("-number"),
            "in_force": in_force,
            "illustrative": reference.illustrative_banner_needed(in_force),
            "may_publish": _may(access.access_level_tables, request.user, edit=True),
        },
    )


@login_required
def level_new(request: HttpRequest) -> HttpResponse:
    region = access.access_level_tables(request.user, edit=True)
    today = timezone.localdate()
    if request.method == "POST":
        form = LevelTableForm(request.POST)
        if form.is_valid():
            try:
                version = services.do_publish_level_table(
                    region,
                    form.cleaned_data["text"],
                    form.cleaned_data["in_force_from"],
                    form.cleaned_data["note"],
                    acting_user=request.user,
                )
            except ReferenceRefused as error:
                form.add_error("text", str(error))
            else:
                messages.success(
                    request,
                    _("Version %(number)s of the level table is published.")
                    % {"number": version.number},
                )
                return redirect("comanagement:level-detail", version.pk)
    else:
        start = (
            reference.level_table_in_force(region, today)
            or region.level_tables.order_by("-number").first()
        )
        text = start.text if start is not None else _shipped_levels()
        form = LevelTableForm(initial={"text": text, "in_force_from": today})
    return render(
        request, "comanagement/reference/level_new.html", {"region": region, "form": form}
    )


@login_required
def level_detail(request: HttpRequest, pk: int) -> HttpResponse:
    region = access.access_level_tables(request.user)
    version = get_object_or_404(region.level_tables.select_related("created_by"), pk=pk)
    in_force = reference.level_table_in_force(region, timezone.localdate())
    return render(
        request,
        "comanagement/reference/level_detail.html",
        {
            "region": region,
            "version": version,
            "page": reference.level_table_page(version),
            "in_force_now": in_force is not None and in_force.pk == version.pk,
            "illustrative": reference.illustrative_banner_needed(version),
            "may_publish": _may(access.access_level_tables, request.user, edit=True),
        },
    )


@login_required
def agreement_list(request: HttpRequest, code: str) -> HttpResponse:
    establishment = access.access_agreement_rules(request.user, code)
    in_force = reference.rules_in_force(establishment, timezone.localdate())
    return render(
        request,
        "comanagement/reference/agreement_list.html",
        {
            "establishment": establishment,
            "versions": establishment.agreement_rules.select_related("created_by").order_by(
                "-number"
            ),
            "in_force": in_force,
            "illustrative": reference.illustrative_banner_needed(in_force),
            "may_publish": _may(access.access_agreement_rules, request.user, code, edit=True),
        },
    )


@login_required
def agreement_new(request: HttpRequest, code: str) -> HttpResponse:
    establishment = access.access_agreement_rules(request.user, code, edit=True)
    today = timezone.localdate()
    if request.method == "POST":
        form = AgreementRulesForm(request.POST, code=establishment.code)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = services.do_publish_agreement_rules(
                    establishment,
                    data["text"],
                    data["in_force_from"],
                    data["note"],
                    data["training_decide_within_days"],
                    data["attendance_approve_within_days"],
                    data["integration_due_days"],
                    acting_user=request.user,
                )
            except ReferenceRefused as error:
                field = "text"
                if error.key in form.fields:
                    field = error.key
                form.add_error(field, str(error))
            else:
                messages.success(
                    request,
                    _("Version %(number)s of the agreement rules is published.")
                    % {"number": version.number},
                )
                return redirect("comanagement:agreement-detail", establishment.code, version.pk)
    else:
        start = (
            reference.rules_in_force(establishment, today)
            or establishment.agreement_rules.order_by("-number").first()
        )
        initial: dict[str, object] = {"in_force_from": today}
        if start is not None:
            initial.update(
                text=start.text,
                training_decide_within_days=start.training_decide_within_days,
                attendance_approve_within_days=start.attendance_approve_within_days,
                integration_due_days=start.integration_due_days,
            )
        else:
            defaults = AgreementRulesVersion._meta
            initial.update(
                text=schedules.DEFAULT_AGREEMENTS_FILE.read_text("utf-8"),
                **{
                    name: defaults.get_field(name).default
                    for name in (
                        "training_decide_within_days",
                        "attendance_approve_within_days",
                        "integration_due_days",
                    )
                },
            )
        form = AgreementRulesForm(initial=initial, code=establishment.code)
    return render(
        request,
        "comanagement/reference/agreement_new.html",
        {"establishment": establishment, "form": form},
    )


@login_required
def agreement_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    establishment = access.access_agreement_rules(request.user, code)
    version = get_object_or_404(
        establishment.agreement_rules.select_related("created_by", "establishment"), pk=pk
    )
    today = timezone.localdate()
    in_force = reference.rules_in_force(establishment, today)
    return render(
        request,
        "comanagement/reference/agreement_detail.html",
        {
            "establishment": establishment,
            "version": version,
            "year": today.year,
            "page": reference.agreement_rules_page(version, today.year),
            "in_force_now": in_force is not None and in_force.pk == version.pk,
            "illustrative": reference.illustrative_banner_needed(version),
            "may_publish": _may(access.access_agreement_rules, request.user, code, edit=True),
        },
    )


def _shipped_levels() -> str:
    from importlib import resources

    return resources.files("panelcare.comanagement").joinpath(_DEMO_LEVELS).read_text("utf-8")
