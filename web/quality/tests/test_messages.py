"""Every refusal the quality core raises has its whole sentence on the pages
(:data:`web.quality.messages.SENTENCES`): a code without one would reach a reader as the
core's English log message."""

from __future__ import annotations

import ast
from importlib import resources

from django.utils import translation

from panelcare.quality.errors import PlanRuleError
from web.quality import messages


def _core_codes() -> set[str]:
    """The codes of the core's refusals, read from its source: ``code="…"`` keywords and
    the second argument of ``_refuse(message, code, …)``."""
    codes = set()
    for module in ("groups.py", "cycle.py", "plans.py", "runcharts.py"):
        source = resources.files("panelcare.quality").joinpath(module).read_text("utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    codes.add(keyword.value.value)
            name = getattr(node.func, "id", "")
            if name == "_refuse" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
                codes.add(node.args[1].value)
    return codes


def test_it_reads_the_codes_of_the_core():
    codes = _core_codes()
    assert {"group_full", "founder_not_selected", "pdsa_out_of_order", "too_few_goals"} <= codes
    assert len(codes) > 30


def test_it_has_a_sentence_for_every_code_the_core_raises():
    assert sorted(_core_codes() - set(messages.SENTENCES)) == []


def test_it_says_a_refusal_in_french():
    error = PlanRuleError("too few goals", code="too_few_goals", params={"min": "2"})
    with translation.override("fr"):
        sentence = messages.refusal(error)
    assert sentence and "goal" not in sentence and "too_few_goals" not in sentence
