"""Seeded, reproducible synthetic data in the shape of the data contracts.

The demo region is the Bas-Saint-Laurent (8 RLS, about 200,000 residents, 245 family
physicians); the province scale (10,000 physicians, 6.5 million registered patients,
50 million visits a year) streams to files for benchmarks. The same seed gives the same
data, byte for byte. Tables and columns: ``docs/data-contract.md``.

    tables = region_tables(seed=1, as_of=date(2026, 11, 1))  # dict of pyarrow Tables
    write_dataset("out", scale="province")                     # streamed to Parquet files
"""

from __future__ import annotations

from panelcare.synth.dataset import (
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    FORMATS,
    FileSink,
    MemorySink,
    Progress,
    generate,
    region_tables,
    steered_rates,
    tiny_region_tables,
    write_dataset,
)
from panelcare.synth.scales import SCALES, Scale
from panelcare.synth.schemas import CONTRACT_TABLES, REFERENCE_TABLES, SCHEMAS, TABLES

__all__ = [
    "CONTRACT_TABLES",
    "DEFAULT_AS_OF",
    "DEFAULT_SEED",
    "FORMATS",
    "REFERENCE_TABLES",
    "SCALES",
    "SCHEMAS",
    "TABLES",
    "FileSink",
    "MemorySink",
    "Progress",
    "Scale",
    "generate",
    "region_tables",
    "steered_rates",
    "tiny_region_tables",
    "write_dataset",
]
