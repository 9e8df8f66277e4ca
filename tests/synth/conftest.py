"""The region and the tiny region, generated once per test session (about 2 s)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from synth_support import AS_OF, in_force

from panelcare import synth


@pytest.fixture(scope="session")
def region() -> dict[str, pa.Table]:
    return synth.region_tables(seed=synth.DEFAULT_SEED, as_of=AS_OF)


@pytest.fixture(scope="session")
def tiny() -> dict[str, pa.Table]:
    return synth.tiny_region_tables(seed=synth.DEFAULT_SEED, as_of=AS_OF)


@pytest.fixture(scope="session", params=["tiny", pytest.param("region", marks=pytest.mark.slow)])
def dataset(request: pytest.FixtureRequest) -> dict[str, pa.Table]:
    """Both scales, for the rules every dataset must keep (the region's are ``slow``: about
    10 s with the region's generation; the tiny region keeps every rule in the inner loop)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def region_registered(region: dict[str, pa.Table]) -> pa.Table:
    """The region's registrations in force on AS_OF."""
    return in_force(region["registrations"], AS_OF)
