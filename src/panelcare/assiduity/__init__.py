"""The assiduity engine (taux d'assiduité, EP 40 art. 15): rules, rates, explanations, what-ifs.

Data in, data out: the functions take an :class:`AssiduityTables` (Ibis tables on any
backend) and a :class:`Rules`, and return lazy Ibis tables (or, for :func:`what_if`, plain
results); reading files is ``panelcare.assiduity.io``'s business. The rules, the decisions
taken where the source is silent, the reason codes and the output columns are described in
``docs/assiduity.md``.
"""

from panelcare.assiduity.compute import (
    ASSIDUOUS_REASONS,
    COUNTED_REASONS,
    EXCLUSION_REASONS,
    RATE_COLUMNS,
    REASONS,
    TIERS,
    VISIT_OUTCOME_COLUMNS,
    physician_rates,
    visit_outcomes,
)
from panelcare.assiduity.explain import (
    EXPLANATION_COLUMNS,
    PROVIDER_CATEGORIES,
    explain_physician,
    reason_summary,
)
from panelcare.assiduity.rules import (
    DEFAULT_RULES_FILE,
    AssiduityRulesError,
    Rules,
    Scale,
    load_rules,
)
from panelcare.assiduity.tables import AssiduityTables
from panelcare.assiduity.whatif import (
    AddIpsPartnership,
    Change,
    JoinGmf,
    RateRow,
    RedirectErVisits,
    WhatIfResult,
    what_if,
)

__all__ = [
    "ASSIDUOUS_REASONS",
    "COUNTED_REASONS",
    "DEFAULT_RULES_FILE",
    "EXCLUSION_REASONS",
    "EXPLANATION_COLUMNS",
    "PROVIDER_CATEGORIES",
    "RATE_COLUMNS",
    "REASONS",
    "TIERS",
    "VISIT_OUTCOME_COLUMNS",
    "AddIpsPartnership",
    "AssiduityRulesError",
    "AssiduityTables",
    "Change",
    "JoinGmf",
    "RateRow",
    "RedirectErVisits",
    "Rules",
    "Scale",
    "WhatIfResult",
    "explain_physician",
    "load_rules",
    "physician_rates",
    "reason_summary",
    "visit_outcomes",
    "what_if",
]
