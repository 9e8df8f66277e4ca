"""Read-side computations on the table versions, for the pages and the other apps.

tables = tables_in_force(region)   # per declared kind: its label and its last version
roster = with_registered_counts(roster, registrations_version, run_date)
version = data_version()           # changes with every import, audited change, admin edit
"""

from __future__ import annotations

import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.contrib.admin.models import LogEntry
from django.db import connection

from web.audit.models import AuditEvent
from web.regions.models import Patient, Region
from web.tables import kinds
from web.tables.models import Dataset
from web.tables.store import read_dataset

__all__ = ["data_version", "tables_in_force", "with_registered_counts"]


def data_version() -> tuple[int, int, int]:
    """What the figures read, as numbers that change whenever it changes: the last table
    version (every import writes one, and its projections in the same transaction), the
    last audit event (every change of a waiting-list status, adjustment or approval is
    audited in the transaction that makes it) and the last change in the administration
    (a physician's or an RLS's record, the region's goal: Django's admin log). Primary-key
    maxima, so cheap; for every region at once (an import elsewhere only costs a
    recomputation)."""
    # One query (the pages ask at each cached figure).
    quote = connection.ops.quote_name
    maxima = ", ".join(
        f"(SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)})"
        for model in (Dataset, AuditEvent, LogEntry)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {maxima}")
        last_dataset, last_event, last_admin_change = cursor.fetchone()
    return last_dataset or 0, last_event or 0, last_admin_change or 0


def tables_in_force(region: Region, table_kinds: list[kinds.TableKind]) -> list[dict[str, Any]]:
    """Per kind of ``table_kinds`` (those the user may see: ``access.importable_kinds``),
    in the declarations' order: ``kind``, ``label`` and the region's last ``dataset``
    (None before its first import)."""
    tables = []
    for kind, label in ((kind.name, str(kind.label)) for kind in table_kinds):
        dataset = (
            Dataset.objects.filter(region=region, kind=kind)
            .select_related("imported_by")
            .order_by("-version")
            .first()
        )
        tables.append({"kind": kind, "label": label, "dataset": dataset})
    return tables


def with_registered_counts(
    roster: pa.Table, registrations: Dataset | None, day: datetime.date
) -> pa.Table:
    """The physicians' ``roster`` with its ``registered`` and ``vulnerable`` columns
    counted from the ``registrations`` version on ``day`` (a registration in force:
    ``start_date <= day`` and no ``end_date`` or ``day < end_date``; vulnerable: a patient
    the region holds as vulnerable). Unchanged without a registrations version.

    One copy of each fact: the registrations version is the record of who is registered
    with whom, so a run counts from it as the dashboard and the quarterly tables do; the
    roster's own columns only hold the counts of its extract's day. A run records the
    version it counted from, so the counts are those of that version, whenever computed.
    """
    if registrations is None:
        return roster
    table = read_dataset(
        registrations, columns=["patient_id", "physician_id", "start_date", "end_date"]
    )
    scalar = pa.scalar(day, pa.date32())
    started = pc.less_equal(table.column("start_date"), scalar)
    not_ended = pc.or_kleene(
        pc.is_null(table.column("end_date")), pc.greater(table.column("end_date"), scalar)
    )
    active = table.filter(pc.and_(started, not_ended))
    vulnerable_codes = pa.array(
        list(
            Patient.objects.filter(
                rls__region_id=registrations.region_id, vulnerable=True
            ).values_list("code", flat=True)
        ),
        pa.string(),
    )
    active = active.append_column(
        "_vulnerable",
        pc.cast(pc.is_in(active.column("patient_id"), value_set=vulnerable_codes), pa.int64()),
    )
    counts = active.group_by("physician_id").aggregate(
        [("patient_id", "count"), ("_vulnerable", "sum")]
    )
    joined = roster.select(["physician_id"]).join(
        counts, keys="physician_id", join_type="left outer"
    )
    # The join does not keep the roster's order: look the counts up by physician.
    by_code = dict(
        zip(
            joined.column("physician_id").to_pylist(),
            zip(
                joined.column("patient_id_count").to_pylist(),
                joined.column("_vulnerable_sum").to_pylist(),
                strict=True,
            ),
            strict=True,
        )
    )
    codes = roster.column("physician_id").to_pylist()
    registered = [int(by_code[code][0] or 0) for code in codes]
    vulnerable = [int(by_code[code][1] or 0) for code in codes]
    for name, values in (("registered", registered), ("vulnerable", vulnerable)):
        index = roster.column_names.index(name)
        roster = roster.set_column(index, name, pa.array(values, roster.schema.field(name).type))
    return roster
