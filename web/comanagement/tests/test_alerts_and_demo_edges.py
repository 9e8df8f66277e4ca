"""Alerts, e-mails and the demo at their edges, where a review of issue 17 found them
wrong: the demo loads in early January, no replacement is asked for a professional who
left, and an owner who gets an address later gets the alert. Each test states what the
issue, the plan or the docs promise."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db.models import Q

from web.comanagement import alerts
from web.comanagement.services import alerts as alert_services
from web.comanagement.services import people, presence
from web.regions import demo as regions_demo
from web.regions.models import Gmf, GmfMembership
from web.regions.testing import make_user

pytestmark = pytest.mark.django_db


# --- absence_not_replaced after the professional has left the GMF ---------------------------


def test_it_stops_asking_to_replace_a_professional_who_has_left_the_gmf(world) -> None:
    """An open absence of a placement that has ended keeps raising absence_not_replaced for
    ever (alerts.py filters absences by ``start__lte=on`` only, not by the placement in
    force, unlike schedules, supervision and the checklist): the CISSS is told every day
    to replace someone who no longer works in the GMF."""
    gmf_user, ciusss = world.users["gmf"], world.users["ciusss"]
    presence.do_record_absence(
        world.placement,
        start=datetime.date(2026, 3, 2),
        end=None,
        foreseeable=False,
        reason="illness",
        reported_on=datetime.date(2026, 3, 2),
        acting_user=gmf_user,
    )
    gmfs = Gmf.objects.filter(pk=world.gmf.pk)

    def absence_alerts(on: datetime.date) -> list[alerts.AlertRow]:
        return [row for row in alerts.alerts(gmfs, on) if row.kind == "absence_not_replaced"]

    # While placed, from the fifth week: owed (the rule works).
    assert len(absence_alerts(datetime.date(2026, 4, 15))) == 1
    people.do_end_placement(world.placement, datetime.date(2026, 5, 1), acting_user=ciusss)
    assert absence_alerts(datetime.date(2026, 6, 15)) == []


# --- --send: an owner without an address is "tried again the next day" (docs) ---------------


def test_it_sends_an_owner_the_alert_once_they_have_an_address(world) -> None:
    """docs/deployment.md: "An owner without an e-mail address is named in the job's output,
    never fails it; their alert is tried again the next day" (docs/comanagement.md: "a user
    without an address is reported and tried the next day"). The service keeps the alert
    as sent as soon as one owner had an address, so the other owner never gets it."""
    late = make_user("ciusss_manager", username="ciusss.b", establishment=world.establishment)
    assert late.email == ""
    on = datetime.date(2026, 2, 5)  # the world's checklist is late from the 5th
    gmfs = Gmf.objects.filter(pk=world.gmf.pk)
    rows = [row for row in alerts.alerts(gmfs, on) if row.owner == "ciusss"]
    assert rows
    first = alert_services.do_send_alert_emails(rows, on)
    assert first.without_address == ["ciusss.b"]
    late.email = "ciusss.b@example.org"
    late.save(update_fields=["email"])
    mail.outbox.clear()
    next_day = on + datetime.timedelta(days=1)
    alert_services.do_send_alert_emails(
        [row for row in alerts.alerts(gmfs, next_day) if row.owner == "ciusss"], next_day
    )
    received = [message for message in mail.outbox if "ciusss.b@example.org" in message.to]
    assert len(received) == len(rows)


# --- the demo's "full" GMF as the notice GMF, loaded in early January ------------------------


def _member_of_the_other_gmf(scale: str, seed: int, as_of: datetime.date) -> str:
    """A notice physician who was a member, last year, of a GMF other than gestion.gmf's
    only: what ``_demo_notice_physician`` gives at the region scale with the default seed
    (``make run``: G0001, GMF du Fleuve de La Pocatière, becomes the "full" GMF and the
    notice's GMF, as docs/demo-region.md says). The tiny region has it on gestion.gmf's."""
    rose = User.objects.get(username="gestion.gmf").profile.gmf
    year = as_of.year - 1
    last_year = GmfMembership.objects.filter(start_date__lt=datetime.date(year + 1, 1, 1)).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=datetime.date(year, 1, 1))
    )
    in_rose = set(last_year.filter(gmf_code=rose.code).values_list("physician_code", flat=True))
    codes = sorted(
        set(last_year.exclude(gmf_code=rose.code).values_list("physician_code", flat=True))
        - in_rose
    )
    assert codes
    return codes[0]


@pytest.mark.parametrize("as_of", [datetime.date(2025, 1, 2), datetime.date(2025, 1, 12)])
def test_it_loads_the_demo_in_early_january_when_the_notice_gmf_is_the_full_one(
    as_of: datetime.date, tmp_path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """demo.py::_full with ``notice``: the social worker F2 is placed on 15 October of last
    year, but her supervision plan starts ``as_of`` − 90 days and her vacation ``as_of`` −
    80: before her placement from 1 to 12 January, and the services refuse them, so
    ``load_demo`` fails: ``make run`` (region scale, default seed) on 1 to 12 January.
    Checked on the region itself: ``load_demo("region", as_of=date(2026, 1, 5))``."""
    settings.PANELCARE_DATA_DIR = tmp_path
    monkeypatch.setattr(regions_demo, "_demo_notice_physician", _member_of_the_other_gmf)
    report = regions_demo.load_demo("tiny", as_of=as_of)
    assert report.counts["Placement"] >= 1
