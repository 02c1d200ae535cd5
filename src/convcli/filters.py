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
    result: npt.NDArray[Any] = pixels
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
    if isinstance(kernel, Kernel):
        result: FloatArray = apply(pixels, kernel.weights, **engine)
    else:
        responses = [_apply(pixels, part, apply, full_range, engine) for part in kernel.parts]
        result = _combine(responses, kernel.combine)
    if kernel.scale != 1:
        result *= result.dtype.type(kernel.scale)
    offset = kernel.offset_for(full_range)
    if offset:
        result += result.dtype.type(offset)
    return result


def _combine(responses: list[FloatArray], how: str) -> FloatArray:
    if len({r.shape for r in responses}) > 1:
        # Parts of different sizes under 'valid' padding: keep the region all of them cover.
        rows = min(r.shape[0] for r in responses)
        cols = min(r.shape[1] for r in responses) if responses[0].ndim > 1 else None
        responses = [_crop_centre(r, rows, cols) for r in responses]
    if how == "max":
        return np.asarray(np.maximum.reduce(responses))
    total = np.zeros_like(responses[0])
    for response in responses:
        total += response * response if how == "magnitude" else response
    return np.sqrt(total, out=total) if how == "magnitude" else total


def _crop_centre(array: FloatArray, rows: int, cols: int | None) -> FloatArray:
    top = (array.shape[0] - rows) // 2
    if cols is None:
        return array[top : top + rows]
    left = (array.shape[1] - cols) // 2
    return array[top : top + rows, left : left + cols]
