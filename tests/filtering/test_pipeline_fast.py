"""The rounded fast path gives exactly the pixels of the general path, and is taken when it can."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli.filtering.pipeline import FilterOptions, filter_picture, filter_picture_rounded
from convcli.filtering.quantize import quantize
from convcli.images.picture import Picture
from convcli.kernels import Kernel

LAYOUTS = ["L", "LA", "RGB", "RGBA"]


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    layout=st.sampled_from(LAYOUTS),
    source_bits=st.sampled_from([8, 16]),
    depth=st.sampled_from(["8", "16"]),
    border=st.sampled_from(["reflect", "mirror", "nearest", "wrap", "constant"]),
    padding=st.sampled_from(["same", "valid", "full"]),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 2),
    convolve=st.booleans(),
    scale=st.sampled_from([1.0, 1 / 16, 1 / 9, 0.5, 3.0]),
    offset=st.sampled_from([(0.0, False), (10.0, False), (0.5, True)]),
)
def test_the_fast_path_equals_the_general_path(
    data, layout, source_bits, depth, border, padding, stride, dilation, convolve, scale, offset
):
    """Same pixels and same clipping counts, for every layout, depth, geometry and kernel."""
    dtype = np.uint8 if source_bits == 8 else np.uint16
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    height, width = data.draw(st.integers(6, 14)), data.draw(st.integers(6, 14))
    pixels = rng.integers(0, np.iinfo(dtype).max + 1, size=(height, width, len(layout)))
    picture = Picture(pixels.astype(dtype), layout)
    shape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    integral = data.draw(st.booleans())
    weights = rng.integers(-2, 4, size=shape) if integral else rng.normal(size=shape)
    kernel = Kernel(
        name="k", weights=weights, scale=scale, offset=offset[0], offset_relative=offset[1]
    )
    options = FilterOptions(
        convolve=convolve, border=border, padding=padding, stride=stride, dilation=dilation
    )
    out_dtype = np.dtype(np.uint8 if depth == "8" else np.uint16)
    fast = filter_picture_rounded(picture, [kernel], options, out_dtype)
    assert fast is not None
    general, clipped = quantize(filter_picture(picture, [kernel], options), depth)
    np.testing.assert_array_equal(fast[0], general.pixels)
    assert fast[1] == (clipped.low, clipped.high, clipped.total)


def test_the_general_path_is_used_where_the_fast_one_cannot_go():
    """Chains, repeats, gray, premultiply and float samples all take the general path."""
    picture = Picture(np.zeros((4, 4, 3), dtype=np.uint8), "RGB")
    kernel = Kernel(name="k", weights=np.ones((3, 3)))
    cases = [
        ([kernel, kernel], FilterOptions()),
        ([kernel], FilterOptions(repeat=2)),
        ([kernel], FilterOptions(gray=True)),
        ([kernel], FilterOptions(premultiply=True)),
    ]
    for chain, options in cases:
        assert filter_picture_rounded(picture, chain, options, np.dtype(np.uint8)) is None
    floats = Picture(np.zeros((4, 4, 1), dtype=np.float32), "L")
    assert filter_picture_rounded(floats, [kernel], FilterOptions(), np.dtype(np.uint8)) is None
