"""The production server of `make serve` and of the systemd unit (web/config/gunicorn.py)."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_it_runs_two_workers_on_loopback_by_default(monkeypatch):
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    config = importlib.reload(importlib.import_module("web.config.gunicorn"))
    assert config.workers == 2
    assert config.bind == "127.0.0.1:8000"
    assert config.wsgi_app == "web.config.wsgi:application"
    assert config.control_socket_disable


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read(), dict(response.headers)


@pytest.mark.slow  # collects the static files (compressing Vega: about 20 s), starts gunicorn
def test_it_serves_the_pages_and_the_static_files_in_production(tmp_path):
    port = free_loopback_port()
    unwanted = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    env.update(
        PANELCARE_PRODUCTION="true",
        SECRET_KEY="x7!kq2" * 12,
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "web/config/gunicorn.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body, headers = fetch(base + "/accounts/login/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert status == 200
        assert "Content-Security-Policy" in headers
        # The stylesheet under its hashed name (the manifest of collectstatic), by WhiteNoise.
        stylesheet = next(
            part.split('"')[0]
            for part in body.decode().split('href="')[1:]
            if part.startswith("/static/css/panelcare.")
        )
        status, css, headers = fetch(base + stylesheet)
        assert status == 200
        assert b".topbar" in css
        assert "immutable" in headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    output = (tmp_path / "gunicorn.log").read_text()
    assert output.count("Booting worker") == 2
    assert "Control socket" not in output
    assert "Traceback" not in output
