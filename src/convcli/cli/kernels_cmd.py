"""``convcli kernels``: list the library and inspect one kernel."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

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

if TYPE_CHECKING:
    from convcli.kernels.network import Bank

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
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="A weight bank (.npy/.npz of 3 or 4 axes): write its filters as a picture.",
            show_default=False,
        ),
    ] = None,
    layout: options.BankLayout = "torch",
) -> None:
    """Show a kernel: its matrix, sum, scale, offset, separability and origin; or a layer's
    weight bank as small pictures, one per kernel (colour for three input channels).

    [bold]Examples[/]

    [dim]$[/] convcli kernels show sobel-x

    [dim]$[/] convcli kernels show gaussian:sigma=1.5

    [dim]$[/] convcli kernels show stem.npy -o filters.png
    """
    with reporting_errors():
        from convcli.cli import render
        from convcli.kernels import resolve_chain

        bank = _bank(spec, layout)
        if bank is not None:
            _show_bank(bank, spec, output)
            return
        if output is not None:
            raise UsageError("`output` writes a weight bank's picture; a kernel goes out with "
                             "convcli kernels export")  # fmt: skip
        for index, kernel in enumerate(resolve_chain(spec)):
            if index:
                out_console.print()
            out_console.print(render.kernel_details(kernel))


def _bank(spec: str, layout: str) -> Bank | None:
    """The weight bank in ``spec`` if it is a .npz, or a .npy of 3 or 4 axes."""
    path = Path(spec)
    if path.suffix.lower() not in (".npy", ".npz") or not path.is_file():
        return None
    from convcli.kernels.network import read_bank

    data = path.read_bytes()
    if path.suffix.lower() == ".npy":
        import io

        import numpy as np

        try:
            dimensions = np.load(io.BytesIO(data), allow_pickle=False).ndim
        except (ValueError, OSError, EOFError):
            return None  # the kernel reader says what is wrong
        if dimensions < 3:
            return None
    return read_bank(data, spec, layout)  # type: ignore[arg-type]


def _show_bank(bank: Bank, spec: str, output: str | None) -> None:
    from convcli.cli import render
    from convcli.filtering.networks import bank_picture
    from convcli.images.imageio import decode_preview, encode_parts, output_format
    from convcli.images.outputs import check_output_target, write_output

    outputs, per_group, height, width = bank.weight.shape
    out_console.print(spec, style="bold", soft_wrap=True, markup=False)
    out_console.print(
        f"{outputs} kernels of {per_group}×{height}×{width} (C_out, C_in/groups, kH, kW)"
        + (", with bias" if bank.bias is not None else "")
    )
    picture = bank_picture(bank.weight, [f"kernel {n}" for n in range(outputs)])
    if output is not None:
        check_output_target(output, [spec])
        parts, _ = encode_parts(picture, output_format(output), output)
        write_output(parts, output, sys.stdout.buffer)
        note(f"{outputs} filters drawn in {output}")
    elif out_console.color_system is not None and not out_console.no_color:
        columns = max(out_console.width, 8)
        rows = max(out_console.height - 4, 4) * 2
        out_console.print(render.preview(decode_preview(picture, columns, rows)))
    else:
        note("picture omitted: stdout is not a colour terminal (write it with -o)")


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
