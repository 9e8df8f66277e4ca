"""A problem's life: raised by the CML (the GMF required, of the RLS, for a GMF not
meeting its target), answered once by the DRMG, then closed, read-only; each write in the
audit with the problem's RLS; the suggestion of 5.3.5; the DRMG's dashboard panel."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from web.attribution.models import (
    AttributionAction,
    ProblemKind,
    ProblemReport,
    ProblemStatus,
    Run,
    RunStatus,
)
from web.attribution.problem_forms import every_physician_above_full_workload
from web.attribution.services_problems import (
    DESCRIPTION_MAX_LENGTH,
    ProblemRefused,
    do_answer_problem,
    do_close_problem,
    do_raise_problem,
)
from web.audit.models import AuditEvent
from web.regions.models import Gmf, Rls

pytestmark = pytest.mark.django_db

NEW = "attribution:problem-new"


@pytest.fixture
def problem(rimouski: Rls, cml: User) -> ProblemReport:
    """An open problem of Rimouski-Neigette raised by its CML."""
    return do_raise_problem(
        rimouski, ProblemKind.SHORTAGE, "Two departures in May.", acting_user=cml
    )


def _detail(problem: ProblemReport) -> str:
    return reverse("attribution:problem-detail", args=[problem.pk])


def _entries(problem: ProblemReport) -> list[AuditEvent]:
    return list(AuditEvent.objects.about(problem).order_by("pk"))


# --------------------------------------------------------------------------- raising


def test_it_raises_a_problem_from_the_form(cml_client: Client, rimouski: Rls):
    response = cml_client.post(
        reverse(NEW),
        {"rls": rimouski.code, "kind": ProblemKind.SHORTAGE, "description": "  Two left.  "},
    )
    problem = ProblemReport.objects.get(rls=rimouski)
    assert response.status_code == 302
    assert response.url == _detail(problem)
    assert problem.status == ProblemStatus.OPEN
    assert problem.description == "Two left."
    assert problem.raised_by.username == "cml.rimouski"
    [entry] = _entries(problem)
    assert entry.action == AttributionAction.PROBLEM_RAISED
    assert entry.rls_code == rimouski.code
    assert entry.details["kind"] == ProblemKind.SHORTAGE


def test_it_requires_the_gmf_of_a_gmf_not_meeting_its_target(cml_client: Client, rimouski: Rls):
    response = cml_client.post(
        reverse(NEW),
        {"rls": rimouski.code, "kind": ProblemKind.GMF_TARGET_MISSED, "description": "Far."},
    )
    assert response.status_code == 200
    assert "gmf" in response.context["form"].errors
    assert not ProblemReport.objects.exists()


def test_it_records_the_gmf_not_meeting_its_target(cml_client: Client, rimouski: Rls):
    gmf = Gmf.objects.filter(rls=rimouski).first()
    assert gmf is not None
    cml_client.post(
        reverse(NEW),
        {
            "rls": rimouski.code,
            "kind": ProblemKind.GMF_TARGET_MISSED,
            "gmf": gmf.code,
            "description": "Half of its target after six months.",
        },
    )
    problem = ProblemReport.objects.get()
    assert problem.gmf == gmf
    assert _entries(problem)[0].details["gmf"] == gmf.code


def test_it_refuses_a_gmf_of_another_rls(cml_client: Client, rimouski: Rls, other_rls: Rls):
    gmf = Gmf.objects.filter(rls=other_rls).first()
    assert gmf is not None
    response = cml_client.post(
        reverse(NEW),
        {
            "rls": rimouski.code,
            "kind": ProblemKind.GMF_TARGET_MISSED,
            "gmf": gmf.code,
            "description": "Not mine.",
        },
    )
    assert "gmf" in response.context["form"].errors
    assert not ProblemReport.objects.exists()


def test_it_refuses_a_gmf_of_another_rls_in_the_service(rimouski: Rls, other_rls: Rls, cml: User):
    gmf = Gmf.objects.filter(rls=other_rls).first()
    with pytest.raises(ProblemRefused):
        do_raise_problem(rimouski, ProblemKind.GMF_TARGET_MISSED, "x", gmf=gmf, acting_user=cml)
    with pytest.raises(ProblemRefused):
        do_raise_problem(rimouski, ProblemKind.GMF_TARGET_MISSED, "x", acting_user=cml)
    assert not ProblemReport.objects.exists()


def test_it_refuses_an_empty_or_too_long_description(cml_client: Client, rimouski: Rls, cml: User):
    too_long = "x" * (DESCRIPTION_MAX_LENGTH + 1)
    response = cml_client.post(
        reverse(NEW), {"rls": rimouski.code, "kind": ProblemKind.OTHER, "description": too_long}
    )
    assert "description" in response.context["form"].errors
    response = cml_client.post(
        reverse(NEW), {"rls": rimouski.code, "kind": ProblemKind.OTHER, "description": "   "}
    )
    assert "description" in response.context["form"].errors
    with pytest.raises(ProblemRefused):
        do_raise_problem(rimouski, ProblemKind.OTHER, too_long, acting_user=cml)
    assert not ProblemReport.objects.exists()


# --------------------------------------------------------------------------- answer, close


def test_it_answers_then_closes(drmg_client: Client, cml_client: Client, problem: ProblemReport):
    response = drmg_client.post(
        _detail(problem), {"action": "answer", "answer": "The DSP meets you on June 3."}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ANSWERED
    assert problem.answered_by.username == "drmg"
    assert problem.answered_on is not None
    # The CML reads the answer.
    page = cml_client.get(_detail(problem))
    assert b"The DSP meets you on June 3." in page.content

    drmg_client.post(_detail(problem), {"action": "close"})
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    assert problem.closed_by.username == "drmg"
    actions = [(e.action, e.rls_code) for e in _entries(problem)]
    assert actions == [
        (AttributionAction.PROBLEM_RAISED, "0115"),
        (AttributionAction.PROBLEM_ANSWERED, "0115"),
        (AttributionAction.PROBLEM_CLOSED, "0115"),
    ]


def test_it_keeps_the_first_answer(problem: ProblemReport, drmg: User):
    do_answer_problem(problem, "First.", acting_user=drmg)
    with pytest.raises(ProblemRefused, match="answered already"):
        do_answer_problem(problem, "Second.", acting_user=drmg)
    problem.refresh_from_db()
    assert problem.answer == "First."
    assert len(_entries(problem)) == 2


def test_it_refuses_a_second_answer_from_the_page(
    drmg_client: Client, problem: ProblemReport, drmg: User
):
    do_answer_problem(problem, "First.", acting_user=drmg)
    response = drmg_client.post(_detail(problem), {"action": "answer", "answer": "Second."})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.answer == "First."
    page = drmg_client.get(_detail(problem))
    assert b'data-testid="answer-form"' not in page.content
    assert b'data-testid="close-form"' in page.content


def test_it_refuses_closing_an_unanswered_problem(problem: ProblemReport, drmg: User):
    with pytest.raises(ProblemRefused, match="before closing"):
        do_close_problem(problem, acting_user=drmg)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN


def test_it_refuses_closing_twice(drmg_client: Client, problem: ProblemReport, drmg: User):
    do_answer_problem(problem, "Done.", acting_user=drmg)
    do_close_problem(problem, acting_user=drmg)
    with pytest.raises(ProblemRefused, match="closed already"):
        do_close_problem(problem, acting_user=drmg)
    response = drmg_client.post(_detail(problem), {"action": "close"}, follow=True)
    assert b"This problem is closed already." in response.content
    assert len(_entries(problem)) == 3


def test_it_keeps_a_closed_problem_read_only(
    drmg_client: Client, problem: ProblemReport, drmg: User
):
    do_answer_problem(problem, "Done.", acting_user=drmg)
    do_close_problem(problem, acting_user=drmg)
    with pytest.raises(ProblemRefused, match="closed"):
        do_answer_problem(problem, "Again.", acting_user=drmg)
    page = drmg_client.get(_detail(problem))
    assert b'data-testid="answer-form"' not in page.content
    assert b'data-testid="close-form"' not in page.content
    assert b'data-testid="problem-closed"' in page.content


def test_it_shows_an_empty_answer_as_a_form_error(drmg_client: Client, problem: ProblemReport):
    response = drmg_client.post(_detail(problem), {"action": "answer", "answer": "  "})
    assert response.status_code == 200
    assert "answer" in response.context["form"].errors
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN


def test_it_filters_the_list_by_status(
    drmg_client: Client, problem: ProblemReport, rimouski: Rls, cml: User, drmg: User
):
    answered = do_raise_problem(rimouski, ProblemKind.OTHER, "Other.", acting_user=cml)
    do_answer_problem(answered, "Seen.", acting_user=drmg)
    url = reverse("attribution:problem-list")
    assert [p.pk for p in drmg_client.get(url, {"status": "open"}).context["page"]] == [problem.pk]
    assert [p.pk for p in drmg_client.get(url, {"status": "answered"}).context["page"]] == [
        answered.pk
    ]
    page = drmg_client.get(url, {"status": "open"})
    # Labels, not code words.
    assert b"Shortage of physicians in the RLS" in page.content
    assert b">shortage<" not in page.content


# --------------------------------------------------------------------------- 5.3.5


def _with_units(run: Run, rls: Rls, units: float) -> None:
    """Every physician of ``rls`` in ``run``'s figures at ``units`` before the run."""
    for row in run.summary["pages"]["physicians"]:
        if row["rls_id"] == rls.code:
            row["units_before"] = units
    Run.objects.filter(pk=run.pk).update(summary=run.summary)


def test_it_suggests_the_problem_when_every_physician_is_above_three_units(
    cml_client: Client, done_run: Run, rimouski: Rls
):
    page = cml_client.get(reverse(NEW))
    assert page.context["suggestion"] is None
    assert page.context["form"].initial.get("kind") is None

    _with_units(done_run, rimouski, 3.2)
    page = cml_client.get(reverse(NEW))
    assert page.context["suggestion"]["run"].pk == done_run.pk
    assert page.context["form"].initial["kind"] == ProblemKind.ALL_ABOVE_THREE_UNITS
    assert b'data-testid="problem-suggestion"' in page.content


def test_it_reads_above_three_units_strictly(done_run: Run, rimouski: Rls):
    # « plus de 3 unités » (5.3.5): exactly 3 is not above.
    _with_units(done_run, rimouski, 3.0)
    done_run.refresh_from_db()
    assert not every_physician_above_full_workload(done_run, rimouski)
    _with_units(done_run, rimouski, 3.001)
    done_run.refresh_from_db()
    assert every_physician_above_full_workload(done_run, rimouski)
    assert not every_physician_above_full_workload(None, rimouski)


def test_it_reads_the_suggestion_of_the_latest_run_only(
    cml_client: Client, make_run: Callable[..., Run], done_run: Run, rimouski: Rls, cml: User
):
    _with_units(done_run, rimouski, 3.5)
    later = make_run(rls=rimouski, user=cml, status=RunStatus.DONE)
    assert later.run_date > done_run.run_date
    assert cml_client.get(reverse(NEW)).context["suggestion"] is None


# --------------------------------------------------------------------------- dashboard


def test_it_shows_the_open_problems_on_the_drmgs_dashboard(
    drmg_client: Client, problem: ProblemReport, rimouski: Rls, cml: User, drmg: User
):
    second = do_raise_problem(rimouski, ProblemKind.OTHER, "Other.", acting_user=cml)
    closed = do_raise_problem(rimouski, ProblemKind.OTHER, "Old.", acting_user=cml)
    do_answer_problem(closed, "Done.", acting_user=drmg)
    do_close_problem(closed, acting_user=drmg)
    response = drmg_client.get(reverse("dashboard:home"))
    panel = response.context["problems"]
    assert panel["open_count"] == 2
    assert panel["answered_count"] == 0
    assert {p.pk for p in panel["latest"]} == {problem.pk, second.pk}
    assert b'data-testid="problems-panel"' in response.content
    assert b"2 problems wait for your answer" in response.content
    assert _detail(second).encode() in response.content
    assert _detail(closed).encode() not in response.content


@pytest.mark.parametrize(
    "client_name",
    ["cml_client", "gmf_manager_client", "physician_client", "ciusss_client", "coach_client"],
)
def test_it_shows_the_panel_to_the_drmg_only(
    request: pytest.FixtureRequest, client_name: str, problem: ProblemReport
):
    response = request.getfixturevalue(client_name).get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert response.context["problems"] is None
    assert b'data-testid="problems-panel"' not in response.content
