"""Tasks queued by the worker's tests and by bench/worker_memory.py (never by the app)."""

from __future__ import annotations

import csv
import io
import os

from django_tasks import task

from web.ops.worker import rss_mb


@task()
def report_pid() -> int:
    """The process id of the worker process that ran it."""
    return os.getpid()


@task()
def check_big_csv(rows: int) -> dict[str, float]:
    """What an import check that reads every row into memory does (the check of a 1 GB CSV
    took the worker to 6.3 GB, and it kept 3.8 GB): a CSV of ``rows`` rows made in
    memory, read into dictionaries, then into an Arrow table; its process's size at the
    end (MiB)."""
    import pyarrow as pa

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["physician_id", "name", "patients", "share"])
    for i in range(rows):
        writer.writerow([f"P{i:07d}", f"Dr Name {i}", i % 1000, f"{i % 97 / 7:.3f}"])
    read = list(csv.DictReader(io.StringIO(text.getvalue())))
    table = pa.Table.from_pylist(read)
    return {"rows": table.num_rows, "rss_mb": rss_mb() or 0.0}
