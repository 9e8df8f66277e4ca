"""The core (src/panelcare) never imports Django: it must run from the CLI, a notebook or
another web stack. Checked in a fresh interpreter, after importing every core module."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import importlib, pkgutil, sys
import panelcare, panelcare.synth, panelcare.geo, panelcare.cli
for module in pkgutil.walk_packages(panelcare.__path__, "panelcare."):
    importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name == "django" or name.startswith("django.")))
"""


def test_it_imports_the_core_without_django():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
