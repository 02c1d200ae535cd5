"""The FFT strategy: overlap-save over bands of rows, for large kernels that do not separate.

Each band's extended rows are zero-padded to a 5-smooth size, transformed with NumPy's real FFT,
multiplied by the kernel's spectrum (computed once) and transformed back; the rows the circular
wrap-around cannot reach are the band's output. Memory stays at a few band-sized arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.geometry import AxisPlan

#: Aim for transforms of about this many samples per channel (keeps a band near 16 MiB).
FFT_SAMPLES = 1 << 20


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


def band_rows(rows: AxisPlan, width: int) -> int:
    """Output rows per band: tall enough to amortise the halo, small enough to stay bounded."""
    span = (rows.taps - 1) * rows.dilation + 1
    budget_rows = max(FFT_SAMPLES // max(width, 1), 2 * span)
    count = max(1, (budget_rows - span + 1) // rows.stride)
    return min(rows.length, max(count, 1))


class Spectrum:
    """The kernel's transform, padded to one band's transform size."""

    def __init__(
        self,
        kernel: npt.NDArray[np.float64],
        rows: AxisPlan,
        cols: AxisPlan,
        band_height: int,
        width: int,
        dtype: np.dtype[Any],
    ) -> None:
        span_r = (rows.taps - 1) * rows.dilation + 1
        span_c = (cols.taps - 1) * cols.dilation + 1
        dilated = np.zeros((span_r, span_c))
        dilated[:: rows.dilation, :: cols.dilation] = kernel
        self.rows_in = (band_height - 1) * rows.stride + span_r
        self.shape = (next_smooth(self.rows_in), next_smooth(width))
        self.span = (span_r, span_c)
        flipped = dilated[::-1, ::-1].astype(dtype)  # correlation = convolution, kernel turned
        self.values = np.fft.rfft2(flipped, s=self.shape)[:, :, np.newaxis]


def correlate_strip(
    strip: npt.NDArray[Any],
    spectrum: Spectrum,
    rows: AxisPlan,
    cols: AxisPlan,
    count: int,
    out: npt.NDArray[Any],
) -> None:
    """Write ``count`` output rows into ``out`` from an extended ``strip``."""
    transform = np.fft.rfft2(strip, s=spectrum.shape, axes=(0, 1))
    transform *= spectrum.values
    full = np.fft.irfft2(transform, s=spectrum.shape, axes=(0, 1))
    span_r, span_c = spectrum.span
    top, left = span_r - 1, span_c - 1
    out[...] = full[
        top : top + (count - 1) * rows.stride + 1 : rows.stride,
        left : left + (cols.length - 1) * cols.stride + 1 : cols.stride,
    ]
