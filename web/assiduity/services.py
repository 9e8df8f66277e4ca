"""The writes of the assiduity: one ``do_<verb>_<thing>`` per write, taking the objects the
view checked and ``acting_user=``, each recording its entry of the audit trail
(:func:`web.audit.services.record`) in the same transaction.

    run = do_start_assiduity_run(region, 2025, acting_user=drmg)   # the task computes it
    do_cancel_assiduity_run(run, acting_user=drmg)
    do_fail_stalled_assiduity_runs()                                # the worker's upkeep
    notice = do_record_drmg_notice(region, "D00002", 2025, "…", acting_user=drmg)
    do_withdraw_drmg_notice(notice, "…", acting_user=drmg)

A computation (:class:`~web.assiduity.models.AssiduityRun`) is of the whole region and one
year; it records the table versions in force when it starts and is computed in the
background (:func:`do_compute_assiduity_run`, the task
:func:`web.assiduity.tasks.compute_assiduity_run`) by the engine's
:func:`panelcare.assiduity.results.write_results`, which keeps every physician's rate,
visits, summary and months in the run's ``results/`` folder.

The engine reads the versions through :func:`panelcare.assiduity.io.open_tables`, the
reader of ``panelcare assiduity compute``: a temporary folder of links named
``NAME.parquet`` to the versions' files, so that no row is copied and the web's rates
are the command's, checks included (docs/decisions.md, "The engine reads the versions'
files through links"). The DRMG notices (EP 40, 15.01 B) are not an imported table but
the web's own records (:class:`~web.assiduity.models.DrmgNotice`): the computation writes
the region's active notices of its year as the folder's ``drmg_notices.parquet`` and
keeps their ids in its summary (``notices``).

The caller has checked the user's access (``web.accounts.access``): these functions trust
what they get.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from panelcare.contracts import ASSIDUITY_TABLES
from panelcare.errors import InputError, SettingsError
from web import tasks_health
from web.accounts.access import User
from web.assiduity import tasks
from web.assiduity.errors import (
    AssiduityNotReady,
    AssiduityRunNotReady,
    AssiduityRunStopped,
    DrmgNoticeExists,
    DrmgNoticeRefused,
    DrmgNoticeWithdrawn,
    NotAGmfMember,
)
from web.assiduity.figures import year_gmf_memberships, year_gmf_periods
from web.assiduity.models import (
    IN_PROGRESS,
    AssiduityAction,
    AssiduityRun,
    AssiduityRunStatus,
    DrmgNotice,
)
from web.audit.services import record, record_on
from web.comanagement import queries
from web.errors import DiskFull, disk_full_guard, is_disk_full
from web.regions.models import Physician, Region
from web.tables.kinds import DatasetKind, get_kind
from web.tables.models import Dataset

if TYPE_CHECKING:
    from panelcare.assiduity.rules import Rules
    from panelcare.assiduity.tables import AssiduityTables
    from web.comanagement.models import Post

__all__ = [
    "ENGINE_KINDS",
    "READ_KINDS",
    "do_cancel_assiduity_run",
    "do_compute_assiduity_run",
    "do_fail_stalled_assiduity_runs",
    "do_record_assiduity_export",
    "do_record_drmg_notice",
    "do_start_assiduity_run",
    "do_withdraw_drmg_notice",
    "enqueue_assiduity_run",
    "notices_read",
    "open_run_tables",
]

logger = logging.getLogger(__name__)

# The engine's input tables the region imports (panelcare.contracts.ASSIDUITY_TABLES; one
# not imported is empty for the engine). The DRMG notices are the web's own records
# (DrmgNotice), written beside them at each computation (_engine_folder).
ENGINE_KINDS: tuple[str, ...] = ASSIDUITY_TABLES
# What a run records: the engine's inputs, and the physicians' roster whose names, RLS
# and codes the pages show beside the rates.
READ_KINDS: tuple[str, ...] = (*ENGINE_KINDS, DatasetKind.PHYSICIANS)
REQUIRED_KINDS = (DatasetKind.VISITS, DatasetKind.REGISTRATIONS)


# --------------------------------------------------------------------------- starting


def do_start_assiduity_run(region: Region, year: int, *, acting_user: User) -> AssiduityRun:
    """Queue the computation of every physician's assiduity rate of ``region`` for
    ``year`` on the current table versions (the year to date for the current year).

    Records the versions in force (:data:`READ_KINDS`, those imported) and the audit
    entry RUN_STARTED in one transaction, then queues the task
    :func:`web.assiduity.tasks.compute_assiduity_run`.

    The caller has checked that ``acting_user`` computes the assiduity of ``region``
    (``web.accounts.access.access_assiduity_region``).

    Raises:
        AssiduityNotReady: a year to come, a year the rules have no scale for, no visits
            or registrations imported, visits without any of ``year``, or a computation
            of the region queued or running.
    """
    from panelcare.assiduity.rules import AssiduityRulesError, load_rules

    if year > timezone.localdate().year:
        raise AssiduityNotReady(
            _("%(year)s is a year to come: its rate cannot be computed yet.") % {"year": year}
        )
    rules = load_rules()
    try:
        rules.scale_for(year)
    except AssiduityRulesError:
        raise AssiduityNotReady(
            _("The rules give no scale for %(year)s: the assiduity rate exists from %(first)s.")
            % {"year": year, "first": min(rules.scales)}
        ) from None
    versions = {kind: Dataset.current(region, kind) for kind in READ_KINDS}
    if any(versions[kind] is None for kind in REQUIRED_KINDS):
        raise AssiduityNotReady(_("Import the visits and the registrations first."))
    _refuse_a_year_without_visits(versions[DatasetKind.VISITS], year)
    with transaction.atomic():
        # Lock the region's row: two clicks do not start two computations.
        Region.objects.select_for_update().filter(pk=region.pk).exists()
        do_fail_stalled_assiduity_runs(AssiduityRun.objects.filter(region=region))
        under_way = AssiduityRun.objects.filter(region=region, status__in=IN_PROGRESS).first()
        if under_way is not None:
            raise AssiduityNotReady(
                _(
                    "A computation of the region is under way (%(year)s, number %(number)s): "
                    "wait for it to end, or cancel it."
                )
                % {"year": under_way.year, "number": under_way.pk}
            )
        read = {kind: dataset for kind, dataset in versions.items() if dataset is not None}
        run = AssiduityRun.objects.create(
            region=region,
            year=year,
            versions={kind: dataset.pk for kind, dataset in read.items()},
            status=AssiduityRunStatus.QUEUED,
            created_by=acting_user,
        )
        record(
            AssiduityAction.RUN_STARTED,
            region=region,
            acting_user=acting_user,
            subject=run,
            year=year,
            versions={kind: dataset.version for kind, dataset in read.items()},
        )
    enqueue_assiduity_run(run.pk)
    run.refresh_from_db()
    return run


def _refuse_a_year_without_visits(visits: Dataset | None, year: int) -> None:
    """Refuse a year the visits version holds no visit of, read from the Parquet file's
    statistics (no row is read; a file without them is not checked here).

    Raises:
        AssiduityNotReady: the version's visits are all before or after ``year``.
    """
    if visits is None or not visits.rows:
        return
    span = _date_span(visits.path, "visit_date")
    if span is None or span[0].year <= year <= span[1].year:
        return
    raise AssiduityNotReady(
        _(
            "The visits in force (version %(version)s) hold no visit of %(year)s: they go "
            "from %(first)s to %(last)s."
        )
        % {
            "version": visits.version,
            "year": year,
            "first": span[0].isoformat(),
            "last": span[1].isoformat(),
        }
    )


def _date_span(path: Path, column: str) -> tuple[datetime.date, datetime.date] | None:
    """The lowest and highest value of a date ``column`` of a Parquet file, from its row
    groups' statistics; None when a row group has none."""
    metadata = pq.ParquetFile(path).metadata
    index = metadata.schema.names.index(column)
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        statistics = metadata.row_group(group).column(index).statistics
        if statistics is None or not statistics.has_min_max:
            return None
        lows.append(statistics.min)
        highs.append(statistics.max)
    if not lows or not all(isinstance(day, datetime.date) for day in lows + highs):
        return None
    return min(lows), max(highs)


def do_record_assiduity_export(
    run: AssiduityRun, what: str, fmt: str, *, acting_user: User, physician_code: str = ""
) -> None:
    """Record that ``acting_user`` downloaded ``what`` of ``run`` ("rates", "visits" of
    ``physician_code``, "committee") as ``fmt`` (csv, xlsx): EXPORTED, as the attribution
    records its exports (patient data leaving the platform is always traced)."""
    details: dict[str, Any] = {"what": what, "format": fmt, "year": run.year}
    if physician_code:
        details["physician"] = physician_code
    record_on(AssiduityAction.EXPORTED, run, acting_user=acting_user, **details)


def enqueue_assiduity_run(run_id: int) -> None:
    """Queue :func:`web.assiduity.tasks.compute_assiduity_run` for ``run_id`` (with the
    immediate backend, the tests', it runs here and now). One place, so that a test can
    hold a run in the queue."""
    tasks.compute_assiduity_run.enqueue(run_id)


# --------------------------------------------------------------------------- stopping


def do_cancel_assiduity_run(run: AssiduityRun, *, acting_user: User) -> AssiduityRun:
    """Cancel a queued or running computation: CANCELLED at once, with the audit entry
    RUN_CANCELLED. A queued run's task then finds it not queued and does nothing; a
    running one stops at its next progress report without keeping results.

    Raises:
        AssiduityRunNotReady: the run is no longer queued or running.
    """
    with transaction.atomic():
        locked = AssiduityRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in IN_PROGRESS:
            raise AssiduityRunNotReady(_("Only a queued or running computation can be cancelled."))
        AssiduityRun.objects.filter(pk=run.pk).update(
            status=AssiduityRunStatus.CANCELLED, phase="", finished_at=timezone.now()
        )
        record_on(AssiduityAction.RUN_CANCELLED, run, acting_user=acting_user, was=locked.status)
    run.refresh_from_db()
    return run


def do_fail_stalled_assiduity_runs(runs: Any = None) -> list[int]:
    """Fail the RUNNING computations (of ``runs``, a queryset; all when None) whose
    heartbeat is older than the lease (:mod:`web.tasks_health`): their worker is gone.
    Each gets the error :data:`web.tasks_health.STOPPED_MESSAGE`, the audit entry
    RUN_FAILED (as its creator's, the task's user) and its task result marked failed; a
    new computation can be started. Returns the ids failed."""
    queryset = AssiduityRun.objects.all() if runs is None else runs
    message = str(tasks_health.STOPPED_MESSAGE)
    failed = []
    for run in tasks_health.stalled(queryset, [AssiduityRunStatus.RUNNING]).select_related(
        "region", "created_by"
    ):
        with transaction.atomic():
            if not AssiduityRun.objects.filter(pk=run.pk, status=AssiduityRunStatus.RUNNING).update(
                status=AssiduityRunStatus.FAILED,
                error=message,
                phase="",
                finished_at=timezone.now(),
            ):
                continue  # finished meanwhile
            record_on(
                AssiduityAction.RUN_FAILED,
                run,
                acting_user=run.created_by,
                error=message,
                stalled=True,
            )
        tasks_health.fail_task_results(tasks.compute_assiduity_run.module_path, run.pk, message)
        logger.warning(
            "assiduity run %s stopped (last heartbeat %s): failed", run.pk, run.heartbeat_at
        )
        failed.append(run.pk)
    return failed


# --------------------------------------------------------------------------- computing


def do_compute_assiduity_run(run_id: int, *, acting_user: User | None = None) -> None:
    """Compute the queued run ``run_id`` (the body of the task
    :func:`web.assiduity.tasks.compute_assiduity_run`).

    Opens the run's versions as the engine's tables, writes the results folder
    (:func:`panelcare.assiduity.results.write_results`, progress and heartbeat written to
    the run), then the summary: status DONE and the audit entry RUN_FINISHED, or FAILED
    with a reason for the user and RUN_FAILED, both recorded as ``acting_user``'s (the
    run's creator when None: the task has no user). A run that is not queued (a task
    delivered twice, a cancelled run) is left alone; a run cancelled or failed as stalled
    while it computes keeps nothing.
    """
    claimed = AssiduityRun.objects.filter(pk=run_id, status=AssiduityRunStatus.QUEUED).update(
        status=AssiduityRunStatus.RUNNING,
        phase="inputs",
        done=0,
        total=0,
        heartbeat_at=timezone.now(),
    )
    if not claimed:
        logger.warning("assiduity run %s is not queued: nothing to do", run_id)
        return
    run = AssiduityRun.objects.select_related("region", "created_by").get(pk=run_id)
    actor = acting_user or run.created_by
    try:
        _compute(run, actor)
    except AssiduityRunStopped:
        shutil.rmtree(run.folder, ignore_errors=True)
        logger.warning("assiduity run %s was stopped (cancelled or stalled): nothing kept", run_id)
    except Exception as error:
        logger.exception("assiduity run %s failed", run_id)
        message = failure_reason(error)
        shutil.rmtree(run.folder, ignore_errors=True)
        # Only a run still RUNNING: a cancellation or a stall check meanwhile wins.
        if AssiduityRun.objects.filter(pk=run_id, status=AssiduityRunStatus.RUNNING).update(
            status=AssiduityRunStatus.FAILED, error=message, phase="", finished_at=timezone.now()
        ):
            record_on(AssiduityAction.RUN_FAILED, run, acting_user=actor, error=message)


def _compute(run: AssiduityRun, actor: User) -> None:
    from panelcare.assiduity.results import write_results
    from panelcare.assiduity.rules import load_rules
    from web.assiduity.groups import write_gmf_rates

    started = time.monotonic()
    progress = tasks_health.ProgressWriter(
        AssiduityRun, run.pk, AssiduityRunStatus.RUNNING, AssiduityRunStopped
    )
    progress("inputs", 0, 1)
    datasets = run.datasets()
    missing = [kind for kind in run.versions if kind not in datasets]
    if missing:  # versions are never deleted; a restored database without its rows?
        raise AssiduityNotReady(
            _("A table version this computation read is missing: %(tables)s.")
            % {"tables": ", ".join(str(get_kind(kind).label) for kind in missing)}
        )
    rules = load_rules()
    # A queued run has no files yet; a folder there is a leftover (a run id reused after
    # a rolled-back test database): start clean.
    shutil.rmtree(run.folder, ignore_errors=True)
    run.folder.mkdir(parents=True)
    # The notices in force when the computation reads its tables (recorded in its summary:
    # one recorded or withdrawn afterwards is the next computation's).
    notices = list(
        DrmgNotice.objects.active()
        .filter(region=run.region, year=run.year)
        .order_by("physician_code", "pk")
        .values_list("pk", "physician_code", "year")
    )
    with (
        open_run_tables(run, rules, [(code, year) for _pk, code, year in notices]) as (
            tables,
            con,
        ),
        disk_full_guard(run.folder),
    ):
        progress("inputs", 1, 1)
        info = write_results(tables, run.year, rules, con, run.results_folder, progress=progress)
        # The GMFs' own rates, summed from the visits just classified (web.assiduity.groups).
        write_gmf_rates(run, tables, rules, con)
    summary = {
        "physicians": info.physicians,
        "visits": info.visits,
        "seconds": round(info.seconds, 3),
        "notices": [pk for pk, _code, _year in notices],
        "versions": {
            kind: {
                "version": dataset.version,
                "rows": dataset.rows,
                "imported_at": dataset.imported_at.isoformat(),
            }
            for kind, dataset in datasets.items()
        },
        "timings": {**progress.finish(), "total": round(time.monotonic() - started, 3)},
    }
    # Only a run still RUNNING: a cancellation since the last progress report wins.
    if not AssiduityRun.objects.filter(pk=run.pk, status=AssiduityRunStatus.RUNNING).update(
        status=AssiduityRunStatus.DONE,
        summary=summary,
        phase="",
        finished_at=timezone.now(),
        error="",
    ):
        raise AssiduityRunStopped(run.pk)
    record_on(
        AssiduityAction.RUN_FINISHED,
        run,
        acting_user=actor,
        physicians=info.physicians,
        visits=info.visits,
        seconds=summary["timings"]["total"],
    )


@contextlib.contextmanager
def open_run_tables(
    run: AssiduityRun, rules: Rules, notices: Iterable[tuple[str, int]]
) -> Iterator[tuple[AssiduityTables, Any]]:
    """The engine's tables of the versions ``run`` read and of the DRMG ``notices``
    (physician code, year), opened by :func:`panelcare.assiduity.io.open_tables` on a
    DuckDB connection of their own, with the words ``rules`` makes eligible (a rules file
    may make another setting or provider kind eligible: accept its words, as the command
    does; with the shipped rules, the contract's): (tables, connection), valid inside the
    block only (the links folder, :func:`_engine_folder`, is removed and the connection
    closed on leaving). The computation reads the notices in force
    (:func:`do_compute_assiduity_run`); a second reading of a DONE run's tables (a
    what-if) gives those it read (:func:`notices_read`) to get its rates again."""
    from panelcare.assiduity import io

    with _engine_folder(run.datasets(), notices) as folder:
        con = io.connect()
        try:
            tables = io.open_tables(
                folder,
                con,
                settings=[*io.SETTINGS, *sorted(rules.eligible_settings - set(io.SETTINGS))],
                provider_kinds=[
                    *io.PROVIDER_KINDS,
                    *sorted(rules.eligible_provider_kinds - set(io.PROVIDER_KINDS)),
                ],
            )
            yield tables, con
        finally:
            con.disconnect()


@contextlib.contextmanager
def _engine_folder(
    datasets: dict[str, Dataset], notices: Iterable[tuple[str, int]] = ()
) -> Iterator[Path]:
    """A temporary folder where each of the engine's tables (:data:`ENGINE_KINDS`) is a
    link ``NAME.parquet`` to the version's file: what ``open_tables`` reads, without a copy
    of any row; and ``drmg_notices.parquet``, the ``notices`` given as (physician code,
    year) (the contract's schema; empty when none). Removed on leaving (the links and the
    notices only; the versions stay)."""
    with tempfile.TemporaryDirectory(prefix="panelcare-assiduity-") as name:
        folder = Path(name)
        for kind, dataset in datasets.items():
            if kind in ENGINE_KINDS:
                (folder / f"{kind}.parquet").symlink_to(dataset.path)
        pq.write_table(drmg_notices_table(notices), folder / "drmg_notices.parquet")
        yield folder


def drmg_notices_table(notices: Iterable[tuple[str, int]]) -> pa.Table:
    """``notices`` (physician code, year) as the engine's ``drmg_notices`` table
    (``panelcare.assiduity.contract.SCHEMAS``: physician_id string, year int32)."""
    from panelcare.assiduity.tables import schema

    rows = [{"physician_id": code, "year": year} for code, year in notices]
    return pa.Table.from_pylist(rows, schema=schema("drmg_notices").to_pyarrow())


def notices_read(run: AssiduityRun) -> list[tuple[str, int]]:
    """The DRMG notices a DONE ``run`` read, as (physician code, year): what a second
    reading of its tables (a what-if) gives the engine to get the run's rates again."""
    ids = (run.summary or {}).get("notices") or []
    return list(
        DrmgNotice.objects.filter(pk__in=ids)
        .order_by("physician_code", "pk")
        .values_list("physician_code", "year")
    )


def failure_reason(error: BaseException) -> str:
    """What a failed computation says to the user, in a sentence of the interface's
    language (the engine's own words kept for what only they name: a row, a column)."""
    from panelcare.assiduity.results import ResultsError

    if isinstance(error, DiskFull) or is_disk_full(error):
        return str(DiskFull())
    if isinstance(error, ResultsError) and is_disk_full(error.__context__ or error):
        return str(DiskFull())
    if isinstance(error, AssiduityNotReady):
        return str(error)
    if isinstance(error, InputError):
        table = _table_label(error.file or "")
        return _(
            "The table %(table)s in force does not meet the computation's checks "
            "(%(detail)s). Correct it and import it again, then start the computation."
        ) % {"table": table, "detail": str(error)}
    if isinstance(error, SettingsError):
        return _("The assiduity rules cannot be used: %(detail)s") % {"detail": str(error)}
    return _(
        "The computation failed on an internal error (%(error)s); start it again, and tell "
        "the administrator if it fails again."
    ) % {
        "error": str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    }


def _table_label(file_name: str) -> str:
    """The label of the table whose engine file is ``file_name`` (``visits.parquet``)."""
    kind = file_name.partition(".")[0]
    try:
        return str(get_kind(kind).label)
    except KeyError:
        return file_name


# --------------------------------------------------------------------------- DRMG notices


def do_record_drmg_notice(
    region: Region,
    physician_code: str,
    year: int,
    justification: str,
    *,
    acting_user: User,
    post: Post | None = None,
) -> DrmgNotice:
    """Record the DRMG's notice (EP 40, 15.01 B) that ``physician_code``'s shortfall of
    ``year`` results from staff the CISSS/CIUSSS did not assign: the physician is deemed
    to meet the target for that year (100 % paid) by the computations started afterwards.

    The physician's GMF is their last GMF membership of ``year`` in the region's GMF
    memberships version in force (``gmf_code``). Records the audit entry NOTICE_RECORDED
    (of the physician's RLS) in the same transaction.

    ``post`` is the co-management's post the CISSS/CIUSSS left vacant past its hiring
    deadline (``web.comanagement.queries``), when the notice is recorded from that
    proposal: it is kept with the notice, and the audit entry holds the post, its deadline
    and the days it was vacant past it in ``year``.

    The caller has checked that ``acting_user`` records the notices of ``region``
    (``web.accounts.access.access_drmg_notice_region``) and, for ``post``, sees it
    (``access_comanagement_record``).

    Raises:
        DrmgNoticeRefused: an empty justification, a year to come, a year before the
            assiduity rate; a ``post`` of another region, of a GMF the physician was not a
            member of in ``year``, or not vacant past its deadline in ``year``.
        NotAGmfMember: the physician held no GMF membership during ``year`` (or no GMF
            memberships are imported).
        DrmgNoticeExists: the physician has an active notice for ``year``.
    """
    from panelcare.assiduity.rules import load_rules

    justification = justification.strip()
    if not justification:
        raise DrmgNoticeRefused(
            _("Write the justification: the paritary committee reads why the notice is given.")
        )
    if year > timezone.localdate().year:
        raise DrmgNoticeRefused(
            _("%(year)s is a year to come: a notice is recorded for a year under way or past.")
            % {"year": year}
        )
    first = min(load_rules().scales)
    if year < first:
        raise DrmgNoticeRefused(
            _("The assiduity rate exists from %(first)s: no notice for %(year)s.")
            % {"first": first, "year": year}
        )
    physician = Physician.objects.filter(code=physician_code, rls__region=region).first()
    label = f"{physician.name} ({physician_code})" if physician else physician_code
    memberships = Dataset.current(region, DatasetKind.GMF_MEMBERSHIPS)
    if memberships is None:
        raise NotAGmfMember(
            _(
                "No GMF memberships are imported: a DRMG notice applies to a GMF member. "
                "Import the GMF memberships first."
            )
        )
    gmf_code = year_gmf_memberships(memberships, year, physician_code).get(physician_code)
    if gmf_code is None:
        raise NotAGmfMember(
            _(
                "%(physician)s held no GMF membership in %(year)s according to the GMF "
                "memberships in force (version %(version)s): a DRMG notice applies to a GMF "
                "member (EP 40, 15.01 B)."
            )
            % {"physician": label, "year": year, "version": memberships.version}
        )
    vacancy = _post_vacancy(region, post, memberships, physician_code, label, year)
    exists = DrmgNoticeExists(
        _("%(physician)s already has a notice in force for %(year)s: withdraw it first.")
        % {"physician": label, "year": year}
    )
    try:
        with transaction.atomic():
            # Lock the region's row: two clicks do not record two notices.
            Region.objects.select_for_update().filter(pk=region.pk).exists()
            if (
                DrmgNotice.objects.active()
                .filter(region=region, physician_code=physician_code, year=year)
                .exists()
            ):
                raise exists
            notice = DrmgNotice.objects.create(
                region=region,
                physician_code=physician_code,
                gmf_code=gmf_code,
                year=year,
                justification=justification,
                post=post,
                recorded_by=acting_user,
            )
            evidence = (
                {}
                if vacancy is None
                else {
                    "post": vacancy.post.pk,
                    "deadline": vacancy.deadline.isoformat(),
                    "days_vacant": vacancy.days_vacant,
                }
            )
            record(
                AssiduityAction.NOTICE_RECORDED,
                region=region,
                acting_user=acting_user,
                subject=notice,
                rls_code=physician.rls.code if physician else "",
                physician=physician_code,
                gmf=gmf_code,
                year=year,
                memberships_version=memberships.version,
                **evidence,
            )
    except IntegrityError:  # recorded meanwhile by another database's writer
        raise exists from None
    return notice


def _post_vacancy(
    region: Region,
    post: Post | None,
    memberships: Dataset,
    physician_code: str,
    label: str,
    year: int,
) -> queries.VacantPost | None:
    """The vacancy of ``post`` in ``year`` that justifies a notice for ``physician_code``
    (None without a post). The post must be of the region, of a GMF the physician was a
    member of on some day of the year, and vacant past its hiring deadline that year: it
    is the notice's evidence (EP 40, 15.01 B)."""
    if post is None:
        return None
    gmf = post.gmf
    if gmf.rls.region_id != region.pk:
        raise DrmgNoticeRefused(_("This post is not of the region: it cannot justify the notice."))
    gmfs = set(year_gmf_periods(memberships, year, physician_code).column("gmf_id").to_pylist())
    if gmf.code not in gmfs:
        raise DrmgNoticeRefused(
            _(
                "%(physician)s was not a member of the GMF %(gmf)s in %(year)s: its post "
                "cannot justify the notice."
            )
            % {"physician": label, "gmf": gmf.name, "year": year}
        )
    found = queries.vacancy(post, year)
    if found is None:
        raise DrmgNoticeRefused(
            _(
                "This post was not vacant past its hiring deadline in %(year)s: it cannot "
                "justify the notice."
            )
            % {"year": year}
        )
    return found


def do_withdraw_drmg_notice(notice: DrmgNotice, reason: str, *, acting_user: User) -> DrmgNotice:
    """Withdraw ``notice`` for ``reason``: the computations started afterwards no longer
    deem the physician to meet the target. The notice is kept, with who withdrew it, when
    and why, and the audit entry NOTICE_WITHDRAWN.

    Raises:
        DrmgNoticeRefused: an empty reason.
        DrmgNoticeWithdrawn: the notice is already withdrawn.
    """
    reason = reason.strip()
    if not reason:
        raise DrmgNoticeRefused(_("Say why the notice is withdrawn."))
    with transaction.atomic():
        locked = DrmgNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.withdrawn_at is not None:
            raise DrmgNoticeWithdrawn(_("This notice is already withdrawn."))
        notice.withdrawn_at = timezone.now()
        notice.withdrawn_by = acting_user
        notice.withdrawal_reason = reason
        notice.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        rls = (
            Physician.objects.filter(code=notice.physician_code, rls__region=notice.region_id)
            .values_list("rls__code", flat=True)
            .first()
        )
        record(
            AssiduityAction.NOTICE_WITHDRAWN,
            region=notice.region,
            acting_user=acting_user,
            subject=notice,
            rls_code=rls or "",
            physician=notice.physician_code,
            year=notice.year,
            reason=reason,
        )
    return notice
