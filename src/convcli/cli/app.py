"""The Typer application: the root options and the command groups."""

from __future__ import annotations

import os
import signal
from typing import Annotated

import typer

from convcli.cli import (
    animate_cmd,
    apply_cmd,
    explain_cmd,
    gallery_cmd,
    kernels_cmd,
    layer_cmd,
    match_cmd,
    show_cmd,
)
from convcli.cli.console import RunState
from convcli.cli.group import ConvcliGroup
from convcli.cli.options import Quiet
from convcli.cli.typer_startup import defer_unused_rich, resolve_annotations

defer_unused_rich()

app = typer.Typer(
    name="convcli",
    cls=ConvcliGroup,
    help="Filter images with convolution kernels: a kernel library, an exact NumPy engine.\n\n"
    "Start with [bold]convcli apply sharpen photo.png -o sharp.png[/], "
    "[bold]convcli kernels list[/] and [bold]convcli show photo.png[/].",
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command(name="apply", no_args_is_help=True)(apply_cmd.apply)
app.command(name="show", no_args_is_help=True)(show_cmd.show)
app.command(name="match", no_args_is_help=True)(match_cmd.match)
app.command(name="explain", no_args_is_help=True)(explain_cmd.explain)
app.command(name="gallery", no_args_is_help=True)(gallery_cmd.gallery)
app.command(name="animate", no_args_is_help=True)(animate_cmd.animate)
app.command(name="layer", no_args_is_help=True)(layer_cmd.layer)
app.add_typer(kernels_cmd.app, name="kernels")


def _print_version(value: bool) -> None:
    if value:
        from convcli import __version__

        typer.echo(f"convcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
    quiet: Quiet = False,
    calibration: Annotated[
        bool,
        typer.Option(
            "--calibration/--no-calibration",
            help="Fit the engine's planner to this machine (timed once, cached), or use the "
            "cost model as it is (also CONVCLI_CALIBRATION=off).",
        ),
    ] = True,
) -> None:
    """Filter images with convolution kernels."""
    from convcli.runs.calibration import SWITCH, install

    RunState.set(debug=debug, quiet=quiet)
    if not calibration:
        os.environ[SWITCH] = "off"  # worker processes inherit it
    install()


resolve_annotations(app)


def main() -> None:
    """The ``convcli`` console script. SIGTERM stops it the way Ctrl-C does: cleanly, exit 130.

    Once the command has finished (its output written or cleaned up), a late Ctrl-C or SIGTERM
    ends the process at once, as a signal does, instead of a traceback from Python's shutdown.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app(prog_name="convcli")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
