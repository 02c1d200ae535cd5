"""Horizontal strips: the unit of work that keeps every strategy's data in the CPU cache.

The output is cut into bands of rows. For each band, the input rows it needs, extended by the
border rule on all sides, are gathered into a small buffer of the accumulator's type; a strategy
turns that buffer into the band's output. Bands are independent, so threads can share them out
(NumPy releases the GIL inside its loops), and the way the image is cut never changes a result.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine.borders import source_indices
from convcli.engine.geometry import AxisPlan
from convcli.engine.request import Request

#: A band's buffers together aim at about this many bytes: inside a 1-2 MiB L2 cache.
STRIP_BYTES = 2 * 1024 * 1024
#: At least this many output rows per band, so NumPy's per-call cost (about 1.5 µs) stays small.
MIN_BAND_ROWS = 8
#: Tall kernels: a band's rows are at least this many times its halo, within TALL_STRIP_BYTES
#: (a 4K float32 band of a 19×19 blur was 8 rows under 18 halo rows: 26 read for 8 written;
#: forced separable, 307-376 → 228-285 ms, box 15×15 141-184 → 116-126 ms).
HALO_SHARE = 2
TALL_STRIP_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Band:
    """Output rows ``first..last-1`` and the extended input rows they read."""

    first: int
    last: int
    #: Source row of each extended row (-1 = outside the image, for the constant border).
    sources: npt.NDArray[np.intp]


class StripReader:
    """Builds extended input strips for bands of output rows.

    A reader that may ``borrow`` hands out the image's own rows, not a copy, for a band that
    needs no border samples and no change of type; its strategy must only read its strips.
    """

    def __init__(self, request: Request, dtype: np.dtype[Any], *, borrow: bool = False) -> None:
        self.request = request
        self.dtype = dtype
        cols = request.cols
        height, width = request.image.shape[:2]
        self.first_col = cols.start
        last_col = cols.start + cols.extent - 1
        self.width = last_col - self.first_col + 1
        # The run of extended columns that are plain image columns, copied as one slice.
        self.inner = (max(0, -self.first_col), min(self.width, width - self.first_col))
        self.inner_source = (
            max(0, self.first_col),
            max(0, self.first_col) + self.inner[1] - self.inner[0],
        )
        positions = np.arange(self.width)
        outer = (positions < self.inner[0]) | (positions >= self.inner[1])
        self.outer_positions = positions[outer]
        self.outer_sources = source_indices(width, self.first_col, last_col, request.border)[outer]
        self.height = height
        self.borrow = borrow and request.image.dtype == dtype and not len(self.outer_positions)

    def band(self, first: int, last: int) -> Band:
        rows = self.request.rows
        top = first * rows.stride + rows.start
        bottom = (last - 1) * rows.stride + rows.start + rows.span - 1
        return Band(first, last, source_indices(self.height, top, bottom, self.request.border))

    def read(self, band: Band, out: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Fill ``out`` (at least rows × width × C) with the band's extended rows."""
        image, fill = self.request.image, self.request.fill
        sources = band.sources
        strip = out[: len(sources), : self.width]
        (a, b), (c0, c1) = self.inner, self.inner_source
        first = int(sources[0])
        if first >= 0 and np.array_equal(sources, np.arange(first, first + len(sources))):
            rows: npt.NDArray[Any] = image[first : first + len(sources)]
            if self.borrow:
                return rows[:, c0:c1]
        else:
            rows = image[np.clip(sources, 0, None)]
        if b > a:
            np.copyto(strip[:, a:b], rows[:, c0:c1], casting="unsafe")
        if len(self.outer_positions):
            outer = self.outer_sources
            values = rows[:, np.clip(outer, 0, None)]
            strip[:, self.outer_positions] = values
            if self.request.border == "constant":
                strip[:, self.outer_positions[outer < 0]] = fill
        if self.request.border == "constant":
            strip[sources < 0] = fill
        return strip


@dataclass(frozen=True)
class Region:
    """A rectangle of the output, as a request of its own (its axes start where it does)."""

    request: Request
    rows: slice
    cols: slice
    #: Every sample its outputs read lies inside the image: its strips can be borrowed.
    interior: bool = False


def inside(axis: AxisPlan, size: int) -> tuple[int, int]:
    """The outputs ``lo..hi-1`` of ``axis`` whose taps all fall inside ``size`` samples."""
    lo = -(axis.start // axis.stride) if axis.start < 0 else 0
    hi = (size - axis.span - axis.start) // axis.stride + 1
    lo, hi = min(lo, axis.length), min(hi, axis.length)
    return lo, max(lo, hi)


def regions(request: Request) -> list[Region]:
    """The output as its interior, whose strips are plain image rows, and the frame around it
    that the border rule reaches (top and bottom across, left and right between them).

    Each output sample's arithmetic is the same whichever region computes it.
    """
    height, width = request.image.shape[:2]
    top, bottom = inside(request.rows, height)
    left, right = inside(request.cols, width)
    if top == bottom or left == right:
        return [Region(request, slice(None), slice(None))]
    rows_length, cols_length = request.rows.length, request.cols.length

    def part(r0: int, r1: int, c0: int, c1: int, interior: bool = False) -> Region:
        rows, cols = request.rows, request.cols
        sub = replace(
            request,
            rows=replace(rows, start=rows.start + r0 * rows.stride, length=r1 - r0),
            cols=replace(cols, start=cols.start + c0 * cols.stride, length=c1 - c0),
        )
        return Region(sub, slice(r0, r1), slice(c0, c1), interior)

    parts = [
        part(top, bottom, left, right, interior=True),
        part(0, top, 0, cols_length),
        part(bottom, rows_length, 0, cols_length),
        part(top, bottom, 0, left),
        part(top, bottom, right, cols_length),
    ]
    return [p for p in parts if p.request.rows.length and p.request.cols.length]


def band_height(request: Request, itemsize: int, buffers: int) -> int:
    """Output rows per band so that the strip and ``buffers`` band-sized arrays fit STRIP_BYTES,
    and at least HALO_SHARE times the halo (the rows every band reads again) as far as
    TALL_STRIP_BYTES allows."""
    rows, cols = request.rows, request.cols
    row_bytes = max(1, cols.length * cols.stride * request.image.shape[2] * itemsize)
    halo = rows.span - 1

    def fitting(budget: int) -> int:
        return int((budget // row_bytes - halo) // (rows.stride + buffers))

    tall = min(HALO_SHARE * halo, fitting(TALL_STRIP_BYTES))
    return int(min(rows.length, max(fitting(STRIP_BYTES), tall, MIN_BAND_ROWS)))


def usable_cores() -> int:
    """Cores this process may run on (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads(work: int, *, long_calls: bool) -> int:
    """Threads for ``work`` element-passes; ``CONVCLI_THREADS`` overrides the choice.

    Only work whose NumPy calls keep a band busy long (FFTs of whole tiles, direct plans of
    many passes: ``plan.MANY_PASSES``) gets several threads: measured here, a few short
    ufunc calls per band gave two threads 0.85-1.13× the speed of one.
    """
    override = os.environ.get("CONVCLI_THREADS", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return usable_cores() if long_calls and work >= 4_000_000 else 1


def run_bands(
    request: Request, height: int, threads: int, work: Callable[[int, int], None]
) -> None:
    """Call ``work(first, last)`` for every band of output rows, on ``threads`` threads."""
    total = request.rows.length
    bands = [(first, min(first + height, total)) for first in range(0, total, height)]
    if threads <= 1 or len(bands) == 1:
        for first, last in bands:
            work(first, last)
        return
    from concurrent.futures import ThreadPoolExecutor  # one-thread runs skip its 5 ms

    pool = ThreadPoolExecutor(max_workers=min(threads, len(bands)))
    try:
        for future in [pool.submit(work, first, last) for first, last in bands]:
            future.result()
    finally:  # on Ctrl-C (or a failing band) the bands not yet started are dropped, not run
        pool.shutdown(wait=True, cancel_futures=True)


class Scratch(threading.local):
    """Per-thread reusable buffers, so bands do not allocate (and page-fault) every time."""

    def __init__(self) -> None:
        self.buffers: dict[tuple[str, tuple[int, ...], str], npt.NDArray[Any]] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
        key = (name, shape, dtype.str)
        buffer = self.buffers.get(key)
        if buffer is None:
            if len(self.buffers) > 32:
                self.buffers.clear()
            buffer = self.buffers[key] = np.empty(shape, dtype=dtype)
        return buffer
