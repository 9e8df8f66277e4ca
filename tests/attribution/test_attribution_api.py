"""The attribution engine's public surface: each module's ``__all__`` names only what it
has, and the modules the web app calls (in memory) list every public class and function."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import panelcare.attribution

MODULES = [
    module.name
    for module in pkgutil.iter_modules(panelcare.attribution.__path__, "panelcare.attribution.")
]
# What the web app calls: parameters from a mapping, tables from Arrow, the plan's
# figures, its adjustments, its folder.
CALLED_IN_MEMORY = ["adjust", "figures", "io", "outputs", "params", "store"]


@pytest.mark.parametrize("name", [name for name in MODULES if not name.endswith(".cli")])
def test_it_exports_only_names_each_module_has(name):
    module = importlib.import_module(name)
    assert all(hasattr(module, attribute) for attribute in module.__all__)


@pytest.mark.parametrize("name", CALLED_IN_MEMORY)
def test_it_lists_every_public_class_and_function_of_the_modules_the_web_app_calls(name):
    module = importlib.import_module(f"panelcare.attribution.{name}")
    defined = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), sorted(defined - set(module.__all__))
