"""Parametric kernels ``NAME:key=value,...``: sums, symmetry, sizes, parameter errors, limits."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import numpy as np
import pytest

from convcli.errors import KernelError
from convcli.kernels import GENERATORS, MAX_KERNEL_SIDE, Kernel, generate, generator_help

BLURS = [
    "gaussian:sigma=1",
    "gaussian:sigma=0.5",
    "gaussian:sigma=2.5,size=5",
    "box:size=1",
    "box:size=3",
    "box:size=4",
    "motion:length=9",
    "motion:length=10,angle=30",
    "motion:length=7,angle=-120",
    "disk:radius=0.5",
    "disk:radius=3",
    "disk:radius=4.5",
]
SHARPENERS = [
    "unsharp:sigma=1",
    "unsharp:sigma=1,amount=2",
    "unsharp:sigma=0.8,amount=0.5,size=3",
    "unsharp:sigma=2,amount=-0.5",
]
ZERO_SUM = [
    "log:sigma=1",
    "log:sigma=2",
    "log:sigma=0.7,size=5",
    "dog:sigma1=1,sigma2=1.6",
    "dog:sigma1=2,sigma2=1",
    "dog:sigma1=0.5,sigma2=3,size=9",
]
SYMMETRIC = [
    "gaussian:sigma=1.3",
    "box:size=4",
    "box:size=5",
    "disk:radius=2.5",
    "log:sigma=1.5",
    "dog:sigma1=1,sigma2=2",
    "unsharp:sigma=1,amount=1.5",
]


@pytest.mark.parametrize("spec", BLURS + SHARPENERS)
def test_blurs_and_sharpeners_sum_to_one(spec: str) -> None:
    """Blurs and unsharp masks keep brightness: their effective sum is 1."""
    kernel = generate(spec)
    assert kernel.effective_sum == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize("spec", ZERO_SUM)
def test_log_and_dog_sum_to_zero(spec: str) -> None:
    """LoG and DoG are zero-mean: flat areas give 0."""
    kernel = generate(spec)
    assert kernel.effective_sum == pytest.approx(0, abs=1e-12 * np.abs(kernel.weights).sum())


@pytest.mark.parametrize("spec", BLURS + SHARPENERS + ZERO_SUM)
def test_generated_kernels_are_finite_read_only_matrices(spec: str) -> None:
    """Every generated kernel is a finite, read-only 2-D matrix whose source is 'generator'."""
    kernel = generate(spec)
    assert isinstance(kernel, Kernel)
    assert kernel.weights.ndim == 2
    assert np.all(np.isfinite(kernel.weights))
    assert not kernel.weights.flags.writeable
    assert kernel.source == "generator"
    assert kernel.name == spec
    assert kernel.description


@pytest.mark.parametrize("spec", SYMMETRIC)
@pytest.mark.parametrize(
    "transform",
    [np.flipud, np.fliplr, np.transpose, lambda w: np.rot90(w, 1)],
    ids=["flip-rows", "flip-columns", "transpose", "rotate-90"],
)
def test_isotropic_generators_are_symmetric(spec: str, transform: object) -> None:
    """gaussian, box, disk, log, dog and unsharp are unchanged by flips and transposition."""
    weights = generate(spec).weights
    np.testing.assert_allclose(transform(weights), weights, rtol=0, atol=1e-15)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("sigma", "side"),
    [(0.1, 3), (0.3, 3), (1 / 3, 3), (0.5, 5), (1, 7), (1.2, 9), (2, 13), (3.5, 23), (10, 61)],
)
def test_gaussian_default_size_is_three_sigma(sigma: float, side: int) -> None:
    """Without ``size``, a gaussian is 2·ceil(3σ)+1 wide."""
    assert side == 2 * math.ceil(3 * sigma - 1e-9) + 1
    assert generate(f"gaussian:sigma={sigma!r}").shape == (side, side)


@pytest.mark.parametrize("size", [1, 3, 5, 9, 31])
def test_gaussian_size_is_honoured(size: int) -> None:
    """``size=N`` (odd) fixes the side, whatever sigma is."""
    kernel = generate(f"gaussian:sigma=2,size={size}")
    assert kernel.shape == (size, size)
    assert kernel.effective_sum == pytest.approx(1)


def test_gaussian_matches_the_formula() -> None:
    """Gaussian weights are exp(-r²/2σ²), normalised to sum 1, peaked at the centre."""
    sigma = 1.5
    weights = generate(f"gaussian:sigma={sigma}").weights
    r = np.arange(weights.shape[0]) - weights.shape[0] // 2
    expected = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    np.testing.assert_allclose(weights, expected / expected.sum(), rtol=1e-12)
    assert generate("gaussian:sigma=1.5").separable_rank == 1


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_box_is_ones_with_scale_one_over_area(size: int) -> None:
    """``box:size=N`` is N×N ones with scale 1/N² (even sizes allowed)."""
    kernel = generate(f"box:size={size}")
    np.testing.assert_array_equal(kernel.weights, np.ones((size, size)))
    assert kernel.scale == pytest.approx(1 / size**2)
    assert kernel.separable_rank == 1


@pytest.mark.parametrize(("radius", "count"), [(0.5, 1), (1, 5), (1.5, 9), (2, 13), (3, 29)])
def test_disk_counts_cells_within_the_radius(radius: float, count: int) -> None:
    """``disk:radius=R`` is 1 inside the radius, 0 outside, with scale 1/count."""
    kernel = generate(f"disk:radius={radius}")
    weights = kernel.weights
    side = 2 * math.floor(radius) + 1
    assert kernel.shape == (side, side)
    assert set(np.unique(weights)) <= {0.0, 1.0}
    assert weights.sum() == count
    assert kernel.scale == pytest.approx(1 / count)


@pytest.mark.parametrize("length", [1, 3, 5, 9, 15])
def test_motion_horizontal_gives_equal_weights_along_one_row(length: int) -> None:
    """A horizontal motion blur of odd length L has L equal weights on the centre row."""
    weights = generate(f"motion:length={length}").weights
    rows, cols = np.nonzero(weights)
    assert set(rows) == {weights.shape[0] // 2}
    assert len(cols) == length
    np.testing.assert_allclose(weights[rows, cols], 1 / length)


@pytest.mark.parametrize("angle", [90, -90, 270])
def test_motion_at_90_degrees_is_vertical(angle: int) -> None:
    """``angle=90`` gives equal weights down the centre column."""
    weights = generate(f"motion:length=7,angle={angle}").weights
    rows, cols = np.nonzero(weights)
    assert set(cols) == {weights.shape[1] // 2}
    assert len(rows) == 7
    np.testing.assert_allclose(weights[rows, cols], 1 / 7)


@pytest.mark.parametrize(
    ("angle", "diagonal"),
    [(45, "anti"), (225, "anti"), (-135, "anti"), (-45, "main"), (135, "main")],
)
def test_motion_at_45_degrees_is_diagonal(angle: int, diagonal: str) -> None:
    """``angle=45`` runs up to the right (anticlockwise from +x), ``-45`` down to the right."""
    weights = generate(f"motion:length={7 * math.sqrt(2)!r},angle={angle}").weights
    side = weights.shape[0]
    assert weights.shape == (7, 7)
    line = np.eye(side) if diagonal == "main" else np.fliplr(np.eye(side))
    np.testing.assert_allclose(weights, line / side, atol=1e-12)


@pytest.mark.parametrize("angle", [0, 17, 30, 45, 60, 90, 123])
def test_motion_is_symmetric_about_its_centre(angle: int) -> None:
    """A motion line through the centre is unchanged by a half turn, and 180° away is the same."""
    weights = generate(f"motion:length=8,angle={angle}").weights
    np.testing.assert_allclose(weights, weights[::-1, ::-1], atol=1e-12)
    np.testing.assert_allclose(
        generate(f"motion:length=8,angle={angle + 180}").weights, weights, atol=1e-12
    )


@pytest.mark.parametrize("sigma", [0.5, 1, 1.4, 2])
def test_log_has_a_negative_centre(sigma: float) -> None:
    """The Laplacian of Gaussian uses the mathematical sign: negative centre, sum 0."""
    weights = generate(f"log:sigma={sigma}").weights
    centre = weights[weights.shape[0] // 2, weights.shape[1] // 2]
    assert centre < 0
    assert centre == weights.min()
    assert weights.sum() == pytest.approx(0, abs=1e-12 * np.abs(weights).sum())


def test_dog_is_the_difference_of_two_gaussians() -> None:
    """``dog:sigma1=a,sigma2=b`` is G(a) − G(b) on one grid; swapping the sigmas negates it."""
    dog = generate("dog:sigma1=1,sigma2=1.6").weights
    side = dog.shape[0]
    assert side == 2 * math.ceil(3 * 1.6) + 1
    g1 = generate(f"gaussian:sigma=1,size={side}").weights
    g2 = generate(f"gaussian:sigma=1.6,size={side}").weights
    np.testing.assert_allclose(dog, g1 - g2, atol=1e-15)
    assert dog[side // 2, side // 2] > 0
    np.testing.assert_allclose(generate("dog:sigma1=1.6,sigma2=1").weights, -dog, atol=1e-15)


@pytest.mark.parametrize(("sigma", "amount"), [(1, 1), (1, 2), (0.5, 0.3), (2, 0)])
def test_unsharp_is_identity_plus_amount_times_detail(sigma: float, amount: float) -> None:
    """``unsharp:sigma=S,amount=A`` is (1+A)·identity − A·gaussian(S)."""
    weights = generate(f"unsharp:sigma={sigma},amount={amount}").weights
    side = weights.shape[0]
    blur = generate(f"gaussian:sigma={sigma},size={side}").weights
    identity = np.zeros_like(blur)
    identity[side // 2, side // 2] = 1
    np.testing.assert_allclose(weights, (1 + amount) * identity - amount * blur, atol=1e-15)


def test_unsharp_amount_defaults_to_one() -> None:
    """Without ``amount``, unsharp uses amount 1."""
    np.testing.assert_array_equal(
        generate("unsharp:sigma=1").weights, generate("unsharp:sigma=1,amount=1").weights
    )


@pytest.mark.parametrize(
    ("spec", "same_as"),
    [
        ("Gaussian:Sigma=2", "gaussian:sigma=2"),
        (" gaussian : sigma = 2 , size = 13 ", "gaussian:sigma=2,size=13"),
        ("gaussian:sigma=1/2", "gaussian:sigma=0.5"),
        ("box:size=3.0", "box:size=3"),
        ("motion:angle=0,length=5", "motion:length=5"),
        ("gaussian:sigma=2,", "gaussian:sigma=2"),
    ],
)
def test_parameter_spelling_is_forgiving(spec: str, same_as: str) -> None:
    """Names and keys ignore case and spaces; fractions and trailing commas are accepted."""
    np.testing.assert_array_equal(generate(spec).weights, generate(same_as).weights)


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        ("gaussian", ["missing sigma", "gaussian:sigma="]),
        ("gaussian:", ["missing sigma"]),
        ("gaussian:sigma", ["'sigma' is not a parameter"]),
        ("gaussian:radius=2", ["'radius=2' is not a parameter of gaussian", "sigma="]),
        ("gaussian:sigma=x", ["sigma='x'", "not a finite number"]),
        ("gaussian:sigma=nan", ["not a finite number"]),
        ("gaussian:sigma=inf", ["not a finite number"]),
        ("gaussian:sigma=1/0", ["not a finite number"]),
        ("gaussian:sigma=0", ["sigma", "greater than 0"]),
        ("gaussian:sigma=-1", ["sigma", "greater than 0"]),
        ("gaussian:sigma=1,size=4", ["size", "odd"]),
        ("gaussian:sigma=1,size=0", ["size", "odd"]),
        ("gaussian:sigma=1,size=-3", ["size", "odd"]),
        ("gaussian:sigma=1,size=2.5", ["size", "odd"]),
        ("log:sigma=1,size=6", ["size", "odd"]),
        ("dog:sigma1=1,sigma2=2,size=8", ["size", "odd"]),
        ("unsharp:sigma=1,size=2", ["size", "odd"]),
        ("box", ["missing size"]),
        ("box:size=0", ["size", "whole number"]),
        ("box:size=2.5", ["size", "whole number"]),
        ("box:size=-1", ["size", "whole number"]),
        ("motion", ["missing length"]),
        ("motion:length=0", ["length", "greater than 0"]),
        ("motion:length=-5", ["length", "greater than 0"]),
        ("motion:length=5,angle=north", ["angle='north'"]),
        ("log:sigma=0", ["sigma", "greater than 0"]),
        ("dog:sigma1=1", ["missing sigma2"]),
        ("dog", ["missing sigma1, sigma2"]),
        ("dog:sigma1=1,sigma2=1", ["must differ"]),
        ("dog:sigma1=0,sigma2=1", ["sigma1", "greater than 0"]),
        ("dog:sigma1=1,sigma2=-1", ["sigma2", "greater than 0"]),
        ("unsharp:amount=1", ["missing sigma"]),
        ("unsharp:sigma=-2", ["sigma", "greater than 0"]),
        ("disk", ["missing radius"]),
        ("disk:radius=0", ["radius", "greater than 0"]),
        ("disk:radius=-1", ["radius", "greater than 0"]),
        ("blur:sigma=1", ["unknown kernel generator 'blur'", "gaussian"]),
        ("", ["unknown kernel generator"]),
    ],
)
def test_parameter_errors_say_what_to_write(
    spec: str, fragments: list[str], raises_kernel_error: Callable[..., str]
) -> None:
    """Bad parameters are one-line KernelErrors naming the parameter and the usage."""
    raises_kernel_error(lambda: generate(spec), *fragments)


@pytest.mark.parametrize(
    "spec",
    [
        "gaussian:sigma=1e9",
        "gaussian:sigma=171",
        "gaussian:sigma=1,size=1027",
        "gaussian:sigma=1,size=100001",
        "box:size=1026",
        "box:size=1e18",
        "disk:radius=513",
        "disk:radius=1e300",
        "motion:length=1e9",
        "motion:length=1e9,angle=45",
        "log:sigma=300",
        "log:sigma=1e300",
        "dog:sigma1=1,sigma2=1e9",
        "unsharp:sigma=1e9",
    ],
)
def test_sizes_above_the_limit_are_refused_before_allocating(
    spec: str, raises_kernel_error: Callable[..., str]
) -> None:
    """Parameters needing a kernel above the limit are refused fast, with the limit named."""
    started = time.perf_counter()
    raises_kernel_error(lambda: generate(spec), f"{MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE}")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "spec", ["gaussian:sigma=170", "box:size=1025", "disk:radius=512", "motion:length=1025"]
)
def test_sizes_at_the_limit_are_built(spec: str) -> None:
    """Parameters needing exactly the largest side are accepted."""
    assert max(generate(spec).shape) <= MAX_KERNEL_SIDE


@pytest.mark.parametrize(
    "spec",
    [
        "gaussian:sigma=1e-200",
        "log:sigma=1e-60",
    ],
)
def test_tiny_sigmas_give_a_finite_kernel_or_a_clear_error(spec: str) -> None:
    """A positive but tiny sigma gives finite weights, or a KernelError, and never a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            kernel = generate(spec)
        except KernelError as error:
            assert "sigma" in str(error)
        else:
            assert np.all(np.isfinite(kernel.weights))


def test_every_generator_is_documented() -> None:
    """``generator_help`` has one ``name:params — summary`` line per generator."""
    lines = generator_help()
    assert sorted(GENERATORS) == ["box", "disk", "dog", "gaussian", "log", "motion", "unsharp"]
    assert len(lines) == len(GENERATORS)
    for name, line in zip(sorted(GENERATORS), lines, strict=True):
        assert line.startswith(f"{name}:")
        assert " — " in line


@pytest.mark.parametrize(
    "spec",
    [
        "GAUSSIAN:SIGMA=100E153,SIZE=1",  # found by tests/test_fuzz.py: an OverflowError
        "LOG:SIGMA=1E52,SIZE=1",
        "dog:sigma1=1,sigma2=1e200,size=1",
        "unsharp:sigma=1e300,size=3",
        "disk:radius=1e308",
        "motion:length=1e308",
        "gaussian:sigma=1e7",
    ],
)
def test_huge_parameters_are_a_one_line_error_not_an_overflow(
    spec: str, raises_kernel_error: Callable[..., str]
) -> None:
    """A sigma, radius or length no kernel could hold is refused with what to change."""
    raises_kernel_error(lambda: generate(spec), "above", "wider than the largest kernel")
