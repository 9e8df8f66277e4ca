"""The review of a group's submitted plan by its coach (docs/quality-plan.md §5): the plan,
the history of its reviews, and a form to comment, request changes or accept it. Only the
coach following the group reviews: 403 for whoever else sees the group, 404 outside."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from web.accounts import access
from web.quality.errors import QualityError
from web.quality.forms.plans import ReviewForm
from web.quality.models import Plan, PlanStatus, ReviewOutcome
from web.quality.services import plans as services
from web.quality.views.plans import plan_context

_DONE = {
    ReviewOutcome.COMMENTS: _("Your comments are sent to the group; the plan stays under review."),
    ReviewOutcome.CHANGES_REQUESTED: _("The plan is given back to the group for changes."),
    ReviewOutcome.ACCEPTED: _(
        "The plan is accepted: every member's requirement is met and their certificate is ready."
    ),
}


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.access_group(request.user, pk, write="coach")
    plan = Plan.objects.filter(group=group).first()
    if plan is None:
        raise Http404  # nothing to review before the group writes its plan
    under_review = plan.status == PlanStatus.SUBMITTED
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = form.cleaned_data["outcome"]
        try:
            services.do_review_plan(
                plan, outcome, form.cleaned_data["comment"], acting_user=request.user
            )
        except QualityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, str(_DONE[ReviewOutcome(outcome)]))
            return redirect("quality:review", group.pk)
    return render(
        request,
        "quality/review/review.html",
        {
            **plan_context(group, plan),
            # A refused review keeps its form and error, whatever the status became.
            "form": form if under_review or form.is_bound else None,
            "completions": list(group.completions.select_related("physician")),
        },
    )
