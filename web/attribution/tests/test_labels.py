"""Every code the engine may give a page has its words: a code the labels miss would
reach a French reader as it is (``gmf_target_full``)."""

from __future__ import annotations

from panelcare.attribution import explain, outputs
from web.attribution import labels


def test_it_words_every_outcome_of_a_patient_near_a_physician() -> None:
    assert set(explain.PATIENT_OUTCOMES) <= set(labels.OUTCOMES)


def test_it_words_every_limit_of_a_physician() -> None:
    assert set(explain.LIMITS) <= set(labels.LIMITS)


def test_it_words_every_reason_of_a_plan() -> None:
    assert set(outputs.PLAN_REASONS) <= set(labels.REASONS)


def test_it_words_every_warning_of_an_adjustment() -> None:
    for code in ("vulnerable_cap", "max_distance", "over_target", "gmf_target"):
        assert code in labels.WARNINGS
