from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from web.config import settings

ROOT = Path(__file__).resolve().parents[3]


def run_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser fixture allows async-unsafe ORM calls in the test process only.
    unwanted = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unwanted}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow  # starts a Django process of its own for `check --deploy` (about 2 s)
def test_it_passes_the_deployment_checks_with_production_settings():
    result = run_check(
        {
            "PANELCARE_PRODUCTION": "true",
            "SECRET_KEY": "x7!kq2" * 12,
            "ALLOWED_HOSTS": "panelcare.example.qc.ca",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_production_without_a_secret_key():
    result = run_check({"PANELCARE_PRODUCTION": "true"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_fails_loudly_on_a_malformed_boolean(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        settings.env_bool("DEBUG", False)


def test_it_fails_loudly_on_a_malformed_number(monkeypatch):
    monkeypatch.setenv("PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE", "20 %")
    with pytest.raises(ImproperlyConfigured, match="must be a number, not '20 %'"):
        settings.env_float("PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE", 0.2)
    monkeypatch.setenv("PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE", "0.35")
    assert settings.env_float("PANELCARE_IMPORT_REMOVAL_CONFIRM_SHARE", 0.2) == 0.35


def test_it_reads_comma_separated_lists(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example,")
    assert settings.env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_it_turns_debug_off_unless_asked(monkeypatch):
    # Django's debug pages (code, settings, a traceback) are for a developer's machine.
    monkeypatch.delenv("DEBUG", raising=False)
    assert settings.env_bool("DEBUG", False) is False
    result = subprocess.run(
        [sys.executable, "-c", "from web.config import settings; print(settings.DEBUG)"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DEBUG"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_it_refuses_debug_in_production():
    result = run_check(
        {
            "PANELCARE_PRODUCTION": "true",
            "SECRET_KEY": "x7!kq2" * 12,
            "ALLOWED_HOSTS": "panelcare.example.qc.ca",
            "DEBUG": "true",
        }
    )
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr
