"""The quarterly tables on the tiny demo: the quarter rule, each table against a direct
computation from the physicians' roster, each format, and who may see what."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from web.accounts.models import Role
from web.attribution import quarterly, svgcharts
from web.regions.models import Patient, Physician, Registration, Rls
from web.regions.testing import make_user
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


def roster(region) -> list[dict]:
    return read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS)).to_pylist()


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (datetime.date(2026, 11, 23), datetime.date(2026, 10, 1)),
        (datetime.date(2026, 10, 1), datetime.date(2026, 10, 1)),
        (datetime.date(2026, 9, 30), datetime.date(2026, 7, 1)),
        (datetime.date(2026, 3, 31), datetime.date(2026, 1, 1)),
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1)),
        (datetime.date(2026, 4, 2), datetime.date(2026, 4, 1)),
    ],
)
def test_it_starts_the_quarter_on_the_latest_first_of_january_april_july_october(day, start):
    assert quarterly.quarter_start(day) == start


def test_it_counts_the_strata_per_rls_like_a_direct_computation(region):
    report = quarterly.quarterly(region, today=datetime.date(2026, 11, 23))
    bounds = [(0, 249), (250, 499), (500, 749), (750, 999), (1000, 1499), (1500, 10**9)]
    rows = {row["rls_code"]: row for row in report.tables["strata"].rows}
    assert set(rows) == set(Rls.objects.values_list("code", flat=True))
    for code, row in rows.items():
        own = [p["registered"] for p in roster(region) if p["rls_id"] == code]
        expected = [sum(1 for n in own if low <= n <= high) for low, high in bounds]
        keys = [key for key, _label in report.tables["strata"].columns[2:-1]]
        assert [row[key] for key in keys] == expected
        assert row["physicians"] == len(own)
    labels = [label for _key, label in report.tables["strata"].columns[2:-1]]
    assert labels == ["0-249", "250-499", "500-749", "750-999", "1 000-1 499", "1 500+"]


def test_it_counts_the_senior_physicians_per_rls_like_a_direct_computation(region):
    today = datetime.date(2026, 11, 23)
    report = quarterly.quarterly(region, today=today)
    quarter = datetime.date(2026, 10, 1)
    thirty_years_before = datetime.date(1996, 10, 1)
    rows = {row["rls_code"]: row for row in report.tables["seniority"].rows}
    listed = {row["physician_id"] for row in report.tables["senior_physicians"].rows}
    senior_total = 0
    for code, row in rows.items():
        own = [p for p in roster(region) if p["rls_id"] == code]
        seniors = [p for p in own if quarter.year - p["birth_year"] >= 65]
        long_practice = [
            p
            for p in own
            if quarter.year - p["birth_year"] < 65 and p["practice_start"] < thirty_years_before
        ]
        assert row["aged_65_or_over"] == len(seniors)
        assert row["under_65_over_30_years"] == len(long_practice)
        assert row["physicians"] == len(own)
        assert {p["physician_id"] for p in seniors + long_practice} <= listed
        senior_total += len(seniors) + len(long_practice)
    assert len(listed) == senior_total
    # The tiny demo has both kinds, so the test would see a wrong rule.
    assert sum(row["aged_65_or_over"] for row in rows.values()) > 0
    assert sum(row["under_65_over_30_years"] for row in rows.values()) > 0


def test_it_lists_the_amp_requirements_of_new_physicians(region):
    report = quarterly.quarterly(region, today=datetime.date(2026, 11, 23))
    expected = [p for p in roster(region) if p["amp_target"] is not None]
    rows = report.tables["amp"].rows
    assert [row["physician_id"] for row in rows] == [p["physician_id"] for p in expected]
    for row, physician in zip(rows, expected, strict=True):
        assert row["amp_target"] == physician["amp_target"]
        assert row["gap"] == max(0, physician["amp_target"] - physician["registered"])
    assert rows, "the tiny demo has a physician subject to the AMP requirement"


def test_it_gives_each_physician_their_vulnerable_share(region):
    # On the roster's day (the demo's: today) its counts are the registrations in force.
    report = quarterly.quarterly(region, today=timezone.localdate())
    rows = {row["physician_id"]: row for row in report.tables["physicians"].rows}
    assert len(rows) == Physician.objects.count()
    for physician in roster(region):
        row = rows[physician["physician_id"]]
        assert row["registered"] == physician["registered"]
        assert row["vulnerable_share"] == round(
            physician["vulnerable"] / physician["registered"], 4
        )


def test_it_compares_the_registration_rate_with_the_goal(region):
    day = datetime.date(2026, 11, 23)
    report = quarterly.quarterly(region, today=day)
    rows = report.tables["registration_rate"].rows
    # The residents registered on the day, over the residents, as the dashboard counts.
    registered = len(
        {
            r.patient_code
            for r in Registration.objects.active_on(day).select_related("patient")
            if r.patient is not None
        }
    )
    population = Patient.objects.count()
    assert population == sum(Rls.objects.values_list("population", flat=True))
    assert rows[-1]["level"] == "region"
    assert rows[-1]["registered"] == registered == report.registered
    assert rows[-1]["population"] == population == report.population
    assert rows[-1]["rate"] == round(registered / population, 4)
    assert report.meets_goal == (registered / population > 0.85)
    one = quarterly.quarterly(region, ["0116"], today=datetime.date(2026, 11, 23))
    assert [row["level"] for row in one.tables["registration_rate"].rows] == ["rls"]


def test_it_shows_the_tables_and_charts_on_screen(client, region, drmg):
    client.force_login(drmg)
    response = client.get(reverse("attribution:quarterly"))
    assert response.status_code == 200
    body = response.content.decode()
    for name in quarterly.TABLES:
        assert f'data-testid="quarterly-{name}"' in body
    assert 'id="spec-strata"' in body
    report = response.context["report"]
    assert report.quarter == quarterly.quarter_start(timezone.localdate())


def test_it_exports_a_zip_of_one_csv_per_table(client, region, drmg):
    client.force_login(drmg)
    response = client.get(reverse("attribution:quarterly"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in quarterly.TABLES)
    text = archive.read("strata.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    report = quarterly.quarterly(region)
    assert rows[0]["rls_code"] == report.tables["strata"].rows[0]["rls_code"]
    assert int(rows[0]["physicians"]) == report.tables["strata"].rows[0]["physicians"]


def test_it_exports_one_table_as_csv(client, region, drmg):
    client.force_login(drmg)
    response = client.get(reverse("attribution:quarterly"), {"format": "csv", "table": "amp"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["physician_id"] for row in rows] == [
        p["physician_id"] for p in roster(region) if p["amp_target"] is not None
    ]
    assert (
        client.get(reverse("attribution:quarterly"), {"format": "csv", "table": "nope"}).status_code
        == 404
    )


def test_it_exports_one_sheet_per_table_as_xlsx(client, region, drmg):
    client.force_login(drmg)
    response = client.get(reverse("attribution:quarterly"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == len(quarterly.TABLES)
    report = quarterly.quarterly(region)
    sheet = book[book.sheetnames[0]]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == report.tables["physicians"].labels
    assert len(values) == 1 + Physician.objects.count()


@pytest.mark.slow  # WeasyPrint lays out the PDF (about 6 s)
def test_it_prints_a_pdf_report_with_its_charts(client, region, drmg):
    client.force_login(drmg)
    response = client.get(reverse("attribution:quarterly"), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "1 000-1 499" in text
    for rls in Rls.objects.all():
        assert rls.name in text
    amp = next(p for p in roster(region) if p["amp_target"] is not None)
    assert amp["name"] in text


def test_it_draws_the_charts_as_svg_with_escaped_labels():
    svg = svgcharts.bar_chart(
        [("A & <B>", 0.9), ("C", None)], reference=0.85, percent=True, title="T"
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "A &amp; &lt;B&gt;" in svg
    assert "90.0 %" in svg  # the reader's language (English here; "90,0 %" in French)
    assert svg.count("<rect") == 1
    stacked = svgcharts.stacked_bar_chart([("R", [1, 0, 2])], ["x", "y", "z"])
    assert stacked.count("<rect") == 2 + 3  # two segments, three legend keys


def test_it_shows_a_cml_their_rls_only(client, own_rls, other_rls, cml):
    own, other = own_rls, other_rls
    client.force_login(cml)
    response = client.get(reverse("attribution:quarterly"))
    assert response.status_code == 200
    assert [rls.code for rls in response.context["report"].rls] == [own.code]
    codes = {row["rls_code"] for row in response.context["report"].tables["physicians"].rows}
    assert codes == {own.code}
    assert client.get(reverse("attribution:quarterly"), {"rls": own.code}).status_code == 200
    for fmt in ("html", "csv", "xlsx", "pdf"):
        response = client.get(reverse("attribution:quarterly"), {"rls": other.code, "format": fmt})
        assert response.status_code == 404


def test_it_lets_the_drmg_choose_any_rls_and_refuses_an_unknown_one(client, other_rls, drmg):
    client.force_login(drmg)
    other = other_rls
    response = client.get(reverse("attribution:quarterly"), {"rls": other.code})
    assert [rls.code for rls in response.context["report"].rls] == [other.code]
    assert client.get(reverse("attribution:quarterly"), {"rls": "9999"}).status_code == 404
    assert client.get(reverse("attribution:quarterly"), {"format": "doc"}).status_code == 404


def test_it_refuses_the_quarterly_tables_to_other_roles(client, region):
    for name in ("gestion.gmf", "ciusss", "coach", "medecin"):
        client.force_login(User.objects.get(username=name))
        assert client.get(reverse("attribution:quarterly")).status_code == 403
    client.force_login(make_user(Role.PHYSICIAN, physician=Physician.objects.first()))
    assert client.get(reverse("attribution:quarterly"), {"format": "csv"}).status_code == 403
