"""The web's rates are ``panelcare assiduity compute``'s: the command run on a data folder
holding the very versions a computation read gives the same row for every physician."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from panelcare.assiduity import RATE_COLUMNS, results
from panelcare.cli import app
from web.assiduity import services
from web.assiduity.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def test_it_gives_the_rates_of_the_command_on_the_same_versions(done_run, tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir()
    for kind, dataset in done_run.datasets().items():
        if kind in services.ENGINE_KINDS:
            shutil.copyfile(dataset.path, folder / f"{kind}.parquet")
    out = tmp_path / "rates.csv"
    outcome = CliRunner().invoke(
        app, ["assiduity", "compute", str(folder), "--year", str(YEAR), "--out", str(out)]
    )
    assert outcome.exit_code == 0, outcome.output

    web = results.read_rates(done_run.results_folder)
    schema = web.schema
    cli = pacsv.read_csv(
        out,
        convert_options=pacsv.ConvertOptions(
            column_types={field.name: field.type for field in schema},
            strings_can_be_null=True,
        ),
    )
    assert cli.column_names == list(RATE_COLUMNS) == web.column_names
    assert cli.num_rows == web.num_rows > 0
    for ours, theirs in zip(web.to_pylist(), cli.to_pylist(), strict=True):
        rate, their_rate = ours.pop("rate"), theirs.pop("rate")
        assert ours == theirs
        assert (rate is None and their_rate is None) or math.isclose(rate, their_rate)
    # Not a vacuous comparison: the demo's physicians have rates of several tiers.
    assert len(set(web.column("tier").to_pylist())) > 1
    assert pc.sum(web.column("counted_visits")).as_py() > 0
