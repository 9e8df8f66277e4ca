"""The database projections of the imported tables: for each kind whose rows some page
queries in SQL, the one function that rebuilds them from the kind's version in force.

Called by :func:`web.tables.services.do_write_version` inside the import's transaction
(declared per kind in :mod:`web.tables.kinds`): nothing else writes these rows, so the
pages reading them (dashboard, RLS, waiting list, patient) and those reading the version
(runs, quarterly tables, follow-up) always show the same facts. Each function replaces the
region's rows and returns counts for the audit entry; rows are written in batches
(``bulk_create``), the number of queries does not grow with the rows.

Ids of the file unknown to the database (a patient whose identity and home the region has
not loaded, a physician or site not in the territory) are kept as codes, with an empty
link: see ``docs/decisions.md``, "One copy of each fact".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
from django.db import connection, models

from web.regions.models import (
    Patient,
    Physician,
    Region,
    Registration,
    Rls,
    Site,
    WaitlistEntry,
    WaitlistStatus,
)

__all__ = ["project_physicians", "project_registrations", "project_waitlist"]

BATCH_SIZE = 5000

# The roster's columns a Physician row holds, by model field.
ROSTER_FIELDS = {
    "name": "name",
    "birth_year": "birth_year",
    "practice_start": "practice_start",
    "amp_target": "amp_target",
    "other_units": "other_units",
    "attribution_mode": "mode",
    "previous_assiduity": "previous_assiduity",
    "departing_on": "departing_on",
}


def _columns(table: pa.Table, *names: str) -> list[list[Any]]:
    return [table.column(name).to_pylist() for name in names]


def _ids(queryset: Any) -> dict[str, int]:
    return dict(queryset.values_list("code", "id"))


def _insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows`` (tuples of the values of ``fields``, by attribute name) into
    ``model``'s table in batches of plain parameter tuples: a province's waiting list is a
    million rows, and building a model instance per row (``bulk_create``) costs several
    times the insert itself. Returns the rows inserted."""
    columns = [model._meta.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    count, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH_SIZE:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def project_physicians(region: Region, table: pa.Table) -> dict[str, int]:
    """Set the roster's columns of the region's physicians from the roster ``table``;
    create the physicians of the roster unknown here (without a licence number) when
    their RLS and site are the region's. A physician missing from the roster keeps their
    row (an account may name them) and their last roster columns."""
    rls_ids = _ids(Rls.objects.filter(region=region))
    site_ids = _ids(Site.objects.filter(rls__region=region))
    known = {p.code: p for p in Physician.objects.filter(rls__region=region)}
    codes, rls_codes, site_codes = _columns(table, "physician_id", "rls_id", "site_id")
    values = _columns(table, *ROSTER_FIELDS.values())
    changed, created, unplaced = [], [], 0
    for row, code in enumerate(codes):
        fields: dict[str, Any] = {
            field: column[row] for field, column in zip(ROSTER_FIELDS, values, strict=True)
        }
        fields["other_units"] = fields["other_units"] or 0.0
        rls_id, site_id = rls_ids.get(rls_codes[row]), site_ids.get(site_codes[row])
        if rls_id is None or site_id is None:
            unplaced += 1
            continue
        fields.update(rls_id=rls_id, site_id=site_id)
        physician = known.get(code)
        if physician is None:
            created.append(Physician(code=code, **fields))
            continue
        if any(getattr(physician, field) != value for field, value in fields.items()):
            for field, value in fields.items():
                setattr(physician, field, value)
            changed.append(physician)
    Physician.objects.bulk_update(
        changed, [*ROSTER_FIELDS, "rls_id", "site_id"], batch_size=BATCH_SIZE
    )
    Physician.objects.bulk_create(created, batch_size=BATCH_SIZE)
    return {"updated": len(changed), "created": len(created), "unplaced": unplaced}


def project_waitlist(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's waiting-list entries by the rows of the waiting list
    ``table``, each keeping the status its patient had (waiting for a new one)."""
    statuses = dict(
        WaitlistEntry.objects.filter(region=region).values_list("patient_code", "status")
    )
    WaitlistEntry.objects.filter(region=region).delete()
    patient_ids = _ids(Patient.objects.filter(rls__region=region))
    rls_ids = _ids(Rls.objects.filter(region=region))
    physician_ids = _ids(Physician.objects.filter(rls__region=region))
    codes, rls_codes, priorities, requested, previous = _columns(
        table, "patient_id", "rls_id", "priority", "requested_on", "previous_physician_id"
    )
    region_id = region.pk
    unknown = sum(patient_ids.get(code) is None for code in codes)
    rows = (
        (
            region_id,
            code,
            patient_ids.get(code),
            rls_ids[rls_codes[row]],  # checked: an RLS of the region
            priorities[row],
            requested[row],
            statuses.get(code, WaitlistStatus.WAITING),
            previous[row] or "",
            physician_ids.get(previous[row]) if previous[row] else None,
        )
        for row, code in enumerate(codes)
    )
    fields = [
        "region_id",
        "patient_code",
        "patient_id",
        "rls_id",
        "priority",
        "requested_on",
        "status",
        "previous_physician_code",
        "previous_physician_id",
    ]
    return {"rows": _insert(WaitlistEntry, fields, rows), "unknown_patients": unknown}


def project_registrations(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's registrations by the rows of the registrations ``table``."""
    Registration.objects.filter(region=region).delete()
    patient_ids = _ids(Patient.objects.filter(rls__region=region))
    physician_ids = _ids(Physician.objects.filter(rls__region=region))
    site_ids = _ids(Site.objects.filter(rls__region=region))
    patients, physicians, sites, starts, ends = _columns(
        table, "patient_id", "physician_id", "site_id", "start_date", "end_date"
    )
    region_id = region.pk
    unknown = sum(patient_ids.get(code) is None for code in patients)
    rows = (
        (
            region_id,
            patient,
            physicians[row],
            sites[row],
            patient_ids.get(patient),
            physician_ids.get(physicians[row]),
            site_ids.get(sites[row]),
            starts[row],
            ends[row],
        )
        for row, patient in enumerate(patients)
    )
    fields = [
        "region_id",
        "patient_code",
        "physician_code",
        "site_code",
        "patient_id",
        "physician_id",
        "site_id",
        "start_date",
        "end_date",
    ]
    return {"rows": _insert(Registration, fields, rows), "unknown_patients": unknown}
