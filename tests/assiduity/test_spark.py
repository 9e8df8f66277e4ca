"""The same expressions give the same results on PySpark as on DuckDB.

The golden scenarios of ``cases.py`` (GMF rules, non-member rules, pregnancy, the scale),
combined into one dataset, are registered as Spark tables from the same Arrow data and
computed on both backends. Needs Java: skipped without it, unless PANELCARE_REQUIRE_SPARK
is set (CI sets it, so that a missing Java fails instead of hiding the test).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import ibis
import pyarrow as pa
import pytest
from cases import GOLDEN, RULES, YEAR, combine

from panelcare.assiduity import (
    REASONS,
    AssiduityTables,
    explain_physician,
    physician_rates,
    visit_outcomes,
)

# A JVM and a Spark session: about a minute.
pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("PANELCARE_REQUIRE_SPARK"):
        pytest.skip("the PySpark parity test needs Java (set PANELCARE_REQUIRE_SPARK to fail)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # A few rows: a few partitions, instead of 200 empty ones per shuffle.
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def golden() -> dict[str, pa.Table]:
    return combine(scenario() for scenario in GOLDEN)


@pytest.fixture(scope="module")
def on_spark(spark: Any, golden: dict[str, pa.Table]) -> tuple[Any, AssiduityTables]:
    con = ibis.pyspark.connect(spark)
    for name, table in golden.items():
        spark.createDataFrame(table).createOrReplaceTempView(name)
    return con, AssiduityTables.from_mapping({name: con.table(name) for name in golden})


def sorted_rows(table: pa.Table, *keys: str) -> list[dict[str, Any]]:
    return sorted(table.to_pylist(), key=lambda row: tuple(str(row[key]) for key in keys))


def test_it_computes_the_same_rates_on_spark_as_on_duckdb(on_spark, golden):
    con, tables = on_spark
    expected = physician_rates(AssiduityTables.from_mapping(golden), YEAR, RULES).to_pyarrow()
    actual = con.to_pyarrow(physician_rates(tables, YEAR, RULES))
    assert actual.to_pylist() == expected.to_pylist()
    # Not a comparison of two empty tables: the scenarios give rates of every kind.
    assert {row["tier"] for row in expected.to_pylist()} >= {"full", "none", "no_visits"}


def test_it_classifies_the_same_visits_on_spark_as_on_duckdb(on_spark, golden):
    con, tables = on_spark
    expected = visit_outcomes(AssiduityTables.from_mapping(golden), YEAR, RULES).to_pyarrow()
    actual = con.to_pyarrow(visit_outcomes(tables, YEAR, RULES))
    keys = ("visit_id", "physician_id")
    assert sorted_rows(actual, *keys) == sorted_rows(expected, *keys)
    # Every reason code occurs in the scenarios.
    assert {row["reason"] for row in expected.to_pylist()} == set(REASONS)


def test_it_explains_a_physician_the_same_way_on_spark(on_spark, golden):
    # The explanation pushes the physician down with a semi-join (isin on a subquery).
    con, tables = on_spark
    physician = "c0.D"
    expected = explain_physician(AssiduityTables.from_mapping(golden), YEAR, physician, RULES)
    actual = con.to_pyarrow(explain_physician(tables, YEAR, physician, RULES))
    assert actual.to_pylist() == expected.to_pyarrow().to_pylist()
    assert actual.num_rows == 13
