"""pool2d and activate against naive references written here from PyTorch's definitions.

Pooling (``reference_pool2d``), per axis of ``n`` samples with kernel ``k``, stride ``s`` and
padding ``p``:

* the output has ``floor((n + 2p − k) / s) + 1`` windows, or in ceil mode
  ``ceil((n + 2p − k) / s) + 1``, less one if the last window would start in the right padding
  (``(out − 1)·s ≥ n + p``);
* window ``o`` covers ``o·s − p .. o·s − p + k − 1``;
* max pooling pads with −inf (every window holds at least one real sample);
* average pooling sums the real samples and divides, as PyTorch's avg_pool2d does, by
  ``(hend − hstart)·(wend − wstart)`` with ``hend = min(hstart + k, n + p)`` (the padding
  counted, not what ceil mode hangs beyond it) when ``count_include_pad``, or else by the number
  of real samples, the window clipped to ``0 .. n``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli.engine.pooling import ACTIVATIONS, activate, pool2d
from convcli.errors import EngineArgumentError

# --- the reference ----------------------------------------------------------------------------


def reference_length(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """The number of windows along an axis, PyTorch's pooling_output_shape."""
    room = n + 2 * p - k
    out = (math.ceil(room / s) if ceil_mode else room // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def reference_pool2d(
    x: np.ndarray,
    kind: str,
    size: tuple[int, int],
    stride: tuple[int, int] | None = None,
    padding: tuple[int, int] = (0, 0),
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> np.ndarray:
    """PyTorch's max_pool2d / avg_pool2d in float64, one window at a time."""
    x = np.asarray(x, dtype=np.float64)
    channels, height, width = x.shape
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = size, stride or size, padding
    out_h = reference_length(height, k_h, s_h, p_h, ceil_mode)
    out_w = reference_length(width, k_w, s_w, p_w, ceil_mode)
    out = np.zeros((channels, out_h, out_w))
    for c, oh, ow in itertools.product(range(channels), range(out_h), range(out_w)):
        hstart, wstart = oh * s_h - p_h, ow * s_w - p_w
        if kind == "max":
            out[c, oh, ow] = max(
                x[c, r, q] if 0 <= r < height and 0 <= q < width else -math.inf
                for r in range(hstart, hstart + k_h)
                for q in range(wstart, wstart + k_w)
            )
            continue
        hend, wend = min(hstart + k_h, height + p_h), min(wstart + k_w, width + p_w)
        pool_size = (hend - hstart) * (wend - wstart)
        hstart, hend = max(hstart, 0), min(hend, height)  # the real samples
        wstart, wend = max(wstart, 0), min(wend, width)
        total = sum(x[c, r, q] for r in range(hstart, hend) for q in range(wstart, wend))
        divisor = pool_size if count_include_pad else (hend - hstart) * (wend - wstart)
        out[c, oh, ow] = total / divisor
    return out


def assert_matches_reference(x: np.ndarray, kind: str, size, **options) -> np.ndarray:
    actual = pool2d(x, kind, size, **options)
    expected = reference_pool2d(x, kind, size, **options)
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape, options
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6, err_msg=str(options))
    return actual


X = np.random.default_rng(3).standard_normal((3, 7, 9)).astype(np.float32)

# --- by hand --------------------------------------------------------------------------------------

ROW = np.array([[[1, 2, 3, 4, 5, 6]]], dtype=np.float32)


@pytest.mark.parametrize(
    ("kind", "ceil_mode", "count_include_pad", "expected"),
    [
        # windows [pad 1 2] [2 3 4] [4 5 6]; ceil mode adds [6 pad (beyond)]
        ("max", False, True, [2, 4, 6]),
        ("max", True, True, [2, 4, 6, 6]),
        ("avg", False, True, [3 / 3, 9 / 3, 15 / 3]),
        ("avg", False, False, [3 / 2, 9 / 3, 15 / 3]),
        ("avg", True, True, [3 / 3, 9 / 3, 15 / 3, 6 / 2]),  # the pad counts, the overhang not
        ("avg", True, False, [3 / 2, 9 / 3, 15 / 3, 6 / 1]),
    ],
)
def test_three_wide_windows_by_two_on_six_samples_padded_by_one(
    kind, ceil_mode, count_include_pad, expected
):
    """Windows of 3, stride 2, padding 1 over [1 .. 6], worked out by hand."""
    options = {"stride": (1, 2), "padding": (0, 1), "ceil_mode": ceil_mode}
    if kind == "avg":
        options["count_include_pad"] = count_include_pad
    np.testing.assert_allclose(pool2d(ROW, kind, (1, 3), **options)[0, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(reference_pool2d(ROW, kind, (1, 3), **options)[0, 0], expected)


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "floor_length", "ceil_length"),
    [
        (6, 3, 2, 1, 3, 4),  # ceil((6 + 2 − 3) / 2) + 1 = 4, the last window starts at 5 < 7
        (8, 3, 2, 0, 3, 4),  # no padding: the last window hangs past the input
        (5, 2, 2, 1, 3, 3),  # ceil(5/2) + 1 = 4, but window 3 would start at 6 = n + p: dropped
        (7, 3, 3, 0, 2, 3),
        (9, 2, 3, 1, 4, 4),
    ],
)
def test_output_length_in_floor_and_ceil_mode(n, k, s, p, floor_length, ceil_length):
    """floor|ceil((n + 2p − k) / s) + 1, less a window that would start in the right padding."""
    x = np.zeros((1, 1, n), dtype=np.float32)
    for ceil_mode, length in ((False, floor_length), (True, ceil_length)):
        assert reference_length(n, k, s, p, ceil_mode) == length
        for kind in ("max", "avg"):
            out = pool2d(x, kind, (1, k), stride=(1, s), padding=(0, p), ceil_mode=ceil_mode)
            assert out.shape == (1, 1, length), (kind, ceil_mode)


def test_stride_defaults_to_the_window():
    """Without a stride the windows tile the input: 2×3 windows on 7×9 give 3×3 outputs."""
    result = assert_matches_reference(X, "max", (2, 3))
    assert result.shape == (3, 3, 3)
    np.testing.assert_array_equal(result, pool2d(X, "max", (2, 3), stride=(2, 3)))


def test_max_pooling_never_reads_the_padding_as_a_value():
    """On all-negative input, max pooling with padding is still negative: the padding is −inf."""
    x = -1 - np.abs(X)
    assert np.all(pool2d(x, "max", (3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True) < 0)


# --- the matrix ---------------------------------------------------------------------------------

KERNELS = ((2, 2), (3, 3), (2, 3), (3, 2))
STRIDES = ((1, 1), (2, 2), (3, 3), (2, 1))
PADDINGS = ((0, 0), (1, 1), (1, 0))


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("size", KERNELS)
def test_max_pool_matches_reference(size, stride, padding, ceil_mode):
    """Max pooling, every kernel × stride × padding × ceil mode."""
    assert_matches_reference(X, "max", size, stride=stride, padding=padding, ceil_mode=ceil_mode)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("size", KERNELS)
def test_avg_pool_matches_reference(size, stride, padding, ceil_mode, count_include_pad):
    """Average pooling, every kernel × stride × padding × ceil mode × count_include_pad."""
    assert_matches_reference(
        X,
        "avg",
        size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
    )


def test_integer_input_pools_to_float32():
    """uint8 samples are pooled as numbers; the result is float32."""
    x = np.arange(2 * 5 * 5, dtype=np.uint8).reshape(2, 5, 5)
    result = assert_matches_reference(x, "avg", (2, 2), stride=(1, 1), padding=(1, 1))
    assert result.dtype == np.float32


@settings(max_examples=50)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8)),
    kind=st.sampled_from(("max", "avg")),
    size=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    ceil_mode=st.booleans(),
    count_include_pad=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_pool2d_is_the_reference_or_refuses(
    shape, kind, size, stride, padding, ceil_mode, count_include_pad, seed
):
    """Any small pooling matches the reference, or is refused as PyTorch refuses it: padding
    over half the window, or a window larger than the padded input."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    options = {"stride": stride, "padding": padding, "ceil_mode": ceil_mode}
    if kind == "avg":
        options["count_include_pad"] = count_include_pad
    impossible = any(
        p > k // 2 or n + 2 * p < k for n, k, p in zip(shape[1:], size, padding, strict=True)
    )
    if impossible:
        with pytest.raises(EngineArgumentError):
            pool2d(x, kind, size, **options)
    else:
        assert_matches_reference(x, kind, size, **options)


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        ((X, "max", (2, 2)), {"padding": (2, 0)}, "padding"),  # over half the window
        ((X, "avg", (8, 2)), {}, "does not fit"),
        ((X, "min", (2, 2)), {}, "unknown pool"),
        ((X, "max", (0, 2)), {}, "at least 1"),
        ((X, "max", (2, 2)), {"stride": (0, 1)}, "at least 1"),
    ],
)
def test_invalid_pools_are_refused(arguments, options, message):
    with pytest.raises(EngineArgumentError, match=message):
        pool2d(*arguments, **options)


# --- activations --------------------------------------------------------------------------------

VALUES = np.array([-800, -30, -2.5, -1, -1e-3, 0, 1e-3, 0.5, 1, 3, 30, 800], dtype=np.float32)
FORMULAS = {
    "relu": lambda x: np.where(x > 0, x, 0),
    "leaky-relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "sigmoid": lambda x: np.exp(-np.logaddexp(0, -x)),  # 1 / (1 + e^−x), without overflow
    "tanh": np.tanh,
    "abs": np.abs,
}


def test_every_activation_has_a_formula_here():
    assert set(FORMULAS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_its_formula(name):
    """Each activation, elementwise in float32, on negatives, zero, positives and extremes
    (sigmoid of ±800 is 0 and 1, without an overflow warning)."""
    x = np.stack([VALUES, -VALUES[::-1]]).reshape(2, 3, 4)
    result = activate(x, name)
    assert result.dtype == np.float32
    assert result.shape == x.shape
    np.testing.assert_allclose(result, FORMULAS[name](x.astype(np.float64)), rtol=1e-6, atol=0)


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0])
def test_leaky_relu_scales_negatives_by_the_slope(slope):
    result = activate(VALUES, "leaky-relu", slope)
    np.testing.assert_allclose(result, np.where(VALUES > 0, VALUES, slope * VALUES), rtol=1e-6)


def test_unknown_activation_is_refused():
    with pytest.raises(EngineArgumentError, match="unknown activation 'gelu'"):
        activate(VALUES, "gelu")
