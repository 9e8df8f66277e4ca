"""The cycle's selection (docs/quality-plan.md §5): the region's physicians with their
selection for the current cycle; a coach or the DRMG selects one (with the day their
requirement is due) or records a one-year deferral.

===============  ====================================  ================================
page             who                                   refused
===============  ====================================  ================================
selection_list   a QI coach, the DRMG (their region)   a physician, other roles: 403
selection_defer  a QI coach, the DRMG (POST)           a physician: 403; another
                                                       region's selection: 404
===============  ====================================  ================================

The writes are :mod:`web.quality.services.selection`.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from panelcare.quality import cycle
from web.accounts import access
from web.quality import messages as quality_messages
from web.quality.errors import SelectionRefused
from web.quality.forms.selection import SelectForm
from web.quality.models import Selection
from web.quality.services import selection as services


@login_required
def selection_list(request: HttpRequest) -> HttpResponse:
    """The region's physicians and their selection for the current cycle; the form to
    select one more."""
    region = access.access_quality_region(request.user, select=True)  # a coach, the DRMG
    physicians = access.selectable_physicians(request.user)
    today = timezone.localdate()
    current = services.current_cycle(today)
    form = SelectForm(
        request.POST or None,
        physicians=physicians.exclude(qi_selections__cycle=current),
        # The cycle's last day: the DRMG may bring it forward (the source gives none).
        initial={"due": datetime.date(current + cycle.CYCLE_YEARS - 1, 12, 31)},
    )
    if request.method == "POST" and form.is_valid():
        physician = form.cleaned_data["physician"]
        try:
            services.do_select_physician(
                region,
                physician,
                current,
                form.cleaned_data["due"],
                on=today,
                acting_user=request.user,
            )
        except SelectionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s is selected for the %(cycle)s cycle.")
                % {"name": physician.name, "cycle": services.cycle_name(current)},
            )
            return redirect("quality:selection")
    selections = {
        selection.physician_id: selection
        for selection in Selection.objects.filter(region=region, cycle=current)
    }
    rows = []
    for physician in physicians.select_related("rls"):
        selection = selections.get(physician.pk)
        status = (
            cycle.status(services.cycle_record(selection), on=today)
            if selection is not None
            else "not_selected"
        )
        rows.append(
            {
                "physician": physician,
                "selection": selection,
                "status_label": quality_messages.status_label(status),
                "may_defer": selection is not None
                and selection.deferred_on is None
                and selection.completed_on is None,
            }
        )
    context = {
        "cycle_label": services.cycle_name(current),
        "rows": rows,
        "form": form,
    }
    return render(request, "quality/selection/list.html", context)


@login_required
@require_POST
def selection_defer(request: HttpRequest, pk: int) -> HttpResponse:
    """Defer the selection by one year, recorded today."""
    selection = access.access_selection(request.user, pk)  # the region's, a coach or DRMG
    try:
        services.do_defer_selection(selection, on=timezone.localdate(), acting_user=request.user)
    except SelectionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The selection of %(name)s is deferred: the requirement is now due on %(due)s.")
            % {
                "name": selection.physician.name,
                "due": date_format(selection.due, "DATE_FORMAT"),
            },
        )
    return redirect("quality:selection")
