"""How the engine's codes read on the attribution pages: reasons, what happened between a
patient and a physician, what limited a physician, the warnings of an adjustment, the
phases of a run. Message ids in English, French in ``locale/fr``; the letters have their
own French sentences (:data:`web.attribution.letters.REASON_SENTENCES`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

__all__ = ["LIMITS", "OUTCOMES", "PHASES", "REASONS", "WARNINGS", "reason_labels"]

# Reason codes of the engine (docs/attribution-rules.md, docs/attribution-cli.md), worded.
REASONS = {
    "group_1a": gettext_lazy("AMP requirement (group 1a)"),
    "group_1b": gettext_lazy("under 500 registrations (group 1b)"),
    "group_2": gettext_lazy("500 registrations or more (group 2)"),
    "not_participating": gettext_lazy("takes no patient in this run"),
    "declined": gettext_lazy("declined: not participating"),
    "departing": gettext_lazy("leaving before 1 January"),
    "below_exclusion_threshold": gettext_lazy("excluded: too few patients"),
    "shortage_spared": gettext_lazy("spared: full workload in a shortage"),
    "under_full_workload": gettext_lazy("under 3 units: served first"),
    "full_workload_reached": gettext_lazy("3 units reached"),
    "target_set_by_cml": gettext_lazy("target set by the CML"),
    "target_offered": gettext_lazy("target from the physician's offer"),
    "target_reached": gettext_lazy("target already reached"),
    "shortage_capped": gettext_lazy("capped at the full workload (shortage)"),
    "yearly_cap": gettext_lazy("capped by the yearly cap"),
    "above_vulnerable_cap": gettext_lazy("above the vulnerable cap: no vulnerable patient"),
    "le304_eligible": gettext_lazy("LE 304 blocks only"),
    "le304_ineligible_assiduity": gettext_lazy("LE 304 refused: assiduity unknown or too low"),
    "need_filled": gettext_lazy("need filled"),
    "candidates_exhausted": gettext_lazy("fewer patients within reach than the need"),
    "no_candidate": gettext_lazy("no patient within reach"),
    "le304_block": gettext_lazy("received an LE 304 block"),
}

# What happened between a patient and a physician near them (explain.PATIENT_OUTCOMES).
OUTCOMES = {
    "assigned": gettext_lazy("The patient's physician in this plan."),
    "not_participating": gettext_lazy("Takes no patient in this run (declined, leaving...)."),
    "le304_only": gettext_lazy("Receives LE 304 blocks only, no individual patient."),
    "other_rls": gettext_lazy("Another RLS, and the run does not cross RLS borders."),
    "too_far": gettext_lazy("Beyond the run's maximum distance."),
    "full": gettext_lazy("Their capacity is used: no room left for this patient."),
    "gmf_target_full": gettext_lazy(
        "Their GMF has received its GMF target: no room left in it for this patient."
    ),
    "vulnerable_cap": gettext_lazy(
        "The patient is vulnerable and the physician's vulnerable quota is used."
    ),
    "beyond_candidates": gettext_lazy("Nearer physicians with room were offered instead."),
    "group_order": gettext_lazy(
        "Had room, but the patient went to a physician with precedence (group, equity, "
        "distance) or the place went to a more urgent patient."
    ),
}

# What limited a physician (explain.LIMITS).
LIMITS = {
    "not_participating": gettext_lazy("Takes no patient in this run."),
    "le304_only": gettext_lazy("Receives LE 304 blocks only."),
    "need": gettext_lazy("Their need is filled (or there was none)."),
    "shortage": gettext_lazy("Their capacity was lowered by the shortage rule and is filled."),
    "yearly_cap": gettext_lazy("Their capacity was lowered by the yearly cap and is filled."),
    "gmf_target_full": gettext_lazy(
        "Room left, but their GMF has received the target agreed with the CML: the patients "
        "within reach went outside the GMF or stayed unassigned."
    ),
    "vulnerable_cap": gettext_lazy(
        "Room left, but their vulnerable quota is used and the vulnerable patients within "
        "reach went elsewhere or stayed unassigned."
    ),
    "candidates": gettext_lazy(
        "Room left, but no more patients within reach (or they went to physicians with precedence)."
    ),
}

WARNINGS = {
    "vulnerable_cap": gettext_lazy("vulnerable share above the cap"),
    "max_distance": gettext_lazy("beyond the maximum distance"),
    "over_target": gettext_lazy("above the target"),
    "gmf_target": gettext_lazy("members above the GMF target"),
}


# The phases a run reports (services.do_compute_run and the engine's plan()), as users read them.
PHASES = {
    "inputs": gettext_lazy("Reading the tables"),
    "candidates": gettext_lazy("Finding each patient's nearest physicians"),
    "solving": gettext_lazy("Solving, network by network"),
    "writing": gettext_lazy("Writing the plan"),
}


def reason_labels(codes: list[str]) -> list[str]:
    """The worded reasons of ``codes`` (an unknown code is kept as is)."""
    return [str(REASONS.get(code, code)) for code in codes]
