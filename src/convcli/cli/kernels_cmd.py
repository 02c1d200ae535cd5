"""``convcli kernels``: list the library and inspect one kernel."""

from __future__ import annotations

from typing import Annotated

import typer

from convcli.cli import options
from convcli.cli.console import out_console, reporting_errors

app = typer.Typer(
    help="List and inspect kernels.\n\n[bold]Examples[/]\n\n[dim]$[/] convcli kernels list"
    "\n\n[dim]$[/] convcli kernels show sobel-x",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


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
    spec: Annotated[
        str,
        typer.Argument(
            help="A library name, file, generator or inline matrix.",
            autocompletion=options.complete_kernel,
            metavar="KERNEL",
        ),
    ],
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
