"""The convolution engine against its specification: the naive reference, scipy, and the contract.

The reference in ``naive.py`` is the definition; scipy.ndimage is an independent oracle for the
cases it covers (stride 1, dilation 1, same padding).
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
from naive import assert_close, naive_convolve, naive_correlate

from convcli import convolve, correlate
from convcli.engine import BORDERS, PADDINGS
from convcli.errors import ConvcliError, EngineArgumentError

OPERATIONS = {"correlate": (correlate, naive_correlate), "convolve": (convolve, naive_convolve)}
KERNEL_SHAPES = [(3, 3), (2, 2), (4, 4), (1, 3), (3, 1), (2, 5), (1, 1)]
SIGNAL_KERNEL_LENGTHS = [1, 2, 3, 4, 5]
STRIDES = [1, 2, 3, (1, 2)]
DILATIONS = [1, 2, (2, 1)]
IMAGE_SHAPES = {"2-D": (7, 6), "3-D": (5, 8, 3)}
FILL = 2.5  # a fill that is neither 0 nor a pixel value, so reading it shows
FLOAT64 = 1e-10  # float64 results: any misplaced tap on random data is far larger than this


def _seed(*parts: object) -> int:
    """A seed that depends only on the test case (not on Python's per-run string hashing)."""
    return zlib.crc32(repr(parts).encode())


def _span(taps: int, dilation: int) -> int:
    return dilation * (taps - 1) + 1


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _mismatches(operation, image, weights, border, padding, strides, dilations, fits):
    """Describe every (stride, dilation) where the engine and the reference disagree."""
    engine, reference = OPERATIONS[operation]
    problems = []
    for stride, dilation in itertools.product(strides, dilations):
        options = {"border": border, "fill": FILL, "padding": padding}
        options |= {"stride": stride, "dilation": dilation}
        where = f"stride={stride} dilation={dilation}"
        if not fits(dilation):
            with pytest.raises(EngineArgumentError, match="valid"):
                engine(image, weights, **options)
            continue
        got = engine(image, weights, **options)
        expected = reference(image, weights, **options)
        if got.shape != expected.shape:
            problems.append(f"{where}: shape {got.shape}, expected {expected.shape}")
        elif np.max(np.abs(got - expected)) > FLOAT64 * max(1.0, np.max(np.abs(expected))):
            problems.append(f"{where}: got\n{got}\nexpected\n{expected}")
    return problems


# --- the whole grid against the naive reference --------------------------------------------


@pytest.mark.parametrize("image_kind", IMAGE_SHAPES)
@pytest.mark.parametrize("kernel_shape", KERNEL_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_image_matches_reference_for_every_stride_and_dilation(
    operation, border, padding, kernel_shape, image_kind
):
    """Every border x padding x stride x dilation x kernel shape agrees with the definition.

    Where valid padding cannot fit the dilated kernel, the engine must refuse instead.
    """
    rng = np.random.default_rng(_seed(operation, border, padding, kernel_shape, image_kind))
    shape = IMAGE_SHAPES[image_kind]
    image = rng.normal(size=shape)
    weights = rng.normal(size=kernel_shape)

    def fits(dilation):
        rows, cols = _pair(dilation)
        return padding != "valid" or (
            _span(kernel_shape[0], rows) <= shape[0] and _span(kernel_shape[1], cols) <= shape[1]
        )

    problems = _mismatches(operation, image, weights, border, padding, STRIDES, DILATIONS, fits)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("taps", SIGNAL_KERNEL_LENGTHS)
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_signal_matches_reference_for_every_stride_and_dilation(operation, border, padding, taps):
    """1-D signals with 1-D kernels agree with the definition for every stride and dilation.

    (A (rows, cols) pair has no meaning for a signal, so only whole-number strides and
    dilations are used, plus strides as long as the signal.)
    """
    rng = np.random.default_rng(_seed(operation, border, padding, taps))
    image = rng.normal(size=9)
    weights = rng.normal(size=taps)

    def fits(dilation):
        return padding != "valid" or _span(taps, dilation) <= image.size

    int_strides = [s for s in STRIDES if isinstance(s, int)] + [9, 10]
    int_dilations = [d for d in DILATIONS if isinstance(d, int)] + [3]
    problems = _mismatches(
        operation, image, weights, border, padding, int_strides, int_dilations, fits
    )
    assert not problems, "\n".join(problems)


def test_article_example():
    """The worked example from the article: a full convolution with zero borders."""
    signal = [0, 0, 0, 1, 2, 3, 2, 1, 0, 0]
    got = convolve(signal, [1, 2, 3, 2, 1], padding="full", border="constant")
    np.testing.assert_array_equal(got, [0, 0, 0, 1, 4, 10, 16, 19, 16, 10, 4, 1, 0, 0])


@pytest.mark.parametrize("taps", [1, 2, 3, 4, 5, 8])
def test_full_and_valid_match_numpy(taps):
    """With a zero border, full/valid convolve is np.convolve and valid correlate np.correlate."""
    rng = np.random.default_rng(taps)
    signal, weights = rng.normal(size=8), rng.normal(size=taps)
    zero = {"border": "constant", "fill": 0.0}
    for mode in ("full", "valid"):
        got = convolve(signal, weights, padding=mode, **zero)
        assert_close(got, np.convolve(signal, weights, mode), FLOAT64)
    got = correlate(signal, weights, padding="valid", **zero)
    assert_close(got, np.correlate(signal, weights, "valid"), FLOAT64)


# --- scipy.ndimage as an oracle -----------------------------------------------------------


def _random_case(rng, ndim):
    """A random image of ``ndim`` dims and a kernel that is sometimes larger than the image."""
    if ndim == 1:
        return rng.normal(size=rng.integers(1, 9)), rng.normal(size=rng.integers(1, 12))
    shape = tuple(rng.integers(1, 9, size=2)) + ((rng.integers(1, 4),) if ndim == 3 else ())
    return rng.normal(size=shape), rng.normal(size=tuple(rng.integers(1, 11, size=2)))


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_same_padding_matches_scipy(operation, border, ndim):
    """Stride 1, dilation 1, same padding is scipy.ndimage.correlate/convolve with origin 0.

    Random shapes, odd and even kernels, kernels larger than the image; a 3-D image is
    compared channel by channel with scipy filtering each channel with the 2-D kernel.
    """
    ndimage = pytest.importorskip("scipy.ndimage")
    oracle = getattr(ndimage, operation)
    engine = OPERATIONS[operation][0]
    rng = np.random.default_rng(ndim * 100 + BORDERS.index(border))
    for _ in range(40):
        image, weights = _random_case(rng, ndim)
        got = engine(image, weights, border=border, fill=-1.25)
        assert got.shape == image.shape
        planes = [image] if ndim < 3 else [image[:, :, c] for c in range(image.shape[2])]
        for c, plane in enumerate(planes):
            expected = oracle(plane, weights, mode=border, cval=-1.25)
            got_plane = got if ndim < 3 else got[:, :, c]
            assert_close(got_plane, expected, FLOAT64)


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_dilation_is_a_kernel_with_zeros_between_taps(operation, border):
    """Dilation d equals scipy with d-1 zeros inserted between the taps, centred the same way."""
    ndimage = pytest.importorskip("scipy.ndimage")
    oracle = getattr(ndimage, operation)
    rng = np.random.default_rng(7)
    image, weights = rng.normal(size=(9, 8)), rng.normal(size=(2, 3))
    for dilation in [(1, 2), (2, 1), (3, 2), (2, 4)]:
        dilated = np.zeros((_span(2, dilation[0]), _span(3, dilation[1])))
        dilated[:: dilation[0], :: dilation[1]] = weights
        got = OPERATIONS[operation][0](image, weights, border=border, dilation=dilation)
        assert_close(got, oracle(image, dilated, mode=border), FLOAT64)


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("stride", [2, 3, (2, 3), (3, 1), (1, 4)])
def test_stride_keeps_every_sth_sample(stride, padding):
    """Stride s keeps rows and columns 0, s, 2s, ... of the stride-1 result."""
    rng = np.random.default_rng(3)
    image, weights = rng.normal(size=(9, 10, 2)), rng.normal(size=(3, 2))
    rows, cols = _pair(stride)
    for operation in (correlate, convolve):
        dense = operation(image, weights, padding=padding)
        strided = operation(image, weights, padding=padding, stride=stride)
        assert_close(strided, dense[::rows, ::cols], FLOAT64)
        if padding == "same":  # ceil(N / s) samples per axis
            assert strided.shape == (-(-9 // rows), -(-10 // cols), 2)


def test_stride_matches_scipy_slicing():
    """With scipy as the oracle: the strided result is scipy's result sliced."""
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(4)
    image, weights = rng.normal(size=(11, 7)), rng.normal(size=(3, 4))
    got = correlate(image, weights, border="wrap", stride=(3, 2))
    assert_close(got, ndimage.correlate(image, weights, mode="wrap")[::3, ::2], FLOAT64)


# --- which way the kernel points ------------------------------------------------------------

RIGHT_NEIGHBOUR = np.array(
    [
        [0, 0, 0],
        [0, 0, 1],  # the tap right of the centre
        [0, 0, 0],
    ]
)


def test_correlate_with_right_tap_moves_content_left():
    """correlate reads the kernel as written: a tap right of centre gives out[i, j] = x[i, j+1]."""
    image = np.array(
        [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
        ]
    )
    got = correlate(image, RIGHT_NEIGHBOUR, border="constant", fill=0)
    assert_close(
        got,
        [  # every row slid one place to the left; the fill comes in on the right
            [2, 3, 4, 0],
            [6, 7, 8, 0],
        ],
    )


def test_convolve_with_right_tap_moves_content_right():
    """convolve turns the kernel 180°: the same kernel gives out[i, j] = x[i, j-1]."""
    image = np.array(
        [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
        ]
    )
    got = convolve(image, RIGHT_NEIGHBOUR, border="constant", fill=0)
    assert_close(
        got,
        [  # every row slid one place to the right; the fill comes in on the left
            [0, 1, 2, 3],
            [0, 5, 6, 7],
        ],
    )


def test_shift_directions_on_a_signal():
    """In 1-D: correlate [0, 0, 1] moves a bump left by one, convolve moves it right."""
    bump = [0, 0, 0, 5, 0, 0, 0]
    assert correlate(bump, [0, 0, 1], border="constant").tolist() == [0, 0, 5, 0, 0, 0, 0]
    assert convolve(bump, [0, 0, 1], border="constant").tolist() == [0, 0, 0, 0, 5, 0, 0]


ASYMMETRIC = np.array(
    [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
    ]
)


def test_convolving_an_impulse_reproduces_the_kernel_as_written():
    """The impulse response of convolve is the kernel itself."""
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1
    got = convolve(impulse, ASYMMETRIC, border="constant")
    assert_close(got[1:4, 1:4], ASYMMETRIC)
    assert got.sum() == pytest.approx(ASYMMETRIC.sum())


def test_correlating_an_impulse_gives_the_kernel_turned_180_degrees():
    """The impulse response of correlate is the kernel turned half a turn."""
    impulse = np.zeros((5, 5))
    impulse[2, 2] = 1
    got = correlate(impulse, ASYMMETRIC, border="constant")
    assert_close(
        got[1:4, 1:4],
        [
            [9, 8, 7],
            [6, 5, 4],
            [3, 2, 1],
        ],
    )
    assert got.sum() == pytest.approx(ASYMMETRIC.sum())


def test_docstring_examples():
    """The examples in the API docstrings."""
    assert correlate([0, 0, 1, 0, 0], [1, 2, 3], border="constant").tolist() == [0, 3, 2, 1, 0]
    assert convolve([0, 0, 1, 0, 0], [1, 2, 3], border="constant").tolist() == [0, 1, 2, 3, 0]


# --- the dtype contract ---------------------------------------------------------------------

SOBEL_X = np.array(
    [
        [-1, 0, 1],
        [-2, 0, 2],
        [-1, 0, 1],
    ]
)


@pytest.mark.parametrize(
    ("dtype", "result"),
    [
        (np.uint8, np.float32),
        (np.uint16, np.float32),
        (np.int16, np.float32),
        (np.int32, np.float32),
        (np.bool_, np.float32),
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
    ],
    ids=lambda t: np.dtype(t).name,
)
@pytest.mark.parametrize("operation", [correlate, convolve], ids=["correlate", "convolve"])
def test_result_dtype(operation, dtype, result):
    """The result is float64 for float64 input and float32 for everything else."""
    image = (np.arange(20).reshape(4, 5) % 2).astype(dtype)
    got = operation(image, SOBEL_X)
    assert got.dtype == result
    reference = naive_correlate if operation is correlate else naive_convolve
    assert_close(got, reference(image, SOBEL_X))


@pytest.mark.parametrize("operation", [correlate, convolve], ids=["correlate", "convolve"])
def test_uint8_sobel_on_a_step_edge_neither_wraps_nor_clips(operation):
    """A 0 -> 255 step under Sobel gives 4 * 255 = 1020 (and -1020 turned), not 252 or 255."""
    step = np.array([[0, 0, 255, 255]] * 3, dtype=np.uint8)
    expected_sign = 1 if operation is correlate else -1
    got = operation(step, SOBEL_X, border="nearest")
    np.testing.assert_array_equal(got[:, 1:3], expected_sign * np.full((3, 2), 1020.0))
    np.testing.assert_array_equal(
        operation(255 - step, SOBEL_X, border="nearest")[:, 1:3], -expected_sign * 1020.0
    )


def test_uint8_sobel_800_stays_800():
    """The spec's example: an 800 response from uint8 pixels is 800.0, and -800.0 turned."""
    image = np.array([[0, 0, 200], [0, 0, 200], [0, 0, 200]], dtype=np.uint8)
    assert correlate(image, SOBEL_X, border="constant")[1, 1] == 800.0
    assert convolve(image, SOBEL_X, border="constant")[1, 1] == -800.0


@pytest.mark.parametrize("byte_order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_float64_stays_float64_in_either_byte_order(byte_order):
    """float64 data read from a big-endian source (FITS, network order) is still float64."""
    image = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0 + 1e-12]], dtype=f"{byte_order}f8")
    got = correlate(image, [[1.0]])
    assert got.dtype == np.float64
    assert got[1, 2] == 6.0 + 1e-12


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_inputs_are_not_modified(dtype):
    """The engine never writes to the image or the kernel it was given."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 100, size=(6, 5, 3)).astype(dtype)
    weights = rng.normal(size=(3, 2))
    image_before, weights_before = image.copy(), weights.copy()
    for operation, padding in itertools.product((correlate, convolve), PADDINGS):
        operation(image, weights, padding=padding, border="wrap")
        operation(image, weights, padding=padding, border="constant", fill=3.0)
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(weights, weights_before)


@pytest.mark.parametrize(
    "pair",
    [(2, 3), [2, 3], (np.int64(2), np.uint8(3)), range(2, 4)],
    ids=["tuple", "list", "numpy ints", "range"],
)
def test_stride_and_dilation_pairs_are_rows_then_columns(pair):
    """A (rows, cols) pair may be any sequence of two whole numbers; rows come first."""
    rng = np.random.default_rng(5)
    image, weights = rng.normal(size=(9, 11)), rng.normal(size=(2, 3))
    for option in ("stride", "dilation"):
        got = correlate(image, weights, **{option: pair})
        assert_close(got, naive_correlate(image, weights, **{option: (2, 3)}), FLOAT64)
    assert correlate(image, weights, stride=pair).shape == (5, 4)


def test_accepts_lists_and_non_contiguous_views():
    """Nested lists and strided views are images too."""
    base = np.arange(48, dtype=np.float64).reshape(6, 8)
    view = base[::2, ::-3]
    weights = [[1, 2], [3, 4]]
    assert_close(correlate(view, weights), naive_correlate(view, weights), FLOAT64)
    assert_close(correlate(view.tolist(), weights), naive_correlate(view, weights), FLOAT64)


# --- errors ---------------------------------------------------------------------------------

IMAGE = np.arange(12.0).reshape(3, 4)

ERRORS = {
    "empty kernel": ({"weights": []}, "empty"),
    "empty 2-D kernel": ({"weights": np.zeros((0, 3))}, "empty"),
    "NaN weight": ({"weights": [1.0, np.nan, 1.0]}, "finite"),
    "infinite weight": ({"weights": [[1.0, np.inf]]}, "finite"),
    "3-D kernel": ({"weights": np.ones((1, 1, 1))}, "3-D kernel"),
    "3-D kernel on 3-D image": (
        {"image": np.ones((3, 3, 3)), "weights": np.ones((3, 3, 3))},
        "3-D kernel",
    ),
    "2-D kernel on a signal": ({"image": [1.0, 2.0, 3.0], "weights": [[1.0]]}, "2-D kernel"),
    "stride 0": ({"stride": 0}, "stride"),
    "negative stride": ({"stride": -2}, "stride"),
    "stride pair with 0": ({"stride": (1, 0)}, "stride"),
    "fractional stride": ({"stride": 1.5}, "stride"),
    "bool stride": ({"stride": True}, "stride"),
    "bool in stride pair": ({"stride": (True, 1)}, "stride"),
    "stride triple": ({"stride": (1, 1, 1)}, "stride"),
    "dilation 0": ({"dilation": 0}, "dilation"),
    "dilation pair with 0": ({"dilation": (0, 2)}, "dilation"),
    "fractional dilation": ({"dilation": 0.5}, "dilation"),
    "bool dilation": ({"dilation": True}, "dilation"),
    "fractional in dilation pair": ({"dilation": (1, 1.5)}, "dilation"),
    "unknown border": ({"border": "bogus"}, "border"),
    "border not a name": ({"border": None}, "border"),
    "numpy's reflect spelled as mirror-ish": ({"border": "reflect_102"}, "border"),
    "zero border with a fill": ({"border": "zero", "fill": 1.0}, "fill"),
    "dirichlet border with a fill": ({"border": "Dirichlet", "fill": -2}, "fill"),
    "unknown padding": ({"padding": "circular"}, "padding"),
    "padding not a name": ({"padding": None}, "padding"),
    "valid kernel too tall": ({"weights": np.ones((4, 1)), "padding": "valid"}, "valid"),
    "valid kernel too wide": (
        {"image": [1, 2, 3], "weights": np.ones(4), "padding": "valid"},
        "valid",
    ),
    "valid kernel too wide dilated": (
        {"weights": np.ones((1, 3)), "padding": "valid", "dilation": (1, 2)},
        "valid",
    ),
    "empty image": ({"image": []}, "empty"),
    "empty 2-D image": ({"image": np.zeros((0, 4))}, "empty"),
    "empty 3-D image": ({"image": np.zeros((3, 4, 0))}, "empty"),
    "0-d image": ({"image": np.float64(3.0)}, "0-D"),
    "4-d image": ({"image": np.zeros((2, 2, 2, 2))}, "4-D"),
    "complex image": ({"image": IMAGE.astype(complex)}, "complex"),
    "string image": ({"image": np.array([["a", "b"], ["c", "d"]])}, "floats"),
    "NaN fill": ({"border": "constant", "fill": float("nan")}, "fill"),
    "infinite fill": ({"border": "constant", "fill": float("-inf")}, "fill"),
}


@pytest.mark.parametrize(("arguments", "keyword"), ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize("operation", [correlate, convolve], ids=["correlate", "convolve"])
def test_invalid_arguments_raise_engine_argument_error(operation, arguments, keyword):
    """Each invalid argument raises EngineArgumentError (a ValueError) naming the problem."""
    arguments = {"image": IMAGE, "weights": np.ones((3, 3))} | arguments
    image, weights = arguments.pop("image"), arguments.pop("weights")
    with pytest.raises(EngineArgumentError) as caught:
        operation(image, weights, **arguments)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, ConvcliError)
    assert keyword.lower() in str(caught.value).lower()


def test_kernel_larger_than_image_is_fine_for_same_and_full():
    """Only valid padding needs the kernel to fit; same and full extend the border as needed."""
    for padding, size in [("same", 3), ("full", 3 + 9 - 1)]:
        for border in BORDERS:
            got = correlate([1.0, 2.0, 3.0], np.ones(9), padding=padding, border=border)
            assert got.shape == (size,)
