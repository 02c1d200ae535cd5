"""The kernel sliding over a small image, one output position at a time: what ``convcli
animate`` draws. Each step is one output sample's computation (:func:`explain_pixel`); the
values the output matrix fills with are the engine's own result, the numbers ``apply
--as-array`` prints, so the last frame and ``apply`` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.errors import UsageError
from convcli.filtering.pipeline import FilterOptions, filter_picture
from convcli.filtering.pixel import PixelComputation, explain_pixel, output_axes, read_positions
from convcli.filtering.quantize import quantize
from convcli.images.gif import gif_frame, gif_header, gif_trailer
from convcli.images.picture import Picture
from convcli.images.sliding import (
    MAX_EQUATION_LINES,
    TRANSPARENT,
    Grid,
    Slide,
    SlidingFigure,
    palette,
)
from convcli.images.views import short_number
from convcli.kernels import Kernel

#: At most this many output rows and columns (1024 frames): beyond, pick a `region`.
MAX_POSITIONS = 32
#: At most this many input rows and columns drawn (the region's windows, border included).
MAX_GRID = 64


@dataclass(frozen=True)
class Window:
    """One step in grid cells: the input cells under the taps, the first and last row and
    column they span, and the output cell being computed."""

    taps: tuple[tuple[int, int], ...]
    span: tuple[int, int, int, int]
    output: tuple[int, int]


@dataclass(frozen=True)
class Animation:
    """The output positions of a region in order, and the input grid their windows cover."""

    name: str  #: the kernel as the user named it
    kernel: Kernel
    options: FilterOptions
    channel: str
    output_size: tuple[int, int]  #: the whole output's width and height
    left: int  #: the region's first output column ...
    top: int  #: ... and row
    rows: tuple[int, ...]  #: the input rows drawn (outside the image: from the border rule)
    cols: tuple[int, ...]
    samples: npt.NDArray[np.float64]  #: what each drawn position holds
    outside: npt.NDArray[np.bool_]  #: drawn positions outside the image
    output: npt.NDArray[np.float64]  #: the engine's result over the region
    steps: tuple[PixelComputation, ...]  #: row by row, as the kernel slides

    @property
    def shape(self) -> tuple[int, int]:
        """The region's rows and columns of output."""
        return self.output.shape[0], self.output.shape[1]

    def filled(self, count: int) -> npt.NDArray[np.float64]:
        """The output matrix after ``count`` steps: NaN where the kernel has not been yet."""
        matrix = np.full(self.output.size, np.nan)
        matrix[:count] = self.output.ravel()[:count]
        return matrix.reshape(self.output.shape)

    def window(self, step: PixelComputation) -> Window:
        """Where ``step`` sits in the drawn grids: its taps, their span, its output cell."""
        first = self.grid_position(step.rows[0], step.cols[0])
        last = self.grid_position(step.rows[-1], step.cols[-1])
        return Window(
            taps=tuple(self.grid_position(r, c) for r in step.rows for c in step.cols),
            span=(*first, *last),
            output=(step.y - self.top, step.x - self.left),
        )

    def grid_position(self, row: int, col: int) -> tuple[int, int]:
        """Where input position (``row``, ``col``) sits in the drawn grid."""
        return row - self.rows[0], col - self.cols[0]


def animate(
    picture: Picture,
    kernel: Kernel,
    options: FilterOptions,
    channel: int,
    *,
    name: str = "kernel",
    region: tuple[int, int, int, int] | None = None,
) -> Animation:
    """The steps of ``kernel`` sliding over ``channel`` of ``picture``: every output position
    of ``region`` (``x, y, width, height`` in output samples; default the whole output)."""
    height_axis, width_axis = output_axes(picture, kernel, options)
    size = width_axis.length, height_axis.length
    left, top, width, height = region if region is not None else (0, 0, *size)
    if left + width > size[0] or top + height > size[1]:
        raise UsageError(
            f"`region` {left},{top},{width},{height} reaches past the output, which is "
            f"{size[0]}×{size[1]}"
        )
    if width > MAX_POSITIONS or height > MAX_POSITIONS:
        what = "the region" if region is not None else "the output"
        raise UsageError(
            f"{what} is {width}×{height} positions; an animation shows up to "
            f"{MAX_POSITIONS}×{MAX_POSITIONS}: pick a part with `region`"
        )
    steps = tuple(
        explain_pixel(picture, kernel, options, x, y, channel)
        for y in range(top, top + height)
        for x in range(left, left + width)
    )
    rows = tuple(range(steps[0].rows[0], steps[-1].rows[-1] + 1))
    cols = tuple(range(steps[0].cols[0], steps[-1].cols[-1] + 1))
    if len(rows) > MAX_GRID or len(cols) > MAX_GRID:
        raise UsageError(
            f"the windows cover {len(cols)}×{len(rows)} input samples; an animation draws up "
            f"to {MAX_GRID}×{MAX_GRID}: pick a smaller `region`"
        )
    samples, outside = read_positions(picture, channel, rows, cols, options)
    result, _ = quantize(filter_picture(picture, [kernel], options), "float")
    output = result.pixels[top : top + height, left : left + width, channel]
    return Animation(
        name=name,
        kernel=kernel,
        options=options,
        channel=picture.layout[channel],
        output_size=size,
        left=left,
        top=top,
        rows=rows,
        cols=cols,
        samples=samples,
        outside=outside,
        output=output.astype(np.float64),
        steps=steps,
    )


def multiply_add(step: PixelComputation, times: str = "×") -> list[str]:
    """The sum written out, a term a piece: ``weight×sample`` for every tap whose weight is not
    zero, the first bare and the others ``+ term``."""
    terms = [
        f"{_signed(weight)}{times}{short_number(sample)}"
        for weight, sample in zip(step.weights.ravel(), step.samples.ravel(), strict=True)
        if weight != 0
    ]
    return [terms[0], *(f"+ {term}" for term in terms[1:])] if terms else ["0"]


def result_line(step: PixelComputation, value: float) -> str:
    """The sum, the scale and offset if the kernel has them, and the value the output gets."""
    text = f"= {short_number(step.total)}"
    if step.scale != 1 or step.offset:
        text += f" × {short_number(step.scale)} + {short_number(step.offset)}"
    return f"{text} → output at {step.x},{step.y} = {short_number(value)}"


def heading(animation: Animation) -> list[str]:
    """Two lines naming the kernel and every setting that shapes the picture."""
    options = animation.options
    rows, cols = animation.kernel.shape
    how = "convolution: the kernel turned 180°" if options.convolve else "correlation"
    border = animation.steps[0].border
    if border == "constant":
        border += f" (fill {short_number(options.fill)})"
    return [
        f"{animation.name}: {rows}×{cols} kernel, {how}, channel {animation.channel}",
        f"padding {options.padding} · stride {options.stride} · dilation {options.dilation} · "
        f"border {border} (shaded: outside the image, from the border rule)",
    ]


def gif_parts(animation: Animation, delay_ms: int, hold_ms: int) -> Iterator[bytes]:
    """The animated GIF, a part at a time: a title frame, then one frame per output position
    (``delay_ms`` each, the last held ``hold_ms``)."""
    figure = sliding_figure(animation)
    yield gif_header(figure.width, figure.height, palette())
    values = animation.output.ravel().tolist()
    slides = [Slide(lines=[_legend(animation)])] + [
        _slide(animation, step, value, figure)
        for step, value in zip(animation.steps, values, strict=True)
    ]
    durations = [max(hold_ms, delay_ms)] + [delay_ms] * (len(slides) - 2) + [hold_ms]
    for slide, duration in zip(slides, durations, strict=True):
        patch, position = figure.frame(slide)
        yield gif_frame(patch, position, duration, TRANSPARENT)
    yield gif_trailer()


def sliding_figure(animation: Animation) -> SlidingFigure:
    """The figure the GIF's frames are drawn on: the input grid (border samples marked), the
    kernel as applied, room for the products and the output matrix, empty."""
    width, height = animation.output_size
    return SlidingFigure(
        heading=heading(animation),
        source=Grid(
            f"input, channel {animation.channel}",
            [[short_number(v) for v in row] for row in animation.samples.tolist()],
            row_labels=[str(r) for r in animation.rows],
            col_labels=[str(c) for c in animation.cols],
            marked=animation.outside,
        ),
        kernel=Grid(
            "kernel, turned 180°" if animation.options.convolve else "kernel",
            [[short_number(w) for w in row] for row in animation.steps[0].weights.tolist()],
        ),
        products=Grid(
            "products, weight × sample",
            [[""] * animation.kernel.shape[1]] * animation.kernel.shape[0],
            sizing=[short_number(p) for step in animation.steps for p in step.products.ravel()],
        ),
        output=Grid(
            f"output ({width}×{height})",
            [[short_number(v) for v in row] for row in animation.output.tolist()],
            row_labels=[str(animation.top + r) for r in range(animation.shape[0])],
            col_labels=[str(animation.left + c) for c in range(animation.shape[1])],
        ),
    )


def _slide(
    animation: Animation, step: PixelComputation, value: float, figure: SlidingFigure
) -> Slide:
    window = animation.window(step)
    lines = _wrap(multiply_add(step, times="·"), figure) + [result_line(step, value)]
    return Slide(
        taps=window.taps,
        span=window.span,
        output=window.output,
        output_text=short_number(value),
        products=[[short_number(p) for p in row] for row in step.products.tolist()],
        lines=lines,
    )


def _wrap(pieces: list[str], figure: SlidingFigure) -> list[str]:
    """The terms joined into lines that fit the figure, as many lines as leave one for the
    result; terms past them are cut with "…"."""
    room, space = figure.equation_width - 8, figure.text_width(" ")
    lines: list[str] = []
    used = 0.0
    for piece in pieces:
        width = figure.text_width(piece)
        if lines and used + space + width <= room:
            lines[-1] = f"{lines[-1]} {piece}"
            used += space + width
        else:
            lines.append(piece)
            used = width
    if len(lines) > MAX_EQUATION_LINES - 1:
        lines = lines[: MAX_EQUATION_LINES - 1]
        lines[-1] += " + …"
    return lines


def _legend(animation: Animation) -> str:
    count = len(animation.steps)
    return (
        f"{count} output positions: at each, every kernel weight times the sample under it, "
        "summed"
        + (", then scaled and offset" if animation.kernel.scale != 1 else "")
        + "; the output matrix fills in as the kernel slides."
    )


def _signed(weight: float) -> str:
    text = short_number(weight)
    return f"({text})" if text.startswith("-") else text
