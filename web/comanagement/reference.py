"""The co-management's reference data as the pages and services read it: the version in
force on a day, and its parsed core objects (docs/comanagement-plan.md §1, "Reference
data: versioned, edited in pages").

    version = level_table_in_force(region, day)        # LevelTableVersion | None
    table = level_table(version)                       # levels.LevelTable (cached)
    weighted, level = review_level(review)             # from the review's own version
    entitlement(gmf, day)                              # {"nurse_clinician": Decimal("1.50"), ...}
    book = agreement_book(rules_in_force(establishment, day))
    type_label("social_worker")                        # « Travailleuse sociale »

The version in force on a day is the highest number whose ``in_force_from`` is on or
before that day (``in_force_from`` itself included). Versions are immutable, so their
parsed tables are cached in memory; the cache key holds the text as well as the primary
key, because a test database (or a restored backup) can give a used key to another text.

Labels: the codes of the reference texts (professional types, GMF kinds, weighting
categories, holidays, job titles) are shown through the ``*_label`` functions; a code
they do not know (a text may name a new one) is shown as it is.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import pgettext_lazy

from panelcare.comanagement import levels, schedules

if TYPE_CHECKING:
    from web.comanagement.models import AgreementRulesVersion, AnnualReview, LevelTableVersion
    from web.regions.models import Establishment, Gmf, Region

__all__ = [
    "CATEGORY_LABELS",
    "HOLIDAY_LABELS",
    "JOB_TITLE_LABELS",
    "PROFESSIONAL_TYPES",
    "PROFESSIONAL_TYPE_LABELS",
    "agreement_book",
    "agreement_rules_page",
    "category_label",
    "entitlement",
    "holiday_label",
    "illustrative_banner_needed",
    "job_title_label",
    "kind_label",
    "latest_review",
    "level_table",
    "level_table_in_force",
    "level_table_page",
    "ordered_types",
    "review_level",
    "rules_in_force",
    "type_label",
]

# The professional types of the GMF programme (those of the shipped level table), in the
# order the pages list them. Feminine/epicene forms: most of these professionals are women
# and the network's own documents name the posts this way.
PROFESSIONAL_TYPE_LABELS: dict[str, Any] = {
    "nurse_clinician": pgettext_lazy("comanagement reference", "Nurse clinician"),
    "nursing_assistant": pgettext_lazy("comanagement reference", "Nursing assistant"),
    "social_worker": pgettext_lazy("comanagement reference", "Social worker"),
    "pharmacist": pgettext_lazy("comanagement reference", "Pharmacist"),
    "nutritionist": pgettext_lazy("comanagement reference", "Nutritionist"),
    "physiotherapist": pgettext_lazy("comanagement reference", "Physiotherapist"),
    "psychologist": pgettext_lazy("comanagement reference", "Psychologist"),
    "kinesiologist": pgettext_lazy("comanagement reference", "Kinesiologist"),
}

# Choices for a form field (a ChoiceField's ``choices``): the types with their labels.
PROFESSIONAL_TYPES: list[tuple[str, Any]] = list(PROFESSIONAL_TYPE_LABELS.items())

# The weighting categories of the shipped level table (demo_levels.toml, [weights]).
CATEGORY_LABELS: dict[str, Any] = {
    "standard": pgettext_lazy("comanagement reference", "Standard registration"),
    "vulnerable": pgettext_lazy("comanagement reference", "Vulnerable patient"),
    "deprived": pgettext_lazy("comanagement reference", "Deprived patient"),
    "pregnancy": pgettext_lazy("comanagement reference", "Pregnancy follow-up"),
    "delivery": pgettext_lazy("comanagement reference", "Delivery"),
    "home_care_loss_of_autonomy": pgettext_lazy(
        "comanagement reference", "Loss of autonomy, followed at home"
    ),
}

# The holiday rules of the shipped agreements.toml ([holiday_rules]).
HOLIDAY_LABELS: dict[str, Any] = {
    "new_years_day": pgettext_lazy("comanagement reference", "New Year's Day"),
    "day_after_new_years_day": pgettext_lazy("comanagement reference", "Day after New Year's Day"),
    "good_friday": pgettext_lazy("comanagement reference", "Good Friday"),
    "easter_monday": pgettext_lazy("comanagement reference", "Easter Monday"),
    "patriots_day": pgettext_lazy("comanagement reference", "National Patriots' Day"),
    "fete_nationale": pgettext_lazy("comanagement reference", "Fête nationale du Québec"),
    "canada_day_moved": pgettext_lazy("comanagement reference", "Canada Day (moved off a Sunday)"),
    "canada_day": pgettext_lazy("comanagement reference", "Canada Day"),
    "labour_day": pgettext_lazy("comanagement reference", "Labour Day"),
    "thanksgiving": pgettext_lazy("comanagement reference", "Thanksgiving"),
    "christmas_eve": pgettext_lazy("comanagement reference", "Christmas Eve"),
    "christmas": pgettext_lazy("comanagement reference", "Christmas Day"),
    "boxing_day": pgettext_lazy("comanagement reference", "Boxing Day"),
    "new_years_eve": pgettext_lazy("comanagement reference", "New Year's Eve"),
}

# Job titles of the shipped agreements that are not professional types.
JOB_TITLE_LABELS: dict[str, Any] = {
    "nurse": pgettext_lazy("comanagement reference", "Nurse"),
    "medical_secretary": pgettext_lazy("comanagement reference", "Medical secretary"),
}

_HUNDREDTH = Decimal("0.01")

# (pk, text) -> parsed table / book. Unbounded: there are a few versions per region.
_level_tables: dict[tuple[int, str], levels.LevelTable] = {}
_agreement_books: dict[tuple[int, str], schedules.AgreementBook] = {}


# --------------------------------------------------------------------------- labels


def type_label(code: str) -> str:
    """The French label of a professional type; an unknown code is shown as it is."""
    label = PROFESSIONAL_TYPE_LABELS.get(code)
    return str(label) if label is not None else code


def ordered_types(codes: Iterable[str]) -> list[str]:
    """``codes`` of professional types in the order of :data:`PROFESSIONAL_TYPES`, the
    types it does not know after them, sorted."""
    known = list(PROFESSIONAL_TYPE_LABELS)
    codes = set(codes)
    return [code for code in known if code in codes] + sorted(codes - set(known))


def category_label(code: str) -> str:
    """The label of a weighting category of the level table (the code if unknown)."""
    label = CATEGORY_LABELS.get(code)
    return str(label) if label is not None else code


def holiday_label(code: str) -> str:
    """The label of a holiday rule of the agreement rules (the code if unknown)."""
    label = HOLIDAY_LABELS.get(code)
    return str(label) if label is not None else code


def job_title_label(code: str) -> str:
    """The label of a job title: a professional type's, or one of
    :data:`JOB_TITLE_LABELS` (the code if unknown)."""
    label = JOB_TITLE_LABELS.get(code) or PROFESSIONAL_TYPE_LABELS.get(code)
    return str(label) if label is not None else code


def kind_label(code: str) -> str:
    """The label of a GMF kind (``gmf``, ``gmf_r``, ``gmf_u``; the code if unknown)."""
    from web.regions.models import GmfKind

    try:
        return str(GmfKind(code).label)
    except ValueError:
        return code


def illustrative_banner_needed(*versions: LevelTableVersion | AgreementRulesVersion | None) -> bool:
    """Whether a page reading ``versions`` shows the « Valeurs illustratives » banner
    (``comanagement/_illustrative.html``): one of them is illustrative."""
    return any(version is not None and version.illustrative for version in versions)


# --------------------------------------------------------------------------- level tables


def level_table_in_force(region: Region, on: datetime.date) -> LevelTableVersion | None:
    """The region's level table version in force on ``on`` (the highest number whose
    ``in_force_from`` is on or before it); ``None`` when the region has none yet."""
    from web.comanagement.models import LevelTableVersion

    return (
        LevelTableVersion.objects.filter(region=region, in_force_from__lte=on)
        .order_by("-number")
        .first()
    )


def level_table(version: LevelTableVersion) -> levels.LevelTable:
    """The core's :class:`~panelcare.comanagement.levels.LevelTable` of ``version``,
    parsed once (versions are immutable).

    Raises:
        LevelTableError: the stored text is ill-formed (never, for a text the publishing
            service accepted).
    """
    key = (version.pk, version.text)
    table = _level_tables.get(key)
    if table is None:
        table = levels.level_table_from_mapping(tomllib.loads(version.text))
        _level_tables[key] = table
    return table


def review_level(review: AnnualReview) -> tuple[float, int | None]:
    """The weighted registered patients of an annual review and the GMF's level, by the
    level table the review was recorded with; the level is ``None`` below the first one.

    Raises:
        LevelTableError: a category of the review's counts has no weight in its table.
    """
    table = level_table(review.level_table)
    counts = {category: int(count) for category, count in (review.counts or {}).items()}
    weighted = levels.weighted_patients(counts, table.weights)
    return weighted, levels.level_for(weighted, table)


def latest_review(gmf: Gmf, on: datetime.date) -> AnnualReview | None:
    """The GMF's latest annual review on or before ``on``, if any."""
    from web.comanagement.models import AnnualReview

    return (
        AnnualReview.objects.filter(gmf=gmf, reviewed_on__lte=on)
        .select_related("level_table")
        .order_by("-reviewed_on")
        .first()
    )


def entitlement(gmf: Gmf, on: datetime.date) -> dict[str, Decimal]:
    """The FTE per professional type the GMF is entitled to on ``on``, from its latest
    annual review on or before that day and the review's level table, for the GMF's kind
    (the types its kind may not receive are 0; a table without kinds gives its figures
    as they are). Empty when the GMF has no review yet. FTE are rounded to a hundredth,
    as the posts store them.

    Raises:
        LevelTableError: a category of the review's counts has no weight in its table.
    """
    review = latest_review(gmf, on)
    if review is None:
        return {}
    table = level_table(review.level_table)
    _weighted, level = review_level(review)
    kind = gmf.kind if gmf.kind in table.kinds else None
    fte = levels.entitled_fte(level, table, kind=kind)
    return {
        name: Decimal(str(value)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)
        for name, value in fte.items()
    }


# --------------------------------------------------------------------------- agreement rules


def rules_in_force(establishment: Establishment, on: datetime.date) -> AgreementRulesVersion | None:
    """The establishment's agreement rules version in force on ``on`` (the highest number
    whose ``in_force_from`` is on or before it); ``None`` when it has none yet."""
    from web.comanagement.models import AgreementRulesVersion

    return (
        AgreementRulesVersion.objects.filter(establishment=establishment, in_force_from__lte=on)
        .order_by("-number")
        .first()
    )


def agreement_book(version: AgreementRulesVersion) -> schedules.AgreementBook:
    """The core's :class:`~panelcare.comanagement.schedules.AgreementBook` of
    ``version``, parsed once (versions are immutable). Its rules for a professional:
    ``agreement_book(v).rules_for(job_title=…, agreement=…, establishment=code)``.

    Raises:
        AgreementRulesError: the stored text is ill-formed (never, for a text the
            publishing service accepted).
    """
    key = (version.pk, version.text)
    book = _agreement_books.get(key)
    if book is None:
        raw = tomllib.loads(version.text)
        # The optional top-level ``illustrative`` key is the web app's, not the core's
        # (services.reference reads it); the core refuses keys it does not know.
        raw.pop("illustrative", None)
        book = schedules.parse_agreements(raw)
        _agreement_books[key] = book
    return book


# --------------------------------------------------------------------------- reading pages


def _fte(value: float) -> Decimal:
    return Decimal(str(value)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def level_table_page(version: LevelTableVersion) -> dict[str, Any]:
    """What the reading page of a level table version shows, labelled.

    Returns:
        ``types`` (labels of the professional types, in the table's order), ``levels``
        (``level``, ``min_weighted``, ``fte``: FTE per type, in the ``types`` order),
        ``weights`` (``label``, ``weight``) and ``kinds`` (``label``, ``types``: labels).
    """
    table = level_table(version)
    codes = ordered_types(table.professional_types)
    return {
        "name": table.version,
        "types": [type_label(code) for code in codes],
        "levels": [
            {
                "level": row.level,
                # Thresholds are whole patient counts in practice: no ",0" on the page.
                "min_weighted": int(row.min_weighted)
                if row.min_weighted.is_integer()
                else row.min_weighted,
                "fte": [_fte(row.fte[code]) for code in codes],
            }
            for row in table.levels
        ],
        "weights": [
            {"label": category_label(category), "weight": Decimal(str(weight)).normalize()}
            for category, weight in table.weights.items()
        ],
        "kinds": [
            {
                "label": kind_label(kind),
                "types": [type_label(code) for code in codes if code in allowed],
            }
            for kind, allowed in table.kinds.items()
        ],
    }


def agreement_rules_page(version: AgreementRulesVersion, year: int) -> dict[str, Any]:
    """What the reading page of an agreement rules version shows, labelled.

    Returns:
        ``agreements`` (``name``, ``in_force_from``, ``in_force_until``,
        ``max_days_per_week``, ``job_titles``: ``label`` and ``hours``), ``holidays``
        (groups of agreements sharing the same holidays of ``year`` in the version's
        establishment: ``agreements``, names, and ``days``: ``day``, ``label``, ``moved``)
        and ``delays`` (``label``, ``days``). ``holidays`` is empty when the text has no
        table of the establishment (a version the service did not publish).
    """
    from panelcare.comanagement.holidays import holiday_dates

    book = agreement_book(version)
    agreements = [
        {
            "name": terms.name,
            "in_force_from": terms.in_force_from,
            "in_force_until": terms.in_force_until,
            "max_days_per_week": terms.max_days_per_week,
            "job_titles": [
                {"label": job_title_label(title), "hours": hours}
                for title, hours in terms.job_titles.items()
            ],
        }
        for terms in book.agreements.values()
    ]
    groups: list[dict[str, Any]] = []
    local = book.establishments.get(version.establishment.code)
    if local is not None:
        by_holidays: dict[tuple[Any, ...], list[str]] = {}
        for code, rules in local.by_agreement.items():
            by_holidays.setdefault(rules.holidays, []).append(book.agreements[code].name)
        for rules_, names in by_holidays.items():
            groups.append(
                {
                    "agreements": names,
                    "days": [
                        {
                            "day": holiday.day,
                            "label": holiday_label(holiday.name),
                            "moved": holiday.day != holiday.nominal,
                            "nominal": holiday.nominal,
                        }
                        for holiday in holiday_dates(rules_, year)
                    ],
                }
            )
    delays = [
        {
            "label": pgettext_lazy("comanagement reference", "Days to decide a training request"),
            "days": version.training_decide_within_days,
        },
        {
            "label": pgettext_lazy(
                "comanagement reference", "Days to approve an attendance record"
            ),
            "days": version.attendance_approve_within_days,
        },
        {
            "label": pgettext_lazy(
                "comanagement reference", "Days to complete an integration item"
            ),
            "days": version.integration_due_days,
        },
    ]
    return {"agreements": agreements, "holidays": groups, "delays": delays}
