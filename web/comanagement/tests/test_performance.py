"""Performance: targets agreed by both sides, strategies, joint follow-up meetings and
their decisions (web.comanagement.services.performance), the performance page read from
the statistics version in force (web.comanagement.performance), and the refusals of every
performance route."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pyarrow as pa
import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from panelcare.attribution.tables import canonical
from panelcare.contracts import CONTRACTS
from web.audit.models import AuditEvent
from web.comanagement import charts
from web.comanagement import performance as reading
from web.comanagement.errors import RecordRefused, SignOffRefused
from web.comanagement.models import (
    ComanagementAction,
    FollowUpMeeting,
    Indicator,
    MeetingDecision,
    Strategy,
    Target,
)
from web.comanagement.services import performance
from web.regions.testing import write_version

D = datetime.date
KIND = "gmf_statistics"


def _propose(
    world,
    side="gmf",
    *,
    placement="julie",
    indicator="patients_seen",
    value="60",
    start=None,
):
    start = start or D(2025, 6, 1)
    return performance.do_propose_target(
        world.gmf,
        placement=world.placement if placement == "julie" else placement,
        indicator=indicator,
        value=Decimal(value),
        start=start,
        side=side,
        acting_user=world.users[side],
    )


def _agreed(world, **kwargs):
    target = _propose(world, **kwargs)
    return performance.do_sign_target(target, "ciusss", acting_user=world.users["ciusss"])


def _meeting(world, side="gmf"):
    return performance.do_record_meeting(
        world.gmf,
        held_on=D(2026, 3, 10),
        topic="performance",
        attendees="Julie, Martine",
        minutes="Les cibles de 2026.",
        side=side,
        acting_user=world.users[side],
    )


def _statistics(world, rows):
    """Write ``rows`` (professional, gmf, month, patients_seen, interventions, delay) as
    the statistics version in force."""
    columns = [
        "professional_id",
        "gmf_id",
        "month",
        "patients_seen",
        "interventions",
        "access_delay_days",
    ]
    table = pa.table(
        {name: [row[index] for row in rows] for index, name in enumerate(columns)},
        schema=pa.schema(
            [
                ("professional_id", pa.string()),
                ("gmf_id", pa.string()),
                ("month", pa.date32()),
                ("patients_seen", pa.int64()),
                ("interventions", pa.int64()),
                ("access_delay_days", pa.float64()),
            ]
        ),
    )
    return write_version(world.region, KIND, canonical(CONTRACTS[KIND], table))


# --------------------------------------------------------------------------- targets


def test_it_signs_a_proposed_target_by_the_proposing_side_only(world):
    target = _propose(world, "ciusss")
    assert target.ciusss_signed_by == world.users["ciusss"] and target.ciusss_signed_at
    assert target.gmf_signed_at is None and not target.agreed
    entry = AuditEvent.objects.get(action=ComanagementAction.TARGET_PROPOSED)
    assert entry.rls_code == "0111" and entry.details["indicator"] == "patients_seen"


def test_it_agrees_a_target_only_when_both_sides_have_signed(world):
    target = _propose(world, "gmf")
    target = performance.do_sign_target(target, "ciusss", acting_user=world.users["ciusss"])
    assert target.agreed
    assert AuditEvent.objects.filter(action=ComanagementAction.TARGET_SIGNED).count() == 1


def test_it_refuses_a_second_signature_of_the_same_side(world):
    target = _propose(world, "gmf")
    with pytest.raises(
        SignOffRefused, match=re.escape(_("Your side has already signed this target."))
    ):
        performance.do_sign_target(target, "gmf", acting_user=world.users["gmf"])
    target.refresh_from_db()
    assert target.ciusss_signed_at is None
    assert not AuditEvent.objects.filter(action=ComanagementAction.TARGET_SIGNED).exists()


def test_it_ends_the_earlier_agreed_target_the_day_the_new_one_starts(world):
    old = _agreed(world, value="50", start=D(2025, 1, 1))
    new = _propose(world, value="60", start=D(2025, 9, 1))
    old.refresh_from_db()
    assert old.end is None  # the new one is not agreed yet
    performance.do_sign_target(new, "ciusss", acting_user=world.users["ciusss"])
    old.refresh_from_db()
    assert old.end == D(2025, 9, 1)


def test_it_refuses_a_gmf_wide_access_delay_target(world):
    with pytest.raises(
        RecordRefused,
        match=re.escape(
            _(
                "A target for the whole GMF is only possible for the patients seen and the interventions: the delay of access is a professional's."
            )
        ),
    ):
        _propose(world, placement=None, indicator="access_delay_days", value="10")
    assert not Target.objects.exists()
    assert not AuditEvent.objects.filter(action=ComanagementAction.TARGET_PROPOSED).exists()


def test_it_accepts_a_gmf_wide_target_of_a_summable_indicator(world):
    target = _propose(world, placement=None, indicator="interventions", value="400")
    assert target.placement is None


def test_it_refuses_a_target_not_starting_on_a_first_of_the_month(world):
    with pytest.raises(
        RecordRefused, match=re.escape(_("A target starts on the first day of a month."))
    ):
        _propose(world, start=D(2025, 6, 2))
    assert not Target.objects.exists()


# --------------------------------------------------------------------------- meetings


def test_it_signs_a_meeting_by_the_recording_side(world):
    meeting = _meeting(world, "ciusss")
    assert meeting.ciusss_signed_at and meeting.gmf_signed_at is None
    assert AuditEvent.objects.filter(action=ComanagementAction.MEETING_RECORDED).count() == 1


def test_it_freezes_a_meeting_signed_by_both_sides(world):
    meeting = _meeting(world, "gmf")
    performance.do_record_meeting_decision(
        meeting, text="Revoir les cibles", carried_by="both", acting_user=world.users["gmf"]
    )
    # The decision cleared the GMF's signature: it signs again, with the decision.
    performance.do_sign_meeting(meeting, "gmf", acting_user=world.users["gmf"])
    meeting = performance.do_sign_meeting(meeting, "ciusss", acting_user=world.users["ciusss"])
    assert meeting.signed_by_both
    with pytest.raises(
        SignOffRefused,
        match=re.escape(
            _("Both sides have signed this meeting: its decisions can no longer change.")
        ),
    ):
        performance.do_record_meeting_decision(
            meeting, text="Une de plus", carried_by="gmf", acting_user=world.users["gmf"]
        )
    assert MeetingDecision.objects.count() == 1


def test_it_refuses_a_second_meeting_signature_of_the_same_side(world):
    meeting = _meeting(world, "gmf")
    with pytest.raises(SignOffRefused):
        performance.do_sign_meeting(meeting, "gmf", acting_user=world.users["gmf"])
    assert not AuditEvent.objects.filter(action=ComanagementAction.MEETING_SIGNED).exists()


def test_it_records_a_strategy_for_a_target(world):
    target = _agreed(world)
    strategy = performance.do_record_strategy(
        world.gmf,
        target=target,
        description="Plages de consultation sans rendez-vous",
        carried_by="gmf",
        start=D(2026, 2, 1),
        acting_user=world.users["gmf"],
    )
    assert strategy.target == target
    assert AuditEvent.objects.filter(action=ComanagementAction.STRATEGY_RECORDED).count() == 1


# --------------------------------------------------------------------------- reading


def test_it_reads_the_values_against_the_agreed_target_and_marks_missed_months(world):
    _agreed(world, value="60", start=D(2025, 1, 1))
    _statistics(
        world,
        [
            ("E100", "G1", D(2026, 1, 1), 48, 70, 3.0),
            ("E100", "G1", D(2026, 2, 1), 65, None, None),
            ("E100", "G2", D(2026, 2, 1), 10, None, None),  # another GMF: not counted
        ],
    )
    page = reading.gmf_performance(world.gmf, D(2026, 3, 15))
    assert page.months[0] == D(2025, 3, 1) and page.months[-1] == D(2026, 2, 1)
    julie = next(
        s for s in page.series if s.placement is not None and s.indicator == "patients_seen"
    )
    january, february = julie.months[-2], julie.months[-1]
    assert (january.value, january.target, january.missed) == (48.0, 60.0, True)
    assert (february.value, february.missed) == (65.0, False)
    assert julie.missed_count == 1
    gmf_wide = next(
        s for s in page.series if s.placement is None and s.indicator == "patients_seen"
    )
    assert gmf_wide.months[-1].value == 65.0  # G2's row is not G1's
    assert D(2025, 12, 1) in page.missing_months and D(2026, 1, 1) not in page.missing_months


def test_it_draws_the_indicator_against_its_target(world):
    rows = [
        {"month": D(2026, 1, 1), "value": 48, "missed": True},
        {"month": D(2026, 2, 1), "value": None, "missed": False},
    ]
    spec = charts.indicator_chart(rows, [{"month": D(2026, 1, 1), "target": 60}], title="x")
    assert [row["value"] for row in spec["datasets"]["months"]] == [48, None]
    assert spec["datasets"]["targets"][0]["target"] == 60
    assert spec["datasets"]["months"][0]["state"] != spec["datasets"]["months"][1]["state"]
    assert "$schema" not in spec and "formatLocale" in spec["usermeta"]["embedOptions"]


def test_it_shows_the_performance_page_in_french(world, client_for):
    _agreed(world, value="60", start=D(2025, 1, 1))
    _statistics(world, [("E100", "G1", D(2026, 1, 1), 48, 70, 3.0)])
    response = client_for("ciusss").get(reverse("comanagement:performance", args=["G1"]))
    assert response.status_code == 200
    text = response.content.decode()
    # The page's words, French once the catalogue is compiled (the po holds them: see
    # test_it_translates_the_performance_words).
    assert _("No statistics for %(month)s") % {"month": ""} in text
    assert _("Target missed") in text
    assert str(Indicator.PATIENTS_SEEN.label) in text
    assert 'id="spec-indicator-0"' in text
    assert "patients_seen</" not in text and "nurse_clinician" not in text


# --------------------------------------------------------------------------- pages


def test_it_proposes_a_target_through_the_page(world, client_for):
    response = client_for("gmf").post(
        reverse("comanagement:target-new", args=["G1"]),
        {
            "placement": world.placement.pk,
            "indicator": "patients_seen",
            "value": "60",
            "start": "2026-04-01",
        },
    )
    assert response.status_code == 302
    target = Target.objects.get()
    assert target.proposed_by_side == "gmf" and target.gmf_signed_by == world.users["gmf"]


def test_it_refuses_a_gmf_wide_access_delay_in_the_form(world, client_for):
    response = client_for("gmf").post(
        reverse("comanagement:target-new", args=["G1"]),
        {"placement": "", "indicator": "access_delay_days", "value": "10", "start": "2026-04-01"},
    )
    assert response.status_code == 200
    refusal = _(
        "A target for the whole GMF is only possible for the patients seen and the "
        "interventions: the delay of access is a professional's."
    )
    assert escape(refusal) in response.content.decode()
    assert not Target.objects.exists()


def test_it_says_a_side_signing_twice_has_signed_already(world, client_for):
    target = _propose(world, "gmf")
    response = client_for("gmf").post(
        reverse("comanagement:target-sign", args=[target.pk]), follow=True
    )
    assert _("Your side has already signed this target.") in response.content.decode()
    target.refresh_from_db()
    assert target.ciusss_signed_at is None


def test_it_signs_for_the_other_side_through_the_page(world, client_for):
    target = _propose(world, "gmf")
    client_for("ciusss").post(reverse("comanagement:target-sign", args=[target.pk]))
    target.refresh_from_db()
    assert target.agreed


def test_it_shows_a_frozen_meeting_without_a_decision_link(world, client_for):
    meeting = _meeting(world, "gmf")
    performance.do_sign_meeting(meeting, "ciusss", acting_user=world.users["ciusss"])
    response = client_for("gmf").get(reverse("comanagement:meeting-detail", args=[meeting.pk]))
    text = response.content.decode()
    assert 'data-testid="frozen"' in text and 'data-testid="decision-new"' not in text
    response = client_for("gmf").post(
        reverse("comanagement:decision-new", args=[meeting.pk]),
        {"text": "Trop tard", "carried_by": "gmf"},
        follow=True,
    )
    assert not MeetingDecision.objects.exists()


def test_it_records_a_meeting_and_a_strategy_through_the_pages(world, client_for):
    client = client_for("ciusss")
    response = client.post(
        reverse("comanagement:meeting-new", args=["G1"]),
        {"held_on": "2026-03-10", "topic": "performance", "attendees": "A, B", "minutes": "m"},
    )
    meeting = FollowUpMeeting.objects.get()
    assert response.status_code == 302 and meeting.ciusss_signed_at is not None
    response = client.post(
        reverse("comanagement:strategy-new", args=["G1"]),
        {
            "target": "",
            "description": "Sans rendez-vous",
            "carried_by": "both",
            "start": "2026-03-01",
            "status": "planned",
        },
    )
    assert response.status_code == 302 and Strategy.objects.count() == 1


# --------------------------------------------------------------------------- refusals


def _routes(world, target, meeting):
    """Every performance route: (name, args, method, data, is a write)."""
    return [
        ("comanagement:performance", ["G1"], "get", None, False),
        ("comanagement:target-new", ["G1"], "get", None, True),
        ("comanagement:target-sign", [target.pk], "post", {}, True),
        ("comanagement:strategy-new", ["G1"], "get", None, True),
        ("comanagement:meeting-new", ["G1"], "get", None, True),
        ("comanagement:meeting-detail", [meeting.pk], "get", None, False),
        ("comanagement:meeting-sign", [meeting.pk], "post", {}, True),
        ("comanagement:decision-new", [meeting.pk], "get", None, True),
    ]


def _call(client, name, args, method, data):
    url = reverse(name, args=args)
    return client.post(url, data or {}) if method == "post" else client.get(url)


@pytest.fixture
def records(world):
    return _propose(world, "gmf"), _meeting(world, "gmf")


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("cml", 403),
        ("physician", 403),
        ("coach", 403),
        ("gmf_no_gmf", 403),
        ("ciusss_no_est", 403),
        ("gmf2", 404),
        ("ciusss2", 404),
        ("gmf9", 404),
        ("ciusss9", 404),
        ("drmg9", 404),
    ],
)
def test_it_refuses_every_performance_route(world, client_for, records, user, status):
    client = client_for(user)
    for name, args, method, data, _write in _routes(world, *records):
        assert _call(client, name, args, method, data).status_code == status, name


def test_it_refuses_every_performance_write_to_the_drmg(world, client_for, records):
    client = client_for("drmg")
    for name, args, method, data, write in _routes(world, *records):
        expected = 403 if write else 200
        assert _call(client, name, args, method, data).status_code == expected, name
    target = records[0]
    target.refresh_from_db()
    assert target.ciusss_signed_at is None


def test_it_opens_every_performance_route_to_both_sides(world, client_for, records):
    for user in ("gmf", "ciusss"):
        client = client_for(user)
        for name, args, method, data, _write in _routes(world, *records):
            assert _call(client, name, args, method, data).status_code in (200, 302), (user, name)


def test_it_translates_the_performance_words():
    from web.config.tests.test_translations import PO_FILE, read_po

    french = {
        entry.fields["msgid"]: entry.fields.get("msgstr")
        for entry in read_po(PO_FILE)
        if "msgctxt" not in entry.fields
    }
    for msgid, msgstr in {
        "No statistics for %(month)s": "Aucune statistique pour %(month)s",
        "Target missed": "Cible manquée",
        "Your side has already signed this target.": "Votre partie a déjà signé cette cible.",
    }.items():
        assert french[msgid] == msgstr


def test_it_gives_the_placement_page_its_indicators(world):
    from django.template.loader import render_to_string

    _agreed(world, value="60", start=D(2025, 1, 1))
    _statistics(world, [("E100", "G1", D(2026, 1, 1), 48, 70, 3.0)])
    context = reading.placement_context(world.placement, D(2026, 3, 1))
    page = context["placement_performance"]["page"]
    assert {series.indicator for series in page.series} == {
        "patients_seen",
        "interventions",
        "access_delay_days",
    }
    assert all(series.placement == world.placement for series in page.series)
    html = render_to_string(
        "comanagement/performance/_placement_performance.html",
        {"placement": world.placement, **context},
    )
    assert html.count('data-testid="indicator-chart"') == 3
    assert 'id="spec-placement-indicator-0"' in html and 'data-testid="missed-month"' in html
