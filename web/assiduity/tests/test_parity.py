"""The web's rates are ``panelcare assiduity compute``'s: the command run on a data folder
holding the very versions a computation read, and the DRMG notices it read as the
contract's ``drmg_notices`` file, gives the same row for every physician."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from panelcare.assiduity import RATE_COLUMNS, results
from panelcare.cli import app
from web.assiduity import services
from web.assiduity.models import AssiduityRun, DrmgNotice
from web.assiduity.tests.conftest import YEAR

pytestmark = pytest.mark.django_db


def _command_rates(run: AssiduityRun, folder: Path) -> pa.Table:
    """The rates ``panelcare assiduity compute`` gives on a folder of copies of ``run``'s
    versions and of the notices its summary names."""
    folder.mkdir()
    for kind, dataset in run.datasets().items():
        if kind in services.ENGINE_KINDS:
            shutil.copyfile(dataset.path, folder / f"{kind}.parquet")
    notices = DrmgNotice.objects.filter(pk__in=run.summary["notices"])
    pq.write_table(
        pa.table(
            {
                "physician_id": pa.array([n.physician_code for n in notices], pa.string()),
                "year": pa.array([n.year for n in notices], pa.int32()),
            }
        ),
        folder / "drmg_notices.parquet",
    )
    out = folder.parent / "rates.csv"
    outcome = CliRunner().invoke(
        app, ["assiduity", "compute", str(folder), "--year", str(YEAR), "--out", str(out)]
    )
    assert outcome.exit_code == 0, outcome.output
    schema = results.read_rates(run.results_folder).schema
    return pacsv.read_csv(
        out,
        convert_options=pacsv.ConvertOptions(
            column_types={field.name: field.type for field in schema},
            strings_can_be_null=True,
        ),
    )


def _assert_same_rates(web: pa.Table, cli: pa.Table) -> None:
    assert cli.column_names == list(RATE_COLUMNS) == web.column_names
    assert cli.num_rows == web.num_rows > 0
    for ours, theirs in zip(web.to_pylist(), cli.to_pylist(), strict=True):
        rate, their_rate = ours.pop("rate"), theirs.pop("rate")
        assert ours == theirs
        assert (rate is None and their_rate is None) or math.isclose(rate, their_rate)


def test_it_gives_the_rates_of_the_command_on_the_same_versions(done_run, tmp_path: Path):
    web = results.read_rates(done_run.results_folder)
    _assert_same_rates(web, _command_rates(done_run, tmp_path / "data"))
    # Not a vacuous comparison: the demo's physicians have rates of several tiers.
    assert len(set(web.column("tier").to_pylist())) > 1
    assert pc.sum(web.column("counted_visits")).as_py() > 0


def test_it_gives_the_rates_of_the_command_with_a_drmg_notice(region, drmg, tmp_path: Path):
    notice = services.do_record_drmg_notice(
        region, "D00002", YEAR, "Staff not assigned.", acting_user=drmg
    )
    run = services.do_start_assiduity_run(region, YEAR, acting_user=drmg)
    assert run.summary["notices"] == [notice.pk]

    web = results.read_rates(run.results_folder)
    _assert_same_rates(web, _command_rates(run, tmp_path / "data"))
    deemed = web.filter(web.column("drmg_deemed")).column("physician_id").to_pylist()
    assert deemed == ["D00002"]
