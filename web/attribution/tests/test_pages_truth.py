"""Pages that say only what is true (issue 15, 4), read in French on the demo region as a
CML and the DRMG read them: one monthly pace for a territory on the run's page, in the
general letter and in the follow-up; the patient's explanation says how many physicians
could take them, not the candidates setting; no "-0,0" and no "1 patients" or
"1 attribués" on the run, physician, follow-up and quarterly pages."""

from __future__ import annotations

import datetime
import html
import json
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from django.urls import reverse
from django.utils import timezone

from panelcare.attribution import explain
from panelcare.geo import haversine_km
from web.attribution import letters, services
from web.attribution.figures import (
    RUN_TABS,
    monthly_pace_text,
    plan_of,
    territory_monthly_pace,
)
from web.attribution.models import LetterKind, RunStatus
from web.attribution.quarterly import quarter_start
from web.attribution.tests.conftest import RUN_DATE
from web.regions.testing import visible_text, write_version
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db

# A negative zero as the pages would write it ("-0,0 years", "-0,0 %").
NEGATIVE_ZERO = re.compile(r"[-\u2212]0(?:,0+)?(?![\d,])")
# "1" then a French plural: a count worded without ngettext. Not after a digit or a
# thousands separator ("11 patients", "1 500 patients" are right).
ONE_IN_THE_PLURAL = re.compile(
    r"(?<![\d,.\u00a0\u202f])1\s+(?:patients|attribués|médecins|orphelins|inscrits|lettres|"
    r"vulnérables|inscriptions|ont|sont|pouvaient|avaient|ans|années|jours)\b"
)


@pytest.fixture
def _english(french: None) -> None:
    """French here: overrides the attribution conftest's English."""


def words(page: str) -> str:
    """``visible_text`` with every run of spaces (no-break ones too) made one space."""
    return " ".join(visible_text(page).split())


def by_testid(page: str, testid: str) -> list[str]:
    """The words of each element marked ``data-testid=testid`` (no nested element of the
    same tag)."""
    found = re.finditer(
        rf'<(\w+)[^>]*data-testid="{re.escape(testid)}"[^>]*>(.*?)</\1>', page, flags=re.S
    )
    return [words(match.group(2)) for match in found]


def untrue(page: str) -> list[str]:
    text = visible_text(page)
    return sorted(
        {m.group(0) for m in NEGATIVE_ZERO.finditer(text)}
        | {m.group(0) for m in ONE_IN_THE_PLURAL.finditer(text)}
    )


def letter_text(html_text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(html_text)).replace("\xa0", " ").split())


# --------------------------------------------------------------------------- one pace


def test_it_shows_one_monthly_pace_on_the_run_page_the_letter_and_the_follow_up(
    make_run, rimouski, client_as
):
    run = make_run(rls=rimouski)
    shared = monthly_pace_text(territory_monthly_pace(run.summary, rimouski.code))
    # The figures the demo region showed: the raw two decimals, and the physicians' paces
    # rounded up and added (the follow-up chart's line), differ from the shared one.
    physicians_sum = sum(row["monthly_pace"] for row in run.summary["pages"]["physicians"])
    assert float(shared.replace(",", ".")) != physicians_sum
    drmg = client_as("drmg")

    page = drmg.get(reverse("attribution:run-detail", args=[run.pk])).content.decode()
    assert shared in by_testid(page, "territory-pace")[0]
    assert by_testid(page, "rls-pace") == [shared]

    physician = run.summary["pages"]["physicians"][0]
    facts = letters.general_facts(run, physician)
    letter = letter_text(letters.render_html(letters.default_template(LetterKind.GENERAL), facts))
    assert f"sur 12 mois) {shared} " in letter

    followup = drmg.get(reverse("attribution:followup", args=[run.pk])).content.decode()
    assert shared in by_testid(followup, "territory-pace")[0]
    assert by_testid(followup, "rls-pace") == [shared]
    script = re.search(r'id="spec-followup"[^>]*>(.*?)</script>', followup, flags=re.S)
    assert script is not None
    spec = json.loads(script.group(1))
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    line = rule["data"]["values"][0]
    assert rule["encoding"]["y"]["field"] == "pace"
    assert line["pace"] == pytest.approx(territory_monthly_pace(run.summary, rimouski.code))
    assert line["pace_text"] == shared


def test_it_shows_each_rls_pace_and_the_regions_on_a_region_run(make_run, client_as):
    run = make_run(rls=None, status=RunStatus.DONE)
    page = client_as("drmg").get(reverse("attribution:run-detail", args=[run.pk]))
    page = page.content.decode()
    codes = sorted(run.summary["by_rls"])
    assert by_testid(page, "rls-pace") == [
        monthly_pace_text(territory_monthly_pace(run.summary, code)) for code in codes
    ]
    region = monthly_pace_text(territory_monthly_pace(run.summary, None))
    assert region in by_testid(page, "territory-pace")[0]
    assert run.region.name in by_testid(page, "territory-pace")[0]


# --------------------------------------------------------------------------- the explanation


def within_reach(plan: Any, i: int) -> int:
    """Physicians of the orphan's RLS taking individual patients, within the maximum
    distance: counted here from the plan's tables, as the rule says."""
    physicians, targets = plan.physicians, plan.targets
    rows = np.flatnonzero(
        (targets.tier >= 0)
        & (targets.capacity > 0)
        & ~targets.le304
        & (physicians.rls_id == plan.orphans.rls_id[i])
    )
    km = haversine_km(
        plan.orphans.latitude[i],
        plan.orphans.longitude[i],
        physicians.latitude[rows],
        physicians.longitude[rows],
    )
    return int(np.count_nonzero(np.asarray(km) <= plan.params.max_distance_km))


def test_it_says_how_many_physicians_within_reach_could_take_the_patient(rimouski, cml, client_as):
    # A candidates setting of 2: the sentence says what the plan recorded, not the setting.
    run = services.do_start_run(
        rimouski, {"candidates_per_patient": 2}, RUN_DATE, "", acting_user=cml
    )
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    plan = plan_of(run)
    assert plan is not None
    i = int(np.flatnonzero(plan.physician_of >= 0)[0])
    code = str(plan.orphans.patient_id[i])
    expected = within_reach(plan, i)
    assert expected > 2
    page = client_as("cml.rimouski").get(reverse("attribution:run-patient", args=[run.pk, code]))
    sentence = by_testid(page.content.decode(), "explanation-reach")[0]
    assert sentence.startswith(
        f"{expected} médecins du RLS du patient à 50 km ou moins pouvaient accueillir ce "
        "patient lors de cette répartition."
    )
    assert "planificateur" not in sentence and " 2 " not in f" {sentence} "


def test_it_says_when_no_physician_could_take_the_patient(rimouski, cml, client_as, monkeypatch):
    run = services.do_start_run(rimouski, {}, RUN_DATE, "", acting_user=cml)
    run.refresh_from_db()
    real = explain.explain_patient

    def nobody(plan: Any, code: str) -> dict[str, Any]:
        return {**real(plan, code), "within_reach": 0, "cross_rls": True}

    monkeypatch.setattr(explain, "explain_patient", nobody)
    plan = plan_of(run)
    assert plan is not None
    code = str(plan.orphans.patient_id[0])
    page = client_as("cml.rimouski").get(reverse("attribution:run-patient", args=[run.pk, code]))
    assert by_testid(page.content.decode(), "explanation-reach")[0].startswith(
        "Aucun médecin à 50 km ou moins ne pouvait accueillir ce patient"
    )


# --------------------------------------------------------------------------- numbers and plurals


def test_it_writes_no_negative_zero_and_no_plural_after_1_on_the_demo_pages(
    make_run, rimouski, client_as
):
    run = make_run(rls=rimouski)
    region_run = make_run(rls=None, status=RunStatus.DONE)
    plan = plan_of(run)
    assert plan is not None
    urls = [reverse("attribution:run-patient", args=[run.pk, plan.orphans.patient_id[0]])]
    for target in (run, region_run):
        detail = reverse("attribution:run-detail", args=[target.pk])
        urls += [f"{detail}?tab={tab}" for tab in RUN_TABS]
        urls += [
            reverse("attribution:run-physician", args=[target.pk, row["physician_id"]])
            for row in target.summary["pages"]["physicians"]
        ]
    urls += [
        reverse("attribution:followup", args=[run.pk]),
        reverse("attribution:quarterly"),
        reverse("attribution:quarterly") + "?rls=0115",
    ]
    drmg = client_as("drmg")
    found = {}
    for url in urls:
        response = drmg.get(url)
        assert response.status_code == 200, url
        if bad := untrue(response.content.decode()):
            found[url] = bad
    assert found == {}


def test_it_words_a_physicians_counts_of_1_in_the_singular(
    make_run, rimouski, client_as, monkeypatch
):
    run = make_run(rls=rimouski, status=RunStatus.DONE)
    real = explain.explain_physician

    def ones(plan: Any, code: str) -> dict[str, Any]:
        counts = [
            "registered",
            "capacity",
            "assigned",
            "assigned_vulnerable",
            "vulnerable_quota",
            "candidates",
            "went_elsewhere",
            "to_earlier_tiers",
            "unassigned",
        ]
        return {**real(plan, code), **dict.fromkeys(counts, 1)}

    monkeypatch.setattr(explain, "explain_physician", ones)
    code = run.summary["pages"]["physicians"][0]["physician_id"]
    page = client_as("drmg").get(reverse("attribution:run-physician", args=[run.pk, code]))
    text = words(page.content.decode())
    assert "1 patient inscrit," in text
    assert "pouvait lui attribuer 1 patient;" in text
    assert "Patients vulnérables attribués : 1 sur un quota de 1;" in text
    assert "1 patient l'avait parmi ses candidats." in text
    assert "Parmi eux, 1 a été attribué à un autre médecin (dont 1 à un médecin prioritaire)." in (
        text
    )
    assert "1 est resté non attribué." in text
    assert untrue(page.content.decode()) == []


def test_it_never_writes_negative_years_of_practice_in_the_quarterly_tables(region, client_as):
    # A new physician whose practice starts after the quarter's first day: "-0,0" years
    # of practice before (a negative number of days, rounded to -0.0).
    quarter = quarter_start(timezone.localdate())
    current = Dataset.current(region, DatasetKind.PHYSICIANS)
    assert current is not None
    roster = read_dataset(current)
    new = next(i for i, target in enumerate(roster.column("amp_target").to_pylist()) if target)
    starts = roster.column("practice_start").to_pylist()
    starts[new] = quarter + datetime.timedelta(days=1)
    column = roster.schema.get_field_index("practice_start")
    roster = roster.set_column(
        column, "practice_start", pa.array(starts, roster.schema.field(column).type)
    )
    write_version(region, DatasetKind.PHYSICIANS, roster)
    code = roster.column("physician_id")[new].as_py()
    rls = roster.column("rls_id")[new].as_py()

    page = client_as("drmg").get(reverse("attribution:quarterly") + f"?rls={rls}")
    page = page.content.decode()
    amp = re.search(r'data-testid="quarterly-amp".*?</table>', page, flags=re.S)
    assert amp is not None
    row = next(r for r in re.findall(r"<tr>.*?</tr>", amp.group(0), flags=re.S) if code in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    assert cells[5] == "0,0"  # years of practice
    assert untrue(page) == []
