"""``convcli explain``: one output pixel's multiply-and-add, written out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from convcli.cli import options
from convcli.cli.console import note, out_console, reporting_errors
from convcli.errors import UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from rich.text import Text

    from convcli.filtering.pixel import PixelComputation


def explain(
    kernel: options.KernelArgument,
    image: options.ImageArgument,
    at: Annotated[
        options.Point,
        typer.Option(
            parser=options.point, metavar="X,Y", help="The output pixel: column,row from 0."
        ),
    ],
    channel: options.Channel = None,
    border: options.BorderRule = "reflect",
    fill: options.Fill = 0.0,
    padding: options.Padding = "same",
    stride: options.Stride = 1,
    dilation: options.Dilation = 1,
    convolve: options.Convolve = False,
    scale: options.ScaleOverride = None,
    offset: options.OffsetOverride = None,
    absolute: Annotated[
        bool, typer.Option("--abs", help="The magnitude of the result, as apply --abs.")
    ] = False,
    depth: Annotated[
        Literal["8", "16"] | None,
        typer.Option(
            help="Output samples, as apply --depth. Default: the input's.", show_default=False
        ),
    ] = None,
    format: Annotated[
        Literal["text", "json"], typer.Option(help="text: tables; json: the same numbers as data.")
    ] = "text",
    max_pixels: options.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """Show how one output pixel is computed: the window under the kernel, the products, their
    sum, scale, offset, rounding and clipping, and the value convcli apply writes.

    [bold]Examples[/]

    [dim]$[/] convcli explain sharpen photo.png --at 120,48

    [dim]$[/] convcli explain sobel-x photo.png --at 0,0 --border constant --channel G

    [dim]$[/] convcli explain box-3 photo.png --at 10,10 --stride 2 --dilation 2 --format json
    """
    with reporting_errors():
        from convcli.filtering.pipeline import FilterOptions, with_overrides
        from convcli.filtering.pixel import explain_pixel, one_plain_kernel
        from convcli.images.imageio import read_picture
        from convcli.images.outputs import read_input
        from convcli.images.views import choose_channel
        from convcli.kernels import resolve_chain
        from convcli.runs.jobs import OutputOptions, filter_image

        chain = with_overrides(
            resolve_chain(kernel), scale, (offset.value, offset.relative) if offset else None
        )
        plain = one_plain_kernel(chain)
        data = read_input(image, sys.stdin.buffer)
        picture = read_picture(data, image, max_pixels=max_pixels)
        if picture.is_float:
            raise UsageError("explain shows 8- and 16-bit images; this one holds float samples")
        index = choose_channel(picture, channel) if channel is not None else 0
        filters = FilterOptions(
            convolve=convolve,
            border=border,
            fill=fill,
            padding=padding,
            stride=stride,
            dilation=dilation,
        )
        computation = explain_pixel(picture, plain, filters, at.x, at.y, index)
        written, report = filter_image(
            data,
            image,
            chain,
            filters,
            OutputOptions(depth=depth, absolute=absolute),
            array_output=False,
            max_pixels=max_pixels,
        )
        final = int(written.pixels[at.y, at.x, index])
        if format == "json":
            import json

            sys.stdout.write(
                json.dumps(
                    _as_data(computation, absolute, written.full_range, picture.full_range, final)
                )
                + "\n"
            )
        else:
            _print(computation, kernel, absolute, written.full_range, picture.full_range, final)
        for message in report.notes:
            if "clipped" not in message:
                note(message)


def _output_value(
    computation: PixelComputation, absolute: bool, out_range: float, in_range: float
) -> tuple[float, int]:
    """The value at the output depth, and the sample the engine's rounding rule makes of it."""
    import numpy as np

    from convcli.engine.samples import Clipping, Finish, to_samples, values

    value = np.array([abs(computation.value) if absolute else computation.value])
    finish = Finish(depth=out_range / in_range)
    sample = np.empty(1, dtype=np.uint16 if out_range > 255 else np.uint8)
    to_samples(value, finish, sample, Clipping())
    return float(values(value, finish)[0]), int(sample[0])


def _as_data(
    computation: PixelComputation, absolute: bool, out_range: float, in_range: float, final: int
) -> dict[str, object]:
    scaled, rounded = _output_value(computation, absolute, out_range, in_range)
    return {
        "x": computation.x,
        "y": computation.y,
        "channel": computation.channel,
        "border": computation.border,
        "turned": computation.turned,
        "rows": list(computation.rows),
        "cols": list(computation.cols),
        "from_border": computation.outside.tolist(),
        "samples": computation.samples.tolist(),
        "weights": computation.weights.tolist(),
        "products": computation.products.tolist(),
        "sum": computation.total,
        "scale": computation.scale,
        "offset": computation.offset,
        "value": computation.value,
        "absolute": absolute,
        "output_range": out_range,
        "scaled": scaled,
        "rounded": rounded,
        "output": final,
    }


def _print(
    computation: PixelComputation,
    spec: str,
    absolute: bool,
    out_range: float,
    in_range: float,
    final: int,
) -> None:
    from rich.text import Text

    turned = "turned 180° (--convolve)" if computation.turned else "as written (correlation)"
    out_console.print(
        f"[bold]Output pixel x={computation.x}, y={computation.y}[/], channel "
        f"{computation.channel}, kernel {spec}: input rows {_span(computation.rows)}, "
        f"columns {_span(computation.cols)}",
        soft_wrap=True,
    )
    if computation.outside.any():
        out_console.print(
            f"[magenta]*[/] from outside the image, by the border rule: {computation.border}"
        )
    blocks = [
        _block("window", computation.samples, computation.outside),
        _block(f"kernel, {turned}", computation.weights, None),
        _block("products", computation.products, computation.outside),
    ]
    height = computation.weights.shape[0]
    middle = height // 2 + 1  # the title is line 0
    side_by_side = sum(width for width, _ in blocks) + 6 <= out_console.width
    if side_by_side:
        for line in range(height + 1):
            text = Text()
            for number, (width, lines) in enumerate(blocks):
                if number:
                    text.append(f" {'×='[number - 1] if line == middle else ' '} ")
                text.append_text(lines[line])
                text.append(" " * (width - lines[line].cell_len))
            out_console.print(text, soft_wrap=True)
    else:
        for _, lines in blocks:
            for text_line in lines:
                out_console.print(text_line, soft_wrap=True)
    scaled, rounded = _output_value(computation, absolute, out_range, in_range)
    steps = [f"sum of products = {_number(computation.total)}"]
    if computation.scale != 1 or computation.offset:
        steps.append(
            f"× scale {_number(computation.scale)} + offset {_number(computation.offset)} "
            f"= {_number(computation.value)}"
        )
    if absolute:
        steps.append(f"|value| (--abs) = {_number(abs(computation.value))}")
    if out_range != in_range:
        steps.append(
            f"× {_number(out_range)}/{_number(in_range)} (output depth) = {_number(scaled)}"
        )
    steps.append(f"rounded half to even, clipped to 0..{int(out_range)}: {rounded}")
    for step in steps:
        out_console.print(step)
    out_console.print(f"[bold]output value: {final}[/] (what convcli apply writes)")
    if final != rounded:
        out_console.print(
            "  (the engine sums the kernel's whole-number form exactly, and that rounds "
            f"to {final}: the float sum above lies within a rounding step of a half)"
        )


def _block(
    title: str, values: npt.NDArray[np.float64], marked: npt.NDArray[np.bool_] | None
) -> tuple[int, list[Text]]:
    """A titled matrix as lines of text, right-aligned cells, border samples marked ``*``."""
    from rich.text import Text

    cells = [[_number(value) for value in row] for row in values.tolist()]
    width = max(len(cell) for row in cells for cell in row) + (1 if marked is not None else 0)
    lines = [Text(title, style="bold")]
    for r, row in enumerate(cells):
        line = Text()
        for c, cell in enumerate(row):
            outside = marked is not None and bool(marked[r, c])
            mark = "*" if outside else " " if marked is not None else ""
            line.append(" " + (cell + mark).rjust(width), style="magenta" if outside else "")
        lines.append(line)
    return max(line.cell_len for line in lines), lines


def _span(positions: tuple[int, ...]) -> str:
    return f"{positions[0]}..{positions[-1]}" if len(positions) > 1 else str(positions[0])


def _number(value: float) -> str:
    """Short and exact enough to follow by hand: integers as integers, else 6 significant."""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.6g}"
