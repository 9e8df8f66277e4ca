"""Names, ages and clinical profiles of synthetic people, drawn from uniform variates.

Every function here turns arrays of uniforms in [0, 1) into arrays of attributes, so the
same code serves a chunk of 2,000 or of 2 million patients, and the caller decides which
random stream feeds it (that is what keeps the output independent of the chunk size).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa

from panelcare.synth.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    byte_matrix_strings,
    choose,
    cumulative,
    take,
    write_digits,
)

FEMALE_NAMES = (
    "Marie", "Julie", "Catherine", "Isabelle", "Nathalie", "Sophie", "Mélanie", "Geneviève",
    "Valérie", "Stéphanie", "Annie", "Caroline", "Émilie", "Audrey", "Chantal", "Josée",
    "Sylvie", "Louise", "Lise", "Diane", "Francine", "Manon", "Johanne", "Line", "Karine",
    "Véronique", "Marie-Ève", "Amélie", "Camille", "Léa", "Chloé", "Rosalie", "Florence",
    "Alice", "Emma", "Jade", "Charlotte", "Béatrice", "Zoé", "Gabrielle", "Laurence", "Jeanne",
    "Noémie", "Anne", "Claire", "Monique", "Ginette", "Nicole", "Suzanne", "Denise",
    "Micheline", "Pierrette", "Thérèse", "Hélène", "Martine", "Danielle", "Andrée", "Mireille",
)  # fmt: skip
MALE_NAMES = (
    "Jean", "Pierre", "Michel", "André", "Claude", "Jacques", "Guy", "Gilles", "Daniel",
    "Alain", "Réjean", "Sylvain", "Stéphane", "Martin", "Éric", "Patrick", "François", "Luc",
    "Marc", "Mathieu", "Maxime", "Alexandre", "Simon", "Samuel", "Olivier", "Gabriel", "Félix",
    "William", "Thomas", "Louis", "Nathan", "Antoine", "Étienne", "Jérôme", "Sébastien",
    "Yves", "Serge", "Denis", "Robert", "Normand", "Gaétan", "Mario", "Richard", "Benoît",
    "Philippe", "Vincent", "Hugo", "Charles", "Émile", "Raphaël", "Jonathan", "David",
    "Julien", "Nicolas", "Marcel", "Roger", "Raymond", "Bertrand",
)  # fmt: skip
# Most frequent first: Bas-Saint-Laurent names lead, the weights fall off with the rank.
LAST_NAMES = (
    "Ouellet", "Pelletier", "Lévesque", "Bérubé", "Gagnon", "Dionne", "Côté", "D'Amours",
    "Rioux", "Roy", "Michaud", "Thériault", "Tremblay", "Caron", "Morin", "Bélanger",
    "Beaulieu", "St-Pierre", "Ouellette", "Lavoie", "Dubé", "Fournier", "Gauthier", "Landry",
    "Gendron", "Bouchard", "Simard", "Fortin", "Gagné", "Bernier", "Lebel", "Desjardins",
    "Saint-Laurent", "Plourde", "Lepage", "Chouinard", "Gosselin", "Parent", "Proulx",
    "Boucher", "Leclerc", "Martin", "Charest", "Dumais", "Lagacé", "Lizotte", "Marquis",
    "Sirois", "Hudon", "Castonguay", "Lamarre", "Banville", "Desrosiers", "Vaillancourt",
    "Paradis", "Turcotte", "Poirier", "Lapointe", "Lemieux", "Boudreau", "Thibault",
    "Bergeron", "Leblanc", "Girard", "Cloutier", "Poulin", "Nadeau", "Richard", "Hébert",
    "Couture", "Lachance", "Blais", "Savard", "Demers", "Perron", "Dufour", "Mercier",
    "Boisvert", "Langlois", "Ménard", "Lessard", "Grenier", "Martel", "Bédard", "Gaudreault",
    "Harvey", "Dumont", "Deschênes", "Pineault", "Santerre", "Rousseau", "Murray", "Smith",
    "Nguyen", "Diallo", "Traoré", "Haddad", "Khoury",
)  # fmt: skip
_LAST_NAME_CUMULATIVE = cumulative([1.0 / (rank + 6.0) for rank in range(len(LAST_NAMES))])

# Ages (years) as piecewise-uniform bands: (lower bound, upper bound, weight). Vulnerable
# patients are older (most RAMQ vulnerability codes are chronic diseases or age 70+);
# people without a family physician are younger, as on the GAMF's list.
_AGE_BANDS = ((0, 5), (5, 18), (18, 30), (30, 45), (45, 60), (60, 70), (70, 80), (80, 90), (90, 100))  # fmt: skip
_AGE_WEIGHTS = {
    "registered": (4.0, 13.0, 12.0, 19.0, 22.0, 17.0, 9.0, 3.0, 1.0),
    "vulnerable": (0.5, 2.5, 4.0, 6.0, 15.0, 22.0, 28.0, 17.0, 5.0),
    "unregistered": (4.0, 10.0, 26.0, 28.0, 18.0, 9.0, 3.5, 1.2, 0.3),
}
_AGE_CUMULATIVE = {key: cumulative(w) for key, w in _AGE_WEIGHTS.items()}

# Weighted clienteles (DSP-PR-30042 5.3.1); a patient has at most one category here.
CATEGORIES = ("home_care", "detention", "addiction", "palliative", "mental_health")
_CATEGORY_CUMULATIVE_VULNERABLE = cumulative([0.08, 0.005, 0.04, 0.015, 0.12, 0.74])
_CATEGORY_CUMULATIVE_OTHER = cumulative([0.0, 0.002, 0.01, 0.0, 0.03, 0.958])

PRIORITIES = ("A", "B", "C", "D", "E")
# GAMF priorities: A (urgent) is rare; most requests are C to E. Vulnerable people are
# more often A or B.
_PRIORITY_CUMULATIVE_VULNERABLE = cumulative([0.06, 0.20, 0.34, 0.25, 0.15])
_PRIORITY_CUMULATIVE_OTHER = cumulative([0.01, 0.05, 0.20, 0.34, 0.40])


def ages(u: FloatArray, vulnerable: BoolArray, registered: bool) -> IntArray:
    """Ages in whole years; vulnerable people follow the older pyramid."""
    base = _AGE_CUMULATIVE["registered" if registered else "unregistered"]
    out = np.empty(u.size, dtype=np.int64)
    for mask, cum in ((vulnerable, _AGE_CUMULATIVE["vulnerable"]), (~vulnerable, base)):
        band = choose(cum, u[mask])
        lo = np.array([b[0] for b in _AGE_BANDS])[band]
        hi = np.array([b[1] for b in _AGE_BANDS])[band]
        below = np.where(band > 0, cum[np.maximum(band - 1, 0)], 0.0)
        within = (u[mask] - below) / np.maximum(cum[band] - below, 1e-12)
        out[mask] = np.minimum(lo + (within * (hi - lo)).astype(np.int64), hi - 1)
    return out


def categories(u: FloatArray, vulnerable: BoolArray) -> IntArray:
    """Index into :data:`CATEGORIES`, or ``len(CATEGORIES)`` for none."""
    return np.where(
        vulnerable,
        choose(_CATEGORY_CUMULATIVE_VULNERABLE, u),
        choose(_CATEGORY_CUMULATIVE_OTHER, u),
    )


def category_array(category: IntArray) -> pa.Array:
    """Category labels, null for none."""
    return take(CATEGORIES, category, null=category >= len(CATEGORIES))


def priorities(u: FloatArray, vulnerable: BoolArray) -> IntArray:
    """Index into :data:`PRIORITIES`."""
    return np.where(
        vulnerable,
        choose(_PRIORITY_CUMULATIVE_VULNERABLE, u),
        choose(_PRIORITY_CUMULATIVE_OTHER, u),
    )


def first_names(u: FloatArray, female: BoolArray) -> IntArray:
    """Index into the concatenation ``FEMALE_NAMES + MALE_NAMES``."""
    f = (u * len(FEMALE_NAMES)).astype(np.int64)
    m = len(FEMALE_NAMES) + (u * len(MALE_NAMES)).astype(np.int64)
    return np.where(female, f, m)


def last_names(u: FloatArray) -> IntArray:
    """Index into :data:`LAST_NAMES`, frequent names more likely."""
    return choose(_LAST_NAME_CUMULATIVE, u)


FIRST_NAMES = FEMALE_NAMES + MALE_NAMES


def _ascii_letters(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.upper() if ch.isalpha())


# The letters of a health insurance number: 3 of the last name, 1 of the first name.
_LAST_LETTERS = np.array(
    [list(_ascii_letters(n).ljust(3, "X")[:3].encode()) for n in LAST_NAMES], dtype=np.uint8
)
_FIRST_LETTER = np.array([_ascii_letters(n)[0].encode()[0] for n in FIRST_NAMES], dtype=np.uint8)


def health_insurance_numbers(last: IntArray, first: IntArray, serial: IntArray) -> pa.Array:
    """Synthetic health insurance numbers (NAM) such as ``OUEM 0291 2345``.

    The layout is the RAMQ's (``AAAA 9999 9999``: 3 letters of the last name, the first
    name's initial, then 8 digits), but the digits are a serial number, unique per patient,
    with a ``9`` forced in the third digit: the position of the month's tens in a real NAM,
    which is only ever 0, 1, 5 or 6. No synthetic number can therefore be a real one.
    ``serial`` must be below 10,000,000 (7 free digits).
    """
    n = serial.size
    m = np.empty((n, 14), dtype=np.uint8)
    m[:, 0:3] = _LAST_LETTERS[last]
    m[:, 3] = _FIRST_LETTER[first]
    m[:, 4] = ord(" ")
    m[:, 9] = ord(" ")
    digits = np.empty((n, 7), dtype=np.uint8)
    write_digits(digits, 0, serial, 7)
    m[:, 5:7] = digits[:, 0:2]
    m[:, 7] = ord("9")
    m[:, 8] = digits[:, 2]
    m[:, 10:14] = digits[:, 3:7]
    return byte_matrix_strings(m)
