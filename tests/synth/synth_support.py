"""What the synth tests share: the day the data is current on, registrations in force."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pyarrow.compute as pc

AS_OF = datetime.date(2026, 11, 1)


def in_force(registrations: pa.Table, day: datetime.date) -> pa.Table:
    """Rows in force on ``day``: started by then, not ended before it (empty = ongoing)."""
    started = pc.less_equal(registrations["start_date"], pa.scalar(day))
    not_ended = pc.or_kleene(
        pc.is_null(registrations["end_date"]),
        pc.greater_equal(registrations["end_date"], pa.scalar(day)),
    )
    return registrations.filter(pc.and_kleene(started, not_ended))
