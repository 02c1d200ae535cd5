"""Kernel values: frozen, keyword-only, read-only weights, and the properties people read."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from convcli.errors import ConvcliError, KernelError
from convcli.kernels import COMBINES, MAX_KERNEL_SIDE, CombinedKernel, Kernel, resolve_kernel


def test_kernel_error_is_a_value_error() -> None:
    """KernelError is both a ConvcliError and a ValueError."""
    assert issubclass(KernelError, ValueError)
    assert issubclass(KernelError, ConvcliError)


def test_defaults() -> None:
    """A kernel defaults to scale 1, offset 0, source inline, no path, no tags."""
    kernel = Kernel(name="k", weights=[[1, 2], [3, 4]])
    assert kernel.description == ""
    assert kernel.scale == 1
    assert kernel.offset == 0
    assert kernel.offset_relative is False
    assert kernel.source == "inline"
    assert kernel.path is None
    assert kernel.tags == ()
    assert kernel.origin == "inline"


def test_fields_are_keyword_only() -> None:
    """Kernel and CombinedKernel take keyword arguments only."""
    with pytest.raises(TypeError):
        Kernel("k", [[1]])  # type: ignore[misc]
    with pytest.raises(TypeError):
        CombinedKernel("c", (), "sum")  # type: ignore[misc]


def test_kernels_are_frozen() -> None:
    """Assigning to a kernel's fields is refused."""
    kernel = Kernel(name="k", weights=[[1]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        kernel.scale = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        kernel.weights = np.zeros((1, 1))  # type: ignore[misc]


def test_weights_are_a_read_only_float_copy() -> None:
    """Weights are a 2-D float64 copy that cannot be written to."""
    source = np.array([[1, 2], [3, 4]], dtype=np.int32)
    kernel = Kernel(name="k", weights=source)
    assert kernel.weights.dtype == np.float64
    assert not kernel.weights.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        kernel.weights[0, 0] = 9
    source[0, 0] = 9
    assert kernel.weights[0, 0] == 1


def test_one_dimensional_weights_are_one_row() -> None:
    """A flat list of weights is a single row."""
    assert Kernel(name="k", weights=[1, 2, 1]).shape == (1, 3)


@pytest.mark.parametrize(
    ("weights", "shape", "size_text"),
    [
        ([[1]], (1, 1), "1×1"),
        (np.ones((3, 3)), (3, 3), "3×3"),
        (np.ones((1, 9)), (1, 9), "1×9"),
        (np.ones((9, 1)), (9, 1), "9×1"),
        (np.ones((2, 5)), (2, 5), "2×5"),
    ],
)
def test_shape_and_size_text(weights: object, shape: tuple[int, int], size_text: str) -> None:
    """``shape`` is (rows, columns) and ``size_text`` is rows×columns."""
    kernel = Kernel(name="k", weights=weights)  # type: ignore[arg-type]
    assert kernel.shape == shape
    assert kernel.size_text == size_text


@pytest.mark.parametrize(
    ("weights", "scale", "weight_sum", "effective_sum"),
    [
        ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16, 16, 1),
        ([[-1, 0, 1]], 1, 0, 0),
        ([[1, 1, 1]], 2, 3, 6),
        ([[-1, 5, -1]], -1, 3, -3),
    ],
)
def test_weight_sum_is_before_scale_and_effective_sum_after(
    weights: list[list[float]], scale: float, weight_sum: float, effective_sum: float
) -> None:
    """``weight_sum`` is Σw as written; ``effective_sum`` is Σw × scale."""
    kernel = Kernel(name="k", weights=weights, scale=scale)
    assert kernel.weight_sum == weight_sum
    assert kernel.effective_sum == pytest.approx(effective_sum)


@pytest.mark.parametrize(
    ("spec", "rank"),
    [
        ("identity", 1),
        ("box-5", 1),
        ("gaussian-7", 1),
        ("sobel-x", 1),
        ("sobel-y", 1),
        ("motion-h", 1),
        ("laplacian-4", 2),
        ("sharpen", 2),
        ("laplacian-8", 2),
        ("motion-diagonal", 9),
        ("1 2; 3 4", 2),
        ("1 2; 2 4", 1),
    ],
)
def test_separable_rank(spec: str, rank: int) -> None:
    """``separable_rank`` counts the outer-product terms needed: 1 means separable."""
    kernel = resolve_kernel(spec)
    assert isinstance(kernel, Kernel)
    assert kernel.separable_rank == rank


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        ([], "empty"),
        ([[]], "empty"),
        (np.zeros((0, 3)), "empty"),
        (np.zeros((2, 2, 2)), "2-D"),
        (5.0, "2-D"),
        ([[1, np.nan]], "finite"),
        ([[1, np.inf]], "finite"),
        (np.ones((1, MAX_KERNEL_SIDE + 1)), str(MAX_KERNEL_SIDE)),
        (np.ones((MAX_KERNEL_SIDE + 1, 1)), str(MAX_KERNEL_SIDE)),
    ],
)
def test_invalid_weights_are_kernel_errors(weights: object, fragment: str) -> None:
    """Empty, non-2-D, non-finite and oversized weights are refused, naming the kernel."""
    with pytest.raises(KernelError, match="'bad'") as caught:
        Kernel(name="bad", weights=weights)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param([[1, 2], [3]], id="ragged"),
        pytest.param([["a", "b"]], id="words"),
        pytest.param([[1 + 2j]], id="complex"),
    ],
)
def test_weights_that_are_not_a_number_matrix_are_kernel_errors(weights: object) -> None:
    """Ragged or non-numeric weights are a KernelError, like every other bad kernel."""
    with pytest.raises(KernelError):
        Kernel(name="bad", weights=weights)  # type: ignore[arg-type]


def test_largest_side_is_accepted() -> None:
    """A 1×MAX_KERNEL_SIDE kernel is accepted."""
    assert Kernel(name="k", weights=np.ones((1, MAX_KERNEL_SIDE))).shape == (1, MAX_KERNEL_SIDE)


@pytest.mark.parametrize("scale", [0.0, float("nan"), float("inf"), -float("inf")])
def test_scale_must_be_finite_and_not_zero(scale: float) -> None:
    """A zero or non-finite scale is refused."""
    with pytest.raises(KernelError, match="scale"):
        Kernel(name="k", weights=[[1]], scale=scale)


@pytest.mark.parametrize("offset", [float("nan"), float("inf")])
def test_offset_must_be_finite(offset: float) -> None:
    """A non-finite offset is refused."""
    with pytest.raises(KernelError, match="offset"):
        Kernel(name="k", weights=[[1]], offset=offset)


def test_offset_for_absolute_and_relative_offsets() -> None:
    """``offset_for`` gives image units: the offset itself, or a fraction of the full range."""
    assert Kernel(name="k", weights=[[1]], offset=12).offset_for(255) == 12
    relative = Kernel(name="k", weights=[[1]], offset=0.5, offset_relative=True)
    assert relative.offset_for(255) == 127.5
    assert relative.offset_for(65535) == 32767.5
    assert relative.offset_for(1.0) == 0.5


def test_origin_names_the_source_and_path() -> None:
    """``origin`` tells people where a kernel came from."""
    kernel = Kernel(name="k", weights=[[1]], source="file", path="edge.txt")
    assert kernel.origin == "file (edge.txt)"


def test_combined_kernel_fields_and_size_text() -> None:
    """A combined kernel holds its parts and how to combine them."""
    x = Kernel(name="x", weights=np.ones((3, 3)))
    y = Kernel(name="y", weights=np.ones((1, 5)))
    combined = CombinedKernel(name="c", parts=(x, x, y), combine="max")
    assert combined.parts == (x, x, y)
    assert combined.combine == "max"
    assert combined.scale == 1
    assert combined.size_text == "3× 1×5, 3×3"
    assert COMBINES == ("magnitude", "max", "sum")


def test_combined_kernel_needs_parts() -> None:
    """A combined kernel with no parts is refused."""
    with pytest.raises(KernelError, match="at least one"):
        CombinedKernel(name="c", parts=(), combine="sum")


def test_combined_kernel_needs_a_known_combine() -> None:
    """An unknown combine is refused, listing the valid ones."""
    part = Kernel(name="x", weights=[[1]])
    with pytest.raises(KernelError, match="magnitude, max, sum"):
        CombinedKernel(name="c", parts=(part,), combine="mean")  # type: ignore[arg-type]
