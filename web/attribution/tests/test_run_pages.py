"""What a coordinator needs on a run's pages (issue 15, section 5): the approved plan and
its follow-up as CSV and XLSX, the run form and the run's parameters in words, the move
picker, the run page split into tabs with paginated tables."""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from web.attribution import exports, figures, services
from web.attribution.models import AttributionAction, RunStatus
from web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --------------------------------------------------------------------------- exports


def test_it_exports_the_approved_plan_as_csv_in_the_gamfs_terms(cml_client, approved_run):
    response = cml_client.get(reverse("attribution:run-export", args=[approved_run.pk, "csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="repartition-{approved_run.pk}.csv"'
    )
    rows = _csv(response.content)
    assert rows[0] == [
        "Waiting-list code",
        "Priority",
        "Request date",
        "Physician's name",
        "Physician's number",
        "Month",
        "Distance (km)",
    ]
    assert len(rows) - 1 == approved_run.summary["assigned"]  # the assigned patients only
    first = rows[1]
    assert re.fullmatch(r"P\d+", first[0]) and first[1] in "ABCDE"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first[2])
    assert re.fullmatch(r"\d{4}-\d{2}-01", first[5])  # the month as its first day
    assert first[4] in {row["physician_id"] for row in approved_run.summary["pages"]["physicians"]}
    assert first[3] and float(first[6]) >= 0


def test_it_exports_a_csv_french_excel_opens_in_columns_in_the_french_interface(
    cml_client, approved_run
):
    # Semicolons and decimal commas, as French Excel writes its own CSV; the same file
    # read back by the imports' reader (which detects both).
    url = reverse("attribution:run-export", args=[approved_run.pk, "csv"])
    cml_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    with translation.override("fr"):
        content = cml_client.get(url).content
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows[0]) == 7 and "," not in text.splitlines()[0]
    distances = [row[6] for row in rows[1:]]
    assert all(re.fullmatch(r"\d+(,\d+)?", d) for d in distances)
    assert any("," in d for d in distances)
    english = _csv(exports.table_file({"T": (["km"], [[1.5]])}, "csv", french=False))
    assert english == [["km"], ["1.5"]]


def test_it_exports_the_approved_plan_as_xlsx_with_dates(cml_client, approved_run):
    response = cml_client.get(reverse("attribution:run-export", args=[approved_run.pk, "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Waiting-list code" and rows[0][5] == "Month"
    assert len(rows) - 1 == approved_run.summary["assigned"]
    assert rows[1][5].day == 1 and rows[1][2].year >= 2000  # dates, not text
    assert isinstance(rows[1][6], float)


def test_it_records_each_export_like_a_letters_download(cml_client, cml, approved_run):
    cml_client.get(reverse("attribution:run-export", args=[approved_run.pk, "csv"]))
    cml_client.get(reverse("attribution:followup-export", args=[approved_run.pk, "xlsx"]))
    events = AuditEvent.objects.about(approved_run).filter(action=AttributionAction.EXPORTED)
    assert sorted((e.details["what"], e.details["format"], e.actor_id) for e in events) == [
        ("followup", "xlsx", cml.pk),
        ("plan", "csv", cml.pk),
    ]


def test_it_exports_the_follow_up_as_csv_and_xlsx(drmg_client, approved_run):
    response = drmg_client.get(
        reverse("attribution:followup-export", args=[approved_run.pk, "csv"])
    )
    rows = _csv(response.content)
    assert rows[0][:5] == [
        "Physician's name",
        "Physician's number",
        "Group",
        "Assigned",
        "Monthly pace",
    ]
    expected = {
        row["physician_id"]
        for row in approved_run.summary["pages"]["physicians"]
        if row["group"] != "none"
    }
    assert {row[1] for row in rows[1:]} == expected
    book = openpyxl.load_workbook(
        io.BytesIO(
            drmg_client.get(
                reverse("attribution:followup-export", args=[approved_run.pk, "xlsx"])
            ).content
        )
    )
    assert book.sheetnames == ["Physicians", "RLS"]
    assert book["RLS"]["A2"].value == approved_run.rls.code


def test_it_refuses_the_exports_outside_the_runs_territory_and_role(
    approved_run, other_cml_client, physician_client, gmf_manager_client
):
    urls = [
        reverse("attribution:run-export", args=[approved_run.pk, "csv"]),
        reverse("attribution:followup-export", args=[approved_run.pk, "xlsx"]),
    ]
    for url in urls:
        assert other_cml_client.get(url).status_code == 404
        assert physician_client.get(url).status_code == 403
        assert gmf_manager_client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=AttributionAction.EXPORTED).exists()


def test_it_exports_only_an_approved_plan(cml_client, done_run):
    url = reverse("attribution:run-export", args=[done_run.pk, "csv"])
    assert cml_client.get(url).status_code == 404
    assert (
        cml_client.get(reverse("attribution:run-export", args=[done_run.pk, "pdf"])).status_code
        == 404
    )


def test_it_neutralises_formula_cells_in_the_export_files():
    tables = {"Plan": (["=Code"], [['=HYPERLINK("x")'], ["-5"], [-5]])}
    rows = _csv(exports.table_file(tables, "csv"))
    assert rows == [["'=Code"], ['\'=HYPERLINK("x")'], ["'-5"], ["-5"]]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.table_file(tables, "xlsx"))).active
    assert sheet["A2"].value == '\'=HYPERLINK("x")' and sheet["A4"].value == -5


# --------------------------------------------------------------------------- form and parameters


def test_it_shows_the_run_form_in_words_with_a_link_to_the_rules(cml_client):
    html = cml_client.get(reverse("attribution:run-new")).content.decode()
    assert "<code" not in html  # no parameter name beside its label
    assert "Vulnerable cap (share of the final panel)" in html
    assert f'href="{reverse("attribution:rules")}"' in html
    assert "A share: 0.45 for 45 %." in html  # help texts
    rules = cml_client.get(reverse("attribution:rules")).content.decode()
    assert 'data-testid="rules-parameters"' in rules and "45 %" in rules


def test_it_refuses_the_rules_page_to_a_role_outside_attribution(physician_client):
    assert physician_client.get(reverse("attribution:rules")).status_code == 403


def test_it_lists_the_runs_parameters_labelled_and_formatted(cml_client, done_run):
    html = cml_client.get(
        reverse("attribution:run-detail", args=[done_run.pk]), {"tab": "history"}
    ).content.decode()
    params = html.split('data-testid="run-params"', 1)[1].split("</table>", 1)[0]
    assert "Vulnerable cap (share of the final panel)</th><td>45 %</td>" in params
    assert "Cross RLS borders</th><td>no</td>" in params
    assert "none: every category weighs 1" in params
    text = re.sub(r"<[^>]+>", " ", params)  # what the reader sees
    for code in ("cross_rls", "category_weights", "False", "{}", "None"):
        assert code not in text


def test_it_shows_the_target_changes_of_the_adjustments(cml_client, cml, done_run):
    before = {row["physician_id"]: row["target"] for row in done_run.summary["pages"]["physicians"]}
    services.do_change_target(done_run, "D00004", 260, note="", acting_user=cml)
    html = cml_client.get(
        reverse("attribution:run-detail", args=[done_run.pk]), {"tab": "history"}
    ).content.decode()
    row = html.split('data-testid="target-change-D00004"', 1)[1].split("</tr>", 1)[0]
    assert f"{before['D00004']} → <strong>260</strong>" in row
    assert "Luc Nadeau" in row and "cml.rimouski" in row


# --------------------------------------------------------------------------- move picker


def test_it_lists_the_eligible_physicians_as_the_search_is_typed(cml_client, done_run):
    patient = next(
        row["patient_id"]
        for row in figures.PlanPatients(done_run.folder / "plan")[0:400]
        if row["physician_id"] == "D00004"
    )
    url = reverse("attribution:run-move-physicians", args=[done_run.pk])
    html = cml_client.get(url, {"patient": patient}).content.decode()
    choices = re.findall(r'data-testid="move-choice-(D\d+)"', html)
    assert "D00004" not in choices  # their physician of now
    assert "D00001" in choices  # Martin Lachance, group 1a, nearby
    assert "Martin Lachance (D00001) — site S00001 —" in html and " km" in html
    assert "place" in html  # room left
    typed = cml_client.get(url, {"patient": patient, "q": "lach"}).content.decode()
    assert re.findall(r'data-testid="move-choice-(D\d+)"', typed) == ["D00001"]
    nobody = cml_client.get(url, {"patient": patient, "q": "zzz"}).content.decode()
    assert 'data-testid="move-no-choice"' in nobody


def test_it_opens_the_move_picker_from_the_patients_row(cml_client, done_run):
    page = cml_client.get(
        reverse("attribution:run-detail", args=[done_run.pk]), {"tab": "patients"}
    ).content.decode()
    code = re.search(r'data-testid="move-(P\d+)"', page).group(1)
    panel = cml_client.get(
        reverse("attribution:run-move", args=[done_run.pk]),
        {"patient": code},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<html" not in panel and 'data-testid="move-form"' in panel
    assert f'name="patient" value="{code}"' in panel and 'name="csrfmiddlewaretoken"' in panel
    assert 'hx-get="' + reverse("attribution:run-move-physicians", args=[done_run.pk]) in panel
    assert 'name="patient" required' not in panel  # no typed code


def test_it_refuses_the_move_picker_outside_the_runs_territory(
    done_run, other_cml_client, physician_client, cml_client, cml
):
    url = reverse("attribution:run-move-physicians", args=[done_run.pk])
    assert other_cml_client.get(url, {"patient": "P00000281"}).status_code == 404
    assert physician_client.get(url, {"patient": "P00000281"}).status_code == 403
    assert cml_client.get(url, {"patient": "P99999999"}).status_code == 404
    services.do_approve_run(done_run, acting_user=cml)
    assert cml_client.get(url, {"patient": "P00000281"}).status_code == 404  # frozen


# --------------------------------------------------------------------------- tabs


def test_it_splits_the_run_page_into_tabs(cml_client, done_run):
    url = reverse("attribution:run-detail", args=[done_run.pk])
    summary = cml_client.get(url).content.decode()
    assert 'data-testid="totals"' in summary and 'data-testid="plan-physicians"' not in summary
    assert 'data-testid="plan-patients"' not in summary and 'id="spec-map"' not in summary
    for tab in figures.RUN_TABS:
        assert f'data-testid="tab-{tab}"' in summary
    physicians = cml_client.get(url, {"tab": "physicians"}).content.decode()
    assert (
        'data-testid="plan-physicians"' in physicians
        and 'data-testid="plan-patients"' not in physicians
    )
    charts = cml_client.get(url, {"tab": "charts"}).content.decode()
    assert 'id="spec-map"' in charts and 'data-testid="run-params"' not in charts
    history = cml_client.get(url, {"tab": "history"}).content.decode()
    assert 'data-testid="run-params"' in history and 'data-testid="run-history"' in history


def test_it_pages_the_physicians_and_names_the_rls_on_a_region_run(
    drmg_client, make_run, monkeypatch
):
    monkeypatch.setattr(figures, "PHYSICIANS_PER_PAGE", 4)
    run = make_run(rls=None, status=RunStatus.DONE)
    url = reverse("attribution:run-detail", args=[run.pk])
    first = drmg_client.get(url, {"tab": "physicians"}).content.decode()
    assert len(re.findall(r'data-testid="plan-physician-', first)) == 4
    assert 'data-testid="physicians-next"' in first
    assert 'La Mitis <span class="muted">(0116)</span>' in first  # the RLS beside its code
    total = len(run.summary["pages"]["physicians"])
    seen = set()
    for page in range(1, (total + 3) // 4 + 1):
        html = drmg_client.get(url, {"tab": "physicians", "page": page}).content.decode()
        seen |= set(re.findall(r'data-testid="plan-physician-(D\d+)"', html))
    assert len(seen) == total
    summary = drmg_client.get(url).content.decode()
    assert 'Rimouski-Neigette <span class="muted">(0115)</span>' in summary


def test_it_offers_physicians_beyond_the_maximum_distance_flagged(
    cml_client, done_run, monkeypatch
):
    # A CML's move may break the model's limits (the consequences warn): the picker lists
    # the physicians beyond the run's maximum distance too, and says so.
    patient = next(
        row["patient_id"]
        for row in figures.PlanPatients(done_run.folder / "plan")[0:400]
        if row["physician_id"] == "D00004"
    )
    plan = figures.plan_of(done_run)
    near = dataclasses.replace(plan, params=dataclasses.replace(plan.params, max_distance_km=0.001))
    monkeypatch.setattr(figures, "plan_of", lambda run: near)
    choices = figures.move_candidates(done_run, patient)["candidates"]
    assert choices and all(choice["beyond"] for choice in choices)
    html = cml_client.get(
        reverse("attribution:run-move-physicians", args=[done_run.pk]), {"patient": patient}
    ).content.decode()
    assert "beyond the maximum distance" in html
