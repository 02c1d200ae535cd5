"""The FFT strategy: overlap-save over tiles, for large kernels that do not separate.

Each band of output rows is cut into column tiles. A tile's extended input (the tile plus the
kernel's halo) is zero-padded to a 5-smooth size, transformed with NumPy's real FFT, multiplied
by the kernel's spectrum (computed once, since every tile has the same transform size) and
transformed back; the samples the circular wrap-around cannot reach are the tile's output.
Memory stays at a band's strip plus one tile's transforms per thread, and pocketfft releases
the GIL, so tiles on several threads run in parallel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.geometry import AxisPlan

#: Transform sizes per tile (rows, columns), grown to powers of two at least twice the kernel's
#: span: measured fastest here (a random 31×31 at 4K: 212 ms, against 320 ms for 160×1080).
TRANSFORM_ROWS = 256
TRANSFORM_COLS = 512
#: Whole-number sums up to this bound come out of a float64 FFT well within 0.5 of the exact
#: sum (measured: at most about 1e-3 at this bound), so ``rint`` recovers them exactly.
EXACT_SUM = 2.0**42


@dataclass(frozen=True)
class KernelLimbs:
    """Whole-number weights as ``sum_k 2**(k * bits) * parts[k]``, each part's sums within
    EXACT_SUM, so each part's FFT rounds back to its exact sums."""

    parts: list[npt.NDArray[np.float64]]
    bits: int

    @property
    def count(self) -> int:
        return len(self.parts)


def kernel_limbs(matrix: npt.NDArray[np.float64], samples: int) -> KernelLimbs:
    """Split whole-number ``matrix`` so that each part times |samples| <= ``samples`` is exact."""
    total = float(np.abs(matrix).sum())
    if total * max(samples, 1) <= EXACT_SUM:
        return KernelLimbs([matrix], 0)
    bits = int(math.log2(EXACT_SUM / (matrix.size * max(samples, 1))))
    whole = matrix.astype(np.int64)
    parts = []
    while True:
        rest = whole >> bits  # floors, so the digit below is 0 .. 2**bits - 1 for any sign
        if float(np.abs(whole).sum()) * samples <= EXACT_SUM:
            parts.append(whole.astype(np.float64))
            return KernelLimbs(parts, bits)
        parts.append((whole - (rest << bits)).astype(np.float64))
        whole = rest


def next_smooth(n: int) -> int:
    """The smallest 2^a·3^b·5^c at least ``n``: sizes pocketfft transforms fastest."""
    best = 1 << max(0, (n - 1).bit_length())
    fives = 1
    while fives < best:
        threes = fives
        while threes < best:
            size = threes
            while size < n:
                size *= 2
            best = min(best, size)
            threes *= 3
        fives *= 5
    return best


def _tile(axis: AxisPlan, base: int) -> int:
    """Output samples per tile along an axis, so that tile + halo fills a power-of-two transform."""
    span = axis.span
    size = base
    while size < 2 * span:
        size *= 2
    return max(1, min(axis.length, (size - span) // axis.stride + 1))


def band_rows(rows: AxisPlan) -> int:
    """Output rows per band (one row of tiles)."""
    return _tile(rows, TRANSFORM_ROWS)


def tile_columns(cols: AxisPlan) -> int:
    return _tile(cols, TRANSFORM_COLS)


def transform_shape(rows: AxisPlan, cols: AxisPlan) -> tuple[int, int]:
    """The padded transform size of one tile."""
    height = (band_rows(rows) - 1) * rows.stride + rows.span
    width = (tile_columns(cols) - 1) * cols.stride + cols.span
    return next_smooth(height), next_smooth(width)


class Spectrum:
    """The kernel's transform at the tile transform size (one per limb of the weights)."""

    def __init__(
        self,
        limbs: KernelLimbs,
        rows: AxisPlan,
        cols: AxisPlan,
        dtype: np.dtype[Any],
        *,
        snap: bool,
    ) -> None:
        self.span = (rows.span, cols.span)
        self.shape = transform_shape(rows, cols)
        self.values = []
        for part in limbs.parts:
            dilated = np.zeros(self.span)
            dilated[:: rows.dilation, :: cols.dilation] = part
            flipped = dilated[::-1, ::-1].astype(dtype)  # correlation = convolution, turned
            self.values.append(np.fft.rfft2(flipped, s=self.shape))
        self.bits = limbs.bits
        self.snap = snap


def correlate_strip(
    strip: npt.NDArray[Any],
    spectrum: Spectrum,
    rows: AxisPlan,
    cols: AxisPlan,
    count: int,
    out: npt.NDArray[Any],
) -> None:
    """Write ``count`` output rows into ``out`` from an extended ``strip``, tile by tile."""
    span_r, span_c = spectrum.span
    tile = tile_columns(cols)
    height_in = (count - 1) * rows.stride + span_r
    for first in range(0, cols.length, tile):
        last = min(first + tile, cols.length)
        left = first * cols.stride
        width_in = (last - first - 1) * cols.stride + span_c
        # Channels first, so each channel's transform runs over contiguous memory.
        block = np.moveaxis(strip[:height_in, left : left + width_in], 2, 0)
        transform = np.fft.rfft2(block, s=spectrum.shape)
        window = (
            slice(None),
            slice(span_r - 1, span_r - 1 + (count - 1) * rows.stride + 1, rows.stride),
            slice(span_c - 1, span_c - 1 + (last - first - 1) * cols.stride + 1, cols.stride),
        )
        target = out[:, first:last]
        for number, values in enumerate(spectrum.values):
            if len(spectrum.values) == 1:
                product = transform
                product *= values
            else:
                product = transform * values
            valid = np.moveaxis(np.fft.irfft2(product, s=spectrum.shape)[window], 0, 2)
            if spectrum.snap:
                valid = np.rint(valid)  # within 0.5 of the exact sum: the sum itself
            if number == 0:
                target[...] = valid
            else:  # whole numbers below 2^53: the shifted sum is exact
                target += np.ldexp(valid, number * spectrum.bits)


def correlate_across_channels(
    image: npt.NDArray[np.float64], kernels: npt.NDArray[np.float64], threads: int = 1
) -> npt.NDArray[np.float64]:
    """``Σ_c correlate(image[..., c], kernels[..., c])`` where the kernels fit wholly (valid).

    One kernel per channel, summed: the channels' products are added in the frequency domain,
    so C channels cost C forward transforms and one inverse per tile, whose size
    :func:`_cheapest_shape` picks.
    """
    height, width, channels = image.shape
    rows, cols = kernels.shape[:2]
    out = np.empty((height - rows + 1, width - cols + 1))
    shape = _cheapest_shape(out.shape, (rows, cols), max(1, threads))
    step = (shape[0] - rows + 1, shape[1] - cols + 1)
    flipped = np.ascontiguousarray(np.moveaxis(kernels[::-1, ::-1], 2, 0))
    spectrum = np.fft.rfft2(flipped, s=shape)
    planes = np.moveaxis(image, 2, 0)

    def tile(corner: tuple[int, int]) -> None:
        top, left = corner
        bottom, right = min(top + step[0], out.shape[0]), min(left + step[1], out.shape[1])
        block = planes[:, top : bottom + rows - 1, left : right + cols - 1]
        product = np.fft.rfft2(block, s=shape)
        product *= spectrum
        summed = np.fft.irfft2(product.sum(axis=0), s=shape)
        out[top:bottom, left:right] = summed[
            rows - 1 : rows - 1 + bottom - top, cols - 1 : cols - 1 + right - left
        ]

    corners = [
        (t, c) for t in range(0, out.shape[0], step[0]) for c in range(0, out.shape[1], step[1])
    ]
    if threads <= 1 or len(corners) == 1:
        for corner in corners:
            tile(corner)
        return out
    from concurrent.futures import ThreadPoolExecutor  # one-thread runs skip its 5 ms

    pool = ThreadPoolExecutor(max_workers=min(threads, len(corners)))
    try:
        for future in [pool.submit(tile, corner) for corner in corners]:
            future.result()
    finally:  # on Ctrl-C the tiles not yet started are dropped, as the engine's bands are
        pool.shutdown(wait=True, cancel_futures=True)
    return out


def _cheapest_shape(out: tuple[int, int], span: tuple[int, int], threads: int) -> tuple[int, int]:
    """The tile transform size that costs least over the whole output: tiles shared among the
    threads, each costing the usual size·log2(size), sizes from 256 up to the whole image."""

    def sizes(length: int, taps: int) -> list[int]:
        whole, size, found = next_smooth(length + taps - 1), next_smooth(max(256, 2 * taps)), []
        while size < whole:
            found.append(size)
            size = next_smooth(size * 2)
        return [*found, whole]

    def cost(shape: tuple[int, int]) -> float:
        tiles = math.prod(
            -(-n // (size - k + 1)) for n, k, size in zip(out, span, shape, strict=True)
        )
        area = shape[0] * shape[1]
        return -(-tiles // threads) * area * math.log2(area)

    candidates = [(r, c) for r in sizes(out[0], span[0]) for c in sizes(out[1], span[1])]
    return min(candidates, key=cost)
