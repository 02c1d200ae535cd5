"""``convcli kernels``: list the library and inspect one kernel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from convcli.cli import options
from convcli.cli.console import (
    EXIT_FAILURE,
    in_options,
    note,
    out_console,
    reporting_errors,
    warn,
)
from convcli.errors import UsageError

app = typer.Typer(
    help="List and inspect kernels.\n\n[bold]Examples[/]\n\n[dim]$[/] convcli kernels list"
    "\n\n[dim]$[/] convcli kernels show sobel-x"
    "\n\n[dim]$[/] convcli kernels export sobel-x --to imagemagick"
    "\n\n[dim]$[/] convcli kernels check my-edge.yaml",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


#: The KERNEL argument of ``show`` and ``export``: anything the resolver accepts.
KernelSpec = Annotated[
    str,
    typer.Argument(
        help="A library name, file, generator or inline matrix.",
        autocompletion=options.complete_kernel,
        metavar="KERNEL",
    ),
]


@app.command("list")
def list_kernels() -> None:
    """List every kernel the resolver can find by name: user libraries first, then built-ins.

    User kernels live in the folders of CONVCLI_KERNEL_PATH and in ~/.config/convcli/kernels/;
    a user kernel with a built-in's name replaces it (the built-in is then marked shadowed).

    [bold]Examples[/]

    [dim]$[/] convcli kernels list

    [dim]$[/] CONVCLI_KERNEL_PATH=~/my-kernels convcli kernels list | grep user
    """
    with reporting_errors():
        from convcli.cli import render
        from convcli.kernels import generator_help, library_entries

        out_console.print(render.kernel_table(library_entries()))
        out_console.print("\n[bold]Generators[/] (NAME:key=value,...)")
        for line in generator_help():
            out_console.print(f"  {line}", markup=False)


@app.command("show")
def show_kernel(
    spec: KernelSpec,
) -> None:
    """Show a kernel: its matrix, sum, scale, offset, separability and origin.

    [bold]Examples[/]

    [dim]$[/] convcli kernels show sobel-x

    [dim]$[/] convcli kernels show gaussian:sigma=1.5
    """
    with reporting_errors():
        from convcli.cli import render
        from convcli.kernels import resolve_chain

        for index, kernel in enumerate(resolve_chain(spec)):
            if index:
                out_console.print()
            out_console.print(render.kernel_details(kernel))


@app.command("export")
def export_kernel(
    spec: KernelSpec,
    to: Annotated[
        Literal["imagemagick", "vips", "gimp", "text", "yaml", "npy"],
        typer.Option("--to", help="The format to write."),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Write to this file instead of stdout.", metavar="FILE"
        ),
    ] = "-",
) -> None:
    """Write a kernel in another tool's syntax, applied there the way convcli applies it.

    imagemagick: a string for [bold]-morphology Correlate[/] (Convolve would turn it 180°).
    vips: a .mat file for [bold]vips conv[/]. gimp: GEGL's convolution-matrix (3×3 or 5×5).
    text, yaml, npy: convcli's own formats. Every one reads back into convcli unchanged.

    [bold]Examples[/]

    [dim]$[/] convcli kernels export sobel-x --to imagemagick

    [dim]$[/] convcli kernels export gaussian:sigma=1 --to vips -o blur.mat

    [dim]$[/] convcli kernels export sharpen --to gimp
    """
    with reporting_errors():
        from convcli.images.outputs import write_output
        from convcli.kernels import Kernel, resolve_chain
        from convcli.kernels.export import export_kernel as export

        chain = resolve_chain(spec)
        if len(chain) != 1 or not isinstance(chain[0], Kernel):
            raise UsageError("export writes one plain kernel: not a chain or a combined kernel")
        data, notes = export(chain[0], to)
        if to == "npy" and output == "-" and sys.stdout.isatty():
            raise UsageError("refusing to write .npy bytes to a terminal; use -o FILE")
        for message in notes:
            warn(message)
        write_output(data, output, sys.stdout.buffer)


@app.command("check")
def check_kernels(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Kernel files: .yaml, .txt, .csv, .mat, .gegl, .npy.", metavar="FILE..."
        ),
    ],
) -> None:
    """Check kernel files: errors with their line, and warnings: weights that sum to neither 0
    nor 1 without a scale, zero-sum kernels without an offset, a name that says symmetric on a
    kernel that is not. Exits 1 if any file has an error.

    [bold]Examples[/]

    [dim]$[/] convcli kernels check my-edge.yaml

    [dim]$[/] convcli kernels check ~/.config/convcli/kernels/*
    """
    with reporting_errors():
        from convcli.kernels.check import check_kernel_file

        failed = False
        for path in files:
            findings = check_kernel_file(path)
            if not findings:
                sys.stdout.write(f"{path}: ok\n")
            for finding in findings:
                failed |= finding.severity == "error"
                message = in_options(finding.message)
                prefix = f"{path}: " if not message.startswith(str(path)) else ""
                sys.stdout.write(
                    f"{prefix}{message}\n"
                    if finding.severity == "error"
                    else f"{path}: warning: {message}\n"
                )
        sys.stdout.flush()
        if failed:
            note("some files have errors")
            raise typer.Exit(EXIT_FAILURE)
