"""Kernel values: a matrix of weights with a name, a scale, an offset and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from convcli.errors import KernelError

#: The largest kernel side convcli builds or reads; checked before anything is allocated.
MAX_KERNEL_SIDE = 1025

Combine = Literal["magnitude", "max", "sum"]
COMBINES: tuple[Combine, ...] = ("magnitude", "max", "sum")

Source = Literal["built-in", "user library", "file", "inline", "generator"]


@dataclass(frozen=True, eq=False, kw_only=True)
class KernelInfo:
    """What every kernel carries besides its weights."""

    name: str
    description: str = ""
    #: Multiplier applied to the result (a vips ``.mat`` scale of 16 becomes 1/16 here).
    scale: float = 1.0
    #: Added after scaling: image units, or a fraction of the full range if ``offset_relative``.
    offset: float = 0.0
    offset_relative: bool = False
    source: Source = "inline"
    #: The file the kernel was read from, if any.
    path: str | None = None
    tags: tuple[str, ...] = ()

    def offset_for(self, full_range: float) -> float:
        """The offset in image units, for an image whose values span ``0..full_range``."""
        return self.offset * full_range if self.offset_relative else self.offset

    @property
    def origin(self) -> str:
        """Where the kernel came from, for people: ``built-in``, ``file edge.txt`` ..."""
        if self.path and self.source != "built-in":
            return f"{self.source} ({self.path})"
        return self.source


@dataclass(frozen=True, eq=False, kw_only=True)
class Kernel(KernelInfo):
    """A 2-D matrix of weights, applied exactly as written (it is never normalised silently)."""

    weights: npt.NDArray[np.float64] = field(repr=False)

    def __post_init__(self) -> None:
        weights = check_weights(self.weights, self.name)
        weights.setflags(write=False)
        object.__setattr__(self, "weights", weights)
        if not np.isfinite(self.scale) or self.scale == 0:
            raise KernelError(f"kernel {self.name!r}: scale must be a non-zero finite number")
        if not np.isfinite(self.offset):
            raise KernelError(f"kernel {self.name!r}: offset must be a finite number")

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.weights.shape
        return rows, cols

    @property
    def size_text(self) -> str:
        """``rows×cols``, as people write kernel sizes (``3×3``, ``1×9``)."""
        return "×".join(str(n) for n in self.shape)

    @property
    def weight_sum(self) -> float:
        """The sum of the weights as written, before ``scale``."""
        with np.errstate(over="ignore", invalid="ignore"):
            return float(self.weights.sum())

    @property
    def effective_sum(self) -> float:
        """The sum of the weights after ``scale``: 1 keeps brightness, 0 gives zero-mean output."""
        return self.weight_sum * self.scale

    @property
    def separable_rank(self) -> int:
        """How many separable (outer-product) terms the kernel needs; 1 means separable."""
        singular = np.linalg.svd(self.weights, compute_uv=False)
        return int(np.sum(singular > singular[0] * 1e-10))


@dataclass(frozen=True, eq=False, kw_only=True)
class CombinedKernel(KernelInfo):
    """Several kernels applied to the same image and combined pixel by pixel.

    ``magnitude`` gives sqrt(sum of squares), the gradient magnitude people expect from "sobel";
    ``max`` and ``sum`` give the pointwise maximum and sum of the responses.
    """

    parts: tuple[Kernel | CombinedKernel, ...]
    combine: Combine

    def __post_init__(self) -> None:
        if not self.parts:
            raise KernelError(f"kernel {self.name!r}: 'combine' needs at least one kernel")
        if self.combine not in COMBINES:
            raise KernelError(
                f"kernel {self.name!r}: unknown combine {self.combine!r}; "
                f"choose one of {', '.join(COMBINES)}"
            )

    @property
    def size_text(self) -> str:
        sizes = sorted({part.size_text for part in self.parts})
        return f"{len(self.parts)}× {', '.join(sizes)}"


AnyKernel = Kernel | CombinedKernel


def check_weights(weights: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """The weights as a fresh 2-D float64 array, or a KernelError saying what is wrong."""
    try:
        array = np.array(weights, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        raise KernelError(
            f"kernel {name!r}: weights must be a rectangular matrix of numbers"
        ) from None
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise KernelError(f"kernel {name!r}: weights must form a 2-D matrix, not {array.ndim}-D")
    if array.size == 0:
        raise KernelError(f"kernel {name!r} is empty: it needs at least one weight")
    if max(array.shape) > MAX_KERNEL_SIDE:
        raise KernelError(
            f"kernel {name!r} is {array.shape[0]}×{array.shape[1]}; "
            f"the largest convcli accepts is {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE}"
        )
    if not np.all(np.isfinite(array)):
        raise KernelError(
            f"kernel {name!r}: weights must be finite numbers (found NaN or infinity)"
        )
    return array
