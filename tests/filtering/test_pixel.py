"""One output pixel written out: the taps read what the naive reference says they read."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli.errors import UsageError
from convcli.filtering.pipeline import FilterOptions
from convcli.filtering.pixel import explain_pixel
from convcli.images.picture import Picture
from convcli.kernels import Kernel
from tests.naive import axis_reads

BORDERS = ["reflect", "mirror", "nearest", "wrap", "constant"]


def naive_sum(plane, weights, options, x, y) -> float:
    """Σ weights[j] × sample read by tap j, the reads from tests/naive.py."""
    reads = [
        axis_reads(
            n,
            k,
            padding=options.padding,
            stride=options.stride,
            dilation=options.dilation,
            turned=options.convolve,
            border=options.border,
        )
        for n, k in zip(plane.shape, weights.shape, strict=True)
    ]
    rows, cols = reads[0][y], reads[1][x]
    terms = [
        weights[a, b] * (options.fill if r is None or c is None else float(plane[r, c]))
        for a, r in enumerate(rows)
        for b, c in enumerate(cols)
    ]
    return math.fsum(terms)


@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 5),
    st.integers(1, 4),
    st.sampled_from(BORDERS),
    st.sampled_from(["same", "valid", "full"]),
    st.integers(1, 3),
    st.integers(1, 2),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_every_tap_reads_what_the_reference_reads(
    height, width, rows, cols, border, padding, stride, dilation, convolve, seed
):
    rng = np.random.default_rng(seed)
    plane = rng.integers(0, 256, (height, width)).astype(np.uint8)
    weights = rng.integers(-4, 5, (rows, cols)).astype(float)
    options = FilterOptions(
        border=border, fill=7, padding=padding, stride=stride, dilation=dilation, convolve=convolve
    )
    picture = Picture(plane[:, :, None], "L")
    span = [dilation * (k - 1) + 1 for k in (rows, cols)]
    if padding == "valid" and (span[0] > height or span[1] > width):
        return
    lengths = [
        len(
            axis_reads(
                n,
                k,
                padding=padding,
                stride=stride,
                dilation=dilation,
                turned=convolve,
                border=border,
            )
        )
        for n, k in zip((height, width), (rows, cols), strict=True)
    ]
    y, x = rng.integers(0, lengths[0]), rng.integers(0, lengths[1])
    computation = explain_pixel(
        picture, Kernel(name="k", weights=weights), options, int(x), int(y), 0
    )
    assert computation.total == naive_sum(plane, weights, options, int(x), int(y))
    positions = np.add.outer(np.asarray(computation.rows), np.zeros(cols))
    in_rows = (positions >= 0) & (positions < height)
    in_cols = (np.asarray(computation.cols) >= 0) & (np.asarray(computation.cols) < width)
    assert (computation.outside == ~(in_rows & in_cols[None, :])).all()


def test_a_convolution_shows_the_kernel_turned():
    weights = np.arange(9.0).reshape(3, 3)
    picture = Picture(np.zeros((5, 5, 1), np.uint8), "L")
    turned = explain_pixel(
        picture, Kernel(name="k", weights=weights), FilterOptions(convolve=True), 2, 2, 0
    )
    assert turned.turned and (turned.weights == weights[::-1, ::-1]).all()


def test_scale_and_offset_follow_the_sum():
    kernel = Kernel(
        name="k", weights=np.ones((3, 3)), scale=1 / 9, offset=0.5, offset_relative=True
    )
    picture = Picture(np.full((4, 4, 1), 90, np.uint8), "L")
    computation = explain_pixel(picture, kernel, FilterOptions(), 1, 1, 0)
    assert computation.total == 810
    assert computation.value == pytest.approx(90 + 127.5)


def test_alpha_and_positions_outside_the_output_are_refused():
    picture = Picture(np.zeros((4, 4, 2), np.uint8), "LA")
    with pytest.raises(UsageError, match="alpha is carried through unfiltered"):
        explain_pixel(picture, Kernel(name="k", weights=np.ones((3, 3))), FilterOptions(), 0, 0, 1)
    with pytest.raises(UsageError, match="`at` 4,0 lies outside the output, which is 4×4"):
        explain_pixel(picture, Kernel(name="k", weights=np.ones((3, 3))), FilterOptions(), 4, 0, 0)
