"""One physician's assiduity page (``web.assiduity.views.physician``): the physician's
own (``/assiduity/me/`` leads there), a CML's and the DRMG's reading of it; its visit
list, filtered and paginated, and its exports; each refusal."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re
import shutil
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.urls import reverse
from django.utils import timezone

from panelcare.assiduity import results
from panelcare.assiduity.bands import band_gaps
from panelcare.assiduity.compute import ASSIDUOUS_REASONS, EXCLUSION_REASONS
from panelcare.assiduity.results import RESULT_FILES
from panelcare.assiduity.rules import load_rules
from web.assiduity import explanation, figures
from web.assiduity.models import AssiduityRun, AssiduityRunStatus
from web.assiduity.tests.conftest import YEAR
from web.regions.models import Physician, Region
from web.regions.testing import visible_text

pytestmark = pytest.mark.django_db

# The demo's physician account (medecin) is D00003, of Rimouski-Neigette and of the GMF
# the demo GMF manager runs; D00008 is of the other RLS and the other GMF.
OWN, OTHER_RLS = "D00003", "D00008"


def _url(run: AssiduityRun, code: str, name: str = "assiduity:physician", *args: str) -> str:
    return reverse(name, args=[run.pk, code, *args])


def _text(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def _sentences(page: str) -> list[tuple[str, str]]:
    """The band sentences of a page: (band, sentence)."""
    return [
        (band, html.unescape(sentence))
        for band, sentence in re.findall(r'<li data-band="([a-z_]+)">([^<]*)</li>', page)
    ]


def _shown_rate(page: str) -> str:
    found = re.search(r'data-testid="rate">([^<]*)<', page)
    assert found, "no rate on the page"
    return found.group(1)


def _rate(run: AssiduityRun, code: str) -> dict:
    return figures.rate_row(run, code) or {}


@pytest.fixture
def own_code(demo_user) -> str:
    code = demo_user("medecin").profile.physician.code
    assert code == OWN
    return code


@pytest.fixture
def half_rated(done_run) -> str:
    """A physician of the demo's own RLS in the half band (D00006: 70,8 %)."""
    rates = {
        row["physician_id"]: row for row in results.read_rates(done_run.results_folder).to_pylist()
    }
    code = next(
        code
        for code, row in sorted(rates.items())
        if row["tier"] == "half" and Physician.objects.get(code=code).rls.code == "0115"
    )
    return code


# --------------------------------------------------------------------------- my rate


def test_it_sends_a_physician_to_their_page_in_the_latest_computation(
    physician_client, done_run, own_code
):
    response = physician_client.get(reverse("assiduity:my-rate"))
    assert response.status_code == 302
    assert response["Location"] == _url(done_run, own_code)


def test_it_prefers_the_most_recent_year(physician_client, done_run, own_code):
    older = _copy_of(done_run, YEAR - 1)
    assert older.created_at > done_run.created_at  # newer, but of an older year
    response = physician_client.get(reverse("assiduity:my-rate"))
    assert response["Location"] == _url(done_run, own_code)


def test_it_says_so_when_no_computation_has_the_physicians_rate(physician_client, region):
    # The module's computation (made once for the module) is there: not finished here.
    AssiduityRun.objects.update(status=AssiduityRunStatus.FAILED)
    response = physician_client.get(reverse("assiduity:my-rate"))
    assert response.status_code == 404
    assert 'data-testid="no-rate"' in response.content.decode()


@pytest.mark.parametrize("username", ["drmg", "cml.rimouski", "gestion.gmf", "ciusss"])
def test_it_sends_the_other_roles_to_the_home_page(client_as, done_run, username):
    response = client_as(username).get(reverse("assiduity:my-rate"))
    assert response.status_code == 302 and response["Location"] == reverse("assiduity:home")


# --------------------------------------------------------------------------- the page


def test_it_shows_the_physician_their_rate_tier_and_share(physician_client, done_run, own_code):
    response = physician_client.get(_url(done_run, own_code))
    assert response.status_code == 200
    page = response.content.decode()
    text = _text(response)
    row = _rate(done_run, own_code)
    assert "Mélanie Lagacé" in text and f"Assiduity rate {YEAR}" in text
    rate = _shown_rate(page)
    assert rate == f"{row['rate'] * 100:.1f} %"
    assert re.search(r'data-testid="tier">Full<', page)
    assert re.search(r'data-testid="payment">100 %<', page)
    assert 'data-testid="band-gaps-none"' in page  # in the full band: no band above
    assert 'data-testid="monthly-chart"' in page and 'id="spec-physician-months"' in page


def test_it_says_to_date_and_stops_the_months_for_a_year_computed_during_itself(
    physician_client, done_run, own_code
):
    computed = datetime.datetime(YEAR, 6, 15, 12, tzinfo=datetime.UTC)
    AssiduityRun.objects.filter(pk=done_run.pk).update(finished_at=computed)
    response = physician_client.get(_url(done_run, own_code))
    assert f"Assiduity rate {YEAR}, to date (computed on June 15, {YEAR})" in _text(response)
    months = results.read_monthly(done_run.results_folder, own_code).to_pylist()[:6]
    chart = response.context["chart"]["datasets"]["months"]
    assert [row["counted"] for row in chart] == [row["counted_visits"] for row in months]
    counted = sum(row["counted_visits"] for row in months)
    assiduous = sum(row["assiduous_visits"] for row in months)
    assert chart[-1]["year_rate"] == assiduous / counted


def test_it_groups_the_visits_that_lowered_the_rate(physician_client, done_run, own_code):
    page = physician_client.get(_url(done_run, own_code)).content.decode()
    summary = results.read_summary(done_run.results_folder, own_code).to_pylist()
    expected = {
        row["provider_category"]: row["visits"]
        for row in summary
        if row["reason"] == "other_provider"
    }
    shown = dict(
        re.findall(
            r'data-category="([a-z_]+)">\s*<h3>[^<]*<span class="count" data-testid="lowering-count">(\d+)<',
            page,
        )
    )
    assert expected and {key: int(value) for key, value in shown.items()} == expected
    # The clinic elsewhere, by name, with its count; the emergency room by triage.
    assert "Clinique médicale Saint-Germain de Rimouski" in page
    assert 'data-testid="emergency"' in page
    text = _text(physician_client.get(_url(done_run, own_code)))
    assert "Emergency room, triage P1 to P3" in text


def test_it_says_how_many_visits_would_reach_each_band(client_as, done_run, half_rated):
    row = _rate(done_run, half_rated)
    scale = load_rules().scale_for(YEAR)
    gaps = band_gaps(row["counted_visits"], row["assiduous_visits"], scale)
    assert [gap.band for gap in gaps] == ["three_quarters", "full"]
    page = client_as("cml.rimouski").get(_url(done_run, half_rated)).content.decode()
    sentences = _sentences(page)
    assert [band for band, _ in sentences] == ["three_quarters", "full"]
    assert sentences[0][1] == (
        f"{gaps[0].visits} more of the physician's patients' visits made by their group "
        "would reach 75 % (75 % of the volume supplements)."
    )
    assert sentences[1][1].startswith(f"{gaps[1].visits} more ") and "80 %" in sentences[1][1]


def test_it_says_your_to_the_physician_and_one_visit_in_the_singular(
    physician_client, done_run, own_code, monkeypatch
):
    # The physician's own page, their rate one visit short of 90 % (8 of 10 visits).
    monkeypatch.setattr(
        explanation,
        "band_gaps",
        lambda counted, assiduous, scale: band_gaps(10, 8, type(scale)(0.9, 0.8, 0.7)),
    )
    page = physician_client.get(_url(done_run, own_code)).content.decode()
    assert _sentences(page) == [
        (
            "full",
            "1 more of your patients' visits made by your group would reach 90 % "
            "(100 % of the volume supplements).",
        )
    ]


def test_it_opens_a_physician_of_the_cmls_rls(cml_client, done_run, half_rated):
    response = cml_client.get(_url(done_run, half_rated))
    assert response.status_code == 200
    assert re.search(r'data-testid="tier">Half<', response.content.decode())


def test_it_opens_any_physician_for_the_drmg(drmg_client, done_run):
    response = drmg_client.get(_url(done_run, OTHER_RLS))
    assert response.status_code == 200
    assert "Martin Charest" in _text(response)


def test_it_opens_a_member_for_the_gmf_manager(gmf_manager_client, done_run, own_code):
    assert gmf_manager_client.get(_url(done_run, own_code)).status_code == 200


def test_it_flags_the_review_and_the_drmg_notice(drmg_client, done_run, own_code, monkeypatch):
    real = explanation._rate_of

    def flagged(out_dir, code):
        row = real(out_dir, code)
        return row and {**row, "review_flag": True, "drmg_deemed": True}

    monkeypatch.setattr(explanation, "_rate_of", flagged)
    page = drmg_client.get(_url(done_run, own_code)).content.decode()
    assert 'data-testid="review-flag"' in page and 'data-testid="drmg-deemed"' in page


def test_it_promises_no_band_to_a_physician_a_notice_deems_paid_in_full(
    drmg_client, done_run, half_rated, monkeypatch
):
    url = _url(done_run, half_rated)
    assert 'data-testid="band-gaps"' in drmg_client.get(url).content.decode()
    real = explanation._rate_of
    monkeypatch.setattr(
        explanation,
        "_rate_of",
        lambda out_dir, code: {**(real(out_dir, code) or {}), "drmg_deemed": True},
    )
    page = drmg_client.get(url).content.decode()
    assert 'data-testid="drmg-deemed"' in page
    assert 'data-testid="band-gaps"' not in page


def _copy_of(run: AssiduityRun, year: int) -> AssiduityRun:
    """A computation of ``year`` finished now (after ``run``) holding ``run``'s results
    (copied)."""
    copy = AssiduityRun.objects.create(
        region=run.region,
        year=year,
        status=AssiduityRunStatus.DONE,
        created_by=run.created_by,
        versions=run.versions,
        summary=run.summary,
        finished_at=timezone.now(),
    )
    shutil.copytree(run.results_folder, copy.results_folder)
    return copy


def test_it_switches_between_the_years_computed_for_the_physician(
    physician_client, done_run, own_code
):
    earlier = _copy_of(done_run, YEAR - 1)
    # A later computation of YEAR without results for the physician is not offered.
    AssiduityRun.objects.create(
        region=done_run.region,
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=done_run.created_by,
    )
    page = physician_client.get(_url(done_run, own_code)).content.decode()
    links = re.findall(r'<a href="([^"]+)"[^>]*data-testid="year-(\d+)"', page)
    assert links == [
        (_url(done_run, own_code), str(YEAR)),
        (_url(earlier, own_code), str(YEAR - 1)),
    ]
    # The latest computation of a year is the one offered.
    later = _copy_of(done_run, YEAR)
    page = physician_client.get(_url(done_run, own_code)).content.decode()
    assert f'href="{_url(later, own_code)}"' in page
    assert f'href="{_url(done_run, own_code)}" aria-current' not in page


def test_it_answers_404_for_a_physician_without_a_rate(drmg_client, done_run):
    assert drmg_client.get(_url(done_run, "D-NOBODY")).status_code == 404


def test_it_answers_404_for_an_unfinished_computation(drmg_client, done_run, own_code):
    AssiduityRun.objects.filter(pk=done_run.pk).update(status=AssiduityRunStatus.RUNNING)
    assert drmg_client.get(_url(done_run, own_code)).status_code == 404


def test_it_reads_only_the_physicians_rows(physician_client, done_run, own_code, monkeypatch):
    def everyone(*args, **kwargs):
        raise AssertionError("the page read every physician's rates")

    monkeypatch.setattr(results, "read_rates", everyone)
    read = []
    real = pq.read_table

    def spy(source, *args, **kwargs):
        read.append((Path(source).name, kwargs.get("filters")))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    assert physician_client.get(_url(done_run, own_code) + "?kind=lowering").status_code == 200
    of_results = [(name, filters) for name, filters in read if name in RESULT_FILES]
    assert {name for name, _ in of_results} >= {
        "rates.parquet",
        "summaries.parquet",
        "monthly.parquet",
        "visits.parquet",
    }
    for name, filters in of_results:
        if name != "index.parquet":  # the index: a row a physician, read whole
            assert filters and filters[0] == ("physician_id", "==", own_code), name


# --------------------------------------------------------------------------- refusals


def test_it_answers_404_to_a_physician_opening_another_physician(physician_client, done_run):
    for name, extra in (
        ("assiduity:physician", ()),
        ("assiduity:physician-visits", ()),
        ("assiduity:physician-visits-export", ("csv",)),
    ):
        assert physician_client.get(_url(done_run, OTHER_RLS, name, *extra)).status_code == 404


def test_it_answers_404_to_a_cml_of_another_rls(other_cml_client, done_run, own_code):
    assert other_cml_client.get(_url(done_run, own_code)).status_code == 404
    url = _url(done_run, own_code, "assiduity:physician-visits-export", "xlsx")
    assert other_cml_client.get(url).status_code == 404


def test_it_answers_404_to_a_gmf_manager_of_another_gmf(gmf_manager_client, done_run):
    assert gmf_manager_client.get(_url(done_run, OTHER_RLS)).status_code == 404
    url = _url(done_run, OTHER_RLS, "assiduity:physician-visits")
    assert gmf_manager_client.get(url).status_code == 404


@pytest.mark.parametrize("client_name", ["ciusss_client", "coach_client"])
def test_it_answers_403_to_the_roles_the_assiduity_is_not_for(
    request, done_run, own_code, client_name
):
    client = request.getfixturevalue(client_name)
    assert client.get(_url(done_run, own_code)).status_code == 403
    assert client.get(_url(done_run, own_code, "assiduity:physician-visits")).status_code == 403
    url = _url(done_run, own_code, "assiduity:physician-visits-export", "csv")
    assert client.get(url).status_code == 403


def test_it_answers_404_for_another_regions_run(drmg_client, done_run, own_code):
    other = AssiduityRun.objects.create(
        region=Region.objects.create(code="99", name="Autre région"),
        year=YEAR,
        status=AssiduityRunStatus.DONE,
        created_by=done_run.created_by,
    )
    assert drmg_client.get(_url(other, own_code)).status_code == 404
    assert drmg_client.get(_url(other, own_code, "assiduity:physician-visits")).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, done_run, own_code):
    for url in (reverse("assiduity:my-rate"), _url(done_run, own_code)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


# --------------------------------------------------------------------------- visit list


def _listed(page: str) -> list[str]:
    return re.findall(r'data-visit="([^"]+)"', page)


def test_it_lists_the_first_50_visits_in_date_order(physician_client, done_run, own_code):
    page = physician_client.get(_url(done_run, own_code)).content.decode()
    expected = results.read_physician_visits(done_run.results_folder, own_code, limit=50)
    assert _listed(page) == expected["visit_id"].to_pylist()
    total = results.count_physician_visits(done_run.results_folder, own_code)
    assert f'data-count="{total}"' in page and total > 50


def test_it_pages_the_visits_for_htmx(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits")
    response = physician_client.get(url + "?page=3", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    expected = results.read_physician_visits(
        done_run.results_folder, own_code, offset=100, limit=50
    )
    assert _listed(page) == expected["visit_id"].to_pylist()
    assert "page 3 of" in page


def test_it_shows_the_visit_list_as_a_page_without_javascript(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits")
    page = physician_client.get(url + "?kind=excluded&page=2").content.decode()
    assert "<html" in page and 'data-testid="visit-filter"' in page
    rows = results.read_physician_visits(
        done_run.results_folder, own_code, offset=50, limit=50, reasons=EXCLUSION_REASONS
    )
    assert _listed(page) == rows["visit_id"].to_pylist()


def test_it_filters_the_visits_by_reason(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits")
    page = physician_client.get(url + "?reason=er_priority_1_3", HTTP_HX_REQUEST="true")
    page = page.content.decode()
    reasons = set(re.findall(r'data-reason="([^"]+)"', page))
    count = results.count_physician_visits(
        done_run.results_folder, own_code, reasons={"er_priority_1_3"}
    )
    assert reasons == {"er_priority_1_3"} and len(_listed(page)) == count
    assert "Emergency room, triage P1 to P3" in page


def test_it_filters_the_visits_by_what_they_did(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits")
    lowering = physician_client.get(url + "?kind=lowering", HTTP_HX_REQUEST="true").content.decode()
    assert set(re.findall(r'data-reason="([^"]+)"', lowering)) == {"other_provider"}
    # The category of each visit made elsewhere is said.
    assert "Visit made elsewhere — Another clinic, or the group away from its sites" in lowering
    assiduous = physician_client.get(url + "?kind=assiduous", HTTP_HX_REQUEST="true")
    assert set(re.findall(r'data-reason="([^"]+)"', assiduous.content.decode())) <= set(
        ASSIDUOUS_REASONS
    )
    # A reason outside the kind: nothing.
    none = physician_client.get(url + "?kind=assiduous&reason=other_provider", HTTP_HX_REQUEST="1")
    assert 'data-count="0"' in none.content.decode()


def test_it_ignores_an_unknown_filter_and_page(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits")
    page = physician_client.get(url + "?reason=nope&kind=x&page=zz", HTTP_HX_REQUEST="1")
    total = results.count_physician_visits(done_run.results_folder, own_code)
    assert f'data-count="{total}"' in page.content.decode()
    last = physician_client.get(url + "?page=999", HTTP_HX_REQUEST="1").content.decode()
    assert f"page {-(-total // 50)} of {-(-total // 50)}" in last


# --------------------------------------------------------------------------- exports


def test_it_exports_the_filtered_visits_as_csv(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits-export", "csv")
    response = physician_client.get(url + "?kind=lowering")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"visites-assiduite-{own_code}-{YEAR}" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Visit", "Provider"]
    count = results.count_physician_visits(
        done_run.results_folder, own_code, reasons={"other_provider"}
    )
    assert len(rows) == count + 1
    assert {row[9] for row in rows[1:]} == {"Visit made elsewhere"}


def test_it_names_no_patient_in_the_page_or_the_export_a_gmf_manager_reads(
    gmf_manager_client, done_run, own_code
):
    patients = set(
        results.read_physician_visits(done_run.results_folder, own_code)["patient_id"].to_pylist()
    )
    assert patients
    page = gmf_manager_client.get(
        _url(done_run, own_code, "assiduity:physician-visits")
    ).content.decode()
    export = gmf_manager_client.get(
        _url(done_run, own_code, "assiduity:physician-visits-export", "csv")
    ).content.decode("utf-8-sig")
    for text in (page, export):
        assert not any(patient in text for patient in patients)
    assert "patient" not in export.splitlines()[0].lower()


def test_it_exports_every_visit_as_xlsx(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits-export", "xlsx")
    response = physician_client.get(url)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]][:2] == ["Date", "Visit"]
    total = results.count_physician_visits(done_run.results_folder, own_code)
    assert sheet.max_row == total + 1


def test_it_answers_404_for_another_format(physician_client, done_run, own_code):
    url = _url(done_run, own_code, "assiduity:physician-visits-export", "pdf")
    assert physician_client.get(url).status_code == 404


class TestFrench:
    """The French page: no code word, French percents, a French CSV."""

    @pytest.fixture(autouse=True)
    def _english(self, french: None) -> None:
        """French here: overrides the assiduity conftest's English."""

    def test_it_shows_no_code_word_on_the_french_page(
        self, client_as, done_run, own_code, half_rated
    ):
        from web.assiduity.tests.test_french_pages import code_words

        pages = {
            "medecin": [
                _url(done_run, own_code),
                _url(done_run, own_code) + "?kind=lowering",
                _url(done_run, own_code, "assiduity:physician-visits") + "?kind=excluded",
            ],
            "cml.rimouski": [_url(done_run, half_rated)],
            "drmg": [_url(done_run, OTHER_RLS)],
        }
        found = {}
        for username, urls in pages.items():
            client = client_as(username)
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, url
                page = response.content.decode()
                assert 'lang="fr"' in page
                words = code_words(page)
                if words:
                    found[(username, url)] = words
        assert found == {}

    def test_it_says_the_band_sentence_in_french(self, client_as, done_run, half_rated):
        page = client_as("cml.rimouski").get(_url(done_run, half_rated)).content.decode()
        sentences = [sentence for _band, sentence in _sentences(page)]
        assert sentences and all(
            re.fullmatch(
                r"\d+ visites de plus des patients du médecin faites par son groupe "
                r"atteindraient \d+ % \(\d+ % des suppléments de volume\)\.",
                sentence,
            )
            for sentence in sentences
        ), sentences
        rate = _shown_rate(page)
        assert re.fullmatch(r"\d{1,3},\d %", rate)

    def test_it_exports_a_french_csv(self, physician_client, done_run, own_code):
        url = _url(done_run, own_code, "assiduity:physician-visits-export", "csv")
        text = physician_client.get(url).content.decode("utf-8-sig")
        header = text.splitlines()[0]
        assert header.startswith("Date;") and header.count(";") == 10
        assert ";oui;" in text
