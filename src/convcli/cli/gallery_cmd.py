"""``convcli gallery``: one image through many kernels, side by side, to choose by looking."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from convcli.cli import options
from convcli.cli.console import note, out_console, reporting_errors
from convcli.errors import UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from convcli.images.picture import Picture
    from convcli.kernels import AnyKernel


def gallery(
    image: Annotated[str, typer.Argument(help="The image, or - for stdin.", metavar="IMAGE")],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the sheet here (PNG, JPEG ...). Default: draw it in the terminal.",
            show_default=False,
        ),
    ] = None,
    kernels: Annotated[
        str | None,
        typer.Option(
            metavar="A,B,...",
            help="The kernels to show, comma-separated. Default: every built-in kernel.",
            show_default=False,
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(
            help="Only library kernels with this tag (edges, blur ...).", show_default=False
        ),
    ] = None,
    absolute: Annotated[
        bool, typer.Option("--abs", help="Show the magnitude of signed results (edge kernels).")
    ] = False,
    tile: Annotated[
        int, typer.Option(min=16, max=2048, help="Each tile's longer side, in pixels.")
    ] = 192,
    columns: Annotated[int, typer.Option(min=1, max=64, help="Tiles per row.")] = 6,
    max_pixels: options.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """A labelled contact sheet of kernels applied to IMAGE, the original first.

    The image is first reduced to the tile size (area filter), so each tile shows what the
    kernel does at that scale. Signed results are shown the way apply writes them (clipped);
    --abs shows their magnitude, as for edge kernels.

    [bold]Examples[/]

    [dim]$[/] convcli gallery photo.png -o sheet.png

    [dim]$[/] convcli gallery photo.png --tag edges --abs -o edges.png

    [dim]$[/] convcli gallery photo.png --kernels sharpen,emboss,gaussian:sigma=2
    """
    with reporting_errors():
        from convcli.filtering.gallery import gallery_tiles
        from convcli.images.drawing import contact_sheet, reduced
        from convcli.images.imageio import encode_parts, output_format, read_picture
        from convcli.images.outputs import check_output_target, open_input, write_output

        if kernels is not None and tag is not None:
            raise UsageError("give `kernels` or `tag`, not both")
        if output is not None:
            output_format(output)
            check_output_target(output, [image])
        chosen = _kernels(kernels, tag)
        picture = read_picture(open_input(image, sys.stdin.buffer), image, max_pixels=max_pixels)
        tiles = gallery_tiles(reduced(picture, tile), chosen, absolute=absolute)
        sheet = contact_sheet(tiles, min(columns, len(tiles)))
        if output is None:
            _draw(sheet)
            return
        parts, _ = encode_parts(sheet, output_format(output), output)
        write_output(parts, output, sys.stdout.buffer)
        note(f"{len(tiles) - 1} kernels on a {sheet.width}×{sheet.height} sheet")


def _kernels(names: str | None, tag: str | None) -> list[tuple[str, AnyKernel]]:
    from convcli.kernels import library_entries, resolve_kernel

    if names is not None:
        specs = [name.strip() for name in names.split(",") if name.strip()]
        if not specs:
            raise UsageError("`kernels` names no kernel")
        return [(spec, resolve_kernel(spec)) for spec in specs]
    found: list[tuple[str, AnyKernel]] = [
        (entry.name, entry.kernel)
        for entry in library_entries()
        if entry.kernel is not None
        and not entry.shadowed
        and (tag is None or tag.lower() in entry.kernel.tags)
    ]
    if not found:
        raise UsageError(f"no library kernel has the tag {tag!r} (see convcli kernels list)")
    return found


def _draw(sheet: Picture) -> None:
    from convcli.cli import render
    from convcli.images.imageio import decode_preview

    if out_console.color_system is None or out_console.no_color:
        raise UsageError("stdout is not a colour terminal: write the sheet with `output`")
    columns = max(out_console.width, 8)
    rows = max(out_console.height - 4, 4) * 2
    out_console.print(render.preview(decode_preview(sheet, columns, rows)))
