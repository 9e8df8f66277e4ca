"""The writes of the problems a CML raises to the DRMG (seed 002, section 4: the CML must
« informer le DRMG de toutes situations problématiques »; 5.3.5: when every physician of
a territory is above 3 units, the DRMG and the DSP treat it first), each recording its
audit entry (``rls_code`` the problem's RLS) in the same transaction:

    problem = do_raise_problem(rls, ProblemKind.SHORTAGE, "Two departures in May.",
                               acting_user=cml)
    do_answer_problem(problem, "The DSP meets your team on June 3.", acting_user=drmg)
    do_close_problem(problem, acting_user=drmg)

A problem goes open → answered → closed, and nothing is written over: the DRMG answers
once (a second answer is refused; a new development is a new problem, or the same text
given before closing), closes only an answered problem, and a closed problem is read-only.
The caller has checked who may do what (``web.accounts.access``: a CML of the RLS raises,
the DRMG of the region answers and closes); the domain rules are checked here.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts.access import User
from web.attribution.errors import AttributionError
from web.attribution.models import AttributionAction, ProblemKind, ProblemReport, ProblemStatus
from web.audit.services import record
from web.regions.models import Gmf, Rls

__all__ = [
    "ANSWER_MAX_LENGTH",
    "DESCRIPTION_MAX_LENGTH",
    "ProblemRefused",
    "do_answer_problem",
    "do_close_problem",
    "do_raise_problem",
]

# A short description (the word): the DRMG reads a situation, not a report; the
# details follow in the conversation the answer opens.
DESCRIPTION_MAX_LENGTH = 1000
ANSWER_MAX_LENGTH = 2000


class ProblemRefused(AttributionError):
    """The problem cannot be raised, answered or closed as asked; nothing was written."""


def do_raise_problem(
    rls: Rls,
    kind: str,
    description: str,
    *,
    gmf: Gmf | None = None,
    acting_user: User,
) -> ProblemReport:
    """Record a problem of ``rls`` raised by its CML, open.

    Args:
        rls: the RLS the problem is of (the caller checked the user is its CML).
        kind: a :class:`ProblemKind`.
        description: what happens, at most :data:`DESCRIPTION_MAX_LENGTH` characters.
        gmf: the GMF concerned; required for a GMF not meeting its target, and of ``rls``.
        acting_user: the CML.

    Raises:
        ProblemRefused: an unknown kind, an empty or too long description, a missing GMF
            for a GMF not meeting its target, a GMF of another RLS.
    """
    description = description.strip()
    if kind not in ProblemKind.values:
        raise ProblemRefused(_("This kind of problem does not exist."))
    if not description:
        raise ProblemRefused(_("Describe the problem."))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ProblemRefused(
            _("Describe the problem in %(max)s characters at most.")
            % {"max": DESCRIPTION_MAX_LENGTH}
        )
    if kind == ProblemKind.GMF_TARGET_MISSED and gmf is None:
        raise ProblemRefused(_("Name the GMF that does not meet its target."))
    if gmf is not None and gmf.rls_id != rls.pk:
        raise ProblemRefused(_("The GMF named is not of this RLS."))
    with transaction.atomic():
        problem = ProblemReport.objects.create(
            region_id=rls.region_id,
            rls=rls,
            kind=kind,
            gmf=gmf,
            description=description,
            raised_by=acting_user,
            raised_on=timezone.localdate(),
        )
        record(
            AttributionAction.PROBLEM_RAISED,
            region=rls.region,
            acting_user=acting_user,
            subject=problem,
            rls_code=rls.code,
            kind=kind,
            gmf=gmf.code if gmf is not None else "",
        )
    return problem


def do_answer_problem(problem: ProblemReport, answer: str, *, acting_user: User) -> ProblemReport:
    """Record the DRMG's answer to an open ``problem``, which becomes answered.

    Raises:
        ProblemRefused: an empty or too long answer; the problem is answered already (the
            first answer stays: nothing is written over) or closed.
    """
    answer = answer.strip()
    if not answer:
        raise ProblemRefused(_("Write the answer."))
    if len(answer) > ANSWER_MAX_LENGTH:
        raise ProblemRefused(
            _("Answer in %(max)s characters at most.") % {"max": ANSWER_MAX_LENGTH}
        )
    with transaction.atomic():
        locked = _locked(problem)
        if locked.status != ProblemStatus.OPEN:
            raise ProblemRefused(
                _("This problem is answered already: its answer is kept as it was given.")
                if locked.status == ProblemStatus.ANSWERED
                else _("This problem is closed: nothing may change it any more.")
            )
        locked.answer = answer
        locked.answered_by = acting_user
        locked.answered_on = timezone.localdate()
        locked.status = ProblemStatus.ANSWERED
        locked.save(update_fields=["answer", "answered_by", "answered_on", "status"])
        record(
            AttributionAction.PROBLEM_ANSWERED,
            region=locked.region,
            acting_user=acting_user,
            subject=locked,
            rls_code=locked.rls.code,
            kind=locked.kind,
        )
    return locked


def do_close_problem(problem: ProblemReport, *, acting_user: User) -> ProblemReport:
    """Close an answered ``problem`` (the DRMG); it is read-only from then on.

    Raises:
        ProblemRefused: the problem is not answered yet (the CML reads why it is closed)
            or is closed already.
    """
    with transaction.atomic():
        locked = _locked(problem)
        if locked.status == ProblemStatus.CLOSED:
            raise ProblemRefused(_("This problem is closed already."))
        if locked.status != ProblemStatus.ANSWERED:
            raise ProblemRefused(
                _("Answer the problem before closing it: the CML reads why it is closed.")
            )
        locked.closed_by = acting_user
        locked.closed_on = timezone.localdate()
        locked.status = ProblemStatus.CLOSED
        locked.save(update_fields=["closed_by", "closed_on", "status"])
        record(
            AttributionAction.PROBLEM_CLOSED,
            region=locked.region,
            acting_user=acting_user,
            subject=locked,
            rls_code=locked.rls.code,
            kind=locked.kind,
        )
    return locked


def _locked(problem: ProblemReport) -> ProblemReport:
    """``problem`` read again under a row lock, with what the audit entry needs."""
    # Only the problem's row: its region and RLS are read, not written.
    return (
        ProblemReport.objects.select_for_update(of=("self",))
        .select_related("region", "rls")
        .get(pk=problem.pk)
    )
