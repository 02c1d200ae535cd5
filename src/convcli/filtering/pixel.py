"""One output pixel's computation, written out: the window under the kernel, the products and
their sum, then scale, offset and the output depth. What ``convcli explain`` shows.

The taps read the input exactly as the engine does (the same output geometry, anchor and
border rule, :mod:`convcli.engine.geometry` and :mod:`convcli.engine.borders`); the value
written to a file is not recomputed here but taken from the real run, so the two can be shown
side by side and must agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from convcli.engine.borders import source_indices
from convcli.engine.geometry import AxisPlan, plan_axis
from convcli.engine.modes import canonical_border
from convcli.errors import UsageError
from convcli.filtering.pipeline import FilterOptions
from convcli.images.picture import Picture
from convcli.kernels import AnyKernel, Kernel


@dataclass(frozen=True)
class PixelComputation:
    """Every number of one output sample: ``Σ weights × samples``, then ``× scale + offset``."""

    x: int  #: output column
    y: int  #: output row
    channel: str
    border: str  #: the border rule's canonical name
    turned: bool  #: the kernel was turned 180° (true convolution)
    rows: tuple[int, ...]  #: input row each kernel row reads (may lie outside the image)
    cols: tuple[int, ...]  #: input column each kernel column reads
    outside: npt.NDArray[np.bool_]  #: the taps whose sample comes from the border rule
    samples: npt.NDArray[np.float64]  #: the sample each tap reads
    weights: npt.NDArray[np.float64]  #: the kernel as applied (turned, if convolving)
    scale: float
    offset: float  #: in image units

    @property
    def products(self) -> npt.NDArray[np.float64]:
        return self.weights * self.samples

    @property
    def total(self) -> float:
        """The sum of the products, in float64 (``math.fsum``: the exact sum, rounded once)."""
        return math.fsum(self.products.ravel().tolist())

    @property
    def value(self) -> float:
        """``total × scale + offset``: the filtered value in image units, before the output
        depth, rounding and clipping."""
        return self.total * self.scale + self.offset


def one_plain_kernel(chain: Sequence[AnyKernel]) -> Kernel:
    """The chain's kernel if it is one plain matrix: the only kind whose computation at a pixel
    is one window's multiply-and-add."""
    if len(chain) != 1 or not isinstance(chain[0], Kernel):
        raise UsageError("one plain kernel is shown at work: not a chain or a combined kernel")
    return chain[0]


def explain_pixel(
    picture: Picture, kernel: Kernel, options: FilterOptions, x: int, y: int, channel: int
) -> PixelComputation:
    """The computation of output sample (``x``, ``y``) of ``channel`` for one plain kernel."""
    letter = picture.layout[channel]
    if letter == "A" and options.channels is None and not options.premultiply:
        raise UsageError("alpha is carried through unfiltered: pick a colour `channel`")
    border = canonical_border(options.border, options.fill)
    axes = output_axes(picture, kernel, options)
    if not (0 <= y < axes[0].length and 0 <= x < axes[1].length):
        raise UsageError(
            f"`at` {x},{y} lies outside the output, which is {axes[1].length}×{axes[0].length}"
        )
    rows, cols = _positions(axes[0], y), _positions(axes[1], x)
    samples, outside = read_positions(picture, channel, rows, cols, options)
    weights = np.asarray(kernel.weights, dtype=np.float64)
    if options.convolve:
        weights = weights[::-1, ::-1]
    return PixelComputation(
        x=x,
        y=y,
        channel=letter,
        border=border,
        turned=options.convolve,
        rows=tuple(rows),
        cols=tuple(cols),
        outside=outside,
        samples=samples,
        weights=weights,
        scale=kernel.scale,
        offset=kernel.offset_for(picture.full_range),
    )


def read_positions(
    picture: Picture,
    channel: int,
    rows: Sequence[int],
    cols: Sequence[int],
    options: FilterOptions,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The samples at input positions ``rows × cols`` (increasing, evenly spaced) of
    ``channel``, positions outside the image read by the border rule as the engine reads
    them; and which positions lie outside."""
    border = canonical_border(options.border, options.fill)
    step = rows[1] - rows[0] if len(rows) > 1 else 1
    source_rows = source_indices(picture.height, rows[0], rows[-1], border)[::step]
    step = cols[1] - cols[0] if len(cols) > 1 else 1
    source_cols = source_indices(picture.width, cols[0], cols[-1], border)[::step]
    inside = (source_rows[:, None] >= 0) & (source_cols[None, :] >= 0)
    read = picture.pixels[np.maximum(source_rows, 0)[:, None], np.maximum(source_cols, 0), channel]
    samples = np.where(inside, read.astype(np.float64), options.fill)
    row_in = (np.asarray(rows) >= 0) & (np.asarray(rows) < picture.height)
    col_in = (np.asarray(cols) >= 0) & (np.asarray(cols) < picture.width)
    return samples, ~(row_in[:, None] & col_in[None, :])


def output_axes(picture: Picture, kernel: Kernel, options: FilterOptions) -> list[AxisPlan]:
    """The row and column plans of the output (its size, and where each tap reads), as the
    engine makes them."""
    return [
        plan_axis(
            n,
            taps,
            padding=options.padding,  # type: ignore[arg-type]
            stride=options.stride,
            dilation=options.dilation,
            turned=options.convolve,
        )
        for n, taps in zip((picture.height, picture.width), kernel.shape, strict=True)
    ]


def _positions(axis: AxisPlan, output: int) -> list[int]:
    """The input position each tap of output sample ``output`` reads, tap 0 first."""
    first = axis.start + output * axis.stride
    return [first + tap * axis.dilation for tap in range(axis.taps)]
