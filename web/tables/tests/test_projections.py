"""The database projection of each kind is rebuilt from the version an import writes, in
its transaction, and by nothing else; ids the database does not know stay as codes."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.utils import timezone

from web.dashboard import figures
from web.regions.models import Physician, Registration, Rls, Site, WaitlistEntry
from web.regions.testing import write_version
from web.tables import projections
from web.tables.kinds import DatasetKind
from web.tables.models import Dataset
from web.tables.store import read_dataset

pytestmark = pytest.mark.django_db


def test_it_sets_the_roster_columns_and_creates_a_new_physician(region):
    roster = read_dataset(Dataset.current(region, DatasetKind.PHYSICIANS))
    first = roster.column("physician_id")[0].as_py()
    targets = roster.column("amp_target").to_pylist()
    targets[0] = 321
    roster = roster.set_column(
        roster.column_names.index("amp_target"), "amp_target", pa.array(targets, pa.int64())
    )
    site = Site.objects.order_by("code").first()
    newcomer = roster.slice(0, 1).to_pylist()[0] | {
        "physician_id": "D99999",
        "name": "Nouvelle Venue",
        "site_id": site.code,
        "rls_id": site.rls.code,
    }
    write_version(
        region,
        DatasetKind.PHYSICIANS,
        pa.concat_tables([roster, pa.Table.from_pylist([newcomer], schema=roster.schema)]),
    )
    assert Physician.objects.get(code=first).amp_target == 321
    created = Physician.objects.get(code="D99999")
    assert (created.name, created.site, created.licence_number) == ("Nouvelle Venue", site, None)


def test_it_keeps_the_code_of_a_patient_the_region_does_not_know(region):
    registrations = read_dataset(Dataset.current(region, DatasetKind.REGISTRATIONS))
    physician = Physician.objects.order_by("code").first()
    today = timezone.localdate()
    panel = figures.registrations_by_physician(region, today)[physician.code][0]
    rls_rows = figures.registration_by_rls(Rls.objects.all(), today)
    stranger = pa.table(
        {
            "patient_id": ["P00000000"],
            "physician_id": [physician.code],
            "site_id": [physician.site.code],
            "start_date": pa.array([today - datetime.timedelta(days=3)], pa.date32()),
            "end_date": pa.array([None], pa.date32()),
        }
    )
    write_version(region, DatasetKind.REGISTRATIONS, pa.concat_tables([registrations, stranger]))
    row = Registration.objects.get(patient_code="P00000000")
    assert (row.patient, row.physician) == (None, physician)
    # In the physician's panel; in nobody's residents (we do not know where they live).
    assert figures.registrations_by_physician(region, today)[physician.code][0] == panel + 1
    assert figures.registration_by_rls(Rls.objects.all(), today) == rls_rows


def test_it_rebuilds_nothing_when_the_write_fails(region, monkeypatch):
    waitlist = read_dataset(Dataset.current(region, DatasetKind.WAITLIST))
    before = WaitlistEntry.objects.count()

    def failing(region, table):
        raise RuntimeError("disk full")

    monkeypatch.setattr(projections, "project_waitlist", failing)
    with pytest.raises(RuntimeError):
        write_version(
            region,
            DatasetKind.WAITLIST,
            waitlist.filter(pc.not_equal(waitlist.column("priority"), "A")),
        )
    # The version and the projection go together: neither was written.
    assert Dataset.current(region, DatasetKind.WAITLIST).version == 1
    assert WaitlistEntry.objects.count() == before
