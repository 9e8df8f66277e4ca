"""The assiduity data contract (``spec/assiduity.md``, "Data contract"), declared once:
each table's columns and types, the columns that must hold a value, the vocabularies and
the periods that must not overlap.

Plain data, without Ibis or DuckDB: the engine's reader (:mod:`panelcare.assiduity.io`)
checks a data folder with these declarations, and the web app's imports check one file at
a time with the same ones (:mod:`panelcare.contracts`), so that an imported table passes
``panelcare assiduity compute``'s checks.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GMF_KINDS",
    "OVERLAP_RULES",
    "PROVIDER_KINDS",
    "REQUIRED",
    "REQUIRED_VALUES",
    "SCHEMAS",
    "SETTINGS",
    "TRIAGE_LEVELS",
    "VOCABULARIES",
    "OverlapRule",
]

# Column order is the contract's. "date" columns are days; empty end_date = ongoing.
SCHEMAS: dict[str, dict[str, str]] = {
    "visits": {
        "visit_id": "string",
        "patient_id": "string",
        "provider_id": "string",
        "provider_kind": "string",
        "visit_date": "date",
        "site_id": "string",
        "setting": "string",
        "billing_code": "string",
        "er_triage": "string",
        "er_admitted": "boolean",
        "er_repeat": "boolean",
        "er_referred": "boolean",
        "er_death": "boolean",
        "pregnancy_followup": "boolean",
    },
    "registrations": {
        "patient_id": "string",
        "physician_id": "string",
        "site_id": "string",
        "start_date": "date",
        "end_date": "date",
    },
    "gmf_sites": {"site_id": "string", "gmf_id": "string", "kind": "string"},
    "gmf_memberships": {
        "physician_id": "string",
        "gmf_id": "string",
        "start_date": "date",
        "end_date": "date",
    },
    "practice_groups": {
        "physician_id": "string",
        "group_id": "string",
        "start_date": "date",
        "end_date": "date",
    },
    "ips_partnerships": {
        "ips_id": "string",
        "physician_id": "string",
        "start_date": "date",
        "end_date": "date",
    },
    "service_agreements": {
        "gmf_id": "string",
        "partner_gmf_id": "string",
        "start_date": "date",
        "end_date": "date",
    },
    "drmg_notices": {"physician_id": "string", "year": "int32"},
    "gmf_r_coverage": {"gmf_id": "string", "year": "int32", "covered_patients": "int64"},
}

# Tables a data folder must hold; the others default to empty.
REQUIRED = ("visits", "registrations")

# The contract's vocabularies. A setting outside the eligible list is written `other`;
# any other word is a mistake in the file, not an ineligible setting.
SETTINGS = (
    "cabinet",
    "domicile",
    "clsc",
    "umf",
    "gmf",
    "gmf_r",
    "gmf_u",
    "clinique_reseau",
    "urgence_ch",
    "urgence_clsc",
    "other",
)
PROVIDER_KINDS = ("physician", "ips", "other")
TRIAGE_LEVELS = ("P1", "P2", "P3", "P4", "P5")
GMF_KINDS = ("gmf", "gmf_r", "gmf_u")

# Columns that must hold a value on every row; the others may be empty (null).
REQUIRED_VALUES: dict[str, tuple[str, ...]] = {
    "visits": (
        "visit_id",
        "patient_id",
        "provider_id",
        "provider_kind",
        "visit_date",
        "setting",
    ),
    "registrations": ("patient_id", "physician_id", "start_date"),
    "gmf_sites": ("site_id", "gmf_id", "kind"),
    "gmf_memberships": ("physician_id", "gmf_id", "start_date"),
    "practice_groups": ("physician_id", "group_id", "start_date"),
    "ips_partnerships": ("ips_id", "physician_id", "start_date"),
    "service_agreements": ("gmf_id", "partner_gmf_id", "start_date"),
    "drmg_notices": ("physician_id", "year"),
    "gmf_r_coverage": ("gmf_id", "year", "covered_patients"),
}

# Columns restricted to a vocabulary (null allowed unless the column is required).
VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("visits", "provider_kind"): PROVIDER_KINDS,
    ("visits", "setting"): SETTINGS,
    ("visits", "er_triage"): TRIAGE_LEVELS,
    ("gmf_sites", "kind"): GMF_KINDS,
}


@dataclass(frozen=True)
class OverlapRule:
    """Rows of one ``key`` whose periods must not overlap (when ``differing`` is set: only
    rows with a different value of that column may not). ``message`` is formatted with
    ``key``, ``other``, ``period`` (the later row's), ``other_row``, ``other_other`` and
    ``other_period`` (the earlier row's). ``code`` names the problem for an interface that
    says it in its own language (:class:`~panelcare.errors.InputError`)."""

    key: str
    differing: str | None
    message: str
    code: str


OVERLAP_RULES = {
    "registrations": OverlapRule(
        "patient_id",
        None,
        "the registration of patient {key} ({period}) overlaps the one on row {other_row} "
        "({other_period}); a patient has at most one registration on a given day "
        "(end_date is the first day out of force)",
        code="overlapping_registration",
    ),
    # The computation merges a membership written twice; two GMFs on one day are an error.
    "gmf_memberships": OverlapRule(
        "physician_id",
        "gmf_id",
        "the membership of physician {key} in {other} ({period}) overlaps the one in "
        "{other_other} on row {other_row} ({other_period}); a physician holds at most one "
        "GMF membership on any day (end_date is the first day out of force)",
        code="overlapping_membership",
    ),
}


def period_text(start: object, end: object) -> str:
    """A period as the overlap messages write it."""
    return f"from {start}, ongoing" if end is None else f"from {start} to {end}"
