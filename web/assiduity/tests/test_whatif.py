"""The what-ifs of a physician's rate (``/assiduity/runs/<pk>/physicians/<code>/what-if/``,
:mod:`web.assiduity.whatifs`): the rate before is the computation's, each change of the
engine moves it as it should, the form refuses what it must field by field, nothing is
written, and each reader of the physician's page (and only they) opens it.

The demo region of 2025: D00003 (Mélanie Lagacé, Rimouski, GMF of the ``gestion.gmf``
manager, the ``medecin`` account) sees colleague D00006 make counted, not assiduous,
visits to her patients; her patients made P4/P5 emergency visits. The demo's visits
depend on the day it is loaded (today): the figures expected are read from the
computation, never written here.
"""

from __future__ import annotations

import datetime
import os
import re

import pytest
from django.conf import settings
from django.urls import reverse

from panelcare.assiduity import results
from web.assiduity import figures, services, whatifs
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.audit.models import AuditEvent
from web.dashboard.templatetags.panelcare_format import half_up, pct
from web.regions.models import GmfMembership, Region
from web.regions.testing import visible_text
from web.tables.models import Dataset

pytestmark = pytest.mark.django_db

PHYSICIAN = "D00003"  # the ``medecin`` account, of cml.rimouski's RLS
COLLEAGUE = "D00006"  # of the same RLS, not of D00003's GMF


def url(run: AssiduityRun, code: str = PHYSICIAN) -> str:
    return reverse("assiduity:physician-whatif", args=[run.pk, code])


def half_of_the_er_visits(run: AssiduityRun) -> tuple[str, str, str, int]:
    """D00003's rate before and after half of her P4/P5 ER visits at the clinic, in the
    active language as the page writes them, the difference in points, and the visits
    moved."""
    outcome = whatifs.physician_whatif(run, PHYSICIAN, whatifs.Scenario(er_share=50))
    assert outcome.points is not None and outcome.after.rate is not None
    points = str(half_up(outcome.points, 1))
    return pct(outcome.before.rate), pct(outcome.after.rate), points, outcome.er_moved


def gmf_of(code: str) -> str:
    membership = GmfMembership.objects.filter(physician_code=code).order_by("-start_date").first()
    assert membership is not None
    return membership.gmf.code


# --------------------------------------------------------------------------- the engine's side


@pytest.mark.parametrize("code", [PHYSICIAN, COLLEAGUE, "D00010"])
def test_it_gives_the_computation_s_rate_before(done_run, code):
    stored = figures.rate_row(done_run, code)
    outcome = whatifs.physician_whatif(done_run, code, whatifs.Scenario(er_share=0))
    assert stored is not None
    before = outcome.before
    assert (before.rate, before.tier, before.counted_visits, before.assiduous_visits) == (
        stored["rate"],
        stored["tier"],
        stored["counted_visits"],
        stored["assiduous_visits"],
    )
    assert before.payment_share == stored["payment_pct"] / 100
    assert outcome.after == before  # 0 % moves nothing
    assert outcome.er_visits and outcome.er_moved == 0


def test_it_reads_the_drmg_notices_the_computation_read(region, drmg):
    # D00003 is deemed by a DRMG notice recorded before the computation, D00004 by one
    # recorded after it (the next computation's). Both leave G0001 for G0002: their own
    # visits at G0001's site stop counting, the rate falls below the scale; D00003 stays
    # paid in full, as the computation read her notice, D00004 does not.
    services.do_record_drmg_notice(region, PHYSICIAN, YEAR, "Personnel.", acting_user=drmg)
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    assert run.status == AssiduityRunStatus.DONE, run.error
    services.do_record_drmg_notice(region, "D00004", YEAR, "Après le calcul.", acting_user=drmg)
    other_gmf = gmf_of("D00010")
    paid = {}
    for code in (PHYSICIAN, "D00004"):
        stored = figures.rate_row(run, code)
        assert stored is not None
        outcome = whatifs.physician_whatif(run, code, whatifs.Scenario(gmf=other_gmf))
        assert (outcome.before.rate, outcome.before.payment_share) == (
            stored["rate"],
            stored["payment_pct"] / 100,
        )
        assert outcome.after.tier == "none"
        paid[code] = outcome.after.payment_share
    assert paid == {PHYSICIAN: 1.0, "D00004": 0.0}


def test_it_moves_the_share_of_the_er_visits_asked(done_run):
    half = whatifs.physician_whatif(done_run, PHYSICIAN, whatifs.Scenario(er_share=50))
    every = whatifs.physician_whatif(done_run, PHYSICIAN, whatifs.Scenario(er_share=100))
    visits = every.er_visits
    assert visits > 1 and half.er_visits == visits
    # Half, rounded half up (18.5 -> 19), and all.
    assert (half.er_moved, every.er_moved) == ((visits + 1) // 2, visits)
    rates = (half.before.rate, half.after.rate, every.after.rate)
    assert None not in rates
    before, after, all_moved = (float(rate or 0) for rate in rates)
    assert before < after < all_moved
    assert half.points == pytest.approx((after - before) * 100)
    # A moved visit counts as the physician's own: one more assiduous visit each (those
    # already counted), never fewer counted visits.
    assert every.after.assiduous_visits > half.after.assiduous_visits
    assert every.after.counted_visits >= every.before.counted_visits


def test_it_spreads_a_share_evenly_over_the_visits():
    visits = [f"v{i}" for i in range(10)]
    assert whatifs.chosen_visits(visits, 50) == ("v1", "v3", "v5", "v7", "v9")
    assert whatifs.chosen_visits(visits, 0) == ()
    assert whatifs.chosen_visits(visits, 100) == tuple(visits)
    assert len(whatifs.chosen_visits(visits, 25)) == 3  # 2.5 rounded half up
    assert whatifs.chosen_visits([], 50) == ()


def test_it_credits_the_members_visits_when_the_physician_joins_their_gmf(done_run):
    # D00006 is no GMF's member; G0001's members made 262 visits to his patients at
    # G0001's site: joining it, they become his group's, and his own visits at his
    # cabinet (not a site of G0001) stop counting.
    scenario = whatifs.Scenario(gmf=gmf_of(PHYSICIAN))
    outcome = whatifs.physician_whatif(done_run, COLLEAGUE, scenario)
    (change,) = outcome.changes
    assert (change.physician_id, change.gmf_id, change.start_date) == (
        COLLEAGUE,
        gmf_of(PHYSICIAN),
        datetime.date(YEAR, 1, 1),
    )
    assert outcome.after.counted_visits < outcome.before.counted_visits
    assert outcome.points is not None and outcome.points > 0
    stored = figures.rate_row(done_run, COLLEAGUE)
    assert stored is not None and outcome.before.tier == stored["tier"]


def test_it_joins_a_colleague_to_the_gmf_from_a_day_of_the_year(done_run):
    # D00006 joins D00003's GMF from 1 July: his visits to her patients are at his
    # cabinet, not a site of the GMF, so her rate stays (the rules credit a member's
    # visits at the GMF's sites only).
    scenario = whatifs.Scenario(
        gmf=gmf_of(PHYSICIAN), joiner=COLLEAGUE, gmf_start=datetime.date(YEAR, 7, 1)
    )
    outcome = whatifs.physician_whatif(done_run, PHYSICIAN, scenario)
    (change,) = outcome.changes
    assert (change.physician_id, change.start_date) == (COLLEAGUE, datetime.date(YEAR, 7, 1))
    assert outcome.after == outcome.before


def test_it_adds_an_ips_partnership_with_the_physician(done_run):
    ips = whatifs.whatif_choices(done_run, PHYSICIAN).ips[0][0]
    outcome = whatifs.physician_whatif(done_run, PHYSICIAN, whatifs.Scenario(ips=ips))
    (change,) = outcome.changes
    assert (change.ips_id, change.physician_id, change.start_date) == (
        ips,
        PHYSICIAN,
        datetime.date(YEAR, 1, 1),
    )
    # No IPS-SPL of the demo sees her patients unpartnered: nothing to credit.
    assert outcome.after == outcome.before


def test_it_offers_the_region_s_gmfs_and_the_colleagues_who_saw_the_patients(done_run):
    choices = whatifs.whatif_choices(done_run, PHYSICIAN)
    assert {code for code, _name in choices.gmfs} >= {gmf_of(PHYSICIAN), gmf_of("D00010")}
    assert all(not name.startswith("G0") for _code, name in choices.gmfs)  # named
    assert choices.joiners[0][0] == PHYSICIAN
    # The colleague who made the most uncounted visits to her patients comes next, with
    # their number.
    visits = results.read_physician_visits(done_run.results_folder, PHYSICIAN).to_pylist()
    made = [v for v in visits if v["counted"] and not v["assiduous"]]
    by_colleague = {v["provider_id"]: 0 for v in made if v["provider_id"] != PHYSICIAN}
    for visit in made:
        if visit["provider_id"] in by_colleague:
            by_colleague[visit["provider_id"]] += 1
    code, label = choices.joiners[1]
    assert by_colleague[code] == max(by_colleague.values())
    assert str(by_colleague[code]) in label
    assert choices.ips and all(code.startswith("I") for code, _name in choices.ips)


# --------------------------------------------------------------------------- the page


def test_it_shows_the_form_with_the_stored_rate(cml_client, done_run):
    response = cml_client.get(url(done_run))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="whatif-form"' in page
    assert 'data-testid="whatif-result"' not in page
    stored = figures.rate_row(done_run, PHYSICIAN)
    assert stored is not None
    assert pct(stored["rate"]) in visible_text(page)
    assert reverse("assiduity:physician", args=[done_run.pk, PHYSICIAN]) in page


def test_it_shows_the_rate_before_and_after_a_redirection(cml_client, done_run):
    response = cml_client.get(url(done_run), {"er_share": "50"})
    assert response.status_code == 200
    page = response.content.decode()
    before = re.findall(r'data-testid="rate-before">([^<]*)<', page)
    after = re.findall(r'data-testid="rate-after">([^<]*)<', page)
    rate_before, rate_after, points, moved = half_of_the_er_visits(done_run)
    assert (before, after) == ([rate_before], [rate_after])
    text = " ".join(visible_text(page).split())
    assert f"from {rate_before} to {rate_after}: {points} points more" in text
    assert f"{moved} would be made at the clinic instead" in text
    assert "no table, computation or rate was changed" in text


def test_it_answers_a_post_as_a_get(cml_client, done_run):
    response = cml_client.post(url(done_run), {"er_share": "100"})
    assert response.status_code == 200
    assert 'data-testid="whatif-result"' in response.content.decode()


def test_it_names_the_colleague_and_the_gmf_joined(cml_client, done_run):
    gmf = gmf_of(PHYSICIAN)
    response = cml_client.get(url(done_run), {"gmf": gmf, "joiner": COLLEAGUE})
    text = " ".join(visible_text(response.content.decode()).split())
    assert "Gaétan Hudon (D00006) joins GMF du Fleuve" in text
    assert "January 1, 2025" in text or "Jan. 1, 2025" in text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"er_share": "150"}, "er_share", "less than or equal to 100"),
        ({"er_share": "-5"}, "er_share", "greater than or equal to 0"),
        ({"er_share": "half"}, "er_share", "Enter a whole number"),
        ({"gmf": "G-NOWHERE"}, "gmf", "Select a valid choice"),
        ({"ips": "I-NOWHERE"}, "ips", "Select a valid choice"),
        ({"joiner": "D-NOWHERE", "gmf": "G0001"}, "joiner", "Select a valid choice"),
        ({"joiner": COLLEAGUE}, "gmf", "Choose the GMF the colleague joins"),
        ({"gmf": "G0001", "gmf_start": "2024-12-31"}, "gmf_start", "Choose a day of 2025"),
        ({"ips": "I00001", "ips_start": "2026-01-01"}, "ips_start", "Choose a day of 2025"),
        ({"ips": "I00001", "ips_start": "2025-02-30"}, "ips_start", "Enter a valid date"),
        ({"er_share": ""}, None, "Choose at least one change"),
    ],
)
def test_it_refuses_a_wrong_what_if_field_by_field(cml_client, done_run, data, field, message):
    response = cml_client.get(url(done_run), {"joiner": PHYSICIAN, **data})
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field or "__all__", [])
    assert any(message in error for error in errors), form.errors
    assert response.context["outcome"] is None
    assert message in response.content.decode()


def test_it_writes_nothing(cml_client, done_run):
    def files() -> dict[str, tuple[float, int]]:
        found = {}
        for folder, _dirs, names in os.walk(settings.PANELCARE_DATA_DIR):
            for name in names:
                path = os.path.join(folder, name)
                status = os.stat(path)
                found[path] = (status.st_mtime, status.st_size)
        return found

    def rows() -> tuple[int, int, int]:
        return Dataset.objects.count(), AssiduityRun.objects.count(), AuditEvent.objects.count()

    before_files, before_rows = files(), rows()
    run_before = AssiduityRun.objects.get(pk=done_run.pk)
    response = cml_client.get(
        url(done_run), {"er_share": "100", "gmf": gmf_of(PHYSICIAN), "joiner": COLLEAGUE}
    )
    assert response.context["outcome"].after != response.context["outcome"].before
    assert before_files and files() == before_files
    assert rows() == before_rows
    run_after = AssiduityRun.objects.get(pk=done_run.pk)
    assert (run_after.summary, run_after.versions, run_after.status) == (
        run_before.summary,
        run_before.versions,
        run_before.status,
    )


# --------------------------------------------------------------------------- who opens it


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("medecin", PHYSICIAN),  # themself
        ("cml.rimouski", PHYSICIAN),  # their RLS's CML
        ("drmg", "D00010"),  # the region's DRMG
        ("gestion.gmf", PHYSICIAN),  # their GMF's manager
    ],
)
def test_it_opens_to_the_readers_of_the_physician_s_page(client_as, done_run, username, code):
    assert client_as(username).get(url(done_run, code)).status_code == 200


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("medecin", COLLEAGUE),  # another physician
        ("cml.kamouraska", PHYSICIAN),  # another RLS's CML
        ("gestion.gmf", COLLEAGUE),  # a physician outside the manager's GMF
        ("drmg", "D99999"),  # a physician the computation has no rate for
    ],
)
def test_it_answers_404_outside_the_reader_s_physicians(client_as, done_run, username, code):
    response = client_as(username).get(url(done_run, code), {"er_share": "50"})
    assert response.status_code == 404


def test_it_answers_404_for_another_region_s_run(client_as, done_run):
    other = AssiduityRun.objects.create(
        region=Region.objects.create(code="99", name="Autre région"),
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=done_run.created_by,
    )
    for username in ("drmg", "cml.rimouski", "medecin"):
        assert client_as(username).get(url(other)).status_code == 404


def test_it_answers_404_for_a_computation_not_finished(client_as, region, drmg, hold_queue):
    queued = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    assert client_as("cml.rimouski").get(url(queued)).status_code == 404


@pytest.mark.parametrize("username", ["ciusss", "coach"])
def test_it_answers_403_to_the_roles_the_assiduity_is_not_for(client_as, done_run, username):
    assert client_as(username).get(url(done_run), {"er_share": "50"}).status_code == 403


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, done_run):
    response = client.get(url(done_run))
    assert response.status_code == 302 and "login" in response["Location"]


# --------------------------------------------------------------------------- in French


class TestInFrench:
    @pytest.fixture
    def _english(self, french: None) -> None:
        """French here: overrides the assiduity conftest's English."""

    def test_it_says_everything_in_french_words_and_percents(self, client_as, done_run):
        from web.assiduity.tests.test_french_pages import code_words

        client = client_as("medecin")
        for data in ({}, {"er_share": "50", "ips": "I00001"}, {"er_share": "200"}):
            response = client.get(url(done_run), data)
            assert response.status_code == 200
            page = response.content.decode()
            assert 'lang="fr"' in page
            assert code_words(page) == [], data
        assert re.search(r'data-testid="rate-after">\d{2},\d %<', page) is None  # refused
        response = client.get(url(done_run), {"er_share": "50"})
        page = response.content.decode()
        rate_before, rate_after, points, _moved = half_of_the_er_visits(done_run)
        assert "," in rate_before  # a French percent
        assert f'data-testid="rate-before">{rate_before}<' in page
        assert f'data-testid="rate-after">{rate_after}<' in page
        assert points.replace(".", ",") in visible_text(page)

    def test_it_refuses_a_share_over_100_in_french(self, client_as, done_run):
        response = client_as("medecin").get(url(done_run), {"er_share": "150"})
        assert "inférieure ou égale à 100" in response.content.decode()
