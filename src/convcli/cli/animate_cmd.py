"""``convcli animate``: the kernel sliding over a small image, as a GIF or in the terminal."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from convcli.cli import options
from convcli.cli.console import RunState, err_console, note, out_console, reporting_errors
from convcli.errors import UsageError
from convcli.images.limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import RenderableType
    from rich.text import Text

    from convcli.filtering.animation import Animation

#: How long the title frame and the finished matrix stay, in milliseconds.
HOLD_MS = 3000


def animate(
    kernel: options.KernelArgument,
    image: options.ImageArgument,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE.gif",
            help="Write the animated GIF here (- for stdout). Default: play it in the terminal.",
            show_default=False,
        ),
    ] = None,
    play: Annotated[
        bool, typer.Option("--play", help="Draw the frames in the terminal (also with -o).")
    ] = False,
    region: Annotated[
        options.Region | None,
        typer.Option(
            parser=options.region,
            metavar="X,Y,W,H",
            help="The output positions to animate (column, row, width, height), at most 32×32. "
            "Default: the whole output.",
            show_default=False,
        ),
    ] = None,
    channel: options.Channel = None,
    border: options.BorderRule = "reflect",
    fill: options.Fill = 0.0,
    padding: options.Padding = "same",
    stride: options.Stride = 1,
    dilation: options.Dilation = 1,
    convolve: options.Convolve = False,
    scale: options.ScaleOverride = None,
    offset: options.OffsetOverride = None,
    delay: Annotated[
        int, typer.Option(min=20, max=60000, metavar="MS", help="Each step's time on screen.")
    ] = 400,
    max_pixels: options.MaxPixels = DEFAULT_MAX_PIXELS,
) -> None:
    """Animate KERNEL sliding over IMAGE: at each output position the window under the kernel,
    the products, their sum, and the output matrix filling in; border samples shaded.

    The output matrix holds what convcli apply --as-array prints. Images with more than 32×32
    output positions need --region.

    [bold]Examples[/]

    [dim]$[/] convcli animate sharpen tiny.png -o steps.gif

    [dim]$[/] convcli animate box-3 photo.png --region 100,80,8,6 --stride 2 --play

    [dim]$[/] convcli animate sobel-x tiny.png --border constant --dilation 2 -o steps.gif
    """
    with reporting_errors():
        from convcli.filtering.animation import animate as build
        from convcli.filtering.pipeline import FilterOptions, with_overrides
        from convcli.filtering.pixel import one_plain_kernel
        from convcli.images.imageio import read_picture
        from convcli.images.outputs import check_output_target, open_input
        from convcli.images.views import choose_channel
        from convcli.kernels import resolve_chain

        if output is not None:
            if output != "-" and not output.lower().endswith(".gif"):
                raise UsageError(f"{output}: animate writes a GIF; name the output *.gif")
            if output == "-" and play:
                raise UsageError("the GIF goes to stdout: it cannot be played there too")
            check_output_target(output, [image])
        chain = with_overrides(
            resolve_chain(kernel), scale, (offset.value, offset.relative) if offset else None
        )
        plain = one_plain_kernel(chain)
        picture = read_picture(open_input(image, sys.stdin.buffer), image, max_pixels=max_pixels)
        index = choose_channel(picture, channel) if channel is not None else 0
        filters = FilterOptions(
            convolve=convolve,
            border=border,
            fill=fill,
            padding=padding,
            stride=stride,
            dilation=dilation,
        )
        area = None if region is None else (region.x, region.y, region.width, region.height)
        animation = build(picture, plain, filters, index, name=kernel, region=area)
        if output is not None:
            _write_gif(animation, output, delay)
        if play or output is None:
            _play(animation, delay)


def _write_gif(animation: Animation, output: str, delay: int) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from convcli.filtering.animation import gif_parts
    from convcli.images.outputs import write_output

    frames = len(animation.steps) + 1
    progress = Progress(
        TextColumn("drawing frames"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=RunState.quiet or not err_console.is_terminal or frames < 100,
    )
    parts: list[bytes] = []
    with progress:
        task = progress.add_task("frames", total=frames + 2)
        for part in gif_parts(animation, delay, HOLD_MS):
            parts.append(part)
            progress.advance(task)
    write_output(parts, output, sys.stdout.buffer)
    if output != "-":
        note(f"{frames} frames ({len(animation.steps)} output positions) in {output}")


def _play(animation: Animation, delay: int) -> None:
    """Each frame in place, ``delay`` apart; not a terminal: only the last frame, printed."""
    from rich.live import Live

    steps = len(animation.steps)
    if not out_console.is_terminal:
        out_console.print(_frame(animation, steps - 1, fit=False), soft_wrap=True)
        return
    with Live(_frame(animation, None, fit=True), console=out_console, auto_refresh=False) as live:
        time.sleep(HOLD_MS / 1000)
        for number in range(steps):
            live.update(_frame(animation, number, fit=True), refresh=True)
            time.sleep((HOLD_MS if number == steps - 1 else delay) / 1000)


def _frame(animation: Animation, number: int | None, *, fit: bool) -> RenderableType:
    """The frame after step ``number`` (None: the title); with ``fit``, the grids are cut to
    the terminal around the kernel's window and the current output cell."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from convcli.filtering.animation import heading, multiply_add, result_line
    from convcli.images.views import short_number

    step = animation.steps[number] if number is not None else None
    taps: set[tuple[int, int]] = set()
    window = current = (0, 0, 0, 0)
    if step is not None:
        where = animation.window(step)
        taps, window, current = set(where.taps), where.span, where.output * 2
    filled = animation.filled(0 if number is None else number + 1)

    def source_style(row: int, col: int) -> str:
        outside = bool(animation.outside[row, col])
        if (row, col) in taps:
            return "black on plum1" if outside else "black on yellow"
        return "magenta" if outside else ""

    def output_style(row: int, col: int) -> str:
        return "bold black on sky_blue1" if step is not None and current[:2] == (row, col) else ""

    source = _Matrix(
        [[short_number(v) for v in row] for row in animation.samples.tolist()],
        [str(r) for r in animation.rows],
        [str(c) for c in animation.cols],
        source_style,
    )
    output = _Matrix(
        [["" if v != v else short_number(v) for v in row] for row in filled.tolist()],
        [str(animation.top + r) for r in range(animation.shape[0])],
        [str(animation.left + c) for c in range(animation.shape[1])],
        output_style,
        sizing=[short_number(v) for v in animation.output.ravel().tolist()],
    )
    weights = animation.steps[0].weights
    middle = [Text("kernel" + (", turned 180°" if animation.options.convolve else ""), "bold")]
    middle += _Matrix([[short_number(w) for w in row] for row in weights.tolist()]).lines()
    if step is not None:
        middle.append(Text("products", "bold"))
        middle += _Matrix(
            [[short_number(p) for p in row] for row in step.products.tolist()]
        ).lines()
    source_rows, source_cols = range(source.rows), range(source.cols)
    output_rows, output_cols = range(output.rows), range(output.cols)
    if fit:
        height = max(out_console.height - 10, 3)
        spare = out_console.width - max(len(line) for line in middle) - 6
        share = source.width_of(source.cols) / max(
            source.width_of(source.cols) + output.width_of(output.cols), 1
        )
        source_rows = _viewport(source.rows, height, window[0], window[2])
        source_cols = _viewport(source.cols, source.fitting(spare * share), window[1], window[3])
        output_rows = _viewport(output.rows, height, current[0], current[2])
        output_cols = _viewport(
            output.cols, output.fitting(spare * (1 - share)), current[1], current[3]
        )
    source_lines = source.lines(source_rows, source_cols)
    output_lines = output.lines(output_rows, output_cols)
    output_title = Text(f"output ({_size(animation)})", "bold")
    layout: RenderableType
    if fit:
        table = Table.grid(padding=(0, 2))
        table.add_row(Text("input", "bold"), Text(""), output_title)
        table.add_row(
            Text("\n").join(source_lines), Text("\n").join(middle), Text("\n").join(output_lines)
        )
        layout = table
    else:  # a log, not a screen: one block under the other, each whole
        blank = Text("")
        layout = Group(
            Text("input", "bold"),
            *source_lines,
            blank,
            *middle,
            blank,
            output_title,
            *output_lines,
            blank,
        )
    title, settings = heading(animation)
    parts: list[RenderableType] = [Text(title, "bold"), Text(settings, "dim"), layout]
    if step is not None and number is not None:
        value = float(animation.output.ravel()[number])
        parts.append(Text(" ".join(multiply_add(step))))
        parts.append(Text(result_line(step, value), "bold"))
    return Group(*parts)


class _Matrix:
    """A matrix of texts with optional labels, drawn as lines of right-aligned cells, whole or
    through a viewport of its rows and columns."""

    def __init__(
        self,
        cells: list[list[str]],
        row_labels: list[str] | None = None,
        col_labels: list[str] | None = None,
        style: Callable[[int, int], str] | None = None,
        sizing: list[str] | None = None,
    ) -> None:
        self.cells, self.row_labels, self.col_labels, self.style = (
            cells,
            row_labels,
            col_labels,
            style,
        )
        texts = [cell for row in cells for cell in row] + (col_labels or []) + (sizing or [])
        self.cell_width = max(len(text) for text in texts)
        self.label_width = max((len(label) for label in row_labels or []), default=0)
        self.rows, self.cols = len(cells), len(cells[0])

    def width_of(self, cols: int) -> int:
        return self.label_width + cols * (self.cell_width + 1)

    def fitting(self, width: float) -> int:
        """How many columns fit in ``width`` characters (at least one)."""
        return max(1, int((width - self.label_width) // (self.cell_width + 1)))

    def lines(self, rows: range | None = None, cols: range | None = None) -> list[Text]:
        from rich.text import Text

        rows = rows if rows is not None else range(self.rows)
        cols = cols if cols is not None else range(self.cols)
        lines: list[Text] = []
        if self.col_labels is not None:
            header = Text(" " * self.label_width, "dim")
            for col in cols:
                header.append(" " + self.col_labels[col].rjust(self.cell_width), "dim")
            lines.append(header)
        for row in rows:
            line = Text((self.row_labels[row] if self.row_labels else "").rjust(self.label_width))
            line.stylize("dim")
            for col in cols:
                line.append(" ")
                style = self.style(row, col) if self.style else ""
                line.append(self.cells[row][col].rjust(self.cell_width), style)
            lines.append(line)
        return lines


def _viewport(count: int, fit: int, first: int, last: int) -> range:
    """``fit`` of ``count`` positions around ``first..last`` (all of them if they fit)."""
    if count <= fit:
        return range(count)
    start = min(max((first + last + 1) // 2 - fit // 2, 0), count - fit)
    start = min(start, first)  # a span wider than the view shows its start
    return range(start, start + fit)


def _size(animation: Animation) -> str:
    width, height = animation.output_size
    return f"{width}×{height}"
