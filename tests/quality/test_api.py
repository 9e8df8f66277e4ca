"""The quality core's public surface: each module exports exactly its public names, and
its errors sit under the project's base classes with a code for the web app."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

from panelcare.errors import InputError, PanelcareError, SettingsError
from panelcare.quality import cycle, errors, groups, plans, runcharts
from panelcare.quality.errors import (
    CreditsTableError,
    CycleRuleError,
    GroupRuleError,
    PlanRuleError,
    QualityError,
    RuleRefused,
    RunChartError,
    SubmissionRefused,
)


@pytest.mark.parametrize("module", [errors, groups, cycle, plans, runcharts])
def test_it_exports_exactly_its_public_names(module: ModuleType):
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", module.__name__) == module.__name__
        and (inspect.isclass(value) or inspect.isfunction(inspect.unwrap(value)) or name.isupper())
    }
    assert set(module.__all__) == public
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize(
    "error", [GroupRuleError, CycleRuleError, PlanRuleError, RunChartError, SubmissionRefused]
)
def test_it_raises_rule_refusals_as_input_errors_with_a_code(error):
    assert issubclass(error, RuleRefused)
    assert issubclass(error, QualityError) and issubclass(error, InputError)
    assert not issubclass(error, SettingsError)


def test_it_raises_credits_table_errors_as_settings_errors():
    assert issubclass(CreditsTableError, QualityError)
    assert issubclass(CreditsTableError, SettingsError)
    assert issubclass(QualityError, PanelcareError)


def test_it_keeps_the_code_params_and_column_of_a_refusal():
    refused = PlanRuleError(
        "no target", code="missing_target", params={"goal": "A"}, column="target"
    )
    assert (refused.code, refused.params, refused.column) == (
        "missing_target",
        {"goal": "A"},
        "target",
    )
    assert str(refused) == "column target: no target"
