"""Small numpy/pyarrow helpers of the generator: ids, dates, strings and random picks.

Strings are the expensive part of a 50-million-row table. They are never built one Python
string at a time: fixed-width ids are written as ASCII digits into a byte matrix that
becomes an Arrow string array without a copy per row, and repeated labels (settings, codes,
names) are Arrow ``take``s from a small dictionary.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_EPOCH = datetime.date(1970, 1, 1)


def day_number(day: datetime.date) -> int:
    """Days since 1970-01-01, Arrow's ``date32`` representation."""
    return (day - _EPOCH).days


def from_day_number(number: int) -> datetime.date:
    """The date of a ``date32`` day number."""
    return _EPOCH + datetime.timedelta(days=int(number))


def date_array(days: npt.ArrayLike, null: BoolArray | None = None) -> pa.Array:
    """A ``date32`` array from day numbers; ``null`` marks missing dates."""
    values = np.asarray(days, dtype=np.int32)
    return pa.array(values, type=pa.int32(), mask=null).view(pa.date32())


def byte_matrix_strings(matrix: npt.NDArray[np.uint8]) -> pa.Array:
    """An Arrow string array whose row ``i`` is the ASCII bytes of ``matrix[i]``."""
    rows, width = matrix.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def write_digits(matrix: npt.NDArray[np.uint8], column: int, numbers: IntArray, width: int) -> None:
    """Write ``numbers`` zero-padded on ``width`` ASCII digits into ``matrix[:, column:]``."""
    rest = np.asarray(numbers, dtype=np.int64).copy()
    for k in range(width - 1, -1, -1):  # a loop over digit positions, not over rows
        matrix[:, column + k] = 48 + rest % 10
        rest //= 10


def format_ids(prefix: str, numbers: npt.ArrayLike, width: int) -> pa.Array:
    """Ids such as ``P00001234``: ``prefix`` then ``numbers`` zero-padded to ``width``."""
    values = np.asarray(numbers, dtype=np.int64)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    matrix = np.empty((values.size, head.size + width), dtype=np.uint8)
    matrix[:, : head.size] = head
    write_digits(matrix, head.size, values, width)
    return byte_matrix_strings(matrix)


def format_id_list(prefix: str, count: int, width: int, start: int = 1) -> list[str]:
    """The first ``count`` ids of a kind as Python strings (for small tables)."""
    return [f"{prefix}{n:0{width}d}" for n in range(start, start + count)]


def take(
    values: Sequence[str | None] | pa.Array, index: npt.ArrayLike, null: BoolArray | None = None
) -> pa.Array:
    """``values[index]`` as an Arrow array; rows where ``null`` is true are null."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    idx = np.asarray(index, dtype=np.int64)
    if null is not None:
        idx = np.where(null, 0, idx)
    return dictionary.take(pa.array(idx, mask=null))


def choose(cumulative: FloatArray, u: FloatArray) -> IntArray:
    """Categorical draws: the index ``k`` with ``cumulative[k-1] <= u < cumulative[k]``.

    ``cumulative`` is the running sum of the probabilities, ending at 1.
    """
    return np.minimum(np.searchsorted(cumulative, u, side="right"), cumulative.size - 1).astype(
        np.int64
    )


def cumulative(weights: Sequence[float]) -> FloatArray:
    """The running sum of ``weights``, normalised to end at exactly 1."""
    w = np.cumsum(np.asarray(weights, dtype=np.float64))
    out = w / w[-1]
    out[-1] = 1.0
    return out


class Groups:
    """Members of numbered groups in CSR form: the members of group ``g`` are
    ``members[offsets[g]:offsets[g + 1]]``. Used to draw a random member of each row's group
    (a colleague of a GMF, a site's physician...) for millions of rows at once.
    """

    def __init__(self, offsets: IntArray, members: IntArray) -> None:
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.members = np.asarray(members, dtype=np.int64)

    @classmethod
    def build(
        cls, group_of: npt.ArrayLike, n_groups: int, member: npt.ArrayLike | None = None
    ) -> Groups:
        """Groups from each item's group number (``-1`` = in no group); members keep the
        items' order. ``member`` gives the value stored for each item (its index by default).
        """
        g = np.asarray(group_of, dtype=np.int64)
        values = (
            np.arange(g.size, dtype=np.int64)
            if member is None
            else np.asarray(member, dtype=np.int64)
        )
        keep = g >= 0
        order = np.argsort(g[keep], kind="stable")
        counts = np.bincount(g[keep], minlength=n_groups)
        offsets = np.zeros(n_groups + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(counts)
        return cls(offsets, values[keep][order])

    def size(self, group: IntArray) -> IntArray:
        """Members of each group (0 for group ``-1``)."""
        if self.offsets.size < 2:  # no group at all
            return np.zeros(np.shape(group), dtype=np.int64)
        g = np.where(group >= 0, group, 0)
        return np.where(group >= 0, self.offsets[g + 1] - self.offsets[g], 0)

    def pick(
        self, group: IntArray, u: FloatArray, exclude: IntArray | None = None
    ) -> tuple[IntArray, BoolArray]:
        """A member of each row's group, drawn with ``u`` in [0, 1).

        With ``exclude``, a draw equal to that row's excluded value moves to the next member
        of the group (so the excluded member is never returned). Returns the members (``-1``
        where none) and a mask of the rows that got one.
        """
        count = self.size(group)
        ok = count > 0
        if self.members.size == 0:
            return np.full(group.shape, -1, dtype=np.int64), np.zeros(group.shape, dtype=bool)
        start = self.offsets[np.where(ok, group, 0)]
        k = np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
        value = self.members[np.minimum(start + k, self.members.size - 1)]
        if exclude is not None:
            clash = ok & (value == exclude)
            shifted = self.members[
                np.minimum(start + (k + 1) % np.maximum(count, 1), self.members.size - 1)
            ]
            value = np.where(clash, shifted, value)
            ok &= value != exclude
        return np.where(ok, value, -1), ok
