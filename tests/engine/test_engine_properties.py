"""Properties of the engine that must hold for every small image, kernel and option (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from naive import assert_close, naive_convolve, naive_correlate

from convcli import convolve, correlate
from convcli.engine import BORDERS, PADDINGS
from convcli.errors import EngineArgumentError

PROPERTY = settings(max_examples=60, deadline=None)
FLOAT64 = 1e-9  # float64 results, relative to their scale: far above rounding (about 1e-11 for
# 25 taps of pixels up to 100 times weights up to 10), far below any misplaced tap

OPERATIONS = {"correlate": (correlate, naive_correlate), "convolve": (convolve, naive_convolve)}
operations = st.sampled_from(sorted(OPERATIONS))
borders = st.sampled_from(BORDERS)
paddings = st.sampled_from(PADDINGS)
extending_borders = st.sampled_from([b for b in BORDERS if b != "constant"])
values = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
weight_values = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
float32_values = st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=32)
fills = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def _spatial_shape(ndim, max_side=7):
    sides = st.integers(1, max_side)
    if ndim == 1:
        return st.tuples(sides)
    if ndim == 2:
        return st.tuples(sides, sides)
    return st.tuples(sides, sides, st.integers(1, 3))


@st.composite
def geometries(draw, *, ndim=None, odd_kernel=False):
    """An image shape, a kernel shape and per-axis stride and dilation to go with them."""
    ndim = draw(st.integers(1, 3)) if ndim is None else ndim
    shape = draw(_spatial_shape(ndim))
    taps = st.integers(0, 2).map(lambda t: 2 * t + 1) if odd_kernel else st.integers(1, 5)
    if ndim == 1:
        kernel_shape = (draw(taps),)
        stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    else:
        kernel_shape = draw(st.tuples(taps, taps))
        if not odd_kernel and draw(st.booleans()):
            kernel_shape = kernel_shape[1:]  # a 1-D kernel on an image is one row
        per_axis = st.integers(1, 3) | st.tuples(st.integers(1, 3), st.integers(1, 3))
        stride, dilation = draw(per_axis), draw(per_axis)
    return shape, kernel_shape, stride, dilation


def _fits(shape, kernel_shape, dilation):
    """Whether the dilated kernel fits inside the image (what valid padding needs)."""
    kernel_2d = (1, *kernel_shape) if len(kernel_shape) == 1 else kernel_shape
    image_2d = (1, *shape) if len(shape) == 1 else shape[:2]
    dilations = (dilation, dilation) if isinstance(dilation, int) else dilation
    return all(d * (k - 1) + 1 <= n for k, n, d in zip(kernel_2d, image_2d, dilations, strict=True))


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(),
    operation=operations,
    border=borders,
    padding=paddings,
    fill=fills,
)
def test_agrees_with_the_naive_reference(data, geometry, operation, border, padding, fill):
    """Any image, kernel, border, padding, stride and dilation: the engine is the definition."""
    shape, kernel_shape, stride, dilation = geometry
    image = data.draw(hnp.arrays(np.float64, shape, elements=values), label="image")
    weights = data.draw(
        hnp.arrays(np.float64, kernel_shape, elements=weight_values), label="weights"
    )
    engine, reference = OPERATIONS[operation]
    options = {"border": border, "fill": fill, "padding": padding}
    options |= {"stride": stride, "dilation": dilation}
    if padding == "valid" and not _fits(shape, kernel_shape, dilation):
        with pytest.raises(EngineArgumentError):
            engine(image, weights, **options)
        return
    got = engine(image, weights, **options)
    assert got.dtype == np.float64
    assert_close(got, reference(image, weights, **options), FLOAT64)


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(),
    operation=operations,
    border=borders,
    padding=paddings,
    a=st.floats(-4, 4),
    b=st.floats(-4, 4),
    fills=st.tuples(fills, fills),
)
def test_is_linear(data, geometry, operation, border, padding, a, b, fills):
    """filter(a*x + b*y) = a*filter(x) + b*filter(y) (a constant border's fill mixes the same)."""
    shape, kernel_shape, stride, dilation = geometry
    assume(padding != "valid" or _fits(shape, kernel_shape, dilation))
    x = data.draw(hnp.arrays(np.float64, shape, elements=values), label="x")
    y = data.draw(hnp.arrays(np.float64, shape, elements=values), label="y")
    weights = data.draw(
        hnp.arrays(np.float64, kernel_shape, elements=weight_values), label="weights"
    )
    engine = OPERATIONS[operation][0]
    options = {"border": border, "padding": padding, "stride": stride, "dilation": dilation}
    f, g = fills
    mixed = engine(a * x + b * y, weights, fill=a * f + b * g, **options)
    separate = a * engine(x, weights, fill=f, **options) + b * engine(y, weights, fill=g, **options)
    assert_close(mixed, separate, 1e-8)


@PROPERTY
@given(
    data=st.data(),
    shape=st.integers(1, 3).flatmap(_spatial_shape),
    taps=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    dilation=st.integers(1, 3),
    stride=st.integers(1, 3),
    operation=operations,
    border=borders,
)
def test_identity_kernel_returns_the_image(data, shape, taps, dilation, stride, operation, border):
    """A one-hot kernel whose hot tap sits on the anchor returns the image, for every border."""
    image = data.draw(hnp.arrays(np.float64, shape, elements=values))
    taps = taps[1:] if len(shape) == 1 else taps
    weights = np.zeros(taps)
    anchor = []
    for k in taps:
        offset = (dilation * (k - 1) + 1) // 2  # the anchor, in samples from the first tap
        assume(offset % dilation == 0)  # the anchor must fall on a tap
        anchor.append(offset // dilation)
    weights[tuple(anchor)] = 1
    got = OPERATIONS[operation][0](
        image, weights, border=border, fill=123.0, stride=stride, dilation=dilation
    )
    expected = image[::stride] if len(shape) == 1 else image[::stride, ::stride]
    assert_close(got, expected, FLOAT64)


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(odd_kernel=True),
    border=borders,
    fill=fills,
)
def test_convolve_is_correlate_with_the_kernel_turned(data, geometry, border, fill):
    """For odd kernels and same padding, convolve(x, w) == correlate(x, w turned 180°)."""
    shape, kernel_shape, stride, dilation = geometry
    image = data.draw(hnp.arrays(np.float64, shape, elements=values), label="image")
    weights = data.draw(
        hnp.arrays(np.float64, kernel_shape, elements=weight_values), label="weights"
    )
    turned = weights[::-1] if weights.ndim == 1 else weights[::-1, ::-1]
    options = {"border": border, "fill": fill, "stride": stride, "dilation": dilation}
    expected = correlate(image, turned, **options)
    assert_close(convolve(image, weights, **options), expected, FLOAT64)


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(),
    operation=operations,
    border=extending_borders,
    padding=paddings,
    level=values,
)
def test_constant_image_gives_sum_of_weights_times_level(
    data, geometry, operation, border, padding, level
):
    """Borders that extend the image keep a flat image flat: every output is sum(w) * level."""
    shape, kernel_shape, stride, dilation = geometry
    assume(padding != "valid" or _fits(shape, kernel_shape, dilation))
    weights = data.draw(
        hnp.arrays(np.float64, kernel_shape, elements=weight_values), label="weights"
    )
    image = np.full(shape, level)
    got = OPERATIONS[operation][0](
        image, weights, border=border, padding=padding, stride=stride, dilation=dilation
    )
    expected = np.full(got.shape, weights.sum() * level)
    assert_close(got, expected, FLOAT64)


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(),
    dtype=st.sampled_from([np.uint8, np.uint16, np.int16]),
    operation=operations,
    border=borders,
    padding=paddings,
)
def test_integer_images_and_kernels_round_to_the_exact_answer(
    data, geometry, dtype, operation, border, padding
):
    """Integer pixels (8 and 16 bit, any value) with integer weights: rint(result) is exact."""
    shape, kernel_shape, stride, dilation = geometry
    assume(padding != "valid" or _fits(shape, kernel_shape, dilation))
    image = data.draw(hnp.arrays(dtype, shape), label="image")
    weights = data.draw(hnp.arrays(np.int64, kernel_shape, elements=st.integers(-5, 5)))
    limits = np.iinfo(dtype)
    fill = data.draw(st.integers(int(limits.min), int(limits.max)), label="fill")
    options = {"border": border, "fill": fill, "padding": padding}
    options |= {"stride": stride, "dilation": dilation}
    engine, reference = OPERATIONS[operation]
    got = engine(image, weights, **options)
    assert got.dtype == np.float32
    expected = reference(image, weights, **options)
    np.testing.assert_array_equal(np.rint(got), expected)


@pytest.mark.parametrize("bits", [8, 16])
def test_integer_extremes_are_exact(bits):
    """The largest pixel values with large integer weights neither wrap nor clip nor round."""
    dtype = np.uint8 if bits == 8 else np.uint16
    top = np.iinfo(dtype).max
    image = np.array([[0, top, top], [top, 0, top], [top, top, 0]], dtype=dtype)
    weights = np.array([[-5, 5, -5], [5, 5, 5], [-5, 5, -5]])
    for operation in (correlate, convolve):
        for border in BORDERS:
            got = operation(image, weights, border=border)
            expected = naive_correlate(image, weights, border=border)  # the kernel is symmetric
            np.testing.assert_array_equal(np.rint(got), expected)


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(),
    operation=operations,
    border=borders,
    padding=paddings,
    fill=fills,
)
def test_float32_is_within_1e_5_of_float64(data, geometry, operation, border, padding, fill):
    """float32 in, float32 out, within 1e-5 of the float64 reference relative to its scale."""
    shape, kernel_shape, stride, dilation = geometry
    assume(padding != "valid" or _fits(shape, kernel_shape, dilation))
    image = data.draw(hnp.arrays(np.float32, shape, elements=float32_values), label="image")
    weights = data.draw(
        hnp.arrays(np.float64, kernel_shape, elements=weight_values), label="weights"
    )
    options = {"border": border, "fill": fill, "padding": padding}
    options |= {"stride": stride, "dilation": dilation}
    engine, reference = OPERATIONS[operation]
    got = engine(image, weights, **options)
    assert got.dtype == np.float32
    assert_close(got, reference(image, weights, **options), 1e-5)


@PROPERTY
@given(
    data=st.data(),
    geometry=geometries(ndim=3),
    operation=operations,
    border=borders,
    padding=paddings,
    fill=fills,
)
def test_channels_are_filtered_independently(data, geometry, operation, border, padding, fill):
    """Filtering an (H, W, C) image equals filtering each channel on its own and stacking."""
    shape, kernel_shape, stride, dilation = geometry
    assume(padding != "valid" or _fits(shape, kernel_shape, dilation))
    image = data.draw(hnp.arrays(np.float64, shape, elements=values), label="image")
    weights = data.draw(
        hnp.arrays(np.float64, kernel_shape, elements=weight_values), label="weights"
    )
    options = {"border": border, "fill": fill, "padding": padding}
    options |= {"stride": stride, "dilation": dilation}
    engine = OPERATIONS[operation][0]
    got = engine(image, weights, **options)
    per_channel = [engine(image[:, :, c], weights, **options) for c in range(shape[2])]
    assert_close(got, np.stack(per_channel, axis=-1), FLOAT64)


@PROPERTY
@given(data=st.data(), shape=_spatial_shape(2), taps=st.integers(1, 5), operation=operations)
def test_a_one_dimensional_kernel_is_a_row(data, shape, taps, operation):
    """On an image, a 1-D kernel of k taps acts exactly as the (1, k) kernel."""
    image = data.draw(hnp.arrays(np.float64, shape, elements=values), label="image")
    weights = data.draw(hnp.arrays(np.float64, (taps,), elements=weight_values), label="weights")
    engine = OPERATIONS[operation][0]
    assert_close(engine(image, weights), engine(image, weights[np.newaxis, :]), FLOAT64)
