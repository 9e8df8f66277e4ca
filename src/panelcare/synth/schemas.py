"""Arrow schemas of every table the generator writes, columns in the contracts' order.

The contract tables follow ``spec/attribution.md`` (physicians, waitlist) and
``spec/assiduity.md`` (visits ... drmg_notices) exactly; ``physicians`` appends two columns
of ours after the contract's (``licence_number``, ``gmf_id``). The reference tables are
ours, for the web application's demo loader; ``docs/data-contract.md`` describes them all.
"""

from __future__ import annotations

import pyarrow as pa

_s = pa.string()
_d = pa.date32()
_f = pa.float64()
_i = pa.int32()
_b = pa.bool_()

# Columns of the contracts, in order: the tests compare the written files with these lists.
PHYSICIANS_CONTRACT_COLUMNS = (
    "physician_id",
    "name",
    "rls_id",
    "site_id",
    "latitude",
    "longitude",
    "registered",
    "vulnerable",
    "practice_start",
    "birth_year",
    "amp_target",
    "other_units",
    "mode",
    "previous_assiduity",
    "departing_on",
)

SCHEMAS: dict[str, pa.Schema] = {
    # --- contract: attribution -------------------------------------------------------------
    "physicians": pa.schema(
        [
            ("physician_id", _s),
            ("name", _s),
            ("rls_id", _s),
            ("site_id", _s),
            ("latitude", _f),
            ("longitude", _f),
            ("registered", _i),
            ("vulnerable", _i),
            ("practice_start", _d),
            ("birth_year", _i),
            ("amp_target", _i),
            ("other_units", _f),
            ("mode", _s),
            ("previous_assiduity", _f),
            ("departing_on", _d),
            ("licence_number", _s),
            ("gmf_id", _s),
        ]
    ),
    "waitlist": pa.schema(
        [
            ("patient_id", _s),
            ("rls_id", _s),
            ("latitude", _f),
            ("longitude", _f),
            ("priority", _s),
            ("vulnerable", _b),
            ("requested_on", _d),
            ("category", _s),
            ("previous_physician_id", _s),
        ]
    ),
    # --- contract: assiduity ---------------------------------------------------------------
    "visits": pa.schema(
        [
            ("visit_id", _s),
            ("patient_id", _s),
            ("provider_id", _s),
            ("provider_kind", _s),
            ("visit_date", _d),
            ("site_id", _s),
            ("setting", _s),
            ("billing_code", _s),
            ("er_triage", _s),
            ("er_admitted", _b),
            ("er_repeat", _b),
            ("er_referred", _b),
            ("er_death", _b),
            ("pregnancy_followup", _b),
        ]
    ),
    "registrations": pa.schema(
        [
            ("patient_id", _s),
            ("physician_id", _s),
            ("site_id", _s),
            ("start_date", _d),
            ("end_date", _d),
        ]
    ),
    "gmf_sites": pa.schema([("site_id", _s), ("gmf_id", _s), ("kind", _s)]),
    "gmf_memberships": pa.schema(
        [("physician_id", _s), ("gmf_id", _s), ("start_date", _d), ("end_date", _d)]
    ),
    "practice_groups": pa.schema(
        [("physician_id", _s), ("group_id", _s), ("start_date", _d), ("end_date", _d)]
    ),
    "ips_partnerships": pa.schema(
        [("ips_id", _s), ("physician_id", _s), ("start_date", _d), ("end_date", _d)]
    ),
    "service_agreements": pa.schema(
        [("gmf_id", _s), ("partner_gmf_id", _s), ("start_date", _d), ("end_date", _d)]
    ),
    "drmg_notices": pa.schema([("physician_id", _s), ("year", _i)]),
    # --- reference tables (ours) -------------------------------------------------------------
    "regions": pa.schema([("region_id", _s), ("name", _s), ("registration_goal", _f)]),
    "rls": pa.schema(
        [
            ("rls_id", _s),
            ("region_id", _s),
            ("name", _s),
            ("seat", _s),
            ("latitude", _f),
            ("longitude", _f),
            ("population", _i),
        ]
    ),
    "gmfs": pa.schema(
        [
            ("gmf_id", _s),
            ("name", _s),
            ("rls_id", _s),
            ("kind", _s),
            ("recognized_on", _d),
            ("annual_review_on", _d),
        ]
    ),
    "sites": pa.schema(
        [
            ("site_id", _s),
            ("name", _s),
            ("rls_id", _s),
            ("gmf_id", _s),
            ("kind", _s),
            ("address", _s),
            ("postal_code", _s),
            ("city", _s),
            ("latitude", _f),
            ("longitude", _f),
        ]
    ),
    "hospitals": pa.schema(
        [
            ("hospital_id", _s),
            ("name", _s),
            ("rls_id", _s),
            ("postal_code", _s),
            ("city", _s),
            ("latitude", _f),
            ("longitude", _f),
        ]
    ),
    "ips": pa.schema([("ips_id", _s), ("name", _s), ("site_id", _s)]),
    "patients": pa.schema(
        [
            ("patient_id", _s),
            ("health_insurance_number", _s),
            ("first_name", _s),
            ("last_name", _s),
            ("birth_year", _i),
            ("sex", _s),
            ("postal_code", _s),
            ("latitude", _f),
            ("longitude", _f),
            ("rls_id", _s),
            ("vulnerable", _b),
            ("category", _s),
        ]
    ),
}

CONTRACT_TABLES = (
    "physicians",
    "waitlist",
    "visits",
    "registrations",
    "gmf_sites",
    "gmf_memberships",
    "practice_groups",
    "ips_partnerships",
    "service_agreements",
    "drmg_notices",
)
REFERENCE_TABLES = ("regions", "rls", "gmfs", "sites", "hospitals", "ips", "patients")
TABLES = CONTRACT_TABLES + REFERENCE_TABLES
