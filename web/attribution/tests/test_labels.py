"""Every code the engine may give a page has its words: a code the labels miss would
reach a French reader as it is (``gmf_target_full``)."""

from __future__ import annotations

from panelcare.attribution import adjust, explain, outputs
from web.attribution import labels, letters


def test_it_words_every_outcome_of_a_patient_near_a_physician() -> None:
    assert set(explain.PATIENT_OUTCOMES) <= set(labels.OUTCOMES)


def test_it_words_every_limit_of_a_physician() -> None:
    assert set(explain.LIMITS) <= set(labels.LIMITS)


def test_it_words_every_reason_of_a_plan() -> None:
    assert set(outputs.PLAN_REASONS) <= set(labels.REASONS)


def test_it_words_every_warning_of_an_adjustment() -> None:
    assert set(adjust.WARNING_CODES) <= set(labels.WARNINGS)


def test_it_has_a_letter_sentence_for_every_reason_a_page_words() -> None:
    # A code without a sentence would reach the physician's letter as it is.
    assert set(labels.REASONS) <= set(letters.REASON_SENTENCES)
    words = {"target": "520", "full_units": "3"}
    (sentence,) = letters.reason_sentences(["target_offered"], words)
    assert "520" in sentence and "votre offre" in sentence
