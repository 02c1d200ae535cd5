"""``convcli show``: look at an image: a summary and a preview, or its pixel values."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from convcli.cli import options
from convcli.cli.console import note, out_console, reporting_errors, warn
from convcli.errors import UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    from convcli.images.picture import Picture


def show(
    image: Annotated[
        str,
        typer.Argument(
            help="An image file, .npy or .txt/.csv matrix, or - for stdin.", metavar="IMAGE"
        ),
    ],
    as_array: Annotated[
        bool,
        typer.Option("--as-array", help="Print the pixel matrix, shaded by value (a heat map)."),
    ] = False,
    channel: Annotated[
        str | None,
        typer.Option(
            help="The channel to print: a letter (R, G, B, A, L) or an index. Default: the first.",
            show_default=False,
        ),
    ] = None,
    region: Annotated[
        options.Region | None,
        typer.Option(
            parser=options.region,
            metavar="X,Y,W,H",
            help="The part to show: x,y,width,height. Default: a corner that fits the terminal "
            "(--as-array) or the whole image (--format).",
            show_default=False,
        ),
    ] = None,
    format: Annotated[
        Literal["csv", "json", "npy", "txt"] | None,
        typer.Option(
            help="Write the values to stdout in this format, for pipelines.", show_default=False
        ),
    ] = None,
    max_pixels: options.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """Show an image: size, mode, depth, per-channel statistics and a preview.

    [bold]Examples[/]

    [dim]$[/] convcli show photo.png

    [dim]$[/] convcli show photo.png --as-array --channel G --region 100,40,12,8

    [dim]$[/] convcli show scan.png --format csv > values.csv
    """
    with reporting_errors():
        from convcli.images.imageio import read_picture
        from convcli.images.outputs import open_input

        source = open_input(image, sys.stdin.buffer)
        stack = _stack(source, image, max_pixels)
        if stack is not None and channel is None and format is None and not as_array:
            _print_stack(stack, image)
            return
        if stack is not None:
            picture, channel = _stack_map(stack, channel)
        else:
            picture = read_picture(source, image, max_pixels=max_pixels)
        for message in picture.notes:
            warn(message)
        if format is not None:
            _write_values(picture, channel, region, format)
        elif as_array:
            print_array(picture, channel=channel, region=region)
        else:
            if channel is not None:
                from convcli.images.views import choose_channel

                choose_channel(picture, channel)  # a wrong letter is an error even here
            _print_summary(picture, image)


def print_array(picture: Picture, *, channel: str | None, region: options.Region | None) -> None:
    """The heat-map matrix of one channel, cut to ``region`` or to what fits the terminal."""
    from convcli.cli import render
    from convcli.images.views import choose_channel, crop, fitting_region

    index = choose_channel(picture, channel)
    values = picture.pixels[:, :, index]
    if region is None:
        box = fitting_region(values, out_console.width, max(out_console.height - 4, 8))
    else:
        box = (region.x, region.y, region.width, region.height)
    (x, y, width, height), cut_by_edges = crop(values, box)
    shown = values[y : y + height, x : x + width]
    value_range = (
        (float(values.min()), float(values.max()))
        if picture.is_float
        else (0.0, picture.full_range)
    )
    out_console.print(render.array_view(shown, left=x, top=y, value_range=value_range))
    where = f"rows {y}–{y + height - 1}, columns {x}–{x + width - 1}"
    message = f"channel {picture.layout[index]} of {picture.layout}: {where}"
    message += f" of {picture.width}×{picture.height}"
    if (width, height) != (picture.width, picture.height):
        message += "; use --region x,y,w,h for another part"
    if cut_by_edges:
        message += " (the region was cut at the image's edges)"
    note(message)


def _stack(source: bytes | Path, name: str, max_pixels: int) -> npt.NDArray[np.float32] | None:
    """A (C, H, W) stack of maps, as ``convcli layer`` writes, if ``name`` is a .npy holding
    one (a 3-D array whose last axis is longer than an image's 4 channels)."""
    if not name.lower().endswith(".npy"):
        return None
    from convcli.images.stacks import as_stack, is_stack, load_array

    data = source if isinstance(source, bytes) else source.read_bytes()
    array = load_array(data, name, max_pixels)
    return as_stack(array, name) if is_stack(array) else None


def _stack_map(stack: npt.NDArray[np.float32], channel: str | None) -> tuple[Picture, None]:
    """Map ``channel`` (a number) of the stack as a one-channel float picture."""
    import numpy as np

    from convcli.images.picture import Picture

    if channel is None:
        note(f"map 0 of {stack.shape[0]}: pick another with --channel N")
        index = 0
    elif channel.strip().isdigit() and int(channel) < stack.shape[0]:
        index = int(channel)
    else:
        raise UsageError(f"`channel` {channel!r}: this stack has maps 0–{stack.shape[0] - 1}")
    return Picture(np.ascontiguousarray(stack[index][:, :, np.newaxis]), "L", "npy"), None


def _print_stack(stack: npt.NDArray[np.float32], name: str) -> None:
    """A stack's shape, every map's statistics, and a montage preview."""
    from rich.table import Table

    from convcli.cli import render
    from convcli.filtering.networks import montage
    from convcli.images.imageio import decode_preview

    count, height, width = stack.shape
    out_console.print(name, style="bold", soft_wrap=True, markup=False)
    out_console.print(f"{count} maps of {width}×{height} (C, H, W), float32")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("map", "min", "max", "mean"):
        table.add_column(column, justify="right")
    for number, plane in enumerate(stack):
        table.add_row(
            str(number), *(f"{float(v):.4g}" for v in (plane.min(), plane.max(), plane.mean()))
        )
    out_console.print(table)
    if out_console.color_system is None or out_console.no_color:
        note("preview omitted: stdout is not a colour terminal (try --channel N --as-array)")
        return
    sheet = montage(stack, [f"map {n}" for n in range(count)], tile=96)
    columns = max(out_console.width, 8)
    out_console.print(
        render.preview(decode_preview(sheet, columns, max(out_console.height - 4, 4) * 2))
    )


def _print_summary(picture: Picture, name: str) -> None:
    from convcli.cli import render
    from convcli.images.imageio import decode_preview

    out_console.print(name, style="bold", soft_wrap=True, markup=False)  # never wrapped
    out_console.print(render.summary(picture))
    if out_console.color_system is None or out_console.no_color:
        note("preview omitted: stdout is not a colour terminal (try --as-array or --format)")
        return
    columns = max(out_console.width, 8)
    rows = max(out_console.height - 8, 4) * 2
    out_console.print(render.preview(decode_preview(picture, columns, rows)))


def _write_values(
    picture: Picture, channel: str | None, region: options.Region | None, fmt: str
) -> None:
    from convcli.images.views import encode_values

    if fmt == "npy" and sys.stdout.isatty():
        raise UsageError("refusing to write .npy bytes to a terminal; redirect stdout")
    box = None if region is None else (region.x, region.y, region.width, region.height)
    data, cut = encode_values(picture, channel, box, fmt)
    if cut:
        note("the region was cut at the image's edges")
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
