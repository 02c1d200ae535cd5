"""conv2d against a naive float64 reference written here from PyTorch's definition.

The reference (``reference_conv2d``) is the specification: every output sample is the bias plus
a sum over input channels of its group and kernel taps, ``Σ_c Σ_i Σ_j w[o, c, i, j] ·
x_pad[c, oh·s_h + i·d_h, ow·s_w + j·d_w]``, and which input sample a padded position reads is
worked out by hand, one axis at a time (``source``):

* zeros      - outside the input is 0;
* reflect    - mirrored about the edge sample, which is not repeated (d c b | a b c d | c b a);
* replicate  - the nearest edge sample (a a a | a b c d | d d d);
* circular   - the axis repeats (b c d | a b c d | a b c).

The padding before and after each axis is worked out by ``reference_padding``: a number pads
both sides, ``valid`` pads nothing, ``same`` pads d·(k−1) in all (stride 1 only), ``tf-same``
pads so that the output has ceil(n/s) samples; an odd total puts the extra sample after.
Nothing here calls convcli for the reference, nor np.pad.

The float32 result must agree with the float64 reference to rtol 1e-5 plus an absolute 1e-5 of
the sample's scale, Σ|w|·|x| + |b| (the reference run on absolute values): float32 rounding of a
sum is relative to the size of its terms, not of the (possibly cancelling) result.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcli.engine.conv2d import AxisGeometry, axis_geometry, conv2d
from convcli.errors import EngineArgumentError

MODES = ("zeros", "reflect", "replicate", "circular")
NAMED = ("same", "valid", "tf-same")

# --- the reference ----------------------------------------------------------------------------


def source(i: int, n: int, mode: str) -> int | None:
    """The input index that padded position ``i`` of an axis of ``n`` samples reads; None: 0."""
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":  # clamp to the edge
        return 0 if i < 0 else n - 1
    if mode == "reflect":  # mirror about the edge sample: -1 reads 1, n reads n - 2
        mirrored = -i if i < 0 else 2 * (n - 1) - i
        assert 0 <= mirrored < n, "reflect padding is narrower than the input"
        return mirrored
    if mode == "circular":
        return i % n
    raise AssertionError(mode)


def reference_padding(n: int, k: int, s: int, d: int, padding: int | str) -> tuple[int, int]:
    """(before, after) padding of an axis of ``n`` samples for a kernel of ``k`` taps."""
    span = d * (k - 1) + 1
    if isinstance(padding, int):
        return padding, padding
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = d * (k - 1)
    elif padding == "tf-same":
        out = -(-n // s)  # ceil(n / s)
        total = max((out - 1) * s + span - n, 0)
    else:
        raise AssertionError(padding)
    return total // 2, total - total // 2


def refused(
    shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int | str, int | str],
    mode: str,
    dilation: tuple[int, int],
) -> bool:
    """True when PyTorch would refuse the layer: 'same' with a stride, reflect padding as wide
    as the input, circular padding wider than it, or no output sample at all."""
    for n, k, s, p, d in zip(shape, kernel, stride, padding, dilation, strict=True):
        if p == "same" and s != 1:
            return True
        before, after = reference_padding(n, k, s, d, p)
        if mode == "reflect" and max(before, after) >= n:
            return True
        if mode == "circular" and max(before, after) > n:
            return True
        if n + before + after - d * (k - 1) - 1 < 0:
            return True
    return False


def reference_conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: tuple[int, int] = (1, 1),
    padding: tuple[int | str, int | str] = (0, 0),
    padding_mode: str = "zeros",
    dilation: tuple[int, int] = (1, 1),
    groups: int = 1,
) -> np.ndarray:
    """PyTorch's conv2d in float64 with explicit loops over output channel, input channel and
    taps (each tap's samples for every output position gathered by ``source``)."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    channels, height, width = x.shape
    outputs, per_group, taps_h, taps_w = weight.shape
    (s_h, s_w), (d_h, d_w) = stride, dilation
    top, bottom = reference_padding(height, taps_h, s_h, d_h, padding[0])
    left, right = reference_padding(width, taps_w, s_w, d_w, padding[1])
    out_h = (height + top + bottom - d_h * (taps_h - 1) - 1) // s_h + 1
    out_w = (width + left + right - d_w * (taps_w - 1) - 1) // s_w + 1

    def reads(n: int, before: int, s: int, d: int, tap: int, count: int) -> list[int | None]:
        return [source(o * s - before + tap * d, n, padding_mode) for o in range(count)]

    def gather(rows: list[int | None], cols: list[int | None]) -> np.ndarray:
        """x[:, rows × cols] for every channel, 0 where either index is None."""
        row_index = np.array([0 if r is None else r for r in rows])
        col_index = np.array([0 if c is None else c for c in cols])
        inside = np.outer([r is not None for r in rows], [c is not None for c in cols])
        return np.where(inside, x[:, row_index][:, :, col_index], 0.0)

    row_reads = [reads(height, top, s_h, d_h, i, out_h) for i in range(taps_h)]
    col_reads = [reads(width, left, s_w, d_w, j, out_w) for j in range(taps_w)]
    #: taps[i][j][c]: what tap (i, j) reads from channel c at every output position
    taps = [
        [list(gather(row_reads[i], col_reads[j])) for j in range(taps_w)] for i in range(taps_h)
    ]
    w = weight.tolist()
    per_out = outputs // groups
    out = np.zeros((outputs, out_h, out_w))
    for o in range(outputs):
        first = (o // per_out) * per_group  # the group's first input channel
        total = out[o]
        if bias is not None:
            total += float(bias[o])
        for c in range(per_group):
            for i in range(taps_h):
                for j in range(taps_w):
                    total += w[o][c][i][j] * taps[i][j][first + c]
    return out


def assert_matches_reference(x, weight, bias=None, **options) -> np.ndarray:
    """conv2d(...) is float32 and within tolerance of the reference; returns the result."""
    actual = conv2d(x, weight, bias, **options)
    expected = reference_conv2d(x, weight, bias, **options)
    scale = reference_conv2d(np.abs(x), np.abs(weight), **options)
    if bias is not None:
        scale += np.abs(np.asarray(bias, dtype=np.float64))[:, None, None]
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape, options
    error = np.abs(actual - expected)
    allowed = 1e-5 * np.abs(expected) + 1e-5 * scale
    worst = np.unravel_index(np.argmax(error - allowed), error.shape)
    assert np.all(error <= allowed), (
        f"{options}: |Δ| {error[worst]:.3g} > {allowed[worst]:.3g} at {worst}"
    )
    return actual


def random_layer(
    rng: np.random.Generator,
    channels: int,
    outputs: int,
    groups: int,
    kernel: tuple[int, int],
    shape: tuple[int, int],
    with_bias: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A float32 input, bank and bias (float32 values, so the reference sees the same numbers)."""
    x = rng.standard_normal((channels, *shape)).astype(np.float32)
    weight = rng.standard_normal((outputs, channels // groups, *kernel)).astype(np.float32)
    bias = rng.standard_normal(outputs).astype(np.float32) if with_bias else None
    return x, weight, bias


# --- the reference itself, on cases worked out by hand ------------------------------------------


@pytest.mark.parametrize(
    ("mode", "left_of_edge"),
    [("zeros", 0), ("reflect", 2), ("replicate", 1), ("circular", 4)],
)
def test_first_output_reads_the_padding_each_mode_makes(mode, left_of_edge):
    """With taps [1, 0, 0] and one sample of padding, out[0] is the sample left of [1 2 3 4]:
    zeros 0, reflect 2 (the edge is not repeated), replicate 1, circular 4."""
    x = np.array([[[1, 2, 3, 4]]], dtype=np.float32)
    weight = np.array([[[[1, 0, 0]]]], dtype=np.float32)
    for result in (
        conv2d(x, weight, padding=(0, 1), padding_mode=mode),
        reference_conv2d(x, weight, padding=(0, 1), padding_mode=mode),
    ):
        np.testing.assert_array_equal(result[0, 0], [left_of_edge, 1, 2, 3])


def test_even_same_padding_puts_the_extra_sample_after():
    """'same' with 2 taps pads 0 before and 1 after: out[i] = x[i] + 10·x[i+1]."""
    x = np.array([[[1, 2, 3]]], dtype=np.float32)
    weight = np.array([[[[1, 10]]]], dtype=np.float32)
    np.testing.assert_array_equal(conv2d(x, weight, padding=(0, "same"))[0, 0], [21, 32, 3])
    assert axis_geometry(3, 2, 1, 1, "same") == AxisGeometry(before=0, after=1, length=3)


# --- every padding form × every mode × stride, dilation, groups, kernel and bias ---------------

#: 4 channels of 7 × 9 samples; the banks have 4 kernels, so groups 4 is depthwise.
CHANNELS, OUTPUTS, SHAPE = 4, 4, (7, 9)
PADDINGS = {
    "int": (2, 2),
    "pair": (3, 1),
    "same": ("same", "same"),
    "valid": ("valid", "valid"),
    "tf-same": ("tf-same", "tf-same"),
    "mixed": (1, "tf-same"),
}
KERNELS = {"odd": (3, 3), "even": (4, 4), "non-square": (2, 5)}
GROUPS = {"dense": 1, "two groups": 2, "depthwise": CHANNELS}
MATRIX = [
    (form, mode, stride)
    for form, mode, stride in itertools.product(PADDINGS, MODES, (1, 2, 3))
    if not (form == "same" and stride != 1)  # 'same' needs stride 1, as in PyTorch
]


def subcases(form: str, stride: int):
    """Every kernel × groups × dilation, with a bias in alternate ones (the other half in the
    neighbouring stride), or both with and without for 'same', which has only stride 1."""
    cases = itertools.product(KERNELS.values(), GROUPS.values(), (1, 2))
    for index, (kernel, groups, dilation) in enumerate(cases):
        for with_bias in (True, False) if form == "same" else ((index + stride) % 2 == 0,):
            yield kernel, groups, dilation, with_bias


@pytest.mark.parametrize(("form", "mode", "stride"), MATRIX)
def test_matches_reference_for_every_padding_form_mode_and_stride(form, mode, stride):
    """For each padding form, mode and stride, every kernel (3×3, 4×4, 2×5) × groups (dense,
    2, depthwise) × dilation (1, 2), with or without a bias, matches the reference."""
    rng = np.random.default_rng(MATRIX.index((form, mode, stride)))
    for kernel, groups, dilation, with_bias in subcases(form, stride):
        x, weight, bias = random_layer(rng, CHANNELS, OUTPUTS, groups, kernel, SHAPE, with_bias)
        assert_matches_reference(
            x,
            weight,
            bias,
            stride=(stride, stride),
            padding=PADDINGS[form],
            padding_mode=mode,
            dilation=(dilation, dilation),
            groups=groups,
        )


def test_the_matrix_runs_every_combination_with_and_without_bias():
    """Every padding form × mode × kernel × groups × dilation × bias is in the matrix above."""
    seen = {
        (form, mode, kernel, groups, dilation, with_bias)
        for form, mode, stride in MATRIX
        for kernel, groups, dilation, with_bias in subcases(form, stride)
    }
    assert len(seen) == len(PADDINGS) * len(MODES) * len(KERNELS) * len(GROUPS) * 2 * 2


@pytest.mark.parametrize("mode", MODES)
def test_matches_reference_with_a_stride_and_dilation_per_axis(mode):
    """Stride, dilation and padding are per axis: (1, 3), (2, 1) and (3, 1) mean what they say."""
    rng = np.random.default_rng(11)
    x, weight, bias = random_layer(rng, CHANNELS, 6, 2, (3, 2), SHAPE, True)
    assert_matches_reference(
        x, weight, bias, stride=(1, 3), padding=(3, 1), padding_mode=mode, dilation=(2, 1), groups=2
    )


def test_depthwise_with_a_channel_multiplier_matches_reference():
    """groups = C_in with 2 kernels per channel: output channels 2c and 2c+1 read channel c."""
    rng = np.random.default_rng(12)
    x, weight, bias = random_layer(rng, CHANNELS, 2 * CHANNELS, CHANNELS, (3, 3), SHAPE, True)
    result = assert_matches_reference(x, weight, bias, padding=(1, 1), groups=CHANNELS)
    alone = conv2d(x[1:2], weight[2:4], bias[2:4], padding=(1, 1))
    np.testing.assert_allclose(result[2:4], alone, rtol=1e-6, atol=1e-6)


def test_groups_are_independent_layers_side_by_side():
    """groups=2 is two layers, each on half the channels, their outputs stacked."""
    rng = np.random.default_rng(13)
    x, weight, bias = random_layer(rng, CHANNELS, 6, 2, (3, 3), SHAPE, True)
    result = conv2d(x, weight, bias, padding=(1, 1), groups=2)
    halves = [conv2d(x[:2], weight[:3], bias[:3], padding=(1, 1))]
    halves.append(conv2d(x[2:], weight[3:], bias[3:], padding=(1, 1)))
    np.testing.assert_allclose(result, np.concatenate(halves), rtol=1e-6, atol=1e-6)


def test_inputs_of_any_float_or_integer_type_give_float32_and_are_not_changed():
    """float64 and uint8 inputs and banks give float32 results; the arguments are left alone."""
    rng = np.random.default_rng(14)
    x = rng.integers(0, 256, (3, 6, 5)).astype(np.uint8)
    weight = rng.standard_normal((2, 3, 3, 3))
    kept = x.copy(), weight.copy()
    result = assert_matches_reference(x, weight, padding=(1, 1), padding_mode="reflect")
    assert result.dtype == np.float32
    np.testing.assert_array_equal(x, kept[0])
    np.testing.assert_array_equal(weight, kept[1])


def test_bands_of_output_rows_join_seamlessly(monkeypatch):
    """With a band of a single output row the result is that of one band (to rounding: the
    matrix products differ in shape)."""
    import convcli.engine.conv2d as module

    rng = np.random.default_rng(15)
    x, weight, bias = random_layer(rng, CHANNELS, OUTPUTS, 1, (3, 3), (12, 10), True)
    whole = conv2d(x, weight, bias, stride=(2, 1), padding=("tf-same", 1))
    monkeypatch.setattr(module, "BAND_BYTES", 1)
    banded = conv2d(x, weight, bias, stride=(2, 1), padding=("tf-same", 1))
    np.testing.assert_allclose(banded, whole, rtol=1e-6, atol=1e-5)


# --- output size --------------------------------------------------------------------------------


def test_output_size_is_pytorchs_formula():
    """H_out = floor((N + 2p − d(k−1) − 1) / s) + 1 for every N, k, p, s, d below."""
    for n, k, p, s, d in itertools.product((5, 8), (1, 2, 3), (0, 1, 2), (1, 2, 3), (1, 2)):
        expected = (n + 2 * p - d * (k - 1) - 1) // s + 1
        x = np.zeros((1, n, n + 1), dtype=np.float32)
        result = conv2d(x, np.ones((1, 1, k, 1)), stride=(s, 1), padding=(p, 0), dilation=(d, 1))
        assert result.shape == (1, expected, n + 1), (n, k, p, s, d)
        assert axis_geometry(n, k, s, d, p) == AxisGeometry(p, p, expected)


@pytest.mark.parametrize("n", [1, 5, 6, 7, 8])
def test_named_paddings_give_their_output_sizes(n):
    """same keeps N (stride 1), tf-same gives ceil(N/s), valid gives floor((N − span)/s) + 1."""
    for k, s, d in itertools.product((1, 2, 3, 4), (1, 2, 3), (1, 2)):
        span = d * (k - 1) + 1
        assert axis_geometry(n, k, s, d, "tf-same").length == -(-n // s)
        if s == 1:
            assert axis_geometry(n, k, s, d, "same").length == n
        if span <= n:
            assert axis_geometry(n, k, s, d, "valid").length == (n - span) // s + 1


@pytest.mark.parametrize(
    ("n", "k", "s", "d", "before", "after"),
    [
        (7, 3, 2, 1, 1, 1),  # ceil(7/2) = 4: 3·2 + 3 − 7 = 2
        (8, 3, 2, 1, 0, 1),  # ceil(8/2) = 4: 3·2 + 3 − 8 = 1, the extra one after
        (9, 1, 3, 1, 0, 0),  # 1×1 taps need no padding
        (6, 4, 1, 1, 1, 2),  # stride 1: like 'same'
        (5, 3, 3, 2, 1, 2),  # span 5, ceil(5/3) = 2: 1·3 + 5 − 5 = 3, the extra one after
    ],
)
def test_tf_same_padding_by_hand(n, k, s, d, before, after):
    """TensorFlow SAME: total max((ceil(N/s) − 1)·s + d(k−1) + 1 − N, 0), left = total // 2."""
    geometry = axis_geometry(n, k, s, d, "tf-same")
    assert (geometry.before, geometry.after) == (before, after)


# --- errors -------------------------------------------------------------------------------------

X = np.zeros((4, 5, 6), dtype=np.float32)
W = np.zeros((2, 4, 3, 3), dtype=np.float32)


@pytest.mark.parametrize(
    ("arguments", "options", "message"),
    [
        ((X, W), {"padding": ("same", "same"), "stride": (2, 1)}, "stride 1"),
        ((X, W), {"padding": (5, 0), "padding_mode": "reflect"}, "reflect"),
        ((X, W), {"padding": (0, 6), "padding_mode": "reflect"}, "reflect"),
        ((X, W), {"padding": (6, 0), "padding_mode": "circular"}, "circular"),
        ((X, np.zeros((2, 3, 3, 3))), {}, "input channels"),
        ((X, np.zeros((3, 4, 3, 3))), {"groups": 2}, "groups"),  # 2 does not divide 3 outputs
        ((X, np.zeros((3, 1, 3, 3))), {"groups": 3}, "groups"),  # 3 does not divide 4 inputs
        ((X, W, np.zeros(3)), {}, "bias"),
        ((X, np.zeros((2, 4, 6, 3))), {}, "kernel spans"),
        ((X, W), {"dilation": (3, 1)}, "kernel spans"),  # the span is 7 > 5
        ((X, W), {"padding": (-1, 0)}, "padding"),
        ((X, W), {"padding": ("full", 0)}, "padding"),
        ((X, W), {"padding_mode": "mirror"}, "padding_mode"),
        ((X, W), {"stride": (0, 1)}, "stride"),
        ((X[0], W), {}, "(C, H, W)"),
    ],
)
def test_invalid_layers_are_refused(arguments, options, message):
    """Each impossible layer raises EngineArgumentError that says what is wrong."""
    with pytest.raises(EngineArgumentError, match=f"(?i){re.escape(message)}"):
        conv2d(*arguments, **options)


def test_widest_paddings_pytorch_allows_are_accepted():
    """Reflect padding up to N − 1 and circular padding up to N are allowed, as in PyTorch."""
    x, weight, bias = random_layer(np.random.default_rng(16), 4, 2, 1, (3, 3), (5, 6), True)
    assert_matches_reference(x, weight, bias, padding=(4, 5), padding_mode="reflect")
    assert_matches_reference(x, weight, bias, padding=(5, 6), padding_mode="circular")


# --- properties ---------------------------------------------------------------------------------


@st.composite
def layers(draw):
    """A small random layer: shapes, groups, options and values."""
    groups = draw(st.sampled_from((1, 2, 3)))
    channels = groups * draw(st.integers(1, 2))
    outputs = groups * draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    axis_padding = st.one_of(st.integers(0, 3), st.sampled_from(NAMED))
    options = {
        "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "padding": (draw(axis_padding), draw(axis_padding)),
        "padding_mode": draw(st.sampled_from(MODES)),
        "dilation": (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        "groups": groups,
    }
    seed = draw(st.integers(0, 2**32 - 1))
    with_bias = draw(st.booleans())
    rng = np.random.default_rng(seed)
    return random_layer(rng, channels, outputs, groups, kernel, shape, with_bias), options


@settings(max_examples=50)
@given(layers())
def test_property_conv2d_is_the_reference_or_refuses_what_pytorch_refuses(layer):
    """Any small layer matches the reference, or raises EngineArgumentError exactly when
    PyTorch would refuse it."""
    (x, weight, bias), options = layer
    if refused(
        x.shape[1:],
        weight.shape[2:],
        options["stride"],
        options["padding"],
        options["padding_mode"],
        options["dilation"],
    ):
        with pytest.raises(EngineArgumentError):
            conv2d(x, weight, bias, **options)
    else:
        assert_matches_reference(x, weight, bias, **options)


@settings(max_examples=30)
@given(layers())
def test_property_conv2d_is_linear_in_the_bank(layer):
    """conv(x, a·w1 + w2) = a·conv(x, w1) + conv(x, w2), and the bias adds a constant plane."""
    (x, weight, bias), options = layer
    geometry = ("stride", "padding", "padding_mode", "dilation")
    if refused(x.shape[1:], weight.shape[2:], *(options[name] for name in geometry)):
        return
    other = np.flip(weight, axis=(2, 3)).copy()
    combined = conv2d(x, 2 * weight + other, **options)
    apart = 2 * conv2d(x, weight, **options) + conv2d(x, other, **options)
    scale = 2 * conv2d(np.abs(x), np.abs(weight), **options)
    scale += conv2d(np.abs(x), np.abs(other), **options)
    assert np.all(np.abs(combined - apart) <= 1e-5 * scale + 1e-7)
    if bias is not None:
        shifted = conv2d(x, weight, bias, **options) - conv2d(x, weight, **options)
        planes = np.broadcast_to(bias[:, None, None], shifted.shape)
        np.testing.assert_allclose(shifted, planes, atol=1e-5 * (1 + float(scale.max())))
