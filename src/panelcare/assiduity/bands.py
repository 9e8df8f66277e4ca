"""How far a physician is from the next bands of the progression scale, computed exactly.

A physician with ``counted`` visits of which ``assiduous`` are assiduous has the rate
``assiduous / counted`` (EP 40, 15.06); the band paid is the highest whose lowest rate the
rate reaches (15.03 and 15.05: ``full`` 100 %, ``three_quarters`` 75 %, ``half`` 50 % of
the volume supplements). The only visits that can raise the rate without changing the
count are the counted visits that are not assiduous: a patient's visit made elsewhere
that, had the physician's group made it, would have been assiduous. For each higher band,
:func:`band_gaps` gives the smallest number of those visits that would reach it:

    >>> from panelcare.assiduity.rules import Scale
    >>> [(gap.band, gap.visits) for gap in band_gaps(100, 72, Scale(0.80, 0.75, 0.70))]
    [('three_quarters', 3), ('full', 8)]

"Reaching" is the engine's own comparison, ``float(assiduous) / float(counted) >= band``
(:func:`panelcare.assiduity.compute.rates_of` compares the quotient of two doubles with
the band as a double), not a rounded percent: 0.7999 is not 80 %. The search starts at the
arithmetic estimate and steps to the exact answer, so a band such as 0.7 (not exactly
representable in binary) gives the count the engine would tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from panelcare.assiduity.rules import Scale

__all__ = ["BANDS", "BAND_PAYMENT", "BandGap", "band_gaps", "reaches", "tier", "visits_to_reach"]

# The paid bands, highest first, and the share of the volume supplements each pays
# (EP 40, 15.03 and 15.05; the engine's payment_pct).
BANDS = ("full", "three_quarters", "half")
BAND_PAYMENT = {"full": 100, "three_quarters": 75, "half": 50}


@dataclass(frozen=True)
class BandGap:
    """A band above the physician's rate: its name (``full``, ``three_quarters``,
    ``half``), its lowest ``rate`` (the scale's value), the ``payment_pct`` it pays, and
    ``visits``, the smallest number of counted visits not assiduous that, made by the
    group instead, would reach it."""

    band: str
    rate: float
    payment_pct: int
    visits: int


def reaches(assiduous: int, counted: int, rate: float) -> bool:
    """Whether ``assiduous`` of ``counted`` visits reach the band starting at ``rate``,
    compared as the engine compares (doubles); never for no counted visit (the engine's
    ``no_visits``)."""
    if counted <= 0:
        return False
    return float(assiduous) / float(counted) >= rate


def tier(counted: int, assiduous: int, scale: Scale) -> str:
    """The engine's tier of ``assiduous`` of ``counted`` visits on ``scale``: a band of
    :data:`BANDS`, ``none`` below the lowest, ``no_visits`` without a counted visit."""
    _check(counted, assiduous)
    if counted == 0:
        return "no_visits"
    for band in BANDS:
        if reaches(assiduous, counted, getattr(scale, band)):
            return band
    return "none"


def visits_to_reach(counted: int, assiduous: int, rate: float) -> int | None:
    """The smallest ``x`` with ``reaches(assiduous + x, counted, rate)``, at most
    ``counted - assiduous`` (the visits there are to move); 0 when the rate already
    reaches it; None when even every counted visit assiduous would not (no counted visit,
    or a band above 100 %).

    Raises:
        ValueError: a negative count, or more assiduous than counted visits.
    """
    _check(counted, assiduous)
    room = counted - assiduous
    if not reaches(assiduous + room, counted, rate):
        return None
    # The estimate ceil(rate * counted) - assiduous may be one off either way in floats;
    # the quotient grows with x (division of doubles is monotonic), so step to the exact
    # smallest x.
    x = min(room, max(0, math.ceil(rate * counted) - assiduous))
    while x > 0 and reaches(assiduous + x - 1, counted, rate):
        x -= 1
    while not reaches(assiduous + x, counted, rate):
        x += 1
    return x


def band_gaps(counted: int, assiduous: int, scale: Scale) -> tuple[BandGap, ...]:
    """The bands of ``scale`` above the rate ``assiduous / counted``, nearest first, each
    with the visits that would reach it (:func:`visits_to_reach`). Empty when the rate is
    in the full band, when there is no counted visit, or for bands no number of visits
    reaches.

    Raises:
        ValueError: a negative count, or more assiduous than counted visits.
    """
    gaps = []
    for band in reversed(BANDS):
        rate = getattr(scale, band)
        visits = visits_to_reach(counted, assiduous, rate)
        if visits:  # 0: already reached; None: out of reach
            gaps.append(BandGap(band, rate, BAND_PAYMENT[band], visits))
    return tuple(gaps)


def _check(counted: int, assiduous: int) -> None:
    if counted < 0 or assiduous < 0 or assiduous > counted:
        raise ValueError(
            f"counts must satisfy 0 <= assiduous <= counted, not {assiduous} of {counted}"
        )
