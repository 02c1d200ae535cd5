"""Every strategy (direct, separable, FFT) computes the same thing, and the planner picks well."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import assert_close, naive_convolve, naive_correlate

from convcli.engine import (
    BORDERS,
    PADDINGS,
    EngineOptions,
    Finish,
    convolve,
    correlate,
    explain,
    respond,
    round_samples,
)
from convcli.engine.samples import Clipping, to_samples
from convcli.engine.separable import TOLERANCE, float_terms
from convcli.errors import EngineArgumentError

METHODS = ("direct", "separable", "fft")
KERNEL_SHAPES = [(3, 3), (2, 2), (4, 3), (1, 5), (5, 1), (1, 1), (6, 6)]
GEOMETRIES = [(1, 1), (2, 1), (1, 2), ((1, 2), (2, 1)), (3, 2)]  # (stride, dilation)


def _fits(shape, kernel, padding, dilation):
    rows, cols = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    spans = (rows * (kernel[0] - 1) + 1, cols * (kernel[1] - 1) + 1)
    return padding != "valid" or (spans[0] <= shape[0] and spans[1] <= shape[1])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("border", BORDERS)
def test_every_strategy_matches_the_reference_everywhere(method, border, padding):
    """Each strategy agrees with the naive loop for every kernel shape, stride and dilation."""
    rng = np.random.default_rng(abs(hash((method, border, padding))) % 2**32)
    image = rng.normal(size=(9, 8, 2))
    problems = []
    for shape, (stride, dilation), (operation, reference) in itertools.product(
        KERNEL_SHAPES, GEOMETRIES, [(correlate, naive_correlate), (convolve, naive_convolve)]
    ):
        if not _fits(image.shape, shape, padding, dilation):
            continue
        weights = rng.normal(size=shape)
        options = {"border": border, "fill": 0.25, "padding": padding, "stride": stride}
        got = operation(image, weights, dilation=dilation, method=method, **options)
        expected = reference(image, weights, dilation=dilation, **options)
        if got.shape != expected.shape or not np.allclose(got, expected, atol=1e-9):
            problems.append(f"{operation.__name__} {shape} stride {stride} dilation {dilation}")
    assert not problems, problems


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.bool_])
def test_integer_kernels_on_integer_images_round_to_the_exact_sums(method, dtype):
    """Integer weights on integer samples round to the exact integer sums, whatever the method
    (direct and integer-factor separable passes are exact even before rounding)."""
    rng = np.random.default_rng(11)
    info = np.iinfo(dtype) if dtype != np.bool_ else None
    low, high = (0, 2) if info is None else (int(info.min), int(info.max) + 1)
    image = rng.integers(low, high, size=(12, 10, 3)).astype(dtype)
    for shape in [(3, 3), (1, 7), (7, 7), (2, 4)]:
        weights = rng.integers(-4, 5, size=shape).astype(float)
        got = correlate(image, weights, method=method, border="wrap")
        expected = naive_correlate(image, weights, border="wrap")
        assert np.array_equal(np.rint(got), expected.astype(np.float32)), (method, shape)


@pytest.mark.parametrize("length", [4, 5, 7, 8, 15, 16, 31])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_box_kernels_run_by_doubling_give_exact_sums(length, stride):
    """Equal taps (boxes) take the doubling route and stay exact, for any length and stride."""
    rng = np.random.default_rng(length)
    image = rng.integers(0, 256, size=(40, 37, 2)).astype(np.uint8)
    for shape in [(length, length), (1, length), (length, 3)]:
        weights = np.ones(shape)
        got = correlate(image, weights, method="separable", stride=stride, border="mirror")
        expected = naive_correlate(image, weights, stride=stride, border="mirror")
        assert np.array_equal(got, expected), shape


def test_float32_results_of_every_strategy_are_within_1e_5_of_float64():
    """A float32 image through any strategy stays within 1e-5 of the float64 answer."""
    rng = np.random.default_rng(3)
    image = rng.random((64, 70, 3)).astype(np.float32)
    for method, weights in itertools.product(METHODS, [rng.normal(size=(9, 9)), np.ones((5, 5))]):
        got = correlate(image, weights, method=method)
        assert_close(got, naive_correlate(image.astype(np.float64), weights), tolerance=1e-5)


def test_threads_and_band_sizes_never_change_a_result():
    """Cutting the work among threads gives bit-identical results."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, size=(300, 200, 3)).astype(np.uint8)
    for method, weights in [
        ("direct", rng.normal(size=(3, 3))),
        ("fft", rng.normal(size=(15, 15))),
    ]:
        one = correlate(image, weights, method=method, threads=1)
        two = correlate(image, weights, method=method, threads=2)
        assert np.array_equal(one, two), method


# --- the fused rounded path -----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    method=st.sampled_from(METHODS),
    border=st.sampled_from(BORDERS),
    padding=st.sampled_from(PADDINGS),
    stride=st.integers(1, 3),
    scale=st.sampled_from([1.0, 0.5, 1 / 16, 1 / 9, 2.0, 0.3]),
    offset=st.sampled_from([0.0, 0.5, 128.0, -20.0]),
    wide=st.booleans(),
)
def test_rounded_output_is_the_rule_applied_to_the_response(
    data, method, border, padding, stride, scale, offset, wide
):
    """round_samples gives exactly the rounding rule applied to respond's float64 response,
    and counts what clipping changed."""
    dtype = np.uint16 if wide else np.uint8
    top = int(np.iinfo(dtype).max)
    height = data.draw(st.integers(4, 12))
    width = data.draw(st.integers(4, 12))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    image = rng.integers(0, top + 1, size=(height, width, 2)).astype(dtype)
    shape = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    if data.draw(st.booleans()):
        weights = rng.integers(-3, 4, size=shape).astype(float)
    else:
        weights = rng.normal(size=shape)
    options = EngineOptions(border=border, padding=padding, stride=stride, method=method)
    finish = Finish(scale=scale, offset=offset)
    try:
        rounded = round_samples(image, weights, finish, dtype, options)
    except EngineArgumentError as error:
        assert method == "separable" and "rank-1" in str(error)
        return
    response = respond(image, weights, EngineOptions(border=border, padding=padding, stride=stride))
    expected = np.empty(response.shape, dtype=dtype)
    clipping = Clipping()
    to_samples(response, finish, expected, clipping)
    assert np.array_equal(rounded.pixels, expected)
    values = np.rint(response * scale + offset)
    assert rounded.clipped_low == clipping.low == np.count_nonzero(values < 0)
    assert rounded.clipped_high == clipping.high == np.count_nonzero(values > top)


def _gaussian(sigma: float) -> np.ndarray:
    radius = int(3 * sigma + 0.5)
    taps = np.exp(-(np.arange(-radius, radius + 1) ** 2) / (2 * sigma**2))
    return np.outer(taps, taps) / taps.sum() ** 2


def _unsharp(sigma: float, amount: float) -> np.ndarray:
    kernel = -amount * _gaussian(sigma)
    kernel[kernel.shape[0] // 2, kernel.shape[1] // 2] += 1 + amount
    return kernel


FLOAT_KERNELS = {
    "gaussian-sigma-3": _gaussian(3.0),
    "unsharp": _unsharp(1.5, 1.2),
    "random-7x7": np.random.default_rng(7).normal(size=(7, 7)) / 12,
}


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("kernel", FLOAT_KERNELS, ids=list(FLOAT_KERNELS))
def test_every_method_writes_the_same_samples_for_float_weights(kernel, border, dtype):
    """auto, direct, separable (where the kernel splits) and fft give identical bytes: each
    sums the kernel's whole-number form exactly, then one rule rounds."""
    top = int(np.iinfo(dtype).max)
    rng = np.random.default_rng(3)
    image = rng.integers(0, top + 1, size=(70, 61, 3)).astype(dtype)
    image[10:40, 5:50] = top  # flat areas and sharp edges, where rounding is tested hardest
    results = {}
    for method in ("auto", *METHODS):
        options = EngineOptions(border=border, fill=7, method=method)
        try:
            results[method] = round_samples(image, FLOAT_KERNELS[kernel], Finish(), dtype, options)
        except EngineArgumentError:
            assert method == "separable" and kernel == "random-7x7"
    first = results["direct"].pixels
    for method, result in results.items():
        assert np.array_equal(result.pixels, first), method
    reference = naive_correlate(
        image.astype(np.float64), FLOAT_KERNELS[kernel], border=border, fill=7
    )
    # The whole-number form is the kernel to about 2^-22 of its weight: off by one at most.
    assert np.abs(first - np.clip(np.rint(reference), 0, top)).max() <= 1


def test_the_negative_control_shows_float_arithmetic_would_disagree():
    """Without the whole-number form, float32 direct sums and FFT sums round apart: the
    sameness above is the rule's doing, not the test's blindness."""
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=(200, 200, 3)).astype(np.float32)
    kernel = FLOAT_KERNELS["gaussian-sigma-3"]
    via_direct = np.rint(correlate(image, kernel, method="direct"))
    via_fft = np.rint(correlate(image, kernel, method="fft"))
    assert np.count_nonzero(via_direct != via_fft) > 0


def test_separable_refuses_a_kernel_that_does_not_split():
    """A full-rank float kernel has no exact rank-1 form: asking for separable says so."""
    image = np.zeros((20, 20), dtype=np.uint8)
    with pytest.raises(EngineArgumentError, match="rank-1"):
        round_samples(
            image,
            FLOAT_KERNELS["random-7x7"],
            Finish(),
            np.uint8,
            EngineOptions(method="separable"),
        )


# --- the planner ------------------------------------------------------------------------------


PHOTO = np.zeros((1080, 1920, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("weights", "method"),
    [
        (np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]), "direct"),
        (np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256, "separable"),
        (np.ones((15, 15)) / 225, "separable"),
        (np.outer(np.hanning(15), np.hanning(15)), "separable"),
        (np.random.default_rng(0).random((31, 31)), "fft"),
    ],
    ids=["sharpen-3x3", "gaussian-5x5", "box-15x15", "smooth-15x15", "random-31x31"],
)
def test_the_planner_picks_the_cheapest_strategy(weights, method):
    """Small kernels go direct, rank-1 kernels separable, large full-rank kernels to FFT."""
    plan = explain(PHOTO, weights)
    assert plan.method == method, plan.describe()
    assert method in plan.describe()


def test_tiny_images_never_pay_for_an_fft():
    """Fixed costs dominate on tiny inputs: a 5×5 kernel that FFT would win at 4K goes direct."""
    weights = np.random.default_rng(1).random((5, 5))
    assert explain(np.zeros((8, 8)), weights).method == "direct"


def test_integer_sums_get_exact_accumulators():
    """uint8 with a small integer kernel sums in int16; a blur of uint8 in uint16."""
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    assert explain(PHOTO, sharpen).accumulator == np.int16
    assert explain(PHOTO, np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1])).accumulator == np.uint16
    assert explain(PHOTO.astype(np.float32), sharpen).accumulator == np.float32


def test_explain_says_what_and_why():
    """--explain's text names the strategy, the threads and the estimates."""
    text = explain(PHOTO, np.ones((15, 15)), threads=1).describe()
    assert "separable" in text and "1 thread" in text and "ms" in text


@pytest.mark.parametrize("bad", [{"method": "magic"}, {"threads": 0}, {"threads": 1.5}])
def test_bad_method_or_threads_are_usage_errors(bad):
    """An unknown method or a thread count below 1 is an EngineArgumentError."""
    with pytest.raises(EngineArgumentError):
        correlate(np.zeros((4, 4)), np.ones((3, 3)), **bad)


@pytest.mark.parametrize(
    "kernel",
    [
        np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256,
        np.outer(
            np.exp(-((np.arange(9) - 4.0) ** 2) / 4.5), np.exp(-((np.arange(9) - 4.0) ** 2) / 4.5)
        ),
        np.full((15, 15), 1 / 225),
    ],
    ids=["binomial 5x5", "gaussian 9x9", "box 15x15"],
)
def test_float_terms_of_a_symmetric_kernel_share_their_mirrored_weights(kernel):
    """SVD leaves mirrored taps a few ulps apart; the terms make them equal (so one
    multiplication serves both), give the column a weight of exactly 1, and still sum to
    the kernel within the separation tolerance."""
    terms = float_terms(kernel)
    assert len(terms) == 1
    column, row = terms[0].column, terms[0].row
    np.testing.assert_array_equal(column, column[::-1])
    np.testing.assert_array_equal(row, row[::-1])
    assert 1.0 in column
    rebuilt = sum(np.outer(t.column, t.row) for t in terms)
    assert np.abs(rebuilt - kernel).sum() <= TOLERANCE * np.abs(kernel).sum()


def _passes_starting_with(magnitudes: list, first: int) -> int:
    """The direct strategy's pass count, summed group by group (the reference for the search)."""
    total = 0
    for number, (magnitude, plus, minus) in enumerate(magnitudes):
        views = len(plus) + len(minus)
        if number == first:
            total += 1 if views == 1 else views - 1 + (magnitude != 1 or not plus)
        elif magnitude == 1:
            total += views
        else:
            total += 2 if views == 1 else views + 1
    return total


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from([-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0]),
        min_size=1,
        max_size=25,
    )
)
def test_the_direct_strategy_starts_with_the_group_that_costs_least(weights):
    """by_magnitude puts first the group whose start saves most, by the full count of passes."""
    from convcli.engine.direct import by_magnitude, passes, tap_groups

    kernel = np.array(weights).reshape(1, -1)
    groups = tap_groups(kernel)
    ordered = by_magnitude(groups)
    best = min((_passes_starting_with(ordered, first) for first in range(len(ordered))), default=0)
    assert passes(groups) == _passes_starting_with(ordered, 0) == best


def _unsharp(size: int, sigma: float, amount: float) -> np.ndarray:
    taps = np.exp(-((np.arange(size) - size // 2) ** 2) / (2 * sigma**2))
    blur = np.outer(taps, taps) / np.outer(taps, taps).sum()
    kernel = -amount * blur
    kernel[size // 2, size // 2] += 1 + amount
    return kernel


def _off_centre_point() -> np.ndarray:
    kernel = np.outer([1.0, 2.0, -1.0, 0.5], [3.0, 1.0, 2.0, 1.0, 0.5, 2.0])
    kernel[1, 4] += 7.0  # the largest weight, not the centre
    return kernel


POINT_AND_BLUR = {
    "unsharp 9x9": _unsharp(9, 1.5, 1.2),
    "2 minus a 5x5 box": np.eye(5)[2][:, None] * np.eye(5)[2] * 2 - np.full((5, 5), 1 / 25),
    "4x6 with the tap off the centre": _off_centre_point(),
}


@pytest.mark.parametrize("kernel", POINT_AND_BLUR.values(), ids=POINT_AND_BLUR.keys())
def test_a_kernel_that_is_one_tap_plus_a_blur_splits_into_exactly_those(kernel):
    """Unsharp masks (the image plus amount × (image − blur)) are a single tap plus a rank-1
    blur: two terms for the price of one (the tap costs one pass), where SVD gave two dense."""
    from convcli.engine.separable import is_point

    terms = float_terms(kernel)
    assert [is_point(term) for term in terms] == [True, False]
    rebuilt = sum(np.outer(t.column, t.row) for t in terms)
    assert np.abs(rebuilt - kernel).sum() <= TOLERANCE * np.abs(kernel).sum()


def test_a_rank_2_kernel_without_a_lone_tap_keeps_its_svd_terms():
    """Two dense outer products do not become a tap plus a blur."""
    from convcli.engine.separable import is_point

    rng = np.random.default_rng(8)
    kernel = np.outer(rng.normal(size=5), rng.normal(size=5))
    kernel += np.outer(rng.normal(size=5), rng.normal(size=5))
    terms = float_terms(kernel)
    assert len(terms) == 2 and not any(is_point(term) for term in terms)


def _separable_disagreements(kernels: dict, border: str, padding: str) -> list[str]:
    """Where ``method='separable'`` and the naive loop differ, over every stride and dilation:
    float64 and float32 within their precision, 8-bit samples exactly (whole-number weights)."""
    rng = np.random.default_rng(abs(hash((border, padding, tuple(kernels)))) % 2**32)
    image = rng.normal(size=(13, 12, 2))
    samples8 = rng.integers(0, 256, size=(13, 12, 2)).astype(np.uint8)
    problems = []
    for (name, kernel), (stride, dilation) in itertools.product(kernels.items(), GEOMETRIES):
        if not _fits(image.shape, kernel.shape, padding, dilation):
            continue
        options = {"border": border, "fill": 0.25, "padding": padding, "stride": stride}
        expected = naive_correlate(image, kernel, dilation=dilation, **options)
        for samples, tolerance in [(image, 1e-9), (image.astype(np.float32), 1e-5)]:
            got = correlate(samples, kernel, dilation=dilation, method="separable", **options)
            if got.shape != expected.shape or not np.allclose(got, expected, atol=tolerance):
                problems.append(f"{name} {samples.dtype} stride {stride} dilation {dilation}")
        whole = np.rint(kernel / np.abs(kernel).min(initial=1, where=kernel != 0))
        options["fill"] = 3
        exact = naive_correlate(samples8, whole, dilation=dilation, **options)
        got = correlate(samples8, whole, dilation=dilation, method="separable", **options)
        if not np.array_equal(got, exact):
            problems.append(f"{name} uint8 stride {stride} dilation {dilation}")
    return problems


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("border", BORDERS)
def test_tap_plus_blur_kernels_match_the_reference_everywhere(border, padding):
    """The split runs right at every border, padding, stride and dilation (the tap read from
    the strip at its own offset)."""
    assert not _separable_disagreements(POINT_AND_BLUR, border, padding)


def test_a_whole_number_tap_plus_blur_stays_exact_on_integer_images():
    """10 at the centre minus a binomial 3×3 has no whole-number factors; its split, rounded
    to the nearest whole number as every float separable plan is, gives the exact sums."""
    from convcli.engine.separable import is_point

    kernel = -np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0])
    kernel[1, 1] += 10.0
    assert [is_point(term) for term in float_terms(kernel, 2.0**-46)] == [True, False]
    image = np.random.default_rng(4).integers(0, 256, size=(40, 33, 3)).astype(np.uint8)
    got = correlate(image, kernel, method="separable", border="reflect")
    assert np.array_equal(got, naive_correlate(image, kernel, border="reflect"))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=4).filter(any),
    st.integers(0, 4),
    st.sampled_from([1.0, 0.25, 1 / 3]),
)
def test_pair_factors_take_out_the_binomial_part_of_a_pass(rest, pairs, scale):
    """``taps`` = (1 + x)^m · rest as polynomials, m chosen for fewest passes: rebuilding
    from the factors gives the taps back, and never more passes than the taps alone."""
    from convcli.engine.separable import pair_factors, pass_cost

    taps = np.array(rest, dtype=float)
    for _ in range(pairs):
        taps = np.convolve(taps, [1.0, 1.0])
    taps *= scale
    found, remainder = pair_factors(taps, 1)
    rebuilt = remainder
    for _ in range(found):
        rebuilt = np.convolve(rebuilt, [1.0, 1.0])
    np.testing.assert_allclose(rebuilt, taps, rtol=1e-12, atol=1e-12)
    assert pass_cost(taps, 2, 1) <= pass_cost(taps, 2, 2)  # stride 2: no pair sums


def test_pair_factors_leave_signed_or_strided_taps_alone():
    """Sums of pairs run at full resolution and must never exceed the final sums' bound."""
    from convcli.engine.separable import pair_factors

    assert pair_factors(np.array([1.0, 4.0, 6.0, 4.0, 1.0]), 1)[0] == 4
    assert pair_factors(np.array([1.0, 4.0, 6.0, 4.0, 1.0]), 2)[0] == 0
    assert pair_factors(np.array([-1.0, 0.0, 1.0]), 1)[0] == 0
    assert pair_factors(np.array([1.0, 0.0, 0.0, 1.0]), 1)[0] == 0  # (1+x)(1-x+x²)


BINOMIAL_LIKE = {
    "binomial 5x5": np.outer([1.0, 4, 6, 4, 1], [1.0, 4, 6, 4, 1]) / 256,
    "Sobel-y": np.outer([1.0, 0, -1], [1.0, 2, 1]),
    "[1 2 1] x [1 3 3 1]": np.outer([1.0, 2, 1], [1.0, 3, 3, 1]),
    "[1 3 2] x [2 3 1]": np.outer([1.0, 3, 2], [2.0, 3, 1]),  # (1+x)(1+2x), (1+x)(2+x)
}


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("border", BORDERS)
def test_pair_sum_passes_match_the_reference_everywhere(border, padding):
    """Kernels whose 1-D factors contain (1 + x)^m agree with the naive loop at every border,
    padding, stride and dilation."""
    assert not _separable_disagreements(BINOMIAL_LIKE, border, padding)


def test_splitting_weights_at_the_ends_of_the_float_range_raises_no_warning():
    """Regression (found by hypothesis): the tap's value overflowed while trying the split."""
    kernel = np.array([[1e-200, 1e200], [1e200, 1.0]])
    terms = float_terms(kernel)
    rebuilt = sum(np.outer(t.column, t.row) for t in terms)
    assert np.abs(rebuilt - kernel).sum() <= TOLERANCE * np.abs(kernel).sum()


@pytest.mark.parametrize(
    "shape, kernel, method, threaded",
    [
        ((1080, 1920, 3), np.random.default_rng(1).normal(size=(7, 7)), "direct", True),
        ((1080, 1920, 3), np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0.0]]), "direct", False),
        ((1080, 1920, 3), np.outer([1.0, 4, 6, 4, 1], [1.0, 4, 6, 4, 1]), "separable", False),
        ((1080, 1920, 3), np.random.default_rng(2).random((31, 31)), "fft", True),
        ((40, 40, 3), np.random.default_rng(1).normal(size=(7, 7)), "direct", False),
    ],
    ids=["dense 7x7", "sharpen", "binomial", "fft", "tiny image"],
)
def test_threads_by_default_only_where_bands_keep_numpy_busy(
    monkeypatch, shape, kernel, method, threaded
):
    """Every core for FFTs and direct plans of many passes on enough pixels; one thread for
    the few short passes of small kernels (two threads measured slower there)."""
    from convcli.engine import plan_for
    from convcli.engine.strips import usable_cores

    monkeypatch.delenv("CONVCLI_THREADS", raising=False)
    plan = plan_for(np.zeros(shape, np.float32), kernel, EngineOptions(method=method))
    assert plan.threads == (usable_cores() if threaded else 1)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(-300, 600), min_size=1, max_size=60),
    st.tuples(st.booleans(), st.booleans()),
)
def test_clipping_counts_do_not_depend_on_the_last_bands_hint(values, recent):
    """Counting straight away (after a band that clipped) or after looking at the minimum and
    maximum gives the same samples and the same counts."""
    from convcli.engine.samples import clip_into

    sums = np.array(values, dtype=np.int16)
    clipping = Clipping()
    clipping.recent = recent
    out = np.empty(sums.shape, np.uint8)
    clip_into(sums, out, clipping)
    np.testing.assert_array_equal(out, np.clip(sums, 0, 255))
    assert (clipping.low, clipping.high) == (int((sums < 0).sum()), int((sums > 255).sum()))
    assert clipping.recent == (clipping.low > 0, clipping.high > 0)
