"""Bands of output rows on threads: every band once, and none started after an interrupt;
regions of the output: the interior borrows the image's rows, the frame copies them."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from convcli.engine import api, correlate, plan
from convcli.engine.request import build_request
from convcli.engine.strips import (
    MIN_BAND_ROWS,
    TALL_STRIP_BYTES,
    Region,
    band_height,
    regions,
    run_bands,
)
from convcli.errors import EngineArgumentError


def rows(total: int) -> Any:
    """The one thing ``run_bands`` reads from a request: how many output rows there are."""
    return SimpleNamespace(rows=SimpleNamespace(length=total))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_every_band_is_computed_once(threads: int) -> None:
    """Bands cover the rows exactly, whatever the thread count."""
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(first: int, last: int) -> None:
        with lock:
            seen.append((first, last))

    run_bands(rows(1000), 64, threads, work)
    assert sorted(seen) == [(first, min(first + 64, 1000)) for first in range(0, 1000, 64)]


def test_an_interrupt_drops_the_bands_not_yet_started() -> None:
    """Ctrl-C during a threaded run stops it after the bands already running, not after all
    of them (which made an interrupted 4000×3000 Gaussian take 2 s more to exit)."""
    started: list[int] = []
    lock = threading.Lock()

    def work(first: int, last: int) -> None:
        with lock:
            started.append(first)
        if first == 0:
            raise KeyboardInterrupt
        time.sleep(0.002)  # a band takes a while, as real ones do

    with pytest.raises(KeyboardInterrupt):
        run_bands(rows(2_000), 10, 2, work)
    assert len(started) < 20, f"{len(started)} of 200 bands ran after the interrupt"


SHAPES = [(37, 41, 3), (9, 5, 1), (4, 4, 2), (64, 3, 1)]
GEOMETRIES = [
    # kernel shape, padding, stride, dilation
    ((3, 3), "same", 1, 1),
    ((4, 2), "same", 1, 1),
    ((5, 5), "full", 1, 1),
    ((3, 5), "valid", 1, 1),
    ((3, 3), "same", 2, 1),
    ((2, 3), "same", (3, 2), (1, 2)),
    ((7, 7), "same", 1, 3),
]


def a_request(shape: tuple[int, ...], geometry: Any, dtype: Any = np.float32) -> Any:
    kernel_shape, padding, stride, dilation = geometry
    image = np.random.default_rng(3).random(shape).astype(dtype)
    kernel = np.random.default_rng(4).normal(size=kernel_shape)
    try:
        return build_request(
            image,
            kernel,
            border="reflect",
            fill=0.0,
            padding=padding,
            stride=stride,
            dilation=dilation,
            turned=False,
            magnitude=None,
        )
    except EngineArgumentError:  # a valid padding larger than the image
        return None


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_regions_cover_the_output_once(shape: tuple[int, ...], geometry: Any) -> None:
    """The interior and the frame around it tile the output: every sample in one region."""
    request = a_request(shape, geometry)
    if request is None:
        return
    covered = np.zeros(request.out_shape[:2], dtype=int)
    for region in regions(request):
        covered[region.rows, region.cols] += 1
        assert covered[region.rows, region.cols].shape == (
            region.request.rows.length,
            region.request.cols.length,
        )
    assert (covered == 1).all()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_the_interior_reads_only_image_samples(shape: tuple[int, ...], geometry: Any) -> None:
    """Only a region whose every tap lands inside the image may borrow the image's rows."""
    request = a_request(shape, geometry)
    if request is None:
        return
    height, width = shape[:2]
    for region in regions(request):
        rows, cols = region.request.rows, region.request.cols
        fits = (
            rows.start >= 0
            and rows.start + rows.extent <= height
            and cols.start >= 0
            and cols.start + cols.extent <= width
        )
        if region.interior:
            assert fits
        elif len(regions(request)) > 1:
            assert not fits, "a frame region that needs no border sample"


@pytest.mark.parametrize("method", ["direct", "separable"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_borrowing_the_interior_changes_no_bit(
    method: str, dtype: Any, geometry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cutting the output into regions gives the very bits of copying every strip, and the
    input, which the interior's strips are views of, is never written (it is read-only)."""
    kernel_shape, padding, stride, dilation = geometry
    image = np.random.default_rng(5).random((53, 47, 3)).astype(dtype)
    image.setflags(write=False)
    kernel = np.outer(np.arange(1, kernel_shape[0] + 1), np.arange(kernel_shape[1], 0, -1)) / 7.0
    options: dict[str, Any] = {
        "padding": padding,
        "stride": stride,
        "dilation": dilation,
        "method": method,
    }
    cut = correlate(image, kernel, **options)
    monkeypatch.setattr(api, "regions", lambda request: [Region(request, slice(None), slice(None))])
    whole = correlate(image, kernel, **options)
    assert cut.dtype == whole.dtype == dtype
    np.testing.assert_array_equal(cut, whole)


def _blur_request(width: int, side: int) -> Any:
    image = np.zeros((400, width, 3), dtype=np.float32)
    return build_request(
        image,
        np.ones((side, side)),
        border="reflect",
        fill=0.0,
        padding="same",
        stride=1,
        dilation=1,
        turned=False,
    )


@pytest.mark.parametrize("side", [3, 19, 31])
def test_a_band_is_at_least_twice_as_tall_as_the_rows_it_reads_again(side: int) -> None:
    """Every band reads ``side - 1`` rows beyond its own: a tall kernel's band has at least
    twice that many rows, or as many as a strip and three band buffers within
    TALL_STRIP_BYTES hold, whatever STRIP_BYTES alone would give (8 rows for a 19×19 blur on
    a 4K float32 picture)."""
    request = _blur_request(3840, side)
    height, halo, row_bytes = band_height(request, itemsize=4, buffers=3), side - 1, 3840 * 12

    def footprint(rows: int) -> int:
        return (rows + halo + 3 * rows) * row_bytes

    assert height >= MIN_BAND_ROWS
    assert height >= 2 * halo or footprint(height + 1) > TALL_STRIP_BYTES
    assert footprint(height) <= max(TALL_STRIP_BYTES, footprint(MIN_BAND_ROWS))
    if side == 19:
        assert height >= 36


def test_a_band_of_a_tall_kernel_on_a_very_wide_picture_stays_within_memory() -> None:
    """Where twice the halo would not fit TALL_STRIP_BYTES, the memory bound wins."""
    request = _blur_request(60_000, 31)
    assert band_height(request, itemsize=8, buffers=3) < 60


@pytest.mark.parametrize("method", ["direct", "separable"])
def test_band_heights_change_no_bit(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The way the output is cut into bands never changes a result, float or exact."""
    image = np.random.default_rng(8).random((97, 61, 3)).astype(np.float32)
    kernel = np.outer(np.arange(1, 12), np.arange(11, 0, -1)) / 50.0
    usual = correlate(image, kernel, method=method)
    for rows_per_band in (1, 8, 40):
        monkeypatch.setattr(plan, "band_height", lambda *args, n=rows_per_band, **kw: n)
        np.testing.assert_array_equal(correlate(image, kernel, method=method), usual)
