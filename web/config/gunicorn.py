"""Gunicorn's configuration for panelcare (``gunicorn -c web/config/gunicorn.py``).

Read by ``make serve`` and by the systemd unit of docs/deployment.md. Every value can be
changed from the environment, like the Django settings.

* ``GUNICORN_BIND`` (``127.0.0.1:8000``): the reverse proxy forwards to this address;
  loopback so that nothing reaches gunicorn except through the proxy.
* ``GUNICORN_WORKERS`` (``2``): one synchronous worker per core of the server. The pages
  are CPU-bound (Python, Parquet reads), so more workers than cores only queue: measured
  with ``bench/load.py`` against 3 workers and against 2 workers of 2 and 4 threads
  (``GUNICORN_THREADS``), none measurably faster (docs/deployment.md, "Load").
* ``GUNICORN_THREADS`` (``1``): above 1, each worker serves that many requests at once in
  threads (gunicorn's ``gthread`` worker); they share the worker's core and its cache.
* ``GUNICORN_TIMEOUT`` (``120`` s): a worker silent for longer is killed and replaced. The
  long work (imports, runs, letters) is in the background worker, not in a request; the
  proxy buffers uploads, so a request reaches gunicorn whole.
* ``GUNICORN_MAX_REQUESTS`` (``5000``): a worker is replaced after about this many requests.
"""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "web.config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# A worker is replaced after this many requests, so that memory grown while serving a big
# page (an export) goes back to the system. Each worker keeps its own cache of the pages'
# figures (settings.CACHES), which a new worker computes again: not too often, and with a
# wide jitter so that the two workers are not replaced, cold, at the same time.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 5
# Load the application once in the master: workers start fast and share its memory.
preload_app = True
# No control socket (gunicornc): systemd manages the service, and its one default path in
# $HOME would be shared by two servers of the same user (`make serve` and a test).
control_socket_disable = True
# The access log and errors go to the console, i.e. the service's journal.
accesslog = "-"
errorlog = "-"


def when_ready(server: Any) -> None:
    """In the master, once the application is loaded and before any worker starts: load
    the URLs, which import every view and what they use (Altair, pyarrow...). Django does
    it at the first request, which took about 2 s in each new worker; done here, every
    worker, and every replacement, starts with them (forked, shared memory)."""
    from django.urls import reverse

    reverse("dashboard:home")
