"""Applying a Kernel to pixel values: the engine, then combine, scale and offset.

This is the library-level operation behind ``convcli apply``: arrays in, float arrays out.
Rounding, clipping and bit depths belong to the image layer, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from convcli.engine import convolve as convolve_weights
from convcli.engine import correlate as correlate_weights
from convcli.engine.geometry import plan_axis
from convcli.engine.modes import canonical_padding
from convcli.errors import KernelError
from convcli.kernels.model import AnyKernel, Kernel

FloatArray = npt.NDArray[np.floating]


def apply_kernel(
    image: npt.ArrayLike,
    kernel: AnyKernel,
    *,
    convolve: bool = False,
    full_range: float | None = None,
    **engine: Any,
) -> FloatArray:
    """Filter ``image`` with ``kernel``: ``scale * response + offset``, as float.

    Parameters
    ----------
    image
        As for :func:`convcli.engine.correlate`.
    kernel
        A :class:`Kernel`, or a :class:`CombinedKernel` whose parts' responses are combined
        (``magnitude``, ``max`` or ``sum``) before its own scale and offset are applied.
    convolve
        Turn the kernel 180° (true convolution) instead of applying it as written.
    full_range
        What a relative offset (``"50%"``) is a fraction of; by default the image dtype's
        maximum for integers (255 for uint8) and 1.0 for floats.
    **engine
        ``border``, ``fill``, ``padding``, ``stride``, ``dilation``: passed to the engine.
    """
    pixels = np.asarray(image)
    if full_range is None:
        full_range = default_full_range(pixels.dtype)
    apply = convolve_weights if convolve else correlate_weights
    return _apply(pixels, kernel, apply, full_range, engine)


def apply_chain(
    image: npt.ArrayLike,
    kernels: Sequence[AnyKernel],
    *,
    convolve: bool = False,
    full_range: float | None = None,
    **engine: Any,
) -> FloatArray:
    """Apply ``kernels`` one after the other, in float, with no rounding between steps."""
    pixels = np.asarray(image)
    if full_range is None:
        full_range = default_full_range(pixels.dtype)
    result: npt.NDArray[Any] = pixels.astype(
        np.float64 if pixels.dtype == np.float64 else np.float32
    )
    for kernel in kernels:
        result = apply_kernel(result, kernel, convolve=convolve, full_range=full_range, **engine)
    return result


def default_full_range(dtype: np.dtype[Any]) -> float:
    """The largest value of an integer dtype (255 for uint8), or 1.0 for floats and booleans."""
    if dtype.kind in "iu":
        return float(np.iinfo(dtype).max)
    return 1.0


def _apply(
    pixels: npt.NDArray[Any],
    kernel: AnyKernel,
    apply: Any,
    full_range: float,
    engine: dict[str, Any],
) -> FloatArray:
    result, _ = _respond(pixels, kernel, apply, full_range, engine)
    return result


def _respond(
    pixels: npt.NDArray[Any],
    kernel: AnyKernel,
    apply: Any,
    full_range: float,
    engine: dict[str, Any],
) -> tuple[FloatArray, tuple[int, ...]]:
    """The kernel's response and, per axis, the input position its first output is centred on."""
    if isinstance(kernel, Kernel):
        result: FloatArray = apply(pixels, kernel.weights, **engine)
        centres = _centres(pixels, kernel.shape, apply is convolve_weights, engine)
    else:
        parts = [_respond(pixels, part, apply, full_range, engine) for part in kernel.parts]
        aligned, centres = _align(parts, engine)
        result = _combine(aligned, kernel.combine)
    if kernel.scale != 1:
        result *= result.dtype.type(kernel.scale)
    offset = kernel.offset_for(full_range)
    if offset:
        result += result.dtype.type(offset)
    return result, centres


def _centres(
    pixels: npt.NDArray[Any], shape: tuple[int, int], turned: bool, engine: dict[str, Any]
) -> tuple[int, ...]:
    """Per spatial axis: the input index the first output sample is centred on."""
    sizes = pixels.shape[:2] if pixels.ndim > 1 else (1, pixels.shape[0])
    strides = _pair(engine.get("stride", 1))
    dilations = _pair(engine.get("dilation", 1))
    centres = []
    for axis in (0, 1):
        plan = plan_axis(
            sizes[axis],
            shape[axis],
            padding=canonical_padding(engine.get("padding", "same")),
            stride=strides[axis],
            dilation=dilations[axis],
            turned=turned,
        )
        span = dilations[axis] * (shape[axis] - 1) + 1
        anchor = span - 1 - span // 2 if turned else span // 2
        centres.append(plan.start + anchor)
    return tuple(centres) if pixels.ndim > 1 else (centres[1],)


def _align(
    parts: list[tuple[FloatArray, tuple[int, ...]]], engine: dict[str, Any]
) -> tuple[list[FloatArray], tuple[int, ...]]:
    """Crop responses of kernels of different sizes so that each output pixel has one centre."""
    strides = _pair(engine.get("stride", 1))[-len(parts[0][1]) :]
    target = tuple(max(c[axis] for _, c in parts) for axis in range(len(parts[0][1])))
    crops = []
    for response, centres in parts:
        starts = []
        for axis, (centre, stride) in enumerate(zip(centres, strides, strict=True)):
            shift, remainder = divmod(target[axis] - centre, stride)
            if remainder:
                raise KernelError(
                    "the kernels combined here have different sizes that cannot be aligned "
                    f"with stride {stride}; use padding 'same' or stride 1"
                )
            starts.append(shift)
        crops.append((response, starts))
    lengths = [
        min(response.shape[axis] - starts[axis] for response, starts in crops)
        for axis in range(len(target))
    ]
    aligned = [
        response[tuple(slice(a, a + n) for a, n in zip(starts, lengths, strict=True))]
        for response, starts in crops
    ]
    return aligned, target


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int | np.integer):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


def _combine(responses: list[FloatArray], how: str) -> FloatArray:
    if how == "max":
        return np.asarray(np.maximum.reduce(responses))
    total = np.zeros_like(responses[0])
    for response in responses:
        total += response * response if how == "magnitude" else response
    return np.sqrt(total, out=total) if how == "magnitude" else total
