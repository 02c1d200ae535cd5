"""Properties of the kernel formats: round trips, robustness to any text, generator invariants.

Round trips use values that print exactly (integers, halves, and ``repr`` of any finite float),
so every format must give back the very same weights.
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convcli.errors import KernelError
from convcli.kernels import Kernel, generate, resolve_kernel
from convcli.kernels.text import parse_grid, parse_inline
from convcli.kernels.yamlfile import KEYS, parse_yaml_kernels

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Matrix = list[list[float]]

halves = st.integers(-2000, 2000).map(lambda n: n / 2)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
values = st.one_of(halves, any_finite)


@st.composite
def matrices(draw: st.DrawFn, elements: st.SearchStrategy[float] = values) -> Matrix:
    """A small rectangular matrix."""
    rows = draw(st.integers(1, 6))
    columns = draw(st.integers(1, 6))
    row = st.lists(elements, min_size=columns, max_size=columns)
    return draw(st.lists(row, min_size=rows, max_size=rows))


def text(value: float) -> str:
    """A number as a person or a program would write it, exactly."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


separators = st.sampled_from([" ", ",", ", ", " , ", "\t", "  "])


def assert_same(weights: np.ndarray, matrix: Matrix) -> None:
    """``weights`` hold exactly ``matrix``, in float64."""
    assert weights.dtype == np.float64
    np.testing.assert_array_equal(weights, np.array(matrix, dtype=np.float64))


# --- round trips ----------------------------------------------------------------------------


@PROPERTY
@given(matrix=matrices(), separator=separators, comment=st.booleans())
def test_grid_round_trip(matrix: Matrix, separator: str, comment: bool) -> None:
    """A matrix written as a text grid, with any separators and comments, reads back exactly."""
    lines = [separator.join(text(v) for v in row) for row in matrix]
    if comment:
        lines = ["# written by a test", "", *(f"{line}  # row" for line in lines), ""]
    assert_same(parse_grid("\n".join(lines), "k.txt"), matrix)


@PROPERTY
@given(matrix=matrices(), separator=separators)
def test_inline_semicolon_round_trip(matrix: Matrix, separator: str) -> None:
    """A matrix written inline with ``;`` between rows reads back exactly."""
    spec = "; ".join(separator.join(text(v) for v in row) for row in matrix)
    assert_same(parse_inline(spec), matrix)


@PROPERTY
@given(matrix=matrices())
def test_json_round_trip(matrix: Matrix) -> None:
    """A matrix written as JSON reads back exactly."""
    assert_same(parse_inline(json.dumps(matrix)), matrix)


@PROPERTY
@given(matrix=matrices(), separator=st.sampled_from([",", " ", ", "]))
def test_imagemagick_round_trip(matrix: Matrix, separator: str) -> None:
    """A matrix written as ImageMagick ``WxH+X+Y: v,v,...``, origin at the centre, reads back."""
    height, width = len(matrix), len(matrix[0])
    origin = f"+{width // 2}+{height // 2}"
    spec = f"{width}x{height}{origin}: " + separator.join(text(v) for row in matrix for v in row)
    assert_same(parse_inline(spec), matrix)


@PROPERTY
@given(
    matrix=matrices(),
    origin=st.tuples(st.integers(0, 5), st.integers(0, 5)),
)
def test_imagemagick_origin_lands_on_the_anchor(matrix: Matrix, origin: tuple[int, int]) -> None:
    """With ``+X+Y`` the origin cell is the anchor and the other cells keep their offsets."""
    height, width = len(matrix), len(matrix[0])
    x, y = origin[0] % width, origin[1] % height
    cells = ",".join(text(v) for row in matrix for v in row)
    weights = parse_inline(f"{width}x{height}+{x}+{y}: {cells}")
    rows, columns = weights.shape
    top, left = rows // 2 - y, columns // 2 - x
    np.testing.assert_array_equal(weights[top : top + height, left : left + width], matrix)
    assert np.count_nonzero(weights) == np.count_nonzero(matrix)


@PROPERTY
@given(
    matrix=matrices(halves),
    divisor=st.integers(1, 1000) | st.integers(-1000, -1),
    offset=halves,
)
def test_vips_matrix_round_trip(
    tmp_path: Path, matrix: Matrix, divisor: int, offset: float
) -> None:
    """A .mat file reads back its weights, 1/divisor as scale, and its offset."""
    height, width = len(matrix), len(matrix[0])
    body = "\n".join(" ".join(text(v) for v in row) for row in matrix)
    path = tmp_path / "round.mat"
    path.write_text(f"{width} {height} {divisor} {text(offset)}\n{body}\n", encoding="utf-8")
    kernel = resolve_kernel(str(path))
    assert isinstance(kernel, Kernel)
    assert_same(kernel.weights, matrix)
    assert kernel.scale == 1 / divisor
    assert kernel.offset == offset


@PROPERTY
@given(matrix=matrices(any_finite))
def test_npy_round_trip(tmp_path: Path, matrix: Matrix) -> None:
    """A matrix saved with numpy.save reads back exactly."""
    path = tmp_path / "round.npy"
    np.save(path, np.array(matrix))
    kernel = resolve_kernel(str(path))
    assert isinstance(kernel, Kernel)
    assert_same(kernel.weights, matrix)


def _parse_yaml(document: str) -> Kernel:
    """The single plain kernel in a YAML document."""
    (kernel,) = parse_yaml_kernels(
        document, where="k.yaml", default_name="k", resolve=resolve_kernel
    )
    assert isinstance(kernel, Kernel)
    return kernel


@PROPERTY
@given(matrix=matrices(), flow=st.booleans())
def test_yaml_rows_round_trip(matrix: Matrix, flow: bool) -> None:
    """A matrix dumped by PyYAML as ``weights:`` rows reads back exactly."""
    document = yaml.safe_dump({"weights": matrix}, default_flow_style=flow)
    assert_same(_parse_yaml(document).weights, matrix)


@PROPERTY
@given(matrix=matrices(), separator=separators)
def test_yaml_text_block_round_trip(matrix: Matrix, separator: str) -> None:
    """A matrix written as a ``weights: |`` block of text rows reads back exactly."""
    rows = "".join("  " + separator.join(text(v) for v in row) + "\n" for row in matrix)
    assert_same(_parse_yaml(f"name: k\nweights: |\n{rows}").weights, matrix)


@PROPERTY
@given(
    matrix=matrices(st.integers(-99, 99).map(float)),
    numerator=st.integers(1, 9),
    denominator=st.integers(1, 64),
)
def test_yaml_scale_fraction_round_trip(matrix: Matrix, numerator: int, denominator: int) -> None:
    """``scale: a/b`` is read as a divided by b, and the weights stay as written."""
    document = yaml.safe_dump({"weights": matrix}) + f"scale: {numerator}/{denominator}\n"
    kernel = _parse_yaml(document)
    assert_same(kernel.weights, matrix)
    assert kernel.scale == numerator / denominator


# --- any text is a KernelError or a kernel --------------------------------------------------

MATRIX_ALPHABET = "0123456789.,;:/+-eExX[] \t\nnaif#%"
YAML_ALPHABET = "abcdegikmnorstwxyz0123456789.,:;/[]{}-_&*!|>#'\"%? \t\n"


@FUZZ
@given(st.text() | st.text(alphabet=MATRIX_ALPHABET))
@example(",")
def test_any_text_into_parse_grid_is_a_kernel_or_a_kernel_error(source: str) -> None:
    """parse_grid either reads weights or raises KernelError, whatever the text."""
    with contextlib.suppress(KernelError):
        weights = parse_grid(source, "k.txt")
        assert weights.ndim == 2
        assert weights.size > 0
        assert np.all(np.isfinite(weights))


@FUZZ
@given(st.text() | st.text(alphabet=MATRIX_ALPHABET))
@example("[[1" + "0" * 400 + "]]")
@example(",")
def test_any_text_into_parse_inline_is_a_kernel_or_a_kernel_error(source: str) -> None:
    """parse_inline either reads weights or raises KernelError, whatever the text."""
    with contextlib.suppress(KernelError):
        weights = parse_inline(source)
        assert weights.ndim == 2
        assert weights.size > 0
        assert np.all(np.isfinite(weights))


@st.composite
def yaml_like(draw: st.DrawFn) -> str:
    """Text that is often a YAML mapping with kernel keys and random values."""
    scalars = st.one_of(
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        st.text(max_size=12),
        st.sampled_from(["1/16", "50%", "sobel-x", "gaussian:sigma=1", "magnitude", "1 2; 3 4"]),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
        max_leaves=12,
    )
    keys = st.sampled_from(KEYS) | st.text(max_size=8)
    mapping = draw(st.dictionaries(keys, values, max_size=5))
    document = yaml.safe_dump(draw(st.just(mapping) | st.lists(st.just(mapping), max_size=3)))
    return draw(st.just(document) | st.text(alphabet=YAML_ALPHABET) | st.text())


@FUZZ
@given(yaml_like())
def test_any_text_into_parse_yaml_is_kernels_or_a_kernel_error(document: str) -> None:
    """parse_yaml_kernels either builds kernels or raises KernelError, whatever the text."""
    with contextlib.suppress(KernelError):
        kernels = parse_yaml_kernels(
            document, where="k.yaml", default_name="k", resolve=resolve_kernel
        )
        assert kernels


@FUZZ
@given(
    st.text()
    | st.text(alphabet=MATRIX_ALPHABET)
    | st.sampled_from(
        ["gaussian", "box", "motion", "log", "dog", "unsharp", "disk", "sobel"]
    ).flatmap(
        lambda name: st.text(alphabet="=,.0123456789-+/eaginmsz ").map(
            lambda rest: f"{name}:{rest}"
        )
    )
)
@example("~nosuchuser-convcli")
@example("x" * 300)
def test_any_text_into_resolve_kernel_is_a_kernel_or_a_kernel_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, spec: str
) -> None:
    """resolve_kernel either returns a kernel or raises KernelError, whatever the text."""
    monkeypatch.chdir(tmp_path)  # an empty current directory, so no spec names a real file
    with contextlib.suppress(KernelError):
        resolve_kernel(spec)


# --- generators -----------------------------------------------------------------------------

sigmas = st.floats(0.05, 30)
small_sigmas = st.floats(0.05, 12)


def _check_sum(spec: str, total: float) -> None:
    """The generated kernel is finite, odd-sided (boxes aside) and sums to ``total``."""
    kernel = generate(spec)
    weights = kernel.weights
    assert np.all(np.isfinite(weights))
    assert weights.shape[0] % 2 == 1 or spec.startswith("box")
    tolerance = 1e-9 * max(1.0, float(np.abs(weights).sum() * abs(kernel.scale)))
    assert math.isclose(kernel.effective_sum, total, abs_tol=tolerance)


@PROPERTY
@given(sigma=sigmas, size=st.none() | st.integers(0, 40).map(lambda n: 2 * n + 1))
def test_random_gaussians_sum_to_one(sigma: float, size: int | None) -> None:
    """Any gaussian within range is finite and sums to 1."""
    _check_sum(f"gaussian:sigma={sigma!r}" + (f",size={size}" if size else ""), 1.0)


@PROPERTY
@given(size=st.integers(1, 80))
def test_random_boxes_sum_to_one(size: int) -> None:
    """Any box sums to 1."""
    _check_sum(f"box:size={size}", 1.0)


@PROPERTY
@given(radius=st.floats(0.01, 60))
def test_random_disks_sum_to_one(radius: float) -> None:
    """Any disk sums to 1."""
    _check_sum(f"disk:radius={radius!r}", 1.0)


@PROPERTY
@given(length=st.floats(0.01, 150), angle=st.floats(-720, 720))
def test_random_motion_blurs_sum_to_one(length: float, angle: float) -> None:
    """Any motion blur is finite, non-negative and sums to 1."""
    _check_sum(f"motion:length={length!r},angle={angle!r}", 1.0)
    assert np.all(generate(f"motion:length={length!r},angle={angle!r}").weights >= 0)


@PROPERTY
@given(sigma=small_sigmas)
def test_random_log_sums_to_zero_with_a_negative_centre(sigma: float) -> None:
    """Any LoG is finite, sums to 0 and has a negative centre."""
    _check_sum(f"log:sigma={sigma!r}", 0.0)
    weights = generate(f"log:sigma={sigma!r}").weights
    assert weights[weights.shape[0] // 2, weights.shape[1] // 2] < 0


@PROPERTY
@given(sigma1=sigmas, sigma2=sigmas)
def test_random_dog_sums_to_zero(sigma1: float, sigma2: float) -> None:
    """Any DoG with different sigmas is finite and sums to 0."""
    if sigma1 == sigma2:
        sigma2 = sigma1 * 1.5
    _check_sum(f"dog:sigma1={sigma1!r},sigma2={sigma2!r}", 0.0)


@PROPERTY
@given(sigma=sigmas, amount=st.floats(-10, 10))
def test_random_unsharp_sums_to_one(sigma: float, amount: float) -> None:
    """Any unsharp mask is finite and sums to 1."""
    _check_sum(f"unsharp:sigma={sigma!r},amount={amount!r}", 1.0)
