"""Benchmark: write every letter of the demo region's region run (issue 15, 6: under 15 s).

    .venv/bin/python bench/letters.py [--keep DIR] [--repeat N]

In a fresh SQLite database and data folder (``DIR``, a temporary folder by default; kept
with ``--keep``, where a second call reuses the database, the run and its plan): migrate,
load the demo region (``load_demo("region")``: 245 physicians), compute a region run by the
DRMG with the default parameters and approve it; none of that is timed. Timed, the writing
as the background task runs it (``web.attribution.services.do_write_letters``: the
general letter to every physician of the region, a personalised letter to each targeted
physician, one PDF per letter and the merged file), ``--repeat`` times, the best shown.

Prints the letters, the total seconds and letters per second against the target, and
the seconds of each phase: ``facts`` (reading the plan, the facts of every letter),
``html`` (Django rendering), ``pdf`` (WeasyPrint's layout and the PDF, in the pool's
processes: wall time), ``split`` (the pages of each letter into its own file), ``merge``
(the merged PDF) and ``swap`` (the files into place, the rows, the audit).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 15.0
RUN_TITLE = "bench letters"


def setup_django(work: Path) -> None:
    """Django on a database and a data folder of ``work``, tasks run inline (as
    bench/attribution_import.py sets them up)."""
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["PANELCARE_DATA_DIR"] = str(work / "data")
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def approved_region_run():  # type: ignore[no-untyped-def]
    """The approved region run of the demo region: made (migrate, load, compute,
    approve) when the database has none."""
    # The schema from the models (as the tests' --no-migrations): a model field added
    # before its migration is written does not stop the bench.
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from web.attribution import services
    from web.attribution.models import Run, RunStatus
    from web.regions.demo import load_demo

    settings.MIGRATION_MODULES = _NoMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0)
    run = Run.objects.filter(title=RUN_TITLE, status=RunStatus.APPROVED).first()
    if run is not None:
        return run
    started = time.perf_counter()
    load_demo("region")
    drmg = User.objects.get(username="drmg")
    run = services.do_start_run(None, {}, timezone.localdate(), RUN_TITLE, acting_user=drmg)
    run.refresh_from_db()
    if run.status != RunStatus.DONE:
        sys.exit(f"the run is {run.status}: {run.error}")
    run = services.do_approve_run(run, acting_user=drmg)
    print(
        f"set up (demo region loaded, region run approved) in {time.perf_counter() - started:.1f} s"
    )
    return run


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the pool's)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _NoMigrations(dict):
    def __contains__(self, app: object) -> bool:
        return True

    def __getitem__(self, app: str) -> None:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="the database and data folder (kept)")
    parser.add_argument("--repeat", type=int, default=1, help="writings timed (best shown)")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="panelcare-letters-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        setup_django(work)
        from django.contrib.auth.models import User

        from web.attribution import services
        from web.attribution.models import Letter

        run = approved_region_run()
        drmg = User.objects.get(username="drmg")
        best: tuple[float, dict[str, float]] | None = None
        reported: list[int] = []
        for _ in range(max(1, args.repeat)):
            phases: dict[str, float] = {}
            reported.clear()
            started = time.perf_counter()
            cpu = _cpu()
            services.do_write_letters(
                run,
                acting_user=drmg,
                progress=lambda done, _total: reported.append(done),
                timings=phases,
            )
            seconds = time.perf_counter() - started
            phases["cpu (all processes)"] = _cpu() - cpu
            if best is None or seconds < best[0]:
                best = (seconds, phases)
        assert best is not None
        seconds, phases = best
        count = Letter.objects.filter(run=run).count()
        merged = (run.folder / "letters" / "merged.pdf").stat().st_size / 2**20
        print(
            f"{count} letters of the region run ({os.cpu_count()} cores, "
            f"{len(reported)} progress reports), merged file "
            f"{merged:.1f} MiB"
        )
        print("  ".join(f"{phase} {value:.2f} s" for phase, value in phases.items()))
        print(f"load average during the bench: {os.getloadavg()[0]:.1f} (2 cores shared)")
        verdict = "ok" if seconds < TARGET_SECONDS else "MISSED"
        print(
            f"total {seconds:.1f} s, {count / seconds:.1f} letters a second "
            f"(target < {TARGET_SECONDS:g} s: {verdict})"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
