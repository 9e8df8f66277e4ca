"""The sizes the generator knows: ``tiny``, ``region`` (the demo) and ``province``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from panelcare.synth.geography import Geography, bas_saint_laurent, province


@dataclass(frozen=True)
class Scale:
    """Headline figures of a synthetic dataset.

    ``registered`` patients hold a registration on ``as_of`` (exactly); ``waitlist`` is the
    size of the waiting list, the patients of physicians leaving before 1 January included
    (exact when those patients are fewer than half of it). Visits follow a Poisson model
    whose means are ``visits_per_registered_year`` and ``visits_per_unregistered_year``
    visits per person-year; ``visits_previous_year_only`` limits them to the calendar year
    before ``as_of`` (otherwise they run from that year's 1 January to ``as_of``).
    ``physicians_per_chunk`` bounds the memory of one step of the generator; it does not
    change the output. ``steered_rates`` lowers the assiduity rate of three physicians per
    RLS to set levels (:data:`panelcare.synth.world.STEERED_RATES`), so that a demo shows
    every tier of the scale and the paritary committee's list.
    """

    name: str
    geography: Callable[[], Geography]
    physicians: int
    registered: int
    waitlist: int
    visits_per_registered_year: float
    visits_per_unregistered_year: float
    visits_previous_year_only: bool = False
    steered_rates: bool = False
    physicians_per_chunk: int = 250
    default_format: str = "csv"


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        name="tiny",
        geography=lambda: bas_saint_laurent(2_000, rls_ids=("0115", "0116")),
        physicians=10,
        registered=1_740,
        waitlist=150,
        visits_per_registered_year=3.0,
        visits_per_unregistered_year=1.0,
        steered_rates=True,
    ),
    "region": Scale(
        name="region",
        geography=lambda: bas_saint_laurent(200_000),
        physicians=245,
        registered=174_000,
        waitlist=6_500,
        visits_per_registered_year=3.0,
        visits_per_unregistered_year=1.0,
        steered_rates=True,
    ),
    # 6.5 M registered patients, 1 M waiting, 10,000 physicians and about 50 M visits in one
    # year: 6.5 M x 7.3 + 2.2 M x 1.2 visits.
    "province": Scale(
        name="province",
        geography=lambda: province(8_700_000),
        physicians=10_000,
        registered=6_500_000,
        waitlist=1_000_000,
        visits_per_registered_year=7.3,
        visits_per_unregistered_year=1.2,
        visits_previous_year_only=True,
        default_format="parquet",
    ),
}
