"""The ``panelcare`` command line: ``panelcare --help`` lists the commands."""

from __future__ import annotations

import typer

from panelcare.assiduity.cli import assiduity_app
from panelcare.attribution.cli import attribution_app
from panelcare.synth.cli import synth

app = typer.Typer(
    help="panelcare: family-medicine planning for a Québec region.", no_args_is_help=True
)


@app.callback()
def main() -> None:
    """panelcare: family-medicine planning for a Québec region."""


@app.command()
def version() -> None:
    """Print the panelcare version."""
    from panelcare import __version__

    typer.echo(__version__)


app.command("synth")(synth)
app.add_typer(assiduity_app, name="assiduity")
app.add_typer(attribution_app, name="attribution")
