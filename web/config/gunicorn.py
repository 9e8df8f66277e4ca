"""Gunicorn's configuration for panelcare (``gunicorn -c web/config/gunicorn.py``).

Read by ``make serve`` and by the systemd unit of docs/deployment.md. Every value can be
changed from the environment, like the Django settings.

* ``GUNICORN_BIND`` (``127.0.0.1:8000``): the reverse proxy forwards to this address;
  loopback so that nothing reaches gunicorn except through the proxy.
* ``GUNICORN_WORKERS`` (``2``): one synchronous worker per core of the server. The pages
  are CPU-bound (Python, Parquet reads), so more workers than cores only queue.
* ``GUNICORN_TIMEOUT`` (``120`` s): a worker silent for longer is killed and replaced. The
  long work (imports, runs, letters) is in the background worker, not in a request; the
  proxy buffers uploads, so a request reaches gunicorn whole.
"""

from __future__ import annotations

import os

wsgi_app = "web.config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# A worker is replaced after this many requests (with jitter, so that both do not restart
# at once): memory grown while serving a big page goes back to the system.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10
# Load the application once in the master: workers start fast and share its memory.
preload_app = True
# No control socket (gunicornc): systemd manages the service, and its one default path in
# $HOME would be shared by two servers of the same user (`make serve` and a test).
control_socket_disable = True
# The access log and errors go to the console, i.e. the service's journal.
accesslog = "-"
errorlog = "-"
