"""The database projections of the imported tables: for each kind whose rows some page
queries in SQL, the one function that rebuilds them from the kind's version in force.

Called by :func:`web.tables.services.do_write_version` inside the import's transaction
(declared per kind in :mod:`web.tables.kinds`): nothing else writes these rows, so the
pages reading them (dashboard, RLS, waiting list, patient) and those reading the version
(runs, quarterly tables, follow-up) always show the same facts. Each function replaces the
region's rows (the physicians' and the sites' are updated by code) and returns counts for
the audit entry; rows are written in batches, the number of queries does not grow with
the rows. The GMF memberships, practice groups, IPS-SPL partnerships and service
agreements (the assiduity's tables the access module and the administration read) and the
registrations share one function, :func:`_project_periods`.

Ids of the file unknown to the database (a patient whose identity and home the region has
not loaded, a physician or site not in the territory) are kept as codes, with an empty
link: see ``docs/decisions.md``, "One copy of each fact".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
from django.db import connection, models
from django.db.models import Q

from web.regions.models import (
    Gmf,
    GmfMembership,
    Ips,
    IpsPartnership,
    Patient,
    Physician,
    PracticeGroup,
    PracticeGroupMembership,
    Region,
    Registration,
    Rls,
    ServiceAgreement,
    Site,
    WaitlistEntry,
    WaitlistStatus,
)

__all__ = [
    "project_gmf_memberships",
    "project_gmf_sites",
    "project_ips_partnerships",
    "project_physicians",
    "project_practice_groups",
    "project_registrations",
    "project_service_agreements",
    "project_waitlist",
]

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
    ``table``, each keeping the status its patient had (waiting for a new one) and the
    proposal in force (run, physician, month): the patient's journey
    (docs/attribution-journey.md) survives every import; its history is keyed by code."""
    journeys = {
        code: journey
        for code, *journey in WaitlistEntry.objects.filter(region=region).values_list(
            "patient_code", "status", "proposed_run_id", "proposed_physician_code", "proposed_month"
        )
    }
    new_patient = (WaitlistStatus.WAITING, None, "", None)
    WaitlistEntry.objects.filter(region=region).delete()
    patient_ids = _ids(Patient.objects.filter(rls__region=region))
    rls_ids = _ids(Rls.objects.filter(region=region))
    physician_ids = _physician_ids(region)
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
            *journeys.get(code, new_patient),
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
        "proposed_run_id",
        "proposed_physician_code",
        "proposed_month",
        "previous_physician_code",
        "previous_physician_id",
    ]
    return {"rows": _insert(WaitlistEntry, fields, rows), "unknown_patients": unknown}


def project_registrations(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's registrations by the rows of the registrations ``table``."""
    links = {
        "patient": ("patient_id", _ids(Patient.objects.filter(rls__region=region))),
        "physician": ("physician_id", _physician_ids(region)),
        "site": ("site_id", _ids(Site.objects.filter(rls__region=region))),
    }
    counts = _project_periods(region, table, Registration, links)
    # The waiting-list patients now registered leave the list (their journey's end),
    # recorded by the service; the import's own audit entry names who imported.
    from web.regions.services import do_mark_waitlist_registered

    registered = do_mark_waitlist_registered(region, acting_user=None)
    return {
        "rows": counts["rows"],
        "unknown_patients": counts["unknown_patient"],
        "waitlist_registered": registered,
    }


def project_gmf_sites(region: Region, table: pa.Table) -> dict[str, int]:
    """Set the GMF of the region's sites from the GMF sites ``table``: a listed site gets
    its row's GMF (none when the GMF's code is unknown here) and kind; a site of the region
    that is not listed belongs to no GMF (its kind is kept: the table does not say whether
    it is now a private office or a CLSC). A listed site unknown here is not created (a
    site needs a name, an RLS and a place: the territory's): counted as
    ``unknown_sites``."""
    gmf_ids = _ids(Gmf.objects.filter(rls__region=region))
    sites, gmfs, kinds = _columns(table, "site_id", "gmf_id", "kind")
    listed = {
        site: (gmf_ids.get(gmf), kind) for site, gmf, kind in zip(sites, gmfs, kinds, strict=True)
    }
    changed = []
    for site in Site.objects.filter(rls__region=region):
        gmf_id, kind = listed.pop(site.code, (None, site.kind))
        if (site.gmf_id, site.kind) != (gmf_id, kind):
            site.gmf_id, site.kind = gmf_id, kind
            changed.append(site)
    Site.objects.bulk_update(changed, ["gmf_id", "kind"], batch_size=BATCH_SIZE)
    unknown_gmfs = sum(gmf_ids.get(gmf) is None for gmf in gmfs)
    return {"updated": len(changed), "unknown_sites": len(listed), "unknown_gmfs": unknown_gmfs}


def _project_periods(
    region: Region,
    table: pa.Table,
    model: type[models.Model],
    links: dict[str, tuple[str, dict[str, int]]],
) -> dict[str, int]:
    """Replace the region's rows of ``model`` (a period table) by the rows of ``table``:
    ``links`` maps each link field to the table's column holding its code and the known
    codes' primary keys; the code is kept in ``<field>_code``, the link empty when the code
    is unknown here (counted as ``unknown_<field>``)."""
    model._default_manager.filter(region=region).delete()
    columns = [column for column, _ in links.values()]
    codes = _columns(table, *columns)
    starts, ends = _columns(table, "start_date", "end_date")
    known = [ids for _, ids in links.values()]
    region_id = region.pk
    rows = (
        (
            region_id,
            *(values[row] for values in codes),
            *(ids.get(values[row]) for ids, values in zip(known, codes, strict=True)),
            starts[row],
            ends[row],
        )
        for row in range(table.num_rows)
    )
    fields = [
        "region_id",
        *(f"{field}_code" for field in links),
        *(f"{field}_id" for field in links),
        "start_date",
        "end_date",
    ]
    counts = {"rows": _insert(model, fields, rows)}
    for field, values, ids in zip(links, codes, known, strict=True):
        counts[f"unknown_{field}"] = sum(ids.get(code) is None for code in values)
    return counts


def _physician_ids(region: Region) -> dict[str, int]:
    return _ids(Physician.objects.filter(rls__region=region))


def _gmf_ids(region: Region) -> dict[str, int]:
    return _ids(Gmf.objects.filter(rls__region=region))


def project_gmf_memberships(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's GMF memberships by the rows of the GMF memberships ``table``
    (the GMF manager's physicians are the members of their GMF in force today)."""
    links = {
        "physician": ("physician_id", _physician_ids(region)),
        "gmf": ("gmf_id", _gmf_ids(region)),
    }
    return _project_periods(region, table, GmfMembership, links)


def project_practice_groups(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's practice group memberships by the rows of the practice groups
    ``table``, creating the groups whose code is new (a group is only its code)."""
    groups = set(table.column("group_id").to_pylist())
    known = set(PracticeGroup.objects.filter(code__in=groups).values_list("code", flat=True))
    created = PracticeGroup.objects.bulk_create(
        [PracticeGroup(code=code) for code in sorted(groups - known)], batch_size=BATCH_SIZE
    )
    links = {
        "physician": ("physician_id", _physician_ids(region)),
        "group": ("group_id", _ids(PracticeGroup.objects.filter(code__in=groups))),
    }
    counts = _project_periods(region, table, PracticeGroupMembership, links)
    counts["groups_created"] = len(created)
    return counts


def project_ips_partnerships(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's IPS-SPL partnerships by the rows of the IPS-SPL partnerships
    ``table``."""
    ips = Ips.objects.filter(Q(site__rls__region=region) | Q(site__isnull=True))
    links = {
        "ips": ("ips_id", _ids(ips)),
        "physician": ("physician_id", _physician_ids(region)),
    }
    return _project_periods(region, table, IpsPartnership, links)


def project_service_agreements(region: Region, table: pa.Table) -> dict[str, int]:
    """Replace the region's service agreements by the rows of the service agreements
    ``table`` (one row per pair, read both ways)."""
    gmf_ids = _gmf_ids(region)
    links = {"gmf": ("gmf_id", gmf_ids), "partner_gmf": ("partner_gmf_id", gmf_ids)}
    return _project_periods(region, table, ServiceAgreement, links)
