"""Applying kernels to pixels: response × scale + offset, combined kernels, chains.

``apply_kernel`` is checked against the engine it wraps: the engine's response to the weights,
then the kernel's scale and offset, exactly as written.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcli import correlate
from convcli.engine import convolve
from convcli.filtering.filters import apply_chain, apply_kernel, default_full_range
from convcli.kernels import CombinedKernel, Kernel, resolve_kernel

RNG = np.random.default_rng(2024)
IMAGE = RNG.uniform(0, 255, (11, 9))
UINT8 = RNG.integers(0, 256, (10, 12), dtype=np.uint8)
ASYMMETRIC = [[1.0, 2.0, 0.0], [-1.0, 3.0, 5.0], [0.0, -2.0, 4.0]]


def kernel(weights: object, **info: object) -> Kernel:
    """A kernel with the given weights and KernelInfo fields."""
    return Kernel(name="test", weights=weights, **info)  # type: ignore[arg-type]


# --- scale and offset -----------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 0.5, 1 / 9, -2.0, 3.0])
@pytest.mark.parametrize("offset", [0.0, 128.0, -10.5])
def test_result_is_response_times_scale_plus_offset(scale: float, offset: float) -> None:
    """apply_kernel gives the engine's response × scale + offset."""
    result = apply_kernel(IMAGE, kernel(ASYMMETRIC, scale=scale, offset=offset))
    expected = correlate(IMAGE, ASYMMETRIC) * scale + offset
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-9)


def test_weights_are_not_normalised() -> None:
    """A blur without a scale brightens: the weights are applied exactly as written."""
    flat = np.full((5, 5), 10.0)
    np.testing.assert_array_equal(apply_kernel(flat, kernel(np.ones((3, 3)))), 90.0)
    np.testing.assert_allclose(apply_kernel(flat, resolve_kernel("box-3")), 10.0)


def test_pillow_emboss_style_offset() -> None:
    """An emboss with offset 128, like Pillow's EMBOSS, puts flat areas at mid-grey."""
    emboss = kernel([[-1, 0, 0], [0, 1, 0], [0, 0, 0]], offset=128)
    flat = np.full((6, 6), 77, dtype=np.uint8)
    np.testing.assert_array_equal(apply_kernel(flat, emboss), 128.0)
    step = np.zeros((6, 6), dtype=np.uint8)
    step[3:, 3:] = 100
    result = apply_kernel(step, emboss, border="nearest")
    assert result[3, 3] == 228.0  # 100 - 0 + 128
    assert result[4, 4] == 128.0


@pytest.mark.parametrize(
    ("dtype", "full_range"),
    [
        (np.uint8, 255.0),
        (np.uint16, 65535.0),
        (np.int16, 32767.0),
        (np.int32, 2147483647.0),
        (np.float32, 1.0),
        (np.float64, 1.0),
        (np.bool_, 1.0),
    ],
)
def test_default_full_range_follows_the_dtype(dtype: type, full_range: float) -> None:
    """Integers span 0..dtype max; floats and booleans span 0..1."""
    assert default_full_range(np.dtype(dtype)) == full_range


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [(np.uint8, 127.5), (np.uint16, 32767.5), (np.float32, 0.5), (np.float64, 0.5)],
)
def test_relative_offset_is_a_fraction_of_the_full_range(dtype: type, expected: float) -> None:
    """``offset: 50%`` adds half the range: 127.5 for uint8, 32767.5 for uint16, 0.5 for float."""
    emboss_grey = resolve_kernel("emboss-grey")
    flat = np.full((5, 5), 1, dtype=dtype)
    np.testing.assert_array_equal(apply_kernel(flat, emboss_grey), expected)


def test_full_range_can_be_given() -> None:
    """``full_range`` overrides the dtype's range, e.g. for 12-bit data in uint16."""
    relative = kernel([[1]], offset=0.25, offset_relative=True)
    flat = np.zeros((3, 3), dtype=np.uint16)
    np.testing.assert_array_equal(apply_kernel(flat, relative, full_range=4095), 1023.75)


def test_absolute_offset_ignores_the_full_range() -> None:
    """An offset in image units is the same whatever the range."""
    absolute = kernel([[1]], offset=0.25)
    for image in (np.zeros((3, 3), np.uint8), np.zeros((3, 3), np.uint16), np.zeros((3, 3))):
        np.testing.assert_array_equal(apply_kernel(image, absolute), 0.25)


def test_negative_relative_offset() -> None:
    """A negative percentage subtracts a fraction of the range."""
    down = kernel([[1]], offset=-0.5, offset_relative=True)
    np.testing.assert_array_equal(apply_kernel(np.full((2, 2), 200, np.uint8), down), 72.5)


# --- dtypes: no wrapping, no clipping -------------------------------------------------------


def test_integer_inputs_are_not_wrapped_or_clipped() -> None:
    """uint8 input gives float output beyond 0..255 in both directions."""
    bright = np.full((4, 4), 250, dtype=np.uint8)
    np.testing.assert_array_equal(apply_kernel(bright, kernel([[1, 1, 1]])), 750.0)
    np.testing.assert_array_equal(apply_kernel(bright, kernel([[-1, -1, -1]])), -750.0)
    sobel_x = apply_kernel(UINT8, resolve_kernel("sobel-x"))
    assert sobel_x.min() < 0
    np.testing.assert_allclose(
        sobel_x, correlate(UINT8.astype(np.float64), resolve_kernel("sobel-x").weights)
    )


@pytest.mark.parametrize(
    ("dtype", "result"),
    [
        (np.uint8, np.float64),
        (np.int16, np.float64),
        (np.float32, np.float32),
        (np.float64, np.float64),
    ],
)
def test_result_is_float(dtype: type, result: type) -> None:
    """Integer images give float64 (their exact sums, rounded once); float images keep their
    precision."""
    image = np.ones((4, 4), dtype=dtype)
    assert apply_kernel(image, resolve_kernel("gaussian-3")).dtype == result


def test_input_is_not_modified() -> None:
    """apply_kernel never writes to its input."""
    image = IMAGE.copy()
    apply_kernel(image, kernel(ASYMMETRIC, scale=2, offset=3))
    apply_kernel(image, resolve_kernel("sobel"))
    np.testing.assert_array_equal(image, IMAGE)


def test_colour_channels_are_filtered_independently() -> None:
    """An (H, W, C) image is filtered channel by channel, for combined kernels too."""
    colour = np.stack([IMAGE, IMAGE[::-1], IMAGE * 0.5], axis=-1)
    for spec in ("sharpen", "sobel", "emboss-grey"):
        k = resolve_kernel(spec)
        result = apply_kernel(colour, k)
        for channel in range(3):
            np.testing.assert_allclose(result[..., channel], apply_kernel(colour[..., channel], k))


# --- the engine's options -------------------------------------------------------------------


def test_convolve_turns_the_kernel_half_way() -> None:
    """``convolve=True`` applies the kernel turned 180°; the default applies it as written."""
    as_written = kernel(ASYMMETRIC, scale=0.5, offset=1)
    turned = kernel(np.rot90(ASYMMETRIC, 2), scale=0.5, offset=1)
    np.testing.assert_allclose(
        apply_kernel(IMAGE, as_written, convolve=True), apply_kernel(IMAGE, turned)
    )
    np.testing.assert_allclose(
        apply_kernel(IMAGE, as_written, convolve=True), convolve(IMAGE, ASYMMETRIC) * 0.5 + 1
    )
    assert not np.allclose(apply_kernel(IMAGE, as_written), apply_kernel(IMAGE, turned))


def test_convolve_flips_derivative_directions() -> None:
    """With ``convolve=True`` sobel-x is negative on a left→right ramp."""
    ramp = np.tile(np.arange(8.0), (8, 1))
    result = apply_kernel(ramp, resolve_kernel("sobel-x"), convolve=True)
    assert np.all(result[1:-1, 1:-1] < 0)


@pytest.mark.parametrize(
    "options",
    [
        {"border": "constant", "fill": 7.0},
        {"border": "wrap"},
        {"padding": "valid"},
        {"padding": "full"},
        {"stride": 2},
        {"dilation": 2},
    ],
)
def test_engine_options_are_passed_through(options: dict[str, object]) -> None:
    """border, fill, padding, stride and dilation reach the engine unchanged."""
    result = apply_kernel(IMAGE, kernel(ASYMMETRIC, scale=2, offset=1), **options)
    expected = correlate(IMAGE, ASYMMETRIC, **options) * 2 + 1  # type: ignore[arg-type]
    np.testing.assert_allclose(result, expected, rtol=1e-12)


# --- combined kernels -----------------------------------------------------------------------

X = kernel([[-1, 0, 1]], scale=2)
Y = kernel([[-1], [0], [1]])
Z = kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]], offset=3)


@pytest.mark.parametrize(
    ("combine", "reduce"),
    [
        ("magnitude", lambda rs: np.sqrt(sum(r * r for r in rs))),
        ("max", lambda rs: np.maximum.reduce(rs)),
        ("sum", lambda rs: sum(rs)),
    ],
)
def test_combined_kernels_combine_their_parts_responses(combine: str, reduce: object) -> None:
    """magnitude = sqrt(Σ r²), max = pointwise max, sum = Σ r, over the parts' full responses."""
    combined = CombinedKernel(name="c", parts=(X, Y, Z), combine=combine)  # type: ignore[arg-type]
    responses = [apply_kernel(IMAGE, part) for part in (X, Y, Z)]
    np.testing.assert_allclose(apply_kernel(IMAGE, combined), reduce(responses), rtol=1e-12)  # type: ignore[operator]


def test_combined_kernel_applies_its_own_scale_and_offset_after_combining() -> None:
    """A combined kernel's scale and offset act on the combined response."""
    plain = CombinedKernel(name="c", parts=(X, Y), combine="magnitude")
    scaled = CombinedKernel(name="c", parts=(X, Y), combine="magnitude", scale=0.25, offset=10)
    np.testing.assert_allclose(apply_kernel(IMAGE, scaled), apply_kernel(IMAGE, plain) * 0.25 + 10)


def test_combined_relative_offset_uses_the_image_range() -> None:
    """A combined kernel's percentage offset is a fraction of the image's full range."""
    combined = CombinedKernel(
        name="c", parts=(kernel([[1, -1]]),), combine="sum", offset=0.5, offset_relative=True
    )
    flat = np.full((4, 4), 9, dtype=np.uint16)
    np.testing.assert_array_equal(apply_kernel(flat, combined), 32767.5)


def test_nested_combined_kernels() -> None:
    """A combined kernel may combine combined kernels."""
    inner = CombinedKernel(name="inner", parts=(X, Y), combine="magnitude")
    outer = CombinedKernel(name="outer", parts=(inner, Z), combine="max")
    expected = np.maximum(apply_kernel(IMAGE, inner), apply_kernel(IMAGE, Z))
    np.testing.assert_allclose(apply_kernel(IMAGE, outer), expected)


def test_sobel_magnitude_of_a_vertical_edge() -> None:
    """The sobel operator on a 0→1 vertical step is 4 next to the edge and 0 elsewhere."""
    step = np.zeros((7, 8))
    step[:, 4:] = 1
    result = apply_kernel(step, resolve_kernel("sobel"), border="nearest")
    np.testing.assert_array_equal(result[:, 3:5], 4.0)
    np.testing.assert_array_equal(result[:, :3], 0.0)
    np.testing.assert_array_equal(result[:, 5:], 0.0)


@pytest.mark.parametrize(
    "sizes",
    [(3, 5), (1, 3), (2, 2), (3, 4), (2, 3), (4, 5)],
    ids=lambda sizes: f"{sizes[0]}x{sizes[0]}-and-{sizes[1]}x{sizes[1]}",
)
@pytest.mark.parametrize("combine", ["sum", "max", "magnitude"])
def test_combined_parts_of_different_sizes_align_under_valid_padding(
    sizes: tuple[int, int], combine: str
) -> None:
    """Under ``padding="valid"``, parts of different sizes are combined pixel for pixel."""
    # The result covers the pixels where every part fits, each part's response taken at the
    # same image pixel (the anchor of a size-k kernel is index k//2).
    rng = np.random.default_rng(sum(sizes))
    parts = tuple(kernel(rng.integers(-3, 4, (k, k)).astype(float)) for k in sizes)
    combined = CombinedKernel(name="c", parts=parts, combine=combine)  # type: ignore[arg-type]
    same = [apply_kernel(IMAGE, part) for part in parts]
    top = max(k // 2 for k in sizes)
    bottom = max(k - 1 - k // 2 for k in sizes)
    rows, cols = IMAGE.shape
    window = (slice(top, rows - bottom), slice(top, cols - bottom))
    reduce = {
        "sum": lambda rs: sum(rs),
        "max": lambda rs: np.maximum.reduce(rs),
        "magnitude": lambda rs: np.sqrt(sum(r * r for r in rs)),
    }[combine]
    expected = reduce([response[window] for response in same])
    np.testing.assert_allclose(apply_kernel(IMAGE, combined, padding="valid"), expected, atol=1e-9)


# --- chains ---------------------------------------------------------------------------------


@pytest.mark.parametrize("image", [IMAGE, UINT8], ids=["float64", "uint8"])
def test_chain_equals_applying_one_after_the_other(image: np.ndarray) -> None:
    """apply_chain gives the same result as applying the kernels in turn, in float."""
    first, second = resolve_kernel("gaussian-3"), resolve_kernel("sharpen")
    chained = apply_chain(image, [first, second])
    by_hand = apply_kernel(apply_kernel(image, first), second)
    np.testing.assert_array_equal(chained, by_hand)


def test_chain_of_the_same_kernel_twice() -> None:
    """Chaining a kernel twice equals applying it to its own result."""
    k = kernel(ASYMMETRIC, scale=0.5, offset=2)
    np.testing.assert_allclose(apply_chain(IMAGE, [k, k]), apply_kernel(apply_kernel(IMAGE, k), k))


def test_chain_keeps_values_between_steps() -> None:
    """Values beyond the dtype's range after one step are kept for the next (no rounding)."""
    doubler, halver = kernel([[2]]), kernel([[0.5]])
    bright = np.full((3, 3), 200, dtype=np.uint8)
    np.testing.assert_array_equal(apply_chain(bright, [doubler, halver]), 200.0)
    third = kernel([[1]], scale=1 / 3)
    thrice = kernel([[3]])
    np.testing.assert_allclose(apply_chain(np.full((3, 3), 1.0), [third, thrice]), 1.0)


def test_chain_relative_offsets_use_the_original_range() -> None:
    """Every step's percentage offset uses the input image's range, not the float intermediate's."""
    emboss_grey = resolve_kernel("emboss-grey")
    flat = np.full((6, 6), 40, dtype=np.uint8)
    np.testing.assert_array_equal(apply_chain(flat, [emboss_grey, emboss_grey]), 127.5)
    shift = kernel([[1]], offset=0.1, offset_relative=True)
    np.testing.assert_allclose(apply_chain(flat, [shift, shift]), 40 + 2 * 25.5, rtol=1e-6)


def test_chain_passes_engine_options_to_every_step() -> None:
    """Engine options apply to each step of a chain."""
    k = kernel(ASYMMETRIC)
    chained = apply_chain(IMAGE, [k, k], border="constant", convolve=True)
    by_hand = apply_kernel(
        apply_kernel(IMAGE, k, border="constant", convolve=True),
        k,
        border="constant",
        convolve=True,
    )
    np.testing.assert_array_equal(chained, by_hand)
