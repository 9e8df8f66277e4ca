"""``panelcare synth DIR``, through Typer's runner: exit code, files and summary."""

from __future__ import annotations

from typer.testing import CliRunner

from panelcare import synth
from panelcare.cli import app

runner = CliRunner()


def test_it_writes_the_files_and_exits_0(tmp_path):
    result = runner.invoke(app, ["synth", str(tmp_path / "out"), "--scale", "tiny", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{name}.csv" for name in synth.TABLES
    )
    assert "patients" in result.output and "2,000" in result.output


def test_it_writes_parquet_on_request(tmp_path):
    result = runner.invoke(
        app,
        ["synth", str(tmp_path), "--scale", "tiny", "--format", "parquet", "--as-of", "2026-01-15"],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "visits.parquet").exists()
    assert not (tmp_path / "visits.csv").exists()


def test_it_refuses_a_date_that_is_not_iso(tmp_path):
    result = runner.invoke(
        app, ["synth", str(tmp_path), "--scale", "tiny", "--as-of", "01/11/2026"]
    )
    assert result.exit_code == 2
    assert not any(tmp_path.iterdir())


def test_it_refuses_an_unknown_scale(tmp_path):
    result = runner.invoke(app, ["synth", str(tmp_path), "--scale", "planet"])
    assert result.exit_code == 2
